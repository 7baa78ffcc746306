"""Task list pages, the org × task matrix, campaign settings and the task API:
what users see, scope (another zone's records are 404, refused roles 403) and
pinned query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.campaigns import selectors, services
from shiji.campaigns.models import (
    AssignmentStatus,
    ProblemCategory,
    StudyKind,
    Task,
    TaskAssignment,
    WorkArrangement,
    ZoneCampaign,
)
from shiji.orgs import policy
from shiji.orgs.models import Role
from shiji.study import services as study_services
from tests.conftest import SYSTEM
from tests.ledger.conftest import png_upload

TASK_ACTIONS = ("campaign.view", "category.manage", "task.view", "task.manage", "task.report",
                "task.review", "task.export")  # fmt: skip


def test_the_policy_table_for_tasks_is_as_documented():
    R = Role
    assert policy.TABLE["task.manage"] == {R.SYSTEM_ADMIN, R.ZONE_ADMIN}
    assert policy.TABLE["task.review"] == {R.SYSTEM_ADMIN, R.ZONE_ADMIN}
    assert policy.TABLE["task.report"] == {R.SECRETARY, R.LIAISON}
    assert policy.TABLE["category.manage"] == {R.SYSTEM_ADMIN, R.ZONE_ADMIN}
    for action in ("campaign.view", "task.view", "task.export"):
        assert policy.TABLE[action] == set(Role)


def accept(world, assignment):
    services.assignment_transition(
        actor=world["secretary"] if assignment.org == world.a.dept else world["firm_secretary"],
        assignment=assignment, action="report", note="完成",
        files=[png_upload(seed=f"m{assignment.pk}")],
    )  # fmt: skip
    services.assignment_transition(
        actor=world["zone_admin"], assignment=assignment, action="accept"
    )


# The matrix ------------------------------------------------------------------------


def test_the_matrix_counts_done_per_task_and_lists_who_is_behind(world, make_task):
    late = make_task(sectors=["organ", "private"], days=-3, title="超期任务")
    ok = make_task(sectors=["organ"], days=20, title="未到期任务")
    accept(world, TaskAssignment.objects.get(task=late, org=world.a.dept))
    accept(world, TaskAssignment.objects.get(task=ok, org=world.a.dept))

    grid = selectors.task_matrix(user=world["zone_admin"], zone=world.a.zone)
    assert [t.title for t in grid.tasks] == ["超期任务", "未到期任务"]
    # 超期任务: organ, dept, econ, firm → 1 of 4 accepted; 未到期任务: organ, dept → 1 of 2.
    assert grid.done == [1, 1] and grid.totals == [4, 2]
    assert [r.org.name for r in grid.rows] == [
        world.a.organ.name,
        world.a.dept.name,
        world.a.econ.name,
        world.a.firm.name,
    ]
    assert [r.indent for r in grid.rows] == [0, 1, 0, 1]
    assert {r.org.name for r in grid.behind} == {
        world.a.organ.name,
        world.a.econ.name,
        world.a.firm.name,
    }
    dept = next(r for r in grid.rows if r.org == world.a.dept)
    assert [c["status"] for c in dept.cells] == ["accepted", "accepted"]
    econ = next(r for r in grid.rows if r.org == world.a.econ)
    assert econ.cells[1] is None and econ.cells[0]["light"] == "red"


def test_the_matrix_page_shows_counts_and_cells(world, make_task, login):
    task = make_task(sectors=["organ"], days=-1)
    accept(world, TaskAssignment.objects.get(task=task, org=world.a.dept))
    page = login(world["zone_admin"]).get(reverse("campaigns:matrix"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-count="{task.pk}">1 / 2' in html
    assert "进度滞后的单位" in html and world.a.organ.name in html
    assert "已通过" in html and 'data-light="red"' in html


def test_a_branch_secretary_sees_only_their_own_row(world, make_task, login):
    make_task(sectors=["organ", "private"])
    grid = selectors.task_matrix(user=world["secretary"], zone=world.a.zone)
    assert [r.org for r in grid.rows] == [world.a.dept]


def test_the_matrix_query_count_does_not_grow_with_rows(
    world, make_task, login, django_assert_max_num_queries
):
    client = login(world["zone_admin"])
    make_task(sectors=["organ"])
    client.get(reverse("campaigns:matrix"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("campaigns:matrix")).status_code == 200
    for _ in range(6):
        make_task(sectors=["organ", "private", "soe"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("campaigns:matrix")).status_code == 200


def test_the_task_list_query_count_does_not_grow_with_rows(
    world, make_task, login, django_assert_max_num_queries
):
    client = login(world["zone_admin"])
    make_task()
    with django_assert_max_num_queries(12):
        page = client.get(reverse("campaigns:tasks"))
    assert "0 / 2" in page.content.decode()
    for _ in range(8):
        make_task(sectors=["organ", "private"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("campaigns:tasks")).status_code == 200


# Pages: what users see, and scope --------------------------------------------------


def test_the_task_list_filters_by_sector_and_answers_htmx_with_its_fragment(
    world, make_task, login
):
    make_task(sectors=["soe"], title="国企专项任务")
    make_task(sectors=["organ"], title="机关任务")
    client = login(world["zone_admin"])
    page = client.get(reverse("campaigns:tasks"), {"sector": "soe"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert "国企专项任务" in html and "机关任务" not in html
    assert "<html" not in html and "HX-Request" in page["Vary"]


def test_an_empty_task_list_says_what_to_do_next(world, campaign, login):
    html = login(world["zone_admin"]).get(reverse("campaigns:tasks")).content.decode()
    assert "按任务模板生成任务清单" in html


def test_the_secretary_reports_through_the_page_and_the_zone_admin_returns_it(
    world, make_task, login, client
):
    task = make_task()
    a = TaskAssignment.objects.get(task=task, org=world.a.dept)
    login(world["secretary"])
    url = reverse("campaigns:assignment_move", args=[a.pk])
    bad = client.post(url, {"action": "report", "note": "已完成"})
    assert bad.status_code == 422 and "须至少上传一份凭证" in bad.content.decode()
    done = client.post(url, {"action": "report", "note": "已完成", "files": png_upload()})
    assert done.status_code == 302
    a.refresh_from_db()
    assert a.status == AssignmentStatus.REPORTED
    evidence = a.evidence.get()
    got = client.get(reverse("campaigns:evidence_download", args=[a.pk, evidence.pk]))
    assert got.status_code == 200 and got["X-Content-Type-Options"] == "nosniff"

    login(world["zone_admin"])
    missing = client.post(url, {"action": "return", "note": ""})
    assert missing.status_code == 422 and "请填写退回理由" in missing.content.decode()
    client.post(url, {"action": "return", "note": "材料不全"})
    a.refresh_from_db()
    assert (a.status, a.return_reason) == (AssignmentStatus.RETURNED, "材料不全")


def test_another_zones_task_pages_are_not_found(world, make_task, login, client):
    theirs = make_task(zone="b")
    a = theirs.assignments.first()
    login(world["zone_admin"])
    assert client.get(reverse("campaigns:task_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("campaigns:assignment", args=[a.pk])).status_code == 404
    r = client.post(reverse("campaigns:assignment_move", args=[a.pk]), {"action": "accept"})
    assert r.status_code == 404
    adoption = ZoneCampaign.objects.get(zone=world.b.zone)
    assert client.post(reverse("campaigns:list_review", args=[adoption.pk]), {}).status_code == 404
    cat = ProblemCategory.objects.filter(zone=world.b.zone).first()
    r = client.post(
        reverse("campaigns:categories_save", args=[adoption.pk]),
        {"row": [cat.pk], f"name-{cat.pk}": "改名"},
    )
    assert r.status_code == 404
    assert client.get(reverse("campaigns:tasks_adopt", args=[adoption.pk])).status_code == 404
    assert (
        client.get(reverse("campaigns:tasks_export"), {"zone": world.b.zone.pk}).status_code == 404
    )
    assert a.status == AssignmentStatus.PENDING


def test_another_orgs_assignment_is_not_found_for_a_branch_secretary(
    world, make_task, login, client
):
    task = make_task(sectors=["organ", "private"])
    theirs = TaskAssignment.objects.get(task=task, org=world.a.dept)
    login(world["firm_secretary"])
    r = client.post(
        reverse("campaigns:assignment_move", args=[theirs.pk]),
        {"action": "report", "note": "x", "files": png_upload()},
    )
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AssignmentStatus.PENDING


def test_refused_roles_get_403(world, make_task, login, client):
    task = make_task()
    a = TaskAssignment.objects.get(task=task, org=world.a.dept)
    login(world["secretary"])
    assert client.get(reverse("campaigns:task_create")).status_code == 403
    r = client.post(reverse("campaigns:tasks_assign"), {"zone": world.a.zone.pk})
    assert r.status_code == 403
    r = client.post(reverse("campaigns:assignment_move", args=[a.pk]), {"action": "accept"})
    assert r.status_code == 403
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    r = client.post(reverse("campaigns:tasks_adopt", args=[adoption.pk]))
    assert r.status_code == 403
    assert client.get(reverse("campaigns:tasks_adopt", args=[adoption.pk])).status_code == 403
    cat = ProblemCategory.objects.filter(zone=world.a.zone).first()
    r = client.post(
        reverse("campaigns:categories_save", args=[adoption.pk]),
        {"row": [cat.pk], f"name-{cat.pk}": "改名"},
    )
    assert r.status_code == 403
    assert not Task.objects.filter(template__isnull=False).exists()


def test_the_task_form_adds_a_task_and_shows_field_errors_inline(world, campaign, login, client):
    login(world["zone_admin"])
    arrangement = WorkArrangement.objects.get(campaign=campaign, code="regulations")
    url = reverse("campaigns:task_create")
    bad = client.post(url, {"zone": world.a.zone.pk, "title": "修订考核办法",
                            "arrangement": arrangement.pk})  # fmt: skip
    assert bad.status_code == 422 and "请至少选择一个适用领域" in bad.content.decode()
    assert not Task.objects.exists()
    ok = client.post(url, {"zone": world.a.zone.pk, "title": "修订考核办法",
                           "arrangement": arrangement.pk, "sectors": ["soe"]})  # fmt: skip
    task = Task.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse(
        "campaigns:task_detail", args=[task.pk]
    )
    assert list(task.assignments.values_list("org", flat=True)) == [world.a.soe.pk]


# Campaign settings -----------------------------------------------------------------


def test_the_settings_page_shows_the_campaign_and_adopts_another(world, campaign, login, client):
    from shiji.campaigns.services import campaign_load

    other = campaign_load(actor=SYSTEM, path="dangji-2024").campaign
    login(world["zone_admin"])
    html = client.get(reverse("campaigns:settings")).content.decode()
    assert "立党为公、为民造福、科学决策、真抓实干" in html
    for name in ("学习研讨", "查摆问题", "整改整治", "建章立制"):
        assert name in html
    assert "待确认措辞" in html and other.name in html
    r = client.post(reverse("campaigns:adopt"), {"zone": world.a.zone.pk, "campaign": other.pk})
    assert r.status_code == 302
    assert ZoneCampaign.objects.filter(zone=world.a.zone, campaign=other).exists()
    assert AuditEvent.objects.filter(action="zone_campaign.adopt", zone_id=world.a.zone.pk).exists()


def test_the_settings_page_shows_the_deployment_meeting_recorded_in_study(
    world, campaign, login, client
):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    login(world["zone_admin"])
    page = client.get(reverse("campaigns:settings")).content.decode()
    assert "尚未记录部署会议" in page and reverse("study:create") in page

    session = study_services.session_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        org=world.a.dept,
        kind=StudyKind.objects.get(campaign=adoption.campaign, code="deployment"),
        date=dt.date(2026, 3, 5),
        topic="学习教育部署会",
        duration_hours=Decimal("2"),
        minutes="学查改一体推进",
    )
    page = client.get(reverse("campaigns:settings")).content.decode()
    assert "2026-03-05 学习教育部署会" in page
    assert reverse("study:detail", args=[session.pk]) in page
    assert "尚未记录部署会议" not in page


def table_post(adoption, **edits) -> dict:
    """The category table as the page submits it, with ``edits`` by code:
    {"fake-data": {"name": ..., "active": False}}."""
    data: dict = {"row": []}
    for c in ProblemCategory.objects.filter(zone=adoption.zone, campaign=adoption.campaign):
        change = edits.get(c.code.replace("-", "_"), {})
        data["row"].append(c.pk)
        data[f"name-{c.pk}"] = change.get("name", c.name)
        data[f"description-{c.pk}"] = change.get("description", c.description)
        if change.get("active", c.is_active):
            data[f"active-{c.pk}"] = "on"
        if change.get("placeholder", c.is_placeholder):
            data[f"placeholder-{c.pk}"] = "on"
    return data


def test_the_category_table_is_one_form_and_renaming_confirms_a_placeholder(
    world, campaign, login, client
):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    cat = ProblemCategory.objects.get(zone=world.a.zone, code="fake-data")
    image = ProblemCategory.objects.get(zone=world.a.zone, code="image-projects")
    assert cat.is_placeholder
    login(world["zone_admin"])
    r = client.post(
        reverse("campaigns:categories_save", args=[adoption.pk]),
        table_post(adoption, fake_data={"name": "统计造假"}, image_projects={"active": False}),
    )
    assert r.status_code == 302
    cat.refresh_from_db()
    image.refresh_from_db()
    assert (cat.name, cat.is_placeholder, cat.is_active) == ("统计造假", False, True)
    assert not image.is_active  # deactivated, the row stays
    event = AuditEvent.objects.filter(action="category.update", object_id=str(cat.pk)).get()
    assert event.changes["name"] == ["数据造假、统计失真", "统计造假"]
    assert AuditEvent.objects.filter(action="category.update").count() == 2


def test_a_refused_row_saves_nothing_and_shows_its_error_in_place(world, campaign, login, client):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    cat = ProblemCategory.objects.get(zone=world.a.zone, code="fake-data")
    old = ProblemCategory.objects.get(zone=world.a.zone, code="old-accounts")
    before = AuditEvent.objects.count()
    login(world["zone_admin"])
    r = client.post(
        reverse("campaigns:categories_save", args=[adoption.pk]),
        table_post(adoption, fake_data={"name": "统计造假"}, old_accounts={"name": "形象工程"}),
    )
    assert r.status_code == 422
    html = r.content.decode()
    # Both clashing rows are marked, under their own inputs; the valid edit is kept on screen.
    assert html.count("类别名称“形象工程”重复") >= 2
    assert f'name="name-{old.pk}" value="形象工程"' in html  # what was typed, not the saved name
    assert 'value="统计造假"' in html
    # Nothing was written.
    cat.refresh_from_db()
    old.refresh_from_db()
    assert (cat.name, old.name) == ("数据造假、统计失真", "新官不理旧账")
    assert AuditEvent.objects.count() == before

    blank = client.post(
        reverse("campaigns:categories_save", args=[adoption.pk]),
        table_post(adoption, fake_data={"name": "统计造假"}, old_accounts={"name": " "}),
    )
    assert blank.status_code == 422 and 'class="invalid-feedback"' in blank.content.decode()
    cat.refresh_from_db()
    assert cat.name == "数据造假、统计失真"


def test_placeholder_marks_are_for_the_task_force_only(world, campaign, login, client):
    assert ProblemCategory.objects.filter(zone=world.a.zone, is_placeholder=True).exists()
    admin_page = login(world["zone_admin"]).get(reverse("campaigns:settings")).content.decode()
    assert "待确认措辞" in admin_page
    for role in ("secretary", "liaison", "supervisor"):
        page = login(world[role]).get(reverse("campaigns:settings"))
        assert page.status_code == 200
        assert "待确认措辞" not in page.content.decode(), role


def test_the_settings_page_headers_match_the_table_columns(world, campaign, login, client):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    for role, columns in (("zone_admin", 4), ("secretary", 3)):
        html = login(world[role]).get(reverse("campaigns:settings")).content.decode()
        table = html[html.index(f'id="categories-{adoption.pk}"') :]
        table = table[: table.index("</table>")]
        head, body = table.split("</thead>")
        first_row = body[body.index("<tr") : body.index("</tr>")]
        assert len(re.findall(r"<th[\s>]", head)) == columns, role
        assert len(re.findall(r"<td[\s>]", first_row)) == columns, role
        assert "colspan" not in first_row


def test_adding_a_category_with_a_taken_name_is_refused_inline(world, campaign, login, client):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    login(world["zone_admin"])
    url = reverse("campaigns:category_add", args=[adoption.pk])
    bad = client.post(url, {"name": "形象工程"})
    assert bad.status_code == 422 and "已有名为“形象工程”的问题类别" in bad.content.decode()
    client.post(url, {"name": "营商环境“吃拿卡要”"})
    new = ProblemCategory.objects.get(zone=world.a.zone, name="营商环境“吃拿卡要”")
    assert new.is_active and not new.is_placeholder


def test_generating_tasks_asks_for_confirmation_first(world, campaign, login, client):
    adoption = ZoneCampaign.objects.get(zone=world.a.zone)
    login(world["zone_admin"])
    url = reverse("campaigns:tasks_adopt", args=[adoption.pk])
    settings_page = client.get(reverse("campaigns:settings")).content.decode()
    assert f'id="tasks-adopt-{adoption.pk}" href="{url}"' in settings_page  # a link, not a POST

    confirm = client.get(url)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and not Task.objects.exists()
    templates = campaign.task_templates.all()
    assert f"确认生成 {templates.count()} 项任务" in html
    assert all(t.title in html for t in templates)
    assert f'<form method="post" action="{url}">' in html

    client.post(url)
    assert Task.objects.filter(zone=world.a.zone).count() == templates.count()
    again = client.get(url).content.decode()
    assert "任务模板均已生成" in again and "确认生成" not in again


def test_the_matrix_keeps_the_org_column_and_names_tasks_on_hover(
    world, campaign, make_task, login, client
):
    task = make_task(title="组织开展树立和践行正确政绩观专题读书班并形成学习成果报告")
    html = login(world["zone_admin"]).get(reverse("campaigns:matrix")).content.decode()
    assert 'class="table table-sm table-bordered card-table sj-matrix"' in html
    assert html.count("sj-sticky-col") >= 3  # both header rows and every org row
    assert f'title="{task.title}"' in html  # the full name; the header shows it truncated
    assert "campaigns/campaigns.css" in html


# The API ---------------------------------------------------------------------------


def test_api_creates_a_task_and_assigns_it_by_sector(world, campaign, api):
    arrangement = WorkArrangement.objects.get(campaign=campaign, code="study")
    r = api(world["zone_admin"]).post(
        "/api/v1/tasks",
        {"zone": world.a.zone.pk, "arrangement": arrangement.pk, "title": "专题学习",
         "sectors": ["非公企业"], "deadline": "2026-12-31"},
    )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["sectors"] == ["private"] and body["total"] == 2
    r = api(world["zone_admin"]).get(f"/api/v1/tasks/{body['id']}/assignments")
    assert {a["org_name"] for a in r.json()} == {world.a.econ.name, world.a.firm.name}


def test_api_refuses_an_unknown_sector_with_422_and_writes_nothing(world, campaign, api):
    arrangement = WorkArrangement.objects.get(campaign=campaign, code="study")
    r = api(world["zone_admin"]).post(
        "/api/v1/tasks",
        {"zone": world.a.zone.pk, "arrangement": arrangement.pk, "title": "x",
         "sectors": ["外企"]},
    )  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "sectors"
    assert not Task.objects.exists()


def test_api_task_scope_and_roles(world, make_task, campaign, api):
    theirs = make_task(zone="b")
    arrangement = WorkArrangement.objects.get(campaign=campaign, code="study")
    assert api(world["zone_admin"]).get(f"/api/v1/tasks/{theirs.pk}/assignments").status_code == 404
    assert (
        api(world["zone_admin"]).get("/api/v1/tasks", data={"zone": world.b.zone.pk}).status_code
        == 404
    )
    r = api(world["secretary"]).post(
        "/api/v1/tasks",
        {
            "zone": world.a.zone.pk,
            "arrangement": arrangement.pk,
            "title": "x",
            "sectors": ["organ"],
        },
    )
    assert r.status_code == 403
    assert api(None).get("/api/v1/tasks").status_code == 401


def test_api_report_and_review(world, make_task, api):
    task = make_task()
    a = TaskAssignment.objects.get(task=task, org=world.a.dept)
    mine = api(world["secretary"])
    early = api(world["zone_admin"]).post(
        f"/api/v1/assignments/{a.pk}/review", {"decision": "accept"}
    )
    assert early.status_code == 409
    r = mine.post(
        f"/api/v1/assignments/{a.pk}/report",
        {"note": "已完成", "file": png_upload()},
        format="multipart",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "reported" and len(r.json()["evidence"]) == 1
    assert (
        mine.post(f"/api/v1/assignments/{a.pk}/review", {"decision": "accept"}).status_code == 403
    )
    r = api(world["zone_admin"]).post(f"/api/v1/assignments/{a.pk}/review", {"decision": "accept"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"


def test_api_report_outside_the_callers_scope_is_404(world, make_task, api):
    task = make_task(sectors=["organ", "private"])
    theirs = TaskAssignment.objects.get(task=task, org=world.a.dept)
    r = api(world["firm_secretary"]).post(
        f"/api/v1/assignments/{theirs.pk}/report",
        {"note": "x", "file": png_upload()},
        format="multipart",
    )
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AssignmentStatus.PENDING and not theirs.evidence.exists()


@pytest.mark.parametrize("action", TASK_ACTIONS)
def test_every_task_action_is_in_the_policy_table(action):
    assert action in policy.TABLE


def test_evidence_of_another_zone_is_not_found(world, make_task, login, client):
    theirs = make_task(zone="b")
    a = theirs.assignments.first()
    services.assignment_transition(
        actor=SYSTEM, assignment=a, action="report", note="完成", files=[png_upload(seed="b")]
    )
    evidence = a.evidence.get()
    login(world["zone_admin"])
    url = reverse("campaigns:evidence_download", args=[a.pk, evidence.pk])
    assert client.get(url).status_code == 404


def test_api_lists_only_the_callers_tasks_and_assignments(world, make_task, api):
    mine = make_task(sectors=["organ", "private"])
    make_task(zone="b")
    body = api(world["zone_admin"]).get("/api/v1/tasks").json()
    assert [t["id"] for t in body["items"]] == [mine.pk]
    rows = api(world["secretary"]).get(f"/api/v1/tasks/{mine.pk}/assignments").json()
    assert [r["org_name"] for r in rows] == [world.a.dept.name]


def test_api_report_by_the_zone_admin_is_refused(world, make_task, api):
    a = TaskAssignment.objects.get(task=make_task(), org=world.a.dept)
    r = api(world["zone_admin"]).post(
        f"/api/v1/assignments/{a.pk}/report", {"note": "x", "file": png_upload()},
        format="multipart",
    )  # fmt: skip
    assert r.status_code == 403
    assert not a.evidence.exists()


def home_count(html: str, key: str) -> int | None:
    """The count of a 我的待办 group on the home page (None: not shown)."""
    found = re.search(rf'data-todo="{key}".*?<div class="h1[^"]*">(\d+)</div>', html, re.S)
    return int(found.group(1)) if found else None


def test_the_home_page_counts_task_reports_once_from_the_todo_registry(
    world, make_task, login, client
):
    task = make_task()
    login(world["secretary"])
    html = client.get(reverse("home")).content.decode()
    assert home_count(html, "task_report") == 1
    # The task panel shows the zone's state, not the user's to-dos again.
    panel = html[html.index('id="sj-tasks-panel"') :]
    assert "data-todo" not in panel and "本单位待报送" not in panel
    accept_ready = TaskAssignment.objects.get(task=task, org=world.a.dept)
    services.assignment_transition(
        actor=world["secretary"], assignment=accept_ready, action="report", note="完成",
        files=[png_upload()],
    )  # fmt: skip
    login(world["zone_admin"])
    html = client.get(reverse("home")).content.decode()
    assert home_count(html, "task_accept") == 1
    assert html.count('data-todo="task_accept"') == 1


def test_the_assignment_page_shows_the_timeline_in_chinese(world, make_task, login, client):
    a = TaskAssignment.objects.get(task=make_task(), org=world.a.dept)
    html = login(world["secretary"]).get(reverse("campaigns:assignment", args=[a.pk])).content
    assert "分派任务" in html.decode() and "报送完成情况" in html.decode()


@pytest.mark.parametrize("who", ["nobody", "national", "provincial", "leader", "supervisor"])
def test_every_page_answers_users_without_a_zone_or_with_several(world, make_task, login, who):
    make_task()
    make_task(zone="b")
    client = login(world[who])
    for name in ("campaigns:settings", "campaigns:tasks", "campaigns:matrix",
                 "regulations:list"):  # fmt: skip
        assert client.get(reverse(name)).status_code == 200, name
        assert client.get(reverse(name), {"zone": world.b.zone.pk}).status_code == 200, name
    # An account with no role at all may export nothing.
    expected = 403 if who == "nobody" else 200
    assert client.get(reverse("campaigns:tasks_export")).status_code == expected
    assert client.get(reverse("campaigns:task_create")).status_code == 403


def test_a_report_returns_to_the_action_panel_and_htmx_gets_the_page_body(
    world, make_task, login, client
):
    task = make_task()
    a = TaskAssignment.objects.get(task=task, org=world.a.dept)
    login(world["secretary"])
    url = reverse("campaigns:assignment_move", args=[a.pk])
    done = client.post(url, {"action": "report", "note": "已完成", "files": png_upload()})
    assert done["Location"] == reverse("campaigns:assignment", args=[a.pk]) + "#sj-actions"

    login(world["zone_admin"])
    r = client.post(url, {"action": "accept"}, headers={"HX-Request": "true"})
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body and 'id="sj-assignment"' in body
    assert "data-flash" in body and "已审核通过" in body
    a.refresh_from_db()
    assert a.status == AssignmentStatus.ACCEPTED


def test_the_assignment_page_puts_the_users_action_after_the_summary(
    world, make_task, login, client
):
    a = TaskAssignment.objects.get(task=make_task(), org=world.a.dept)
    html = login(world["secretary"]).get(reverse("campaigns:assignment", args=[a.pk]))
    html = html.content.decode()
    order = [html.index(f'id="{key}"') for key in ("sj-summary", "sj-report-form", "sj-timeline")]
    assert order == sorted(order)
    # Someone with nothing to do here gets no action panel.
    html = login(world["leader"]).get(reverse("campaigns:assignment", args=[a.pk]))
    assert 'id="sj-actions"' not in html.content.decode()
