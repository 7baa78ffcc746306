"""Every page, in English, has no Chinese outside the data.

The rendered half of the English check (the static half is
``test_i18n_templates.py``). The demo is loaded once (its zones, rosters,
problems, sessions, tasks and rules, like a real zone), then each demo role
signs in with the language set to English and GETs every page of the URL
resolver (the API, the admin and the language switch aside), with real ids
from what that role can see: one problem per status, and a couple of each
other record. Responses that are not HTML pages (downloads, 405 for POST-only
actions) are skipped; a URL with a parameter the table below does not know
fails the test, so a new page is walked from the day it is added.

What is data: Chinese that the database holds (org and people's names,
problem descriptions, category names, campaign texts …) legitimately stays
Chinese. Rather than marking every ``{{ value }}`` in the templates, the test
collects every text value in the database and splits it, like the page, into
runs of Chinese characters and punctuation; a run on the page is data when
the database has exactly that run (or, before an ellipsis, the start of one,
for ``truncatechars``). Runs are cut at any other character, so a label glued
to data (``{{ org }}的问题``) or a lone "，" from a template is still caught,
while short UI words do not hide inside long descriptions. Text in
``<script>``/``<style>``, in an element marked ``lang="zh-Hans"`` (Chinese
on purpose: the 中文 switch) or ``translate="no"`` (data the database does
not hold as such, like a name's first character in the avatar) is skipped;
so is Chinese in curly quotes inside an English sentence, which names the
Chinese headers of the workbooks (they stay Chinese by contract).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from shiji.campaigns import selectors as campaigns
from shiji.ledger import selectors as ledger
from shiji.ledger.models import LedgerJob, Status
from shiji.orgs import selectors as orgs
from shiji.orgs.models import User
from shiji.outreach.models import Status as FeedbackStatus
from shiji.outreach.selectors import enterprises as outreach
from shiji.outreach.selectors.feedback import feedback_visible_to
from shiji.outreach.selectors.projects import projects_visible_to
from shiji.regulations import selectors as regulations
from shiji.reports import selectors as reports
from shiji.study import selectors as study
from shiji.study.models import AttendeeGroup

RUN = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
ROLES = [
    "admin",
    "national",
    "guangdong",
    "gy_admin",
    "gy_leader",
    "gy_secretary",
    "gy_liaison",
    "gy_supervisor",
]
SKIPPED_PREFIXES = ("api/", "admin/", "i18n/", "accounts/logout/")
# Files, not pages (and costly to build): downloads and exports.
FILES = {
    "assessment:campaign_export",
    "assessment:evidence",
    "assessment:template",
    "assessment:zone_export",
    "assessment:compare_export",
    "orgs:roster_template",
    "ledger:evidence_download",
    "ledger:job_download",
    "campaigns:evidence_download",
    "campaigns:matrix_export",
    "campaigns:tasks_export",
    "regulations:export",
    "reports:rollup_export",
    "reports:zone_export",
    "regulations:file",
    "study:export",
    "study:material_download",
    "study:speech_download",
    "study:signin_template",
    "outreach:feedback_file",
    "outreach:roundtable_file",
    "outreach:project_file",
    "reports:update_photo",
    "reports:bulletin_docx",
}


def _first(qs, n=2):
    return list(qs.order_by("pk").values_list("pk", flat=True)[:n])


def _problems(user):
    visible = ledger.problems_visible_to(user=user)
    return [pk for s in Status.values for pk in _first(visible.filter(status=s), 1)]


def _ids(user) -> dict[str, list[dict]]:
    """Real ids, per URL parameter set, of records ``user`` may see."""
    problems = [{"pk": pk} for pk in _problems(user)]
    one_problem = problems[:1]
    sessions = [{"pk": pk} for pk in _first(study.sessions_visible_to(user=user))]
    rules = [{"pk": pk} for pk in _first(regulations.regulations_visible_to(user=user))]
    zones = orgs.zones_visible_to(user=user)
    feedback = feedback_visible_to(user=user)
    items = [
        {"pk": pk} for s in FeedbackStatus.values for pk in _first(feedback.filter(status=s), 1)
    ]
    items += [{"pk": pk} for pk in _first(feedback.filter(restricted=True), 1)]
    adoptions = [
        {"pk": pk}
        for pk in _first(
            apps.get_model("campaigns", "ZoneCampaign").objects.filter(zone__in=zones), 1
        )
    ]
    updates = [{"pk": pk} for pk in _first(reports.updates_visible_to(user=user))]
    bulletins = [{"pk": pk} for pk in _first(reports.bulletins_visible_to(user=user))]
    drafts = [
        {"pk": pk}
        for pk in _first(reports.bulletins_visible_to(user=user).filter(status="draft"), 1)
    ]
    series = [{"series_id": pk} for pk in _first(reports.series_managed_by(user=user), 1)]
    return {
        # Work updates and bulletins; POST-only actions answer 405 whatever the id.
        "reports:update_detail": updates,
        "reports:update_edit": updates,
        "reports:update_review": [{"pk": 0}],
        "reports:update_photos_add": [{"pk": 0}],
        "reports:update_photo_remove": [{"pk": 0, "photo_id": 0}],
        "reports:bulletin_detail": bulletins,
        "reports:bulletin_edit": drafts,
        "reports:bulletin_create": series,
        "reports:bulletin_add_items": [{"pk": 0}],
        "reports:bulletin_item_move": [{"pk": 0, "item_id": 0}],
        "reports:bulletin_item_remove": [{"pk": 0, "item_id": 0}],
        "reports:bulletin_item_edit": [
            {"pk": b, "item_id": i}
            for b, i in apps.get_model("reports", "BulletinItem")
            .objects.filter(bulletin_id__in=[d["pk"] for d in drafts])
            .values_list("bulletin_id", "pk")[:1]
        ],
        "reports:bulletin_issue": [{"pk": 0}],
        "reports:bulletin_correct": [{"pk": 0}],
        "reports:bulletin_delete": [{"pk": 0}],
        "orgs:roster_confirm": [{"pk": 0}],
        "orgs:user_edit": [{"pk": pk} for pk in _first(orgs.users_visible_to(user=user))],
        "orgs:user_unlock": [{"pk": user.pk}],
        "ledger:detail": problems,
        "ledger:edit": problems,
        "ledger:transition": one_problem,
        "ledger:progress": one_problem,
        "ledger:evidence_upload": one_problem,
        "ledger:review": one_problem,
        "ledger:extend": one_problem,
        "ledger:job": [{"pk": pk} for pk in _first(LedgerJob.objects.filter(user=user))],
        "ledger:job_retry": [{"pk": 0}],
        "campaigns:meeting": adoptions,
        "campaigns:category_add": adoptions,
        "campaigns:categories_save": adoptions,
        "campaigns:list_review": adoptions,
        "campaigns:tasks_adopt": adoptions,
        "campaigns:category_edit": [
            {"pk": pk}
            for pk in _first(
                apps.get_model("campaigns", "ProblemCategory").objects.filter(zone__in=zones), 1
            )
        ],
        "campaigns:task_detail": [
            {"pk": pk} for pk in _first(campaigns.tasks_visible_to(user=user))
        ],
        "campaigns:assignment": [
            {"pk": pk} for pk in _first(campaigns.assignments_visible_to(user=user))
        ],
        "campaigns:assignment_move": [{"pk": 0}],
        # Open-door education: one feedback item per status, the register's
        # records; POST-only actions answer 405 whatever the id.
        "outreach:feedback_detail": items,
        "outreach:feedback_act": [{"pk": 0}],
        "outreach:feedback_contact": [{"pk": 0}],
        "outreach:feedback_disclose": [{"pk": 0}],
        "outreach:feedback_return_call": [{"pk": 0}],
        "outreach:enterprise_edit": [
            {"pk": pk} for pk in _first(outreach.enterprises_visible_to(user=user), 1)
        ],
        "outreach:roundtable_detail": [
            {"pk": pk} for pk in _first(outreach.roundtables_visible_to(user=user), 1)
        ],
        "outreach:roundtable_edit": [
            {"pk": pk} for pk in _first(outreach.roundtables_visible_to(user=user), 1)
        ],
        "outreach:roundtable_demand": [{"pk": 0}],
        "outreach:roundtable_files": [{"pk": 0}],
        "outreach:visit_detail": [
            {"pk": pk} for pk in _first(outreach.visits_visible_to(user=user), 1)
        ],
        "outreach:visit_demand": [{"pk": 0}],
        "outreach:project_detail": [{"pk": pk} for pk in _first(projects_visible_to(user=user), 1)],
        "outreach:project_edit": [{"pk": pk} for pk in _first(projects_visible_to(user=user), 1)],
        "outreach:project_progress": [{"pk": 0}],
        "public:submit": [{"zone_code": z.code} for z in zones.order_by("pk")[:1]],
        "assessment:confirm": [{"pk": 0}],
        "assessment:zone": [{"zone_id": z.pk} for z in zones.order_by("pk")[:1]],
        "assessment:correct": [{"pk": 0}],
        "reports:zone": [{"zone_id": z.pk} for z in zones.order_by("pk")[:1]],
        "reports:zone_export": [{"zone_id": z.pk} for z in zones.order_by("pk")[:1]],
        "regulations:detail": rules,
        "regulations:edit": rules,
        "regulations:transition": rules[:1],
        "regulations:link": rules[:1],
        "regulations:unlink": [{"pk": 0, "problem_id": 0}],
        "regulations:file_upload": rules[:1],
        "study:detail": sessions,
        "study:edit": sessions,
        "study:material_upload": sessions[:1],
        "study:speech_add": sessions[:1],
        "study:signin_import": sessions[:1],
        "study:signin_confirm": sessions[:1],
        "study:group_edit": [
            {"pk": pk} for pk in _first(AttendeeGroup.objects.filter(zone__in=zones), 1)
        ],
        "study:group_deactivate": [{"pk": 0}],
        "study:group_reactivate": [{"pk": 0}],
        # The zone's public pages (no login), named by its code.
        "public:poster": [{"zone_code": z.code} for z in zones[:1]],
        "public:disclosure": [{"zone_code": z.code} for z in zones[:1]],
    }


def _patterns(resolver=None, prefix="", namespace=""):
    for p in (resolver or get_resolver()).url_patterns:
        route = prefix + str(p.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _patterns(p, route, ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace else p.name
            yield name, route, list(p.pattern.converters)


def _url(route: str, kwargs: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route)


class _Text(HTMLParser):
    """Visible text and the attributes people read, without the skipped elements."""

    READ = {"title", "placeholder", "aria-label", "alt", "label", "value", "content"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.skip:
            if tag == self.skip[-1] and tag not in self.VOID:
                self.skip.append(tag)
            return
        if (
            tag in {"script", "style"}
            or (a.get("lang") or "").lower() == "zh-hans"
            or a.get("translate") == "no"
        ):
            if tag not in self.VOID:
                self.skip.append(tag)
            return
        for k, v in attrs:
            if not v or not (k in self.READ or k.startswith("data-")):
                continue
            # An option's or a hidden input's value is sent, not shown.
            if k == "value" and (tag in {"option", "button"} or a.get("type") == "hidden"):
                continue
            self.parts.append(v)

    def handle_endtag(self, tag):
        if self.skip and tag == self.skip[-1]:
            self.skip.pop()

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


QUOTED = re.compile(r"“[^”]*”")


def _quoted(text: str, end: int) -> bool:
    """Inside “…” in an English sentence: the Chinese name of a workbook's
    header or value, which stays Chinese (“台账编号”, “签到(是/否)”)."""
    if not re.search(r"[A-Za-z]{2}", text):
        return False
    return any(m.start() < end <= m.end() for m in QUOTED.finditer(text))


class Data:
    """The Chinese runs the database holds."""

    def __init__(self, values):
        runs = set()
        for v in values:
            runs.update(RUN.findall(v))
        self.runs = runs
        self.sorted = sorted(runs)

    def holds(self, run: str, text: str, end: int) -> bool:
        if run in self.runs or _quoted(text, end):
            return True
        if text[end : end + 1] == "…":  # truncatechars: the start of a run
            i = bisect.bisect_left(self.sorted, run)
            return i < len(self.sorted) and self.sorted[i].startswith(run)
        return False


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def database_strings():
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields).iterator():
            for value in row:
                yield from _strings(value)


def chinese_outside_data(html: str, data: Data) -> list[str]:
    found = []
    for text in visible_text(html):
        for m in RUN.finditer(text):
            if not data.holds(m.group(), text, m.end()):
                found.append(text.strip()[:80])
                break
    return found


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the module in a transaction rolled back at
    the end (as in tests/demo/test_load_demo.py)."""
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_demo", stdout=StringIO())
            yield Data(database_strings())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_in_english_has_no_chinese_outside_the_data(demo, db, username):
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    ids = _ids(user)
    unknown, problems, walked = [], defaultdict(list), 0
    for name, route, params in _patterns():
        if name in FILES:
            continue
        if params and name not in ids:
            unknown.append(name)
            continue
        for kwargs in ids.get(name, [{}]) if params else [{}]:
            url = _url(route, kwargs)
            response = client.get(url)
            assert response.status_code < 500, url
            if "text/html" not in response.get("Content-Type", "") or response.status_code in {
                301,
                302,
                405,
            }:
                continue
            walked += 1
            html = response.content.decode()
            assert '<html lang="en">' in html or "<html" not in html, url
            for text in chinese_outside_data(html, demo):
                problems[url].append(text)
    assert not unknown, f"URLs with parameters the walk does not know: {unknown}"
    assert walked >= 10
    report = "\n".join(
        f"{url}\n    " + "\n    ".join(sorted(set(t))) for url, t in problems.items()
    )
    assert not problems, f"{username}: Chinese outside the data on {len(problems)} pages:\n{report}"


def test_the_data_check_itself():
    data = Data(["甲高新区机关党委", "推进整改，完成销号", "张三"])
    page = (
        "<p>甲高新区机关党委</p><p>推进整改，完成销号</p><p>甲高新区机…</p>"
        '<script>var a="中文"</script><button lang="zh-Hans">中文</button>'
        '<span translate="no">张</span><p>Owner: 张三</p>'
    )
    assert chinese_outside_data(page, data) == []
    assert chinese_outside_data("<p>Leave “台账编号” empty</p>", data) == []
    for leak in (
        "<p>甲高新区机关党委的问题</p>",
        "<p>张三、张三</p>",
        '<a title="整改">x</a>',
        "<p>“整改”</p>",
    ):
        assert chinese_outside_data(leak, data), leak
