"""The ledger pages: what each user sees, what each form does to the database
and the audit trail, and what is refused."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.ledger import services
from shiji.ledger.models import Evidence, Problem, ProgressNote, ReviewState, Status
from shiji.orgs.models import Person
from tests.conftest import make_user
from tests.ledger.conftest import png_bytes, png_upload

HX = {"HX-Request": "true"}


def today():
    # Read at use, not at import: a run that crosses midnight must not fail.
    return timezone.localdate()


def codes(response) -> list[str]:
    """The 台账编号 of the rows shown, in order."""
    return re.findall(r'<tr data-code="([^"]+)"', response.content.decode())


def text(response) -> str:
    return response.content.decode()


def events(problem: Problem, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="ledger.problem", object_id=str(problem.pk), action=action
        )
    )


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_make_problem_walks_every_status(world, make_problem):
    for status in Status.values:
        problem = make_problem(world, status=status)
        problem.refresh_from_db()
        assert problem.status == status
    assert make_problem(world, zone="b", status="closed").zone == world.b.zone


# Scoping -----------------------------------------------------------------------


def test_list_shows_only_the_users_zone(world, login, make_problem):
    mine = make_problem(world)
    other = make_problem(world, zone="b")
    response = login(world["zone_admin"]).get("/ledger/")
    assert response.status_code == 200
    assert codes(response) == [mine.code]
    assert other.code not in text(response)


def test_every_page_of_another_zones_problem_is_404(world, login, make_problem):
    problem = make_problem(world, zone="b", status="submitted")
    evidence = problem.evidence.get()
    before = AuditEvent.objects.count()
    client = login(world["zone_admin"])
    gets = [
        reverse("ledger:detail", args=[problem.pk]),
        reverse("ledger:edit", args=[problem.pk]),
        reverse("ledger:evidence_download", args=[problem.pk, evidence.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = {
        "transition": {"action": "verify"},
        "progress": {"text": "越权记录"},
        "evidence_upload": {"file": png_upload(seed="intruder")},
        "review": {"decision": "approve"},
        "extend": {"new_deadline": "2099-01-01", "reason": "越权延期"},
    }
    for name, data in posts.items():
        response = client.post(reverse(f"ledger:{name}", args=[problem.pk]), data)
        assert response.status_code == 404, name
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED
    assert AuditEvent.objects.count() == before
    assert problem.evidence.count() == 1


def test_evidence_of_another_problem_is_404_through_a_visible_one(world, login, make_problem):
    visible = make_problem(world)
    hidden = make_problem(world, zone="b", status="submitted")
    url = reverse("ledger:evidence_download", args=[visible.pk, hidden.evidence.get().pk])
    assert login(world["zone_admin"]).get(url).status_code == 404


def test_firm_secretary_does_not_see_the_departments_problems(world, login, make_problem):
    problem = make_problem(world)
    client = login(world["firm_secretary"])
    assert codes(client.get("/ledger/")) == []
    assert client.get(reverse("ledger:detail", args=[problem.pk])).status_code == 404


def test_anonymous_user_is_sent_to_login(client, world, make_problem):
    problem = make_problem(world)
    response = client.get(reverse("ledger:detail", args=[problem.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# List filters, sorting and counts ----------------------------------------------


@pytest.fixture
def varied(world, make_problem, categories):
    """Problems that differ in one attribute each."""
    return {
        "plain": make_problem(world),
        "red": make_problem(
            world, deadline=today() - dt.timedelta(days=3), description="超期未改的审批问题"
        ),
        "yellow": make_problem(world, deadline=today() + dt.timedelta(days=2)),
        "firm": make_problem(world, org=world.a.firm, source="public"),
        "category": make_problem(world, category=categories["a"][2], kind="immediate"),
        "closed": make_problem(world, status="closed"),
        "other_zone": make_problem(world, zone="b"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=closed", ["closed"]),
        ("source=public", ["firm"]),
        ("kind=immediate", ["category"]),
        ("light=red", ["red"]),
        ("light=yellow", ["yellow"]),
        ("q=超期未改", ["red"]),
        ("q=某科技公司", ["firm"]),
    ],
)
def test_list_filters_by_param(world, login, varied, query, expected):
    response = login(world["zone_admin"]).get(f"/ledger/?{query}")
    assert sorted(codes(response)) == sorted(varied[k].code for k in expected)


def test_list_filters_by_org_subtree(world, login, varied):
    client = login(world["zone_admin"])
    shown = codes(client.get(f"/ledger/?org={world.a.econ.pk}"))
    assert shown == [varied["firm"].code]  # the firm sits under the econ committee
    everything_under_root = codes(client.get(f"/ledger/?org={world.a.root.pk}"))
    assert len(everything_under_root) == 6


def test_list_filters_by_category(world, login, varied, categories):
    response = login(world["zone_admin"]).get(f"/ledger/?category={categories['a'][2].pk}")
    assert codes(response) == [varied["category"].code]


def test_list_filters_by_zone_for_users_who_see_several(world, login, varied):
    client = login(world["sysadmin"])
    assert len(codes(client.get("/ledger/"))) == 7
    response = client.get(f"/ledger/?zone={world.b.zone.pk}")
    assert codes(response) == [varied["other_zone"].code]
    # Another zone's org from a stale form is dropped, not matched against nothing.
    response = client.get(f"/ledger/?zone={world.b.zone.pk}&org={world.a.firm.pk}")
    assert codes(response) == [varied["other_zone"].code]


def test_unknown_filter_values_match_nothing_rather_than_fail(world, login, varied):
    client = login(world["zone_admin"])
    for query in ("status=bogus", "org=abc", "category=99999", "light=purple", "page=zz"):
        response = client.get(f"/ledger/?{query}")
        assert response.status_code == 200, query
    assert codes(client.get("/ledger/?status=bogus")) == []
    assert "没有符合筛选条件的问题" in text(client.get("/ledger/?status=bogus"))


def test_light_sort_puts_red_then_yellow_first(world, login, varied):
    shown = codes(login(world["zone_admin"]).get("/ledger/?sort=light"))
    assert shown[:2] == [varied["red"].code, varied["yellow"].code]


def test_deadline_sort_orders_by_deadline(world, login, varied):
    shown = codes(login(world["zone_admin"]).get("/ledger/?sort=deadline"))
    assert shown[0] == varied["red"].code
    assert shown[1] == varied["yellow"].code


def test_light_counts_are_links_that_filter(world, login, varied):
    body = text(login(world["zone_admin"]).get("/ledger/"))
    red_card = re.search(r'<a [^>]*data-light="red"[^>]*>.*?</a>', body, re.S).group(0)
    assert "light=red" in red_card
    assert re.search(r"<strong[^>]*>1</strong>", red_card)
    # The active light links back to the unfiltered list.
    body = text(login(world["zone_admin"]).get("/ledger/?light=red"))
    red_card = re.search(r'<a [^>]*data-light="red"[^>]*>', body).group(0)
    assert "light=red" not in red_card


def test_list_shows_badges_for_extensions_rework_and_reused_evidence(world, login, make_problem):
    extended = make_problem(world)
    services.problem_extend_deadline(
        actor=world["zone_admin"],
        problem=extended,
        new_deadline=today() + dt.timedelta(days=60),
        reason="需协调上级审批",
    )
    reworked = make_problem(world)
    services.problem_review(
        actor=world["supervisor"], problem=reworked, decision="send_back", note="描述笼统"
    )
    first = make_problem(world, status="in_progress")
    second = make_problem(world, status="in_progress")
    for p in (first, second):
        services.problem_add_evidence(
            actor=world["secretary"], problem=p, file=png_upload("同一张照片.png", seed="same")
        )
    body = text(login(world["zone_admin"]).get("/ledger/"))
    rows = dict(re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', body, re.S))
    assert "延期1次" in rows[extended.code]
    assert "退回重查" in rows[reworked.code]
    assert "凭证重复" in rows[first.code] and "凭证重复" in rows[second.code]
    assert "凭证重复" not in rows[extended.code]


def test_list_rows_escape_what_users_typed(world, login, make_problem):
    """The rows are a Jinja2 template (views._list_rows): autoescaped like
    the rest of the page, attributes included."""
    typed = '<script>alert(1)</script>" onmouseover="x'
    make_problem(world, description=f"{typed} 审批久拖不决")
    Person.objects.filter(pk=world.a.dept.people.order_by("pk").first().pk).update(name=typed)
    body = login(world["zone_admin"]).get("/ledger/").content.decode()
    assert "<script>alert(1)" not in body and '" onmouseover="x' not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;x" in body


def test_list_paginates_by_fifty(world, login, make_problem):
    for _ in range(51):
        make_problem(world)
    client = login(world["zone_admin"])
    first = client.get("/ledger/")
    assert len(codes(first)) == 50
    assert "1 / 2" in text(first)
    assert len(codes(client.get("/ledger/?page=2"))) == 1


def test_list_query_count_does_not_grow_with_rows(
    world, login, make_problem, django_assert_num_queries
):
    client = login(world["zone_admin"])
    for _ in range(3):
        make_problem(world, status="submitted")
    client.get("/ledger/")  # warm up: session, content types
    with CaptureQueriesContext(connection) as few:
        assert len(codes(client.get("/ledger/?sort=light"))) == 3
    for _ in range(27):
        make_problem(world, status="submitted")
    with django_assert_num_queries(len(few)):
        assert len(codes(client.get("/ledger/?sort=light"))) == 30
    # Pinned, so that a new per-page query is a conscious change: the page
    # is read as its ids, then their joined rows; one grouped query gives the
    # 已销号 / 整改中 / 销号率 header, the lights and the paginator's count.
    assert len(few) == 9


def test_empty_list_tells_what_to_do_next(world, login, categories):
    body = text(login(world["zone_admin"]).get("/ledger/"))
    assert "台账中还没有问题" in body
    assert "新增问题" in body


def test_excel_buttons_appear_only_once_their_pages_exist(world, login, make_problem):
    make_problem(world)
    body = text(login(world["zone_admin"]).get("/ledger/"))
    for name, label in (("ledger:export", "导出 Excel"), ("ledger:import", "导入 Excel")):
        try:
            url = reverse(name)
        except NoReverseMatch:
            assert label not in body
        else:
            assert label in body and url in body


def test_liaison_cannot_import_and_viewer_cannot_create(world, login, make_problem):
    make_problem(world)
    body = text(login(world["national"]).get("/ledger/"))
    assert "新增问题" not in body.split('id="sj-ledger"')[0]
    assert "导入 Excel" not in text(login(world["liaison"]).get("/ledger/"))


# htmx -------------------------------------------------------------------------


def test_htmx_list_request_returns_the_fragment(world, login, make_problem):
    problem = make_problem(world)
    response = login(world["zone_admin"]).get("/ledger/?status=open", headers=HX)
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="sj-ledger-filter"' in body
    assert codes(response) == [problem.code]
    assert "HX-Request" in response["Vary"]


def test_full_list_page_varies_on_hx_request_too(world, login, categories):
    response = login(world["zone_admin"]).get("/ledger/")
    assert "<html" in text(response)
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(world, login, categories):
    response = login(world["zone_admin"]).get(
        "/ledger/", headers={**HX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in text(response)


def test_htmx_action_returns_the_detail_fragment(world, login, make_problem):
    problem = make_problem(world)
    response = login(world["liaison"]).post(
        reverse("ledger:transition", args=[problem.pk]), {"action": "start"}, headers=HX
    )
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="sj-problem">')
    assert "已开始整改" in body  # the flash message
    assert 'id="sj-timeline"' in body and 'id="sj-actions"' in body
    assert "HX-Request" in response["Vary"]
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS


def test_htmx_refusal_shows_the_message_in_the_fragment(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    response = login(world["secretary"]).post(
        reverse("ledger:transition", args=[problem.pk]),
        {"action": "submit", "note": "已完成"},
        headers=HX,
    )
    # The status the API gives (409); the page's htmx-config swaps it in.
    assert response.status_code == 409
    assert "<html" not in text(response)
    assert "提交销号须至少上传一份整改凭证" in text(response)


# Detail -------------------------------------------------------------------------


def test_detail_shows_fields_evidence_progress_and_timeline(world, login, make_problem):
    problem = make_problem(world, status="submitted", needs_rule_change=True)
    services.problem_add_progress(
        actor=world["secretary"], problem=problem, text="已召开专题会部署整改"
    )
    body = text(login(world["secretary"]).get(reverse("ledger:detail", args=[problem.pk])))
    for expected in (
        problem.code,
        problem.description,
        "梳理审批事项，压缩办理时限",  # measures
        "审批时限压缩一半",  # goal
        "甲高新区经济发展局党支部",
        "张三",  # owner
        "限期整改",
        "待销号",
        "已完成整改，审批时限压缩至 5 个工作日",  # completion note
        "已召开专题会部署整改",
        "整改后",  # the evidence stage
        "整改后现场照片.png",
    ):
        assert expected in body
    evidence = problem.evidence.get()
    assert reverse("ledger:evidence_download", args=[problem.pk, evidence.pk]) in body
    timeline = body.split('id="sj-timeline"')[1]
    for label in ("新增问题", "开始整改", "上传整改凭证", "提交销号", "记录整改进展"):
        assert label in timeline
    assert "待整改 → 整改中" in timeline  # status codes shown as labels
    # Who: the account's name with where it works (its zone: no roster entry), no login name.
    assert "secretary（甲高）" in timeline and "（secretary）" not in timeline


def test_detail_offers_only_the_moves_the_user_may_make(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    url = reverse("ledger:detail", args=[problem.pk])
    supervisor = text(login(world["supervisor2"]).get(url))
    decide = supervisor.split('data-form="decide"')[1].split("</form>")[0]
    assert 'value="verify"' in decide and 'value="return"' in decide
    assert "通过销号" in decide and "退回整改" in decide
    liaison = text(login(world["liaison"]).get(url))
    assert 'data-form="move:' not in liaison
    assert "已提交销号，等待督导组或工作专班销号审核" in liaison
    viewer = text(login(world["national"]).get(url))
    assert '<form method="post"' not in viewer.split('id="sj-actions"')[1]


def test_detail_shows_extension_history(world, login, make_problem):
    problem = make_problem(world)
    old = problem.deadline
    services.problem_extend_deadline(
        actor=world["leader"],
        problem=problem,
        new_deadline=old + dt.timedelta(days=10),
        reason="涉及上级审批，需延期",
    )
    body = text(login(world["secretary"]).get(reverse("ledger:detail", args=[problem.pk])))
    extensions = body.split('id="sj-extensions"')[1].split('id="sj-timeline"')[0]
    assert "共 1 次" in extensions
    assert old.isoformat() in extensions
    assert "涉及上级审批，需延期" in extensions


def test_reused_evidence_warns_verifiers_and_hides_problems_they_cannot_see(
    world, login, make_problem
):
    dept_problem = make_problem(world, status="in_progress")
    firm_problem = make_problem(world, org=world.a.firm, status="in_progress")
    for actor, problem in ((world["secretary"], dept_problem), (world["zone_admin"], firm_problem)):
        services.problem_add_evidence(
            actor=actor, problem=problem, file=png_upload("现场.png", seed="one photo")
        )
    url = reverse("ledger:detail", args=[dept_problem.pk])
    supervisor = text(login(world["supervisor"]).get(url))
    assert (
        f"该凭证与 {firm_problem.code} 号问题使用的文件相同（SHA-256 一致），请核实是否虚假整改"
        in supervisor
    )
    narrow = make_user(
        "dept_supervisor",
        world.a.zone,
        [{"role": "supervisor", "zone": world.a.zone, "org": world.a.dept}],
    )
    scoped = text(login(narrow).get(url))
    assert "该凭证与另外 1 个问题（您无权查看）使用的文件相同" in scoped
    assert firm_problem.code not in scoped
    # Those who rectify see the badge, not the verifier's warning.
    secretary = text(login(world["secretary"]).get(url))
    assert "凭证重复" in secretary and "请核实是否虚假整改" not in secretary


def test_send_back_reason_is_shown_prominently_to_the_owner(world, login, make_problem):
    problem = make_problem(world)
    services.problem_review(
        actor=world["supervisor"],
        problem=problem,
        decision="send_back",
        note="问题描述笼统，未查到具体事、具体人",
    )
    body = text(login(world["secretary"]).get(reverse("ledger:detail", args=[problem.pk])))
    rework = body.split('id="sj-rework"')[1][:1500]
    assert "问题清单被督导组退回重查" in rework
    assert "问题描述笼统，未查到具体事、具体人" in rework
    assert reverse("ledger:edit", args=[problem.pk]) in rework
    assert "审核：退回重查" in body


# Actions through the page ---------------------------------------------------------


def post(client, name, problem, data, **kw):
    return client.post(reverse(f"ledger:{name}", args=[problem.pk]), data, **kw)


def test_start_through_the_page(world, login, make_problem):
    problem = make_problem(world)
    response = post(login(world["liaison"]), "transition", problem, {"action": "start"})
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[problem.pk]) + "#sj-actions"
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    [event] = events(problem, "problem.start")
    assert event.actor == world["liaison"]


def test_progress_through_the_page(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    post(login(world["liaison"]), "progress", problem, {"text": "已完成一半事项的清理"})
    note = ProgressNote.objects.get(problem=problem)
    assert note.text == "已完成一半事项的清理" and note.author == world["liaison"]
    problem.refresh_from_db()
    assert problem.progress_summary == "已完成一半事项的清理"
    assert events(problem, "problem.progress")


def test_evidence_upload_through_the_page(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    client = login(world["liaison"])
    response = post(
        client,
        "evidence_upload",
        problem,
        {"file": png_upload("整改前.png"), "stage": "before", "note": "整改前现场"},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(problem=problem)
    assert (evidence.original_name, evidence.stage, evidence.content_kind) == (
        "整改前.png",
        "before",
        "png",
    )
    [event] = events(problem, "problem.evidence")
    assert event.changes["evidence"][1]["sha256"] == evidence.sha256
    body = text(client.get(reverse("ledger:detail", args=[problem.pk])))
    assert "整改前.png" in body and "整改前现场" in body


def test_submit_through_the_page(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    services.problem_add_evidence(actor=world["liaison"], problem=problem, file=png_upload())
    post(
        login(world["secretary"]),
        "transition",
        problem,
        {"action": "submit", "note": "制度已修订，审批时限由 20 天压缩至 8 天"},
    )
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED
    assert problem.completion_note == "制度已修订，审批时限由 20 天压缩至 8 天"
    assert problem.submitted_by == world["secretary"]
    [event] = events(problem, "problem.submit")
    assert event.note == "制度已修订，审批时限由 20 天压缩至 8 天"


def test_return_through_the_page(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    post(
        login(world["supervisor"]),
        "transition",
        problem,
        {"action": "return", "note": "凭证只有会议照片，未见实际成效", "confirmed": "1"},
    )
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    [event] = events(problem, "problem.return")
    assert event.note == "凭证只有会议照片，未见实际成效"
    # The owner's page leads with the reason.
    body = text(login(world["secretary"]).get(reverse("ledger:detail", args=[problem.pk])))
    assert "销号申请被退回，请继续整改" in body.split('id="sj-sent-back"')[1][:400]
    assert "凭证只有会议照片，未见实际成效" in body.split('id="sj-sent-back"')[1][:600]


def test_the_verifiers_choice_is_confirmed_before_anything_changes(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    client = login(world["supervisor2"])
    first = post(client, "transition", problem, {"action": "return", "note": "缺少现场照片"})
    assert first.status_code == 200
    panel = text(first).split('data-form="decide"')[1].split("</form>")[0]
    assert 'data-confirm="return"' in panel and "确认退回整改" in panel
    assert "缺少现场照片" in panel and "退回“整改中”" in panel
    assert 'name="confirmed" value="1"' in panel
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED and not events(problem, "problem.return")


def test_rework_offers_edit_not_start(world, login, make_problem):
    problem = make_problem(world)
    services.problem_review(
        actor=world["supervisor"], problem=problem, decision="send_back", note="描述笼统"
    )
    body = text(login(world["secretary"]).get(reverse("ledger:detail", args=[problem.pk])))
    actions = body.split('id="sj-actions"')[1]
    assert 'data-form="edit-first"' in actions and "修改问题" in actions
    assert 'data-form="move:start"' not in actions


def test_the_actions_come_before_the_history(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    body = text(login(world["secretary"]).get(reverse("ledger:detail", args=[problem.pk])))
    assert body.index('id="sj-description"') < body.index('id="sj-actions"')
    assert body.index('id="sj-actions"') < body.index('id="sj-progress"')
    assert body.index('id="sj-actions"') < body.index('id="sj-timeline"')


def test_verify_through_the_page(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    client = login(world["supervisor2"])
    post(
        client,
        "transition",
        problem,
        {"action": "verify", "note": "现场核实，整改到位", "confirmed": "1"},
    )
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.verified_by == world["supervisor2"] and problem.closed_on == today()
    assert events(problem, "problem.verify")
    body = text(client.get(reverse("ledger:detail", args=[problem.pk])))
    assert '<span class="badge bg-green-lt">已销号</span>' in body
    assert 'data-form="move:reopen"' in body  # 回头看 stays possible


def test_reopen_through_the_page(world, login, make_problem):
    problem = make_problem(world, status="closed")
    post(
        login(world["supervisor2"]),
        "transition",
        problem,
        {"action": "reopen", "note": "回头看发现问题反弹"},
    )
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS and problem.closed_on is None
    assert events(problem, "problem.reopen")[0].note == "回头看发现问题反弹"


def test_cancel_through_the_page(world, login, make_problem):
    problem = make_problem(world)
    post(
        login(world["zone_admin"]), "transition", problem, {"action": "cancel", "note": "重复录入"}
    )
    problem.refresh_from_db()
    assert problem.status == Status.CANCELLED
    assert events(problem, "problem.cancel")


def test_review_approve_and_send_back_through_the_page(world, login, make_problem):
    approved, sent_back = make_problem(world), make_problem(world)
    client = login(world["supervisor"])
    post(client, "review", approved, {"decision": "approve"})
    post(client, "review", sent_back, {"decision": "send_back", "note": "未查到根子上"})
    approved.refresh_from_db()
    sent_back.refresh_from_db()
    assert approved.review_state == ReviewState.APPROVED
    assert (sent_back.review_state, sent_back.review_note) == (ReviewState.REWORK, "未查到根子上")
    assert events(approved, "problem.review.approve")
    assert events(sent_back, "problem.review.send_back")[0].note == "未查到根子上"


def test_extend_through_the_page(world, login, make_problem):
    problem = make_problem(world)
    new = problem.deadline + dt.timedelta(days=15)
    post(
        login(world["leader"]),
        "extend",
        problem,
        {"new_deadline": new.isoformat(), "reason": "需等待规划调整"},
    )
    problem.refresh_from_db()
    assert (problem.deadline, problem.extension_count) == (new, 1)
    assert events(problem, "problem.extend")[0].note == "需等待规划调整"


# Refusals ------------------------------------------------------------------------


def test_submit_without_evidence_shows_the_message_and_changes_nothing(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    before = AuditEvent.objects.count()
    response = post(
        login(world["secretary"]), "transition", problem, {"action": "submit", "note": "已完成"}
    )
    assert response.status_code == 409
    body = text(response)
    submit_form = body.split('data-form="move:submit"')[1].split("</form>")[0]
    assert "提交销号须至少上传一份整改凭证" in submit_form
    assert "已完成" in submit_form  # what was typed is kept
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS and problem.completion_note == ""
    assert AuditEvent.objects.count() == before


def test_return_without_reason_shows_the_error_next_to_the_input(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    response = post(login(world["supervisor"]), "transition", problem, {"action": "return"})
    assert response.status_code == 422
    form = text(response).split('data-form="decide"')[1].split("</form>")[0]
    assert "is-invalid" in form and "请填写退回理由" in form
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED


def test_verify_by_the_submitter_is_refused(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    services.problem_add_evidence(actor=world["zone_admin"], problem=problem, file=png_upload())
    services.problem_transition(
        actor=world["zone_admin"], problem=problem, action="submit", note="完成"
    )
    response = post(login(world["zone_admin"]), "transition", problem, {"action": "verify"})
    assert response.status_code == 409
    assert "提交人不能审核销号自己提交的问题" in text(response)
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED


def test_move_by_a_role_without_the_right_is_refused(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    for user in ("liaison", "national"):
        response = post(login(world[user]), "transition", problem, {"action": "verify"})
        assert response.status_code == 403
        assert "您没有权限执行此操作" in text(response)
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED
    assert not events(problem, "problem.verify")


def test_unknown_action_is_refused_with_a_message(world, login, make_problem):
    problem = make_problem(world)
    response = post(login(world["zone_admin"]), "transition", problem, {"action": "explode"})
    assert response.status_code == 422
    assert "未知操作：explode" in text(response)


def test_extend_to_an_earlier_date_is_refused_inline(world, login, make_problem):
    problem = make_problem(world)
    response = post(
        login(world["leader"]),
        "extend",
        problem,
        {"new_deadline": today().isoformat(), "reason": "提前"},
    )
    assert response.status_code == 422
    form = text(response).split('data-form="extend"')[1].split("</form>")[0]
    assert "新的整改时限应晚于原时限" in form
    problem.refresh_from_db()
    assert problem.extension_count == 0


def test_send_back_without_reason_is_refused_inline(world, login, make_problem):
    problem = make_problem(world)
    response = post(login(world["supervisor"]), "review", problem, {"decision": "send_back"})
    assert response.status_code == 422
    assert "请填写退回理由" in text(response).split('data-form="review"')[1]
    problem.refresh_from_db()
    assert problem.review_state == ReviewState.PENDING


def test_exe_renamed_jpg_is_refused_and_nothing_is_stored(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    fake = SimpleUploadedFile(
        "现场照片.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="image/jpeg"
    )
    response = post(login(world["liaison"]), "evidence_upload", problem, {"file": fake})
    assert response.status_code == 422
    form = text(response).split('data-form="evidence"')[1].split("</form>")[0]
    assert "不支持此类文件" in form and "is-invalid" in form
    assert not Evidence.objects.filter(problem=problem).exists()
    assert stored_files() == []
    assert not events(problem, "problem.evidence")


def test_upload_without_a_file_asks_for_one(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    response = post(login(world["liaison"]), "evidence_upload", problem, {"stage": "after"})
    assert response.status_code == 422
    assert "请选择要上传的文件" in text(response)


@pytest.mark.parametrize("name", ["transition", "progress", "evidence_upload", "review", "extend"])
def test_action_urls_refuse_get(world, login, make_problem, name):
    problem = make_problem(world)
    response = login(world["zone_admin"]).get(reverse(f"ledger:{name}", args=[problem.pk]))
    assert response.status_code == 405


def test_read_urls_refuse_post(world, login, make_problem):
    problem = make_problem(world, status="submitted")
    client = login(world["zone_admin"])
    urls = [
        reverse("ledger:list"),
        reverse("ledger:inbox"),
        reverse("ledger:detail", args=[problem.pk]),
        reverse("ledger:evidence_download", args=[problem.pk, problem.evidence.get().pk]),
    ]
    for url in urls:
        assert client.post(url).status_code == 405, url
    assert client.delete(reverse("ledger:create")).status_code == 405


# Evidence download -------------------------------------------------------------


def test_evidence_download_streams_the_file_as_an_attachment(world, login, make_problem):
    problem = make_problem(world, status="in_progress")
    evidence = services.problem_add_evidence(
        actor=world["liaison"], problem=problem, file=png_upload("整改后 照片.png", seed="dl")
    )
    response = login(world["national"]).get(
        reverse("ledger:evidence_download", args=[problem.pk, evidence.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes("dl")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=utf-8''%E6%95%B4%E6%94%B9%E5%90%8E%20%E7%85%A7%E7%89%87.png"
        in (response["Content-Disposition"])
    )
    assert response["X-Content-Type-Options"] == "nosniff"


# Create and edit -----------------------------------------------------------------


def form_data(world, categories, **over):
    data = {
        "zone": world.a.zone.pk,
        "source": "public",
        "category": categories["a"][1].pk,
        "kind": "deadline",
        "description": "某园区道路“白天亮灯”，形象工程群众意见大",
        "measures": "拆除多余景观灯，建立能耗台账",
        "goal": "年内能耗下降三成",
        "org": world.a.dept.pk,
        "leader": Person.objects.get(name="李四", zone=world.a.zone).pk,
        "owner": Person.objects.get(name="张三", zone=world.a.zone).pk,
        "found_on": today().isoformat(),
        "deadline": (today() + dt.timedelta(days=45)).isoformat(),
        "needs_rule_change": "on",
    }
    data.update(over)
    return data


def test_create_form_offers_only_the_zones_categories_orgs_and_roster(world, login, categories):
    body = text(login(world["secretary"]).get(reverse("ledger:create")))
    assert "新官不理旧账" in body
    assert (
        f'value="{categories["b"][0].pk}"'
        not in body.split('name="category"')[1].split("</select>")[0]
    )
    orgs = body.split('name="org"')[1].split("</select>")[0]
    assert "甲高新区经济发展局党支部" in orgs and "甲高新区某科技公司党支部" not in orgs
    owners = body.split('name="owner"')[1].split("</select>")[0]
    assert "赵六" in owners  # the whole zone roster, grouped by org
    assert "乙高新区" not in owners


def test_create_through_the_page(world, login, categories):
    response = login(world["secretary"]).post(
        reverse("ledger:create"), form_data(world, categories)
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[problem.pk])
    assert problem.zone == world.a.zone and problem.org == world.a.dept
    assert problem.owner.name == "张三" and problem.leader.name == "李四"
    assert problem.source == "public" and problem.needs_rule_change
    assert problem.created_by == world["secretary"]
    [event] = events(problem, "problem.create")
    assert event.changes["description"][1] == problem.description


def test_create_with_errors_shows_them_next_to_the_inputs(world, login, categories):
    client = login(world["secretary"])
    response = client.post(reverse("ledger:create"), form_data(world, categories, description=""))
    assert response.status_code == 422
    body = text(response)
    field = body.split('id="id_description"')[0].rsplit("<textarea", 1)[1]
    assert "is-invalid" in field
    assert "请填写问题描述" in body
    assert "拆除多余景观灯" in body  # the rest of the input is kept
    assert not Problem.objects.exists()
    late = (today() - dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("ledger:create"), form_data(world, categories, deadline=late))
    assert "整改时限不能早于发现日期" in text(response)
    assert not Problem.objects.exists()


def test_create_refuses_an_org_outside_the_users_scope(world, login, categories):
    response = login(world["secretary"]).post(
        reverse("ledger:create"), form_data(world, categories, org=world.a.firm.pk)
    )
    assert response.status_code == 422
    assert "责任单位不存在" in text(response)  # the service's message, as the API says it
    assert not Problem.objects.exists()


def test_create_is_forbidden_for_viewers(world, login, categories):
    assert login(world["national"]).get(reverse("ledger:create")).status_code == 403


def test_edit_through_the_page_and_rework_goes_back_to_review(
    world, login, make_problem, categories
):
    problem = make_problem(world)
    services.problem_review(
        actor=world["supervisor"], problem=problem, decision="send_back", note="太笼统"
    )
    client = login(world["secretary"])
    page = text(client.get(reverse("ledger:edit", args=[problem.pk])))
    assert "太笼统" in page and problem.description in page
    assert 'name="deadline"' in page and "disabled" in page.split('id="id_deadline"')[1][:200]
    data = form_data(world, categories, description="审批平均超时 12 天，涉及 3 个科室")
    response = client.post(reverse("ledger:edit", args=[problem.pk]), data)
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.description == "审批平均超时 12 天，涉及 3 个科室"
    assert problem.review_state == ReviewState.PENDING
    [event] = events(problem, "problem.update")
    assert event.changes["description"][1] == problem.description
    assert event.changes["review_state"] == ["rework", "pending"]


def test_edit_of_a_closed_problem_is_refused_with_a_message(world, login, make_problem):
    problem = make_problem(world, status="closed")
    client = login(world["zone_admin"])
    response = client.get(reverse("ledger:edit", args=[problem.pk]), follow=True)
    assert "问题已销号，不能再修改" in text(response)
    response = client.post(reverse("ledger:edit", args=[problem.pk]), {"description": "改"})
    problem.refresh_from_db()
    assert problem.description != "改"
    assert not events(problem, "problem.update")


# My work and the home panel ------------------------------------------------------


def test_inbox_lists_each_users_work(world, login, make_problem):
    open_one = make_problem(world)
    submitted = make_problem(world, status="submitted")
    secretary = text(login(world["secretary"]).get(reverse("ledger:inbox")))
    rectify = secretary.split('id="inbox-rectify"')[1]
    assert open_one.code in rectify and submitted.code not in rectify
    assert 'id="inbox-verify"' not in secretary  # not a secretary's work
    supervisor = text(login(world["supervisor"]).get(reverse("ledger:inbox")))
    verify = supervisor.split('id="inbox-verify"')[1].split('id="inbox-review"')[0]
    review = supervisor.split('id="inbox-review"')[1]
    assert submitted.code in verify and open_one.code not in verify
    assert open_one.code in review


def test_inbox_empty_states_say_what_happens_next(world, login, categories):
    body = text(login(world["supervisor"]).get(reverse("ledger:inbox")))
    assert "暂无待办" in body and "查看问题整改台账" in body
    one = text(login(world["supervisor"]).get(reverse("ledger:inbox") + "?group=verify"))
    assert "暂无提交销号的问题" in one
    national = text(login(world["national"]).get(reverse("ledger:inbox")))
    assert "暂无待办" in national and "您的角色没有需要办理的事项" in national


def test_home_panel_shows_todo_and_light_counts(world, login, make_problem):
    make_problem(world, deadline=today() - dt.timedelta(days=1))
    make_problem(world, deadline=today() + dt.timedelta(days=3))
    make_problem(world)
    body = text(login(world["secretary"]).get("/"))
    todo = body.split('id="sj-todo-panel"')[1]
    rectify = re.search(r'data-todo="rectify".*?<div class="h1[^"]*">(\d+)</div>', todo, re.S)
    assert rectify.group(1) == "3"
    panel = body.split('id="sj-ledger-panel"')[1]
    red = re.search(r'data-light="red".*?<div class="h1[^"]*">(\d+)</div>', panel, re.S)
    yellow = re.search(r'data-light="yellow".*?<div class="h1[^"]*">(\d+)</div>', panel, re.S)
    assert (red.group(1), yellow.group(1)) == ("1", "1")


def test_home_panel_is_absent_for_users_without_grants(world, login):
    body = text(login(world["nobody"]).get("/"))
    assert 'id="sj-ledger-panel"' not in body
