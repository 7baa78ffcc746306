"""Content-Security-Policy: every HTML page carries a policy without
'unsafe-inline' or 'unsafe-eval', and no page or template holds inline code
the policy would block (scripts, styles, style attributes, event handlers)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import path, reverse

from tests.conftest import relative_day
from tests.ledger.conftest import create_categories, problem_maker
from tests.study.conftest import kinds, make_session  # noqa: F401

SHIJI = Path(__file__).resolve().parents[2] / "shiji"


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    out = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *values = part.split()
        out[name] = values
    return out


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' blocks."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style> element")
        # A data block (type=application/json) is not executed and is allowed.
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.found.append("inline <script>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def areas(world, kinds, make_session):  # noqa: F811 - the fixtures imported above
    """One record in each area, so that detail pages and full lists render."""
    from shiji.regulations import services as regulations

    problem = problem_maker(create_categories(world))(world, status="in_progress")
    session = make_session(present=["张三"], absent={"李四": "出差"}, date=relative_day(-7))
    regulation = regulations.regulation_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.organ,
        title="项目审批限时办结制度",
        action="new",
    )
    return {"problem": problem, "session": session, "regulation": regulation}


def main_pages(areas) -> list[str]:
    return [
        reverse("home"),
        reverse("password_change"),
        reverse("orgs:tree"),
        reverse("orgs:users"),
        reverse("orgs:user_create"),
        reverse("audit:list"),
        reverse("ledger:list"),
        reverse("ledger:inbox"),
        reverse("ledger:create"),
        reverse("ledger:import"),
        reverse("ledger:detail", args=[areas["problem"].pk]),
        reverse("ledger:edit", args=[areas["problem"].pk]),
        reverse("campaigns:settings"),
        reverse("campaigns:tasks"),
        reverse("campaigns:matrix"),
        reverse("campaigns:task_create"),
        reverse("regulations:list"),
        reverse("regulations:create"),
        reverse("regulations:detail", args=[areas["regulation"].pk]),
        reverse("study:list"),
        reverse("study:coverage"),
        reverse("study:create"),
        reverse("study:detail", args=[areas["session"].pk]),
        reverse("study:edit", args=[areas["session"].pk]),
        "/api/v1/docs",
    ]


def assert_strict_policy(response, url: str) -> None:
    policy = directives(response)
    assert policy, f"{url}: no Content-Security-Policy header"
    header = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, url
    assert policy["default-src"] == ["'self'"], url
    assert policy["script-src"] == ["'self'"], url
    assert policy["style-src"] == ["'self'"], url
    assert policy["frame-ancestors"] == ["'none'"], url
    assert policy["object-src"] == ["'none'"], url


def test_every_page_of_the_main_areas_has_a_strict_policy_and_no_inline_code(client, world, areas):
    client.force_login(world["zone_admin"])
    for url in main_pages(areas):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html"), url
        assert_strict_policy(response, url)
        assert inline_code(response.content.decode()) == [], url


def test_htmx_fragments_hold_no_inline_code(client, world, areas):
    client.force_login(world["zone_admin"])
    for url in (
        reverse("ledger:list") + "?status=in_progress",
        reverse("study:list"),
        reverse("study:coverage"),
        reverse("campaigns:tasks"),
        reverse("campaigns:matrix"),
        reverse("regulations:list"),
    ):
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 200, url
        assert "<html" not in response.content.decode(), f"{url}: expected a fragment"
        assert inline_code(response.content.decode()) == [], url


def test_login_and_error_pages_have_the_policy_too(client, world):
    response = client.get(reverse("login"))
    assert_strict_policy(response, "login")
    assert inline_code(response.content.decode()) == []
    client.force_login(world["secretary"])
    missing = client.get("/ledger/999999/")
    assert missing.status_code == 404
    assert_strict_policy(missing, "404")
    refused = client.get(reverse("orgs:users"))
    assert refused.status_code == 403
    assert_strict_policy(refused, "403")


def test_images_may_come_only_from_the_site_and_data_uris(client, db):
    # data: is there for Tabler's form controls (SVG check marks and carets).
    policy = directives(client.get(reverse("login")))
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_no_template_holds_inline_code():
    """Every template, rendered by a test or not: a style attribute with a
    template variable in it is caught here before any page shows it."""
    offenders = {}
    for template in sorted(SHIJI.rglob("templates/**/*.html")):
        text = template.read_text()
        # Template tags inside attribute values would confuse the HTML parser.
        text = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "x", text, flags=re.S)
        found = inline_code(text)
        if found:
            offenders[str(template.relative_to(SHIJI))] = found
    assert offenders == {}


def test_the_api_docs_page_loads_everything_from_the_site(client, db):
    """Swagger UI comes from django-ninja's own static files, not a CDN."""
    html = client.get("/api/v1/docs").content.decode()
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in urls
    assert "/static/ninja/swagger-ui.css" in urls
    assert [u for u in urls if not u.startswith("/")] == []
    assert "http://" not in html and "https://" not in html and "//cdn" not in html


def test_the_500_page_styles_itself_from_a_static_file():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert inline_code(html) == []
    assert 'href="/static/shiji/error.css"' in html
    assert (SHIJI / "web/static/shiji/error.css").is_file()


# A response that sets its own policy (inline evidence is served with
# "sandbox") keeps it: the middleware only adds one where there is none.
def _own_policy(request):
    response = HttpResponse(b"evidence", content_type="text/plain")
    response["Content-Security-Policy"] = "sandbox"
    return response


urlpatterns = [path("own-policy/", _own_policy)]


@pytest.mark.urls(__name__)
def test_a_response_with_its_own_policy_keeps_it(client, db):
    response = client.get("/own-policy/")
    assert response.headers["Content-Security-Policy"] == "sandbox"
