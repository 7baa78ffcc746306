"""What a zone shows the public beyond the form: the QR poster (/p/<zone>/poster/)
and the disclosure page (/p/<zone>/open/). No login; no personal data ever;
the QR code encodes the portal's address; the figures are of every item."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import segno
from django.urls import reverse
from django.utils import timezone

from shiji.orgs import policy
from shiji.outreach.models import Feedback, OutreachSettings
from shiji.outreach.services.handling import (
    feedback_act,
    feedback_disclose,
    outreach_settings_update,
)
from shiji.outreach.services.intake import feedback_create
from shiji.outreach.services.projects import project_create
from shiji.outreach.services.rating import feedback_rate
from shiji.outreach.views.publicity import QR_ERROR
from tests.web.test_csp import inline_code

PUBLIC = policy.system("portal")
NAME, PHONE = "韩梅梅", "13912345678"
SECRET = "我家住在东门3号楼，邻居老李天天半夜施工"


def poster_url(zone) -> str:
    return reverse("public:poster", args=[zone.code])


def open_url(zone) -> str:
    return reverse("public:disclosure", args=[zone.code])


def qr_path(svg: str) -> str:
    return re.search(r'<path[^>]* d="([^"]+)"', svg)[1]


def expected_qr(url: str) -> str:
    """segno's own drawing of ``url`` (the same symbol the poster must hold)."""
    return qr_path(segno.make(url, error=QR_ERROR).svg_inline(scale=1, border=2, omitsize=True))


# The poster ------------------------------------------------------------------------


def test_the_poster_of_each_zone_carries_its_name_and_a_qr_code_of_its_portal(client, world):
    for tree in (world.a, world.b):
        zone = tree.zone
        response = client.get(poster_url(zone))
        assert response.status_code == 200
        html = response.content.decode()
        url = f"http://testserver/p/{zone.code}/"
        assert zone.name in html and "扫码反映问题" in html
        assert url in html
        svg = re.search(r'<svg[^>]*class="sj-qr".*?</svg>', html, re.S)[0]
        assert qr_path(svg) == expected_qr(url)
        # Another zone's symbol is another drawing: the test would see a mix-up.
        assert qr_path(svg) != expected_qr(f"http://testserver/p/{zone.code}x/")
        assert inline_code(html) == []


def test_the_poster_prints_the_public_address_when_one_is_configured(client, world, settings):
    settings.PUBLIC_BASE_URL = "https://shiji.example.gov.cn"
    html = client.get(poster_url(world.a.zone)).content.decode()
    url = "https://shiji.example.gov.cn/p/za/"
    assert url in html and qr_path(html) == expected_qr(url)
    assert "https://shiji.example.gov.cn/p/track/" in html
    assert "https://shiji.example.gov.cn/p/za/open/" in html
    assert "testserver" not in html


def test_the_poster_states_the_zones_own_time_limits_and_the_rules(client, world):
    outreach_settings_update(
        actor=world["zone_admin"], zone=world.a.zone, limits={"complaint": 7, "consult": 2}
    )
    html = client.get(poster_url(world.a.zone)).content.decode()
    limits = dict(
        re.findall(r'sj-limit-kind">([^<]+)</span><span class="sj-limit-days">(\d+) 个工作日', html)
    )
    assert limits == {"咨询": "2", "求助": "5", "投诉": "7", "建议": "10", "举报": "10"}
    for rule in ("查询码", "匿名", "不告知被反映的单位", "严禁打击报复", "三次不满意的提级督办"):
        assert rule in html, rule
    # Zone B keeps the defaults, and reading them wrote nothing.
    html_b = client.get(poster_url(world.b.zone)).content.decode()
    assert '投诉</span><span class="sj-limit-days">10 个工作日' in html_b
    assert not OutreachSettings.objects.filter(zone=world.b.zone).exists()


def test_the_poster_takes_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    outreach_settings_update(actor=world["zone_admin"], zone=world.a.zone, limits={"help": 3})
    client.get(poster_url(world.a.zone))
    # the zone, the rate counter, the zone's limits
    with django_assert_num_queries(3):
        assert client.get(poster_url(world.a.zone)).status_code == 200


def test_the_poster_of_a_zone_code_in_another_case_is_the_same_and_unknown_is_404(client, world):
    assert client.get("/p/ZA/poster/").status_code == 200
    assert client.get("/p/nosuchzone/poster/").status_code == 404
    assert client.get("/p/nosuchzone/open/").status_code == 404


@pytest.mark.parametrize("name", ["public:poster", "public:disclosure"])
def test_too_many_requests_from_one_address_get_a_429(client, world, settings, name):
    settings.PUBLIC_LOOKUP_LIMIT = "3/m"
    path = reverse(name, args=["za"])
    got = [client.get(path).status_code for _ in range(4)]
    assert got == [200, 200, 200, 429]
    limited = client.get(path)
    assert "请稍后再试" in limited.content.decode() and int(limited["Retry-After"]) > 0
    # Another address is not affected.
    assert client.get(path, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_zones_pages_in_the_back_office_link_to_the_poster(client, world):
    client.force_login(world["zone_admin"])
    for page in (reverse("orgs:tree"), reverse("outreach:feedback_list")):
        html = client.get(page, {"zone": world.a.zone.pk}).content.decode()
        assert f'href="{poster_url(world.a.zone)}"' in html, page
        assert "二维码海报" in html


# The disclosure page ---------------------------------------------------------------


def submit(world, zone="a", **kw) -> Feedback:
    data = {
        "kind": "complaint",
        "category": "infrastructure",
        "content": SECRET,
        "name": NAME,
        "phone": PHONE,
    } | kw
    return feedback_create(actor=PUBLIC, zone=getattr(world, zone).zone, **data).feedback


def answered(world, summary: str, *, zone="a", disclose=True, **kw) -> Feedback:
    admin = world["zone_admin"] if zone == "a" else world["outsider"]
    tree = getattr(world, zone)
    item = submit(world, zone, **kw)
    feedback_act(actor=admin, feedback=item, action="accept")
    feedback_act(actor=admin, feedback=item, action="forward", org=tree.dept.pk)
    feedback_act(
        actor=admin, feedback=item, action="reply", reply=f"{NAME}您好：已处理。联系电话{PHONE}"
    )
    feedback_act(actor=admin, feedback=item, action="publish_reply")
    if disclose:
        feedback_disclose(actor=admin, feedback=item, disclosed=True, summary=summary)
    return Feedback.objects.get(pk=item.pk)


def project(world, title: str, *, public=True, zone="a"):
    tree = getattr(world, zone)
    admin = world["zone_admin"] if zone == "a" else world["outsider"]
    return project_create(
        actor=admin,
        zone=tree.zone,
        title=title,
        org=tree.dept,
        target="年底前完成",
        deadline=timezone.localdate() + dt.timedelta(days=60),
        public=public,
    )


def test_the_page_shows_disclosed_results_with_the_org_and_never_personal_data(client, world):
    shown = answered(world, "东门路灯已全部修复并加装护栏（示例）")
    answered(world, "不公开的那件", disclose=False)
    answered(world, "乙区的那件", zone="b")
    html = client.get(open_url(world.a.zone)).content.decode()
    assert "东门路灯已全部修复并加装护栏（示例）" in html
    assert world.a.dept.name in html and shown.number in html
    assert "不公开的那件" not in html and "乙区的那件" not in html
    for private in (NAME, PHONE, SECRET, "您好：已处理"):
        assert private not in html, private
    assert inline_code(html) == []


def test_an_item_reopened_by_unsatisfied_leaves_the_page_until_resolved_again(client, world):
    item = answered(world, "东门路灯已修复（示例）")
    assert "东门路灯已修复（示例）" in client.get(open_url(world.a.zone)).content.decode()
    feedback_rate(actor=PUBLIC, feedback=item, rating="unsatisfied", comment="又坏了")
    assert "东门路灯已修复（示例）" not in client.get(open_url(world.a.zone)).content.decode()


def test_the_monthly_figures_count_every_item_and_rating(client, world):
    first = answered(world, "已修复（示例）")
    answered(world, "未公开", disclose=False)
    submit(world)  # still waiting
    feedback_rate(actor=PUBLIC, feedback=first, rating="satisfied")
    html = client.get(open_url(world.a.zone)).content.decode()
    month = timezone.localdate().strftime("%Y-%m")
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', html, re.S)[1]
    cells = dict(re.findall(r"data-([a-z-]+)>([^<]*)<", row))
    assert cells["received"] == "3" and cells["answered"] == "2"
    assert cells["on-time"] == "100%" and cells["days"] == "0.0"
    assert cells["ratings"] == "1" and cells["satisfaction"] == "100%"


def test_only_public_projects_are_listed_with_their_progress(client, world):
    project(world, "园区东片区新建口袋公园（示例）")
    project(world, "内部事项（示例）", public=False)
    project(world, "乙区的实事（示例）", zone="b")
    html = client.get(open_url(world.a.zone)).content.decode()
    assert "园区东片区新建口袋公园（示例）" in html and 'value="0"' in html
    assert "内部事项（示例）" not in html and "乙区的实事（示例）" not in html


def test_the_page_takes_the_same_number_of_queries_with_twice_the_data(
    client, world, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            item = answered(world, f"第{i}件已办结（示例）")
            feedback_rate(actor=PUBLIC, feedback=item, rating="basically_satisfied")
            project(world, f"实事{i}（示例）")

    add(3)
    client.get(open_url(world.a.zone))  # warm: the session, the content types
    # zone, rate counter, items count, items, their ratings, figures ×2, projects
    with django_assert_num_queries(8):
        client.get(open_url(world.a.zone))
    add(3)
    with django_assert_num_queries(8):
        html = client.get(open_url(world.a.zone)).content.decode()
    assert html.count('sj-open-item"') == 6 and html.count('sj-open-project"') == 6


def test_the_portal_form_links_to_the_zones_disclosure_page(client, world):
    html = client.get(reverse("public:submit", args=["za"])).content.decode()
    assert f'href="{open_url(world.a.zone)}"' in html
