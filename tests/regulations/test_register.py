"""The rule-making register (建章立制): regulations, their status table, the
problems that led to them, the "needs a rule but has none" list, pages and API."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Forbidden, Invalid, NotFound
from shiji.orgs import policy
from shiji.orgs.models import Role
from shiji.regulations import selectors, services
from shiji.regulations.models import Regulation, Status
from tests.paper import assert_prints_on_a4
from tests.samples import pdf_bytes

PDF = pdf_bytes("管理办法")
# Rules here are issued on days of April to June 2026 (an issue date may not
# be in the future): the clock is after them, whatever --today says.
pytestmark = pytest.mark.today("2026-07-01")


def make(world, zone="a", actor="zone_admin", **kw):
    tree = getattr(world, zone)
    values = {"org": tree.organ, "title": "政绩考核办法", "action": "修订", **kw}
    return services.regulation_create(actor=world[actor], zone=tree.zone, **values)


def issue(world, regulation, day=None):
    """Submitted by the zone admin, issued by someone else (four eyes)."""
    services.regulation_transition(
        actor=world["zone_admin"], regulation=regulation, action="submit"
    )
    return services.regulation_transition(
        actor=world["sysadmin"], regulation=regulation, action="issue",
        issued_on=day or timezone.localdate(),
    )  # fmt: skip


def test_regulation_actions_are_in_the_policy_table():
    R = Role
    assert policy.TABLE["regulation.view"] == set(Role)
    assert policy.TABLE["regulation.edit"] == {R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY, R.LIAISON}
    assert policy.TABLE["regulation.issue"] == {R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY}
    assert policy.TABLE["regulation.return"] == {R.SYSTEM_ADMIN, R.ZONE_ADMIN, R.SECRETARY}
    assert policy.TABLE["regulation.submit"] == policy.TABLE["regulation.edit"]
    assert policy.TABLE["regulation.export"] == set(Role)


# Services --------------------------------------------------------------------------


def test_a_regulation_is_drafted_submitted_and_issued_with_an_audit_trail(world, make_problem):
    problem = make_problem(world, needs_rule_change=True)
    r = make(world, problems=[problem], doc_number="甲高管发〔2026〕12号")
    assert r.status == Status.DRAFT and list(r.problems.all()) == [problem]
    issue(world, r, dt.date(2026, 6, 1))
    r.refresh_from_db()
    assert (r.status, r.issued_on) == (Status.ISSUED, dt.date(2026, 6, 1))
    actions = list(
        AuditEvent.objects.filter(object_type="regulations.regulation", object_id=str(r.pk))
        .order_by("pk").values_list("action", flat=True)
    )  # fmt: skip
    assert actions == ["regulation.create", "regulation.link", "regulation.submit",
                       "regulation.issue"]  # fmt: skip


def test_linking_a_problem_of_another_zone_is_refused_and_nothing_is_written(world, make_problem):
    theirs = make_problem(world, zone="b")
    with pytest.raises(Invalid) as err:
        make(world, problems=[theirs])
    assert "不属于本高新区" in err.value.fields["problems"]
    assert not Regulation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="regulation.").exists()
    r = make(world)
    with pytest.raises(Invalid):
        services.regulation_link_problems(
            actor=world["zone_admin"], regulation=r, problems=[theirs]
        )
    assert not r.problems.exists()


def test_issuing_needs_an_issued_date_not_in_the_future(world):
    r = make(world)
    services.regulation_transition(actor=world["zone_admin"], regulation=r, action="submit")
    with pytest.raises(Invalid) as err:
        services.regulation_transition(actor=world["sysadmin"], regulation=r, action="issue")
    assert "issued_on" in err.value.fields
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(Invalid) as err:
        services.regulation_transition(
            actor=world["sysadmin"], regulation=r, action="issue", issued_on=tomorrow
        )
    assert err.value.fields["issued_on"] == "印发日期不能晚于今天"
    r.refresh_from_db()
    assert (r.status, r.issued_on) == (Status.REVIEW, None)
    assert not AuditEvent.objects.filter(action="regulation.issue").exists()


def test_moves_outside_the_table_are_conflicts_and_issued_rules_are_locked(world):
    r = make(world)
    with pytest.raises(Conflict):
        services.regulation_transition(
            actor=world["zone_admin"], regulation=r, action="issue", issued_on="2026-06-01"
        )
    issue(world, r)
    with pytest.raises(Conflict):
        services.regulation_update(actor=world["zone_admin"], regulation=r, title="新名称")
    with pytest.raises(Invalid):
        services.regulation_transition(actor=world["zone_admin"], regulation=r, action="fly")


def test_return_to_draft_needs_a_reason(world):
    r = make(world)
    services.regulation_transition(actor=world["zone_admin"], regulation=r, action="submit")
    with pytest.raises(Invalid):
        services.regulation_transition(actor=world["zone_admin"], regulation=r, action="return")
    services.regulation_transition(
        actor=world["zone_admin"], regulation=r, action="return", note="条款需细化"
    )
    r.refresh_from_db()
    assert r.status == Status.DRAFT


def test_a_secretary_registers_rules_only_in_their_subtree(world):
    make(world, actor="secretary", org=world.a.dept)
    with pytest.raises(Invalid) as err:  # out of their sight: as if it did not exist
        make(world, actor="secretary", org=world.a.soe)
    assert err.value.fields == {"org": "制定单位不存在"}
    with pytest.raises(Forbidden):  # in sight, but not theirs to register
        make(world, actor="supervisor")
    with pytest.raises(NotFound):
        selectors.regulation_get_for_user(
            user=world["secretary"], pk=make(world, org=world.a.soe).pk
        )


def test_the_file_is_checked_by_content(world):
    r = make(world)
    with pytest.raises(Invalid):
        services.regulation_attach_file(
            actor=world["zone_admin"], regulation=r,
            file=SimpleUploadedFile("办法.pdf", b"MZ not a pdf"),
        )  # fmt: skip
    services.regulation_attach_file(
        actor=world["zone_admin"], regulation=r, file=SimpleUploadedFile("办法.pdf", PDF)
    )
    r.refresh_from_db()
    assert (r.file_name, r.file_kind, len(r.file_sha256)) == ("办法.pdf", "pdf", 64)


# Problems that need a rule ---------------------------------------------------------


def test_the_needs_a_rule_list_shows_marked_problems_without_any_regulation(world, make_problem):
    needs = make_problem(world, needs_rule_change=True)
    covered = make_problem(world, needs_rule_change=True)
    make_problem(world)  # not marked
    make_problem(world, needs_rule_change=True, status="cancelled")
    make_problem(world, zone="b", needs_rule_change=True)
    make(world, problems=[covered])
    listed = selectors.problems_needing_rules(user=world["zone_admin"])
    assert list(listed) == [needs]
    r = make(world, title="新建制度", action="新建")
    services.regulation_link_problems(actor=world["zone_admin"], regulation=r, problems=[needs])
    assert not selectors.problems_needing_rules(user=world["zone_admin"]).exists()
    services.regulation_unlink_problem(actor=world["zone_admin"], regulation=r, problem=needs)
    assert list(selectors.problems_needing_rules(user=world["zone_admin"])) == [needs]
    assert AuditEvent.objects.filter(action="regulation.unlink", object_id=str(r.pk)).exists()


def test_the_register_page_lists_rules_and_problems_still_needing_one(
    world, make_problem, login, django_assert_max_num_queries
):
    needs = make_problem(world, needs_rule_change=True)
    make(world, title="招商引资考核办法")
    client = login(world["zone_admin"])
    with django_assert_max_num_queries(14):
        page = client.get(reverse("regulations:list"))
    html = page.content.decode()
    assert "需建章立制但尚无制度" in html and needs.code in html
    assert reverse("ledger:detail", args=[needs.pk]) in html
    assert f"{reverse('regulations:create')}?zone={world.a.zone.pk}&amp;problem={needs.pk}" in html
    assert "招商引资考核办法" in html
    for i in range(6):
        make(world, title=f"制度{i}", problems=[make_problem(world, needs_rule_change=True)])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("regulations:list")).status_code == 200


def test_the_list_filters_by_status_action_and_org(world, login):
    make(world, title="甲制度")
    issue(world, make(world, title="乙制度", action="新建", org=world.a.soe))
    client = login(world["zone_admin"])
    html = client.get(reverse("regulations:list"), {"status": "issued"}).content.decode()
    assert "乙制度" in html and "甲制度" not in html
    html = client.get(reverse("regulations:list"), {"action": "revise"}).content.decode()
    assert "甲制度" in html and "乙制度" not in html
    html = client.get(reverse("regulations:list"), {"org": world.a.soe.pk}).content.decode()
    assert "乙制度" in html and "甲制度" not in html


# Pages -----------------------------------------------------------------------------


def test_create_page_links_problems_and_shows_errors_inline(world, make_problem, login, client):
    theirs = make_problem(world, zone="b")
    mine = make_problem(world, needs_rule_change=True)
    login(world["zone_admin"])
    url = reverse("regulations:create")
    data = {"zone": world.a.zone.pk, "org": world.a.organ.pk, "title": "督查检查办法",
            "action": "new", "problems": [mine.pk, theirs.pk]}  # fmt: skip
    bad = client.post(url, data)
    assert bad.status_code == 422 and "不属于本高新区" in bad.content.decode()
    assert not Regulation.objects.exists()
    ok = client.post(url, {**data, "problems": [mine.pk], "file": SimpleUploadedFile("a.pdf", PDF)})
    r = Regulation.objects.get()
    assert ok.status_code == 302 and list(r.problems.all()) == [mine] and r.file_kind == "pdf"
    got = client.get(reverse("regulations:file", args=[r.pk]))
    assert got.status_code == 200 and got["X-Content-Type-Options"] == "nosniff"


def test_the_detail_page_issues_with_a_date_and_refuses_a_future_one(world, login, client):
    r = make(world)
    login(world["zone_admin"])
    move = reverse("regulations:transition", args=[r.pk])
    client.post(move, {"action": "submit"})
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    login(world["sysadmin"])  # not the one who submitted it
    bad = client.post(move, {"action": "issue", "issued_on": future})
    assert bad.status_code == 422 and "印发日期不能晚于今天" in bad.content.decode()
    client.post(move, {"action": "issue", "issued_on": "2026-05-20"})
    r.refresh_from_db()
    assert (r.status, str(r.issued_on)) == ("issued", "2026-05-20")
    html = client.get(reverse("regulations:detail", args=[r.pk])).content.decode()
    assert "2026-05-20" in html and "印发" in html


def test_link_and_unlink_through_the_page(world, make_problem, login, client):
    r = make(world)
    p = make_problem(world, needs_rule_change=True)
    login(world["zone_admin"])
    client.post(reverse("regulations:link", args=[r.pk]), {"problems": [p.pk]})
    assert list(r.problems.all()) == [p]
    client.post(reverse("regulations:unlink", args=[r.pk, p.pk]))
    assert not r.problems.exists()


def test_another_zones_regulation_is_not_found(world, make_problem, login, client):
    theirs = make(world, zone="b", actor="outsider", org=world.b.organ)
    login(world["zone_admin"])
    for name in ("detail", "edit", "file"):
        assert client.get(reverse(f"regulations:{name}", args=[theirs.pk])).status_code == 404
    r = client.post(reverse("regulations:transition", args=[theirs.pk]), {"action": "submit"})
    assert r.status_code == 404
    assert client.post(reverse("regulations:link", args=[theirs.pk]), {}).status_code == 404
    assert client.get(reverse("regulations:export"), {"zone": world.b.zone.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.DRAFT


def test_refused_roles_get_403_on_pages(world, login, client):
    r = make(world)
    login(world["supervisor"])
    assert client.get(reverse("regulations:create")).status_code == 403
    assert client.get(reverse("regulations:edit", args=[r.pk])).status_code == 403
    move = client.post(reverse("regulations:transition", args=[r.pk]), {"action": "submit"})
    assert move.status_code == 403
    login(world["liaison"])
    mine = make(world, actor="liaison", org=world.a.dept)
    client.post(reverse("regulations:transition", args=[mine.pk]), {"action": "submit"})
    issue_ = client.post(
        reverse("regulations:transition", args=[mine.pk]),
        {"action": "issue", "issued_on": "2026-05-01"},
    )
    assert issue_.status_code == 403
    mine.refresh_from_db()
    assert mine.status == Status.REVIEW


def test_the_export_has_real_dates_and_literal_text(world, make_problem, login):
    p = make_problem(world)
    issue(world, make(world, title="+SUM(A1)", problems=[p]), dt.date(2026, 4, 2))
    page = login(world["zone_admin"]).get(reverse("regulations:export"))
    assert page["Cache-Control"] == "private, no-store"
    book = load_workbook(io.BytesIO(b"".join(page.streaming_content)))
    sheet = book["建章立制"]
    assert sheet["A1"].value == "甲高新区建章立制清单"
    assert sheet.freeze_panes == "A3"
    headers = [c.value for c in sheet[2]]
    row = dict(zip(headers, next(sheet.iter_rows(min_row=3, values_only=True)), strict=True))
    assert "高新区" not in row  # one zone: no zone column
    assert row["制度名称"] == "+SUM(A1)" and sheet["B3"].data_type == "s"
    assert row["印发日期"].date() == dt.date(2026, 4, 2) and row["相关问题"] == p.code
    name = f"甲高新区-建章立制清单-{timezone.localdate().isoformat()}.xlsx"
    assert quote(name) in page["Content-Disposition"]
    assert_prints_on_a4(sheet, landscape=True, header_rows="$2:$2")


def test_an_export_across_zones_names_each_rows_zone(world, make_problem, login):
    make(world, title="甲区制度")
    make(world, zone="b", actor="outsider", title="乙区制度")
    page = login(world["national"]).get(reverse("regulations:export"))
    sheet = load_workbook(io.BytesIO(b"".join(page.streaming_content)))["建章立制"]
    assert sheet["A1"].value == "各高新区建章立制清单"
    assert [c.value for c in sheet[2]][:3] == ["序号", "高新区", "制度名称"]
    rows = {tuple(r[1:3]) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows == {("甲高新区", "甲区制度"), ("乙高新区", "乙区制度")}
    assert (
        quote(f"建章立制清单-{timezone.localdate().isoformat()}.xlsx")
        in (page["Content-Disposition"])
    )
    assert_prints_on_a4(sheet, landscape=True, header_rows="$2:$2")


# API -------------------------------------------------------------------------------


def test_api_create_get_patch_and_transition(world, make_problem, api):
    p = make_problem(world, needs_rule_change=True)
    admin = api(world["zone_admin"])
    r = admin.post("/api/v1/regulations", {
        "zone": world.a.zone.pk, "org": world.a.organ.pk, "title": "容错纠错办法",
        "action": "新建", "problems": [p.pk],
    })  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "draft" and body["problems"] == [p.pk] and body["action"] == "new"
    rid = body["id"]
    r = admin.patch(f"/api/v1/regulations/{rid}", {"doc_number": "甲发〔2026〕3号"})
    assert r.status_code == 200 and r.json()["doc_number"] == "甲发〔2026〕3号"
    assert (
        admin.post(f"/api/v1/regulations/{rid}/transitions", {"action": "submit"}).status_code
        == 200
    )
    issuer = api(world["sysadmin"])  # not the one who drafted and submitted it
    r = issuer.post(f"/api/v1/regulations/{rid}/transitions", {"action": "issue"})
    assert r.status_code == 422
    r = issuer.post(f"/api/v1/regulations/{rid}/transitions",
                    {"action": "issue", "issued_on": "2026-06-30"})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "issued"
    r = admin.post(f"/api/v1/regulations/{rid}/transitions", {"action": "submit"})
    assert r.status_code == 409
    assert admin.patch(f"/api/v1/regulations/{rid}", {"title": "x"}).status_code == 409
    listed = admin.get("/api/v1/regulations", data={"status": "issued"}).json()
    assert [i["id"] for i in listed["items"]] == [rid]


def test_api_refuses_a_problem_of_another_zone(world, make_problem, api):
    theirs = make_problem(world, zone="b")
    r = api(world["zone_admin"]).post("/api/v1/regulations", {
        "zone": world.a.zone.pk, "org": world.a.organ.pk, "title": "x", "action": "new",
        "problems": [theirs.pk],
    })  # fmt: skip
    assert r.status_code == 422
    assert not Regulation.objects.exists()


def test_api_scope_and_roles(world, api):
    theirs = make(world, zone="b", actor="outsider", org=world.b.organ)
    mine = make(world)
    admin = api(world["zone_admin"])
    assert admin.get(f"/api/v1/regulations/{theirs.pk}").status_code == 404
    assert admin.patch(f"/api/v1/regulations/{theirs.pk}", {"title": "x"}).status_code == 404
    r = admin.post(f"/api/v1/regulations/{theirs.pk}/transitions", {"action": "submit"})
    assert r.status_code == 404
    assert admin.get("/api/v1/regulations", data={"zone": world.b.zone.pk}).status_code == 404
    sup = api(world["supervisor"])
    assert sup.patch(f"/api/v1/regulations/{mine.pk}", {"title": "x"}).status_code == 403
    r = sup.post("/api/v1/regulations", {"zone": world.a.zone.pk, "org": world.a.organ.pk,
                                         "title": "x", "action": "new"})  # fmt: skip
    assert r.status_code == 403
    assert api(None).get("/api/v1/regulations").status_code == 401
    r = admin.post("/api/v1/regulations", {"zone": world.a.zone.pk, "org": world.a.organ.pk,
                                           "title": "a\x00b", "action": "new"})  # fmt: skip
    assert r.status_code == 422


def test_api_links_only_problems_the_caller_can_see(world, make_problem, api):
    elsewhere = make_problem(world, org=world.a.soe)  # same zone, outside the secretary's branch
    r = api(world["secretary"]).post("/api/v1/regulations", {
        "zone": world.a.zone.pk, "org": world.a.dept.pk, "title": "x", "action": "new",
        "problems": [elsewhere.pk],
    })  # fmt: skip
    assert r.status_code == 422
    assert not Regulation.objects.exists()
