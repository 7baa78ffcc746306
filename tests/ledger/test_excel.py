"""The ledger workbook (DESIGN.md §6): what the export writes, read back with
openpyxl; the import's round trip, its writes through the services and their
audit events; and every kind of bad workbook, refused by row and column with
nothing written."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from shiji.audit.models import AuditEvent
from shiji.campaigns.models import ZoneCampaign
from shiji.core.errors import Forbidden, Invalid, NotFound
from shiji.ledger import excel, services
from shiji.ledger.excel import HEADERS, export_workbook, import_workbook
from shiji.ledger.excel import apply as excel_apply
from shiji.ledger.models import Problem, ProgressNote, Status
from shiji.orgs import services as org_services
from tests.conftest import SYSTEM
from tests.paper import column_widths

COL = {header: index for index, header in enumerate(HEADERS, start=1)}


# Helpers -----------------------------------------------------------------------------


def export_bytes(user, params=None) -> bytes:
    out = io.BytesIO()
    export_workbook(user=user, params=params or {}, out=out)
    return out.getvalue()


def open_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "整改台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def run_import(world, data: bytes, *, dry_run: bool = False, actor=None, zone=None):
    result = import_workbook(
        actor=actor or world["zone_admin"],
        zone=zone or world.a.zone,
        file=upload(data),
        dry_run=dry_run,
    )
    # The Chinese text is what these tests read; msgid/params, which render
    # it in English, are checked in tests/web/test_i18n_imports.py.
    result.errors = [
        {k: v for k, v in e.items() if k not in ("msgid", "params")} for e in result.errors
    ]
    return result


def row_of(ws, code: str) -> int:
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, COL["台账编号"]).value == code:
            return r
    raise AssertionError(f"{code} not in sheet")


def append_row(ws, **values) -> int:
    """Add a data row below the last one; ``values`` by header name."""
    r = ws.max_row + 1
    for header, value in values.items():
        ws.cell(r, COL[header]).value = value
    return r


def new_row_values(world, **overrides):
    values = {
        "问题来源": "群众反映",
        "问题类别": "形象工程",
        "问题描述": "园区道路亮化工程重外观轻实效，群众反映强烈",
        "整改措施": "停建新增景观灯带，资金转用于背街小巷照明",
        "整改目标": "年内完成背街小巷照明改造",
        "责任单位": world.a.dept.name,
        "责任领导": "李四",
        "责任人": "王五",
        "整改类型": "限期整改",
        "整改时限": timezone.localdate() + dt.timedelta(days=60),
    }
    values.update(overrides)
    return values


class Snapshot:
    """Counts that a refused or unchanged import must leave as they were."""

    def __init__(self):
        self.values = self.take()

    @staticmethod
    def take():
        return (
            Problem.objects.count(),
            AuditEvent.objects.count(),
            ProgressNote.objects.count(),
            list(Problem.objects.order_by("pk").values_list("updated_at", flat=True)),
        )

    def unchanged(self) -> bool:
        return self.take() == self.values


def errors_at(result, column: str) -> list[dict]:
    return [e for e in result.errors if e["column"] == column]


@pytest.fixture
def ledger(world, make_problem):
    """Zone A: one problem in every status, with progress notes and a CRLF
    text as forms submit it; zone B: one problem."""
    problems = {status: make_problem(world, status=status) for status in Status.values}
    services.problem_add_progress(
        actor=world["zone_admin"],
        problem=problems[Status.IN_PROGRESS],
        text="已完成第一轮排查\r\n正在整改",
    )
    services.problem_update(
        actor=world["zone_admin"],
        problem=problems[Status.OPEN],
        measures="第一步：梳理\r\n第二步：公示",
        leader=world.a.dept.people.get(name="李四"),
    )
    problems["long"] = make_problem(world, deadline=None, owner=None)
    problems["b"] = make_problem(world, zone="b")
    return problems


# Export ------------------------------------------------------------------------------


def test_export_layout_follows_the_contract(world, ledger, categories):
    ZoneCampaign.objects.create(zone=world.a.zone, campaign=categories["a"][0].campaign)
    wb = open_xlsx(export_bytes(world["zone_admin"]))

    assert wb.sheetnames == ["整改台账"]
    ws = wb["整改台账"]
    assert ws["A1"].value == "甲高新区树立和践行正确政绩观学习教育问题整改台账"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:P1"]
    assert [c.value for c in ws[2]] == HEADERS
    assert ws.freeze_panes == "A3"
    widths = column_widths(ws)
    assert widths[COL["问题描述"]] == widths[COL["整改措施"]] == max(widths.values())
    assert widths[COL["序号"]] == min(widths.values())
    assert ws.max_row == 2 + 6  # every zone A problem, no zone B one

    closed = ledger[Status.CLOSED]
    r = row_of(ws, closed.code)
    assert ws.cell(r, COL["序号"]).value == r - 2
    assert ws.cell(r, COL["状态"]).value == "已销号"
    assert ws.cell(r, COL["问题来源"]).value == "自查"
    assert ws.cell(r, COL["整改类型"]).value == "限期整改"
    assert ws.cell(r, COL["责任单位"]).value == world.a.dept.name
    assert ws.cell(r, COL["责任人"]).value == "张三"
    assert ws.cell(r, COL["完成情况"]).value == closed.completion_note
    for header, expected in (("整改时限", closed.deadline), ("销号日期", closed.closed_on)):
        cell = ws.cell(r, COL[header])
        assert cell.is_date and cell.number_format == "yyyy-mm-dd"
        assert cell.value.date() == expected
    # Every text wraps in its column: nothing is cut off at a narrow one.
    assert ws.cell(r, COL["问题描述"]).alignment.wrap_text
    assert ws.cell(r, COL["台账编号"]).alignment.wrap_text

    progress = ws.cell(row_of(ws, ledger[Status.IN_PROGRESS].code), COL["整改进展"]).value
    assert progress == "已完成第一轮排查\n正在整改"  # Excel's line break
    statuses = {ws.cell(r, COL["状态"]).value for r in range(3, ws.max_row + 1)}
    assert statuses == {"待整改", "整改中", "待销号", "已销号", "已撤销"}
    blank = ws.cell(row_of(ws, ledger["long"].code), COL["整改时限"])
    assert blank.value is None


def test_export_with_several_zones_has_a_neutral_title(world, ledger):
    ws = open_xlsx(export_bytes(world["sysadmin"]))["整改台账"]
    assert ws["A1"].value == "各高新区问题整改台账"
    assert ws.max_row == 2 + 7
    today = timezone.localdate().isoformat()
    assert excel.export_filename(None) == f"问题整改台账-{today}.xlsx"
    assert excel.export_filename(world.a.zone) == f"甲高新区-问题整改台账-{today}.xlsx"
    assert (
        excel.export_filename(world.a.zone, {"version": "print"})
        == f"甲高新区-问题整改台账（打印版）-{today}.xlsx"
    )


def test_formula_like_text_is_exported_as_literal_strings(world, make_problem):
    problem = make_problem(
        world,
        description='=HYPERLINK("http://evil.example","点击")',
        measures="+1+2",
        goal="-3",
    )
    services.problem_add_progress(actor=world["zone_admin"], problem=problem, text="@SUM(A1)")
    data = export_bytes(world["zone_admin"])

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere
    ws = open_xlsx(data)["整改台账"]
    r = row_of(ws, problem.code)
    for header, text in (
        ("问题描述", '=HYPERLINK("http://evil.example","点击")'),
        ("整改措施", "+1+2"),
        ("整改目标", "-3"),
        ("整改进展", "@SUM(A1)"),
    ):
        cell = ws.cell(r, COL[header])
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix  # Excel shows it as typed, even after editing
    # ... and they import back as the same text.
    result = run_import(world, data)
    assert result.as_dict() == {"created": 0, "updated": 0, "errors": []}


def test_export_for_a_user_who_sees_no_problems_has_headers_only(world, ledger):
    ws = open_xlsx(export_bytes(world["nobody"]))["整改台账"]
    assert [c.value for c in ws[2]] == HEADERS
    assert ws.max_row == 2
    assert ws["A1"].value == "各高新区问题整改台账"


def test_export_never_includes_another_zones_rows(world, ledger):
    for user in ("zone_admin", "liaison", "supervisor"):
        ws = open_xlsx(export_bytes(world[user]))["整改台账"]
        codes = {ws.cell(r, COL["台账编号"]).value for r in range(3, ws.max_row + 1)}
        assert ledger["b"].code not in codes
        assert all(code.startswith("ZA-") for code in codes)
    with pytest.raises(NotFound):
        export_bytes(world["zone_admin"], {"zone": str(world.b.zone.pk)})


def test_export_applies_the_list_filters(world, ledger):
    ws = open_xlsx(export_bytes(world["zone_admin"], {"status": "closed"}))["整改台账"]
    assert ws.max_row == 3
    assert ws.cell(3, COL["台账编号"]).value == ledger[Status.CLOSED].code
    assert excel.export_count(user=world["zone_admin"], params={"status": "closed"}) == 1


def test_export_names_people_who_share_a_name_with_their_org(world, make_problem):
    org_services.person_create(actor=SYSTEM, org=world.a.firm, name="张三", position="经理")
    problem = make_problem(world)  # owner: 张三 of the 经济发展局党支部
    ws = open_xlsx(export_bytes(world["zone_admin"]))["整改台账"]
    assert ws.cell(row_of(ws, problem.code), COL["责任人"]).value == f"张三（{world.a.dept.name}）"
    assert run_import(world, save(open_xlsx(export_bytes(world["zone_admin"])))).ok


# Round trip --------------------------------------------------------------------------


def test_exported_workbook_imports_back_unchanged(world, ledger):
    org_services.person_create(actor=SYSTEM, org=world.a.firm, name="张三", position="经理")
    data = export_bytes(world["zone_admin"])
    before = Snapshot()

    dry = run_import(world, data, dry_run=True)
    real = run_import(world, data)

    assert dry.as_dict() == {"created": 0, "updated": 0, "errors": []}
    assert real.as_dict() == {"created": 0, "updated": 0, "errors": []}
    assert before.unchanged()  # no rows, no progress notes, no audit events


def test_workbook_saved_by_a_spreadsheet_imports_back_unchanged(world, ledger):
    # openpyxl rewrites it the way Excel does: shared strings, its own styles.
    data = save(open_xlsx(export_bytes(world["zone_admin"])))
    before = Snapshot()
    assert run_import(world, data).as_dict() == {"created": 0, "updated": 0, "errors": []}
    assert before.unchanged()


def test_edited_workbook_updates_and_creates_through_the_services(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    target = ledger[Status.IN_PROGRESS]
    ws.cell(row_of(ws, target.code), COL["整改措施"], "建立审批事项清单，每月通报办理时限")
    new = append_row(ws, **new_row_values(world))
    data = save(wb)
    problems, events = Problem.objects.count(), AuditEvent.objects.count()
    last = AuditEvent.objects.last().pk

    dry = run_import(world, data, dry_run=True)
    assert dry.as_dict() == {"created": 1, "updated": 1, "errors": []}
    assert (Problem.objects.count(), AuditEvent.objects.count()) == (problems, events)

    result = run_import(world, data)

    assert result.as_dict() == {"created": 1, "updated": 1, "errors": []}
    target.refresh_from_db()
    assert target.measures == "建立审批事项清单，每月通报办理时限"
    created = Problem.objects.get(description=ws.cell(new, COL["问题描述"]).value)
    assert created.zone == world.a.zone
    assert created.source == "public" and created.kind == "deadline"
    assert created.category.name == "形象工程"
    assert created.org == world.a.dept
    assert (created.leader.name, created.owner.name) == ("李四", "王五")
    assert created.found_on == timezone.localdate()
    assert created.status == Status.OPEN
    assert created.created_by == world["zone_admin"]
    new_events = AuditEvent.objects.filter(pk__gt=last).order_by("pk")
    assert [e.action for e in new_events] == ["problem.update", "problem.create", "ledger.import"]
    update = new_events[0]
    assert update.object_id == str(target.pk)
    assert update.changes == {
        "measures": ["梳理审批事项，压缩办理时限", "建立审批事项清单，每月通报办理时限"]
    }
    summary = new_events[2]
    assert summary.changes["created"] == [None, 1] and summary.changes["updated"] == [None, 1]
    assert summary.changes["file"] == [None, "整改台账.xlsx"]
    assert all(e.actor == world["zone_admin"] for e in new_events)


def test_changed_progress_is_recorded_as_a_new_progress_note(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    target = ledger[Status.IN_PROGRESS]
    ws.cell(row_of(ws, target.code), COL["整改进展"], "第二轮排查完成，整改过半")
    r = append_row(ws, **new_row_values(world, 整改进展="已召开专题会部署"))

    result = run_import(world, save(wb))

    assert result.as_dict() == {"created": 1, "updated": 1, "errors": []}
    target.refresh_from_db()
    assert target.progress_summary == "第二轮排查完成，整改过半"
    assert list(target.progress.values_list("text", flat=True)) == [
        "已完成第一轮排查\r\n正在整改",
        "第二轮排查完成，整改过半",
    ]
    created = Problem.objects.get(description=ws.cell(r, COL["问题描述"]).value)
    assert created.progress_summary == "已召开专题会部署"
    assert AuditEvent.objects.filter(action="problem.progress", object_id=str(target.pk)).exists()


def test_new_rows_get_codes_from_the_zone_counter(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    for n in range(3):
        append_row(ws, **new_row_values(world, 问题描述=f"新增问题{n}：会议多、落实少"))
    assert run_import(world, save(wb)).created == 3
    codes = set(
        Problem.objects.filter(description__startswith="新增问题").values_list("code", flat=True)
    )
    year = timezone.localdate().year
    assert codes == {f"ZA-{year}-{n:04d}" for n in (7, 8, 9)}


# Bad workbooks -------------------------------------------------------------------------


def refused(world, data: bytes, before: Snapshot):
    """Import the file for real: it must be refused and write nothing."""
    dry = run_import(world, data, dry_run=True)
    result = run_import(world, data)
    assert result.errors, "expected errors"
    assert result.created == result.updated == 0
    assert dry.errors == result.errors
    assert before.unchanged()
    return result


def test_missing_header_is_named(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    wb["整改台账"].delete_cols(COL["责任单位"])
    result = refused(world, save(wb), Snapshot())
    assert result.errors == [
        {"row": 2, "column": "", "message": "缺少列：责任单位。请按模板的列名填写"}
    ]


def test_renamed_header_is_named_with_the_likely_culprit(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    wb["整改台账"].cell(2, COL["责任人"], "负责人")
    result = refused(world, save(wb), Snapshot())
    [error] = result.errors
    assert error["row"] == 2
    assert "缺少列：责任人" in error["message"] and "负责人" in error["message"]


def test_extra_and_duplicated_columns_are_refused(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    ws.cell(2, 17, "备注")
    ws.cell(2, 18, "状态")
    result = refused(world, save(wb), Snapshot())
    assert {e["column"] for e in result.errors} == {"备注", "状态"}
    assert all(e["row"] == 2 for e in result.errors)


def test_header_row_is_found_below_extra_title_rows(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    ws.unmerge_cells("A1:P1")
    ws.insert_rows(1, amount=2)
    ws["A1"] = "填报说明：台账编号留空为新增"
    assert run_import(world, save(wb)).as_dict() == {"created": 0, "updated": 0, "errors": []}


def test_no_header_at_all_is_refused(world):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    for c in range(1, len(HEADERS) + 1):
        ws.cell(2, c).value = None
    result = refused(world, save(wb), Snapshot())
    [error] = result.errors
    assert error["row"] == 0 and "没有找到表头" in error["message"]


def test_merged_cells_in_the_data_area_are_refused(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    ws.merge_cells(start_row=4, start_column=COL["责任单位"], end_row=5, end_column=COL["责任单位"])
    result = refused(world, save(wb), Snapshot())
    assert {"row": 4, "column": "责任单位"}.items() <= result.errors[0].items()
    assert "H4:H5" in result.errors[0]["message"] and "合并" in result.errors[0]["message"]


def test_formula_cell_is_refused(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = row_of(ws, ledger[Status.OPEN].code)
    ws.cell(r, COL["整改目标"], '=CONCAT("按期","完成")')
    result = refused(world, save(wb), Snapshot())
    assert result.errors == [
        {
            "row": r,
            "column": "整改目标",
            "message": "单元格含公式，请直接填写内容（可复制后“选择性粘贴 → 值”）",
        }
    ]


def test_text_in_a_date_cell_is_refused(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = append_row(ws, **new_row_values(world, 整改时限="下月底"))
    result = refused(world, save(wb), Snapshot())
    [error] = result.errors
    assert (error["row"], error["column"]) == (r, "整改时限")
    assert "日期" in error["message"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("责任单位", "不存在的委员会", "责任单位“不存在的委员会”不在本区的组织中"),
        ("问题类别", "文山会海", "问题类别“文山会海”不存在"),
        ("责任人", "孙悟空", "责任人“孙悟空”不在本区花名册中"),
        ("责任领导", "赵六（不存在的组织）", "“不存在的组织”中没有名为“赵六”的人员"),
        ("问题来源", "道听途说", "问题来源应为以下之一"),
        ("整改类型", "择期整改", "整改类型应为以下之一"),
        ("状态", "已完成", "状态应为以下之一：待整改、整改中、待销号、已销号、已撤销"),
        ("问题描述", None, "请填写问题描述"),
        ("责任单位", None, "请填写责任单位"),
    ],
)
def test_unknown_names_and_labels_are_refused_by_cell(world, ledger, column, value, message):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = append_row(ws, **new_row_values(world, **{column: value}))
    result = refused(world, save(wb), Snapshot())
    [error] = result.errors
    assert (error["row"], error["column"]) == (r, column)
    assert message in error["message"]


def test_a_name_two_people_share_needs_their_org(world, ledger):
    org_services.person_create(actor=SYSTEM, org=world.a.firm, name="王五", position="职员")
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    bad = append_row(ws, **new_row_values(world, 责任人="王五"))
    result = refused(world, save(wb), Snapshot())
    [error] = result.errors
    assert (error["row"], error["column"]) == (bad, "责任人")
    assert "本区有 2 位“王五”" in error["message"] and "姓名（所在组织）" in error["message"]

    ws.cell(bad, COL["责任人"], f"王五（{world.a.firm.name}）")  # org names have (half) brackets
    assert run_import(world, save(wb)).created == 1
    assert Problem.objects.get(description__startswith="园区道路").owner.org == world.a.firm


def test_deadline_before_found_date_is_refused(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = append_row(ws, **new_row_values(world, 整改时限=dt.date(2020, 1, 31)))
    result = refused(world, save(wb), Snapshot())
    [error] = result.errors
    assert (error["row"], error["column"]) == (r, "整改时限")
    assert error["message"].startswith("整改时限不能早于发现日期")


def test_moving_an_existing_deadline_needs_an_extension(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = row_of(ws, ledger[Status.OPEN].code)
    ws.cell(r, COL["整改时限"], ledger[Status.OPEN].deadline + dt.timedelta(days=10))
    result = refused(world, save(wb), Snapshot())
    assert result.errors == [
        {
            "row": r,
            "column": "整改时限",
            "message": "修改整改时限请在台账中使用“申请延期”，并说明理由",
        }
    ]


def test_status_completion_and_closing_date_cannot_be_imported(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    open_row = row_of(ws, ledger[Status.OPEN].code)
    closed_row = row_of(ws, ledger[Status.CLOSED].code)
    ws.cell(open_row, COL["状态"], "已销号")
    ws.cell(closed_row, COL["完成情况"], "全部完成")
    ws.cell(closed_row, COL["销号日期"], dt.date(2026, 1, 5))
    result = refused(world, save(wb), Snapshot())
    assert [(e["row"], e["column"]) for e in result.errors] == [
        (open_row, "状态"),
        (closed_row, "完成情况"),
        (closed_row, "销号日期"),
    ]
    assert "台账中为“待整改”" in errors_at(result, "状态")[0]["message"]


def test_new_rows_cannot_claim_a_later_status(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = append_row(ws, **new_row_values(world, 状态="已销号", 完成情况="已完成"))
    result = refused(world, save(wb), Snapshot())
    assert sorted((e["row"], e["column"]) for e in result.errors) == [(r, "完成情况"), (r, "状态")]


def test_closed_problems_cannot_be_edited_by_import(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = row_of(ws, ledger[Status.CLOSED].code)
    ws.cell(r, COL["整改措施"], "补充措施")
    ws.cell(r, COL["整改进展"], "补充进展")
    result = refused(world, save(wb), Snapshot())
    [error] = result.errors
    assert (error["row"], error["column"]) == (r, "整改措施")
    assert "问题已销号，不能再修改" in error["message"]


def test_progress_cannot_be_emptied(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = row_of(ws, ledger[Status.IN_PROGRESS].code)
    ws.cell(r, COL["整改进展"]).value = None
    result = refused(world, save(wb), Snapshot())
    assert [(e["row"], e["column"]) for e in result.errors] == [(r, "整改进展")]


def test_duplicate_codes_are_refused(world, ledger):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    first = row_of(ws, ledger[Status.OPEN].code)
    copy = append_row(ws, **{h: ws.cell(first, COL[h]).value for h in HEADERS if h != "序号"})
    result = refused(world, save(wb), Snapshot())
    assert result.errors == [
        {
            "row": copy,
            "column": "台账编号",
            "message": f"台账编号“{ledger[Status.OPEN].code}”与第 {first} 行重复",
        }
    ]


@pytest.mark.parametrize("code", ["ZA-2026-9999", "ZB-2026-0001"])
def test_unknown_or_foreign_codes_are_refused(world, ledger, code):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    if code.startswith("ZB"):
        code = ledger["b"].code  # another zone's problem is unknown here
    r = append_row(ws, 台账编号=code, **new_row_values(world))
    result = refused(world, save(wb), Snapshot())
    assert result.errors == [
        {"row": r, "column": "台账编号", "message": f"台账编号“{code}”不存在；新增问题请留空"}
    ]
    ledger["b"].refresh_from_db()
    assert ledger["b"].description.startswith("测试问题")


def test_ten_thousand_rows_with_one_bad_row_write_nothing(world, categories):
    """Built with XlsxWriter as a big export would be; one row names an
    unknown org. Only pass 1 runs, so this stays quick."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = book.add_worksheet("整改台账")
    ws.write_row(1, 0, HEADERS)
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    deadline = timezone.localdate() + dt.timedelta(days=90)
    for n in range(10_000):
        values = new_row_values(world, 问题描述=f"批量问题 {n}")
        if n == 6543:
            values["责任单位"] = "查无此单位"
        r = n + 2
        ws.write_number(r, 0, n + 1)
        for header, value in values.items():
            if header == "整改时限":
                ws.write_datetime(r, COL[header] - 1, deadline, date)
            else:
                ws.write_string(r, COL[header] - 1, value)
    book.close()
    before = Snapshot()

    result = run_import(world, out.getvalue())

    assert result.errors == [
        {
            "row": 6543 + 3,
            "column": "责任单位",
            "message": "责任单位“查无此单位”不在本区的组织中，请使用“组织与人员”中的组织全称",
        }
    ]
    assert before.unchanged()


def test_a_dry_runs_queries_do_not_grow_with_its_rows(world, ledger):
    """Names, categories and people are loaded once, and the problems the
    codes name are read 500 codes to a query: ten new rows or 1,200 (three
    batches) cost the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(new_rows: int) -> int:
        wb = open_xlsx(export_bytes(world["zone_admin"]))  # the zone's rows, with their codes
        ws = wb["整改台账"]
        for n in range(new_rows):
            values = new_row_values(world, 问题描述=f"批量问题 {n}")
            ws.append([values.get(header) for header in HEADERS])
        data = save(wb)
        with CaptureQueriesContext(connection) as captured:
            result = run_import(world, data, dry_run=True)
        assert result.as_dict() == {"created": new_rows, "updated": 0, "errors": []}
        return len(captured.captured_queries)

    assert queries(10) == queries(1200) == 4  # orgs, categories, people, codes


def test_a_renamed_exe_is_refused_before_reading(world, ledger):
    before = Snapshot()
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(4096)
    with pytest.raises(Invalid) as caught:
        run_import(world, exe)
    assert caught.value.fields == {"file": "文件不是有效的 Excel（.xlsx）文件"}
    assert before.unchanged()


def test_an_oversized_file_is_refused(world, ledger, settings):
    settings.MAX_UPLOAD_MB = 1
    data = export_bytes(world["zone_admin"])
    padded = upload(data + b"\x00" * (1024 * 1024))
    before = Snapshot()
    with pytest.raises(Invalid) as caught:
        import_workbook(actor=world["zone_admin"], zone=world.a.zone, file=padded, dry_run=True)
    assert caught.value.fields == {"file": "文件过大（最大 1 MB）"}
    assert before.unchanged()


def test_a_damaged_xlsx_is_refused_without_a_server_error(world, ledger):
    data = export_bytes(world["zone_admin"])
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            content = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            dst.writestr(item, content)
    with pytest.raises(Invalid) as caught:
        run_import(world, broken.getvalue())
    assert "file" in caught.value.fields


def test_a_service_refusal_while_writing_rolls_everything_back(world, ledger, monkeypatch):
    """A change made between the check and the write (here: a problem
    submitted meanwhile) is caught by the service and undoes the whole file."""
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    target = ledger[Status.IN_PROGRESS]
    r = row_of(ws, target.code)
    ws.cell(r, COL["整改措施"], "更新后的措施")
    append_row(ws, **new_row_values(world))
    data = save(wb)
    real_apply = excel_apply._apply

    def submitted_meanwhile(*args, **kwargs):
        Problem.objects.filter(pk=target.pk).update(status=Status.SUBMITTED)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(excel_apply, "_apply", submitted_meanwhile)
    problems, events = Problem.objects.count(), AuditEvent.objects.count()

    result = run_import(world, data)

    assert result.created == result.updated == 0
    assert [(e["row"], e["column"]) for e in result.errors] == [(r, "整改措施")]
    assert "待销号" in result.errors[0]["message"]
    assert (Problem.objects.count(), AuditEvent.objects.count()) == (problems, events)
    target.refresh_from_db()
    assert target.measures != "更新后的措施"


# Scope -------------------------------------------------------------------------------------


def test_importing_into_another_zone_is_not_found(world, ledger):
    data = export_bytes(world["zone_admin"])
    with pytest.raises(NotFound):
        run_import(world, data, zone=world.b.zone)


@pytest.mark.parametrize("role", ["liaison", "secretary", "supervisor", "leader", "national"])
def test_only_zone_admins_may_import(world, ledger, role):
    data = export_bytes(world["zone_admin"])
    with pytest.raises(Forbidden):
        run_import(world, data, actor=world[role], dry_run=True)


def test_system_admin_may_import_into_any_zone(world, ledger):
    wb = open_xlsx(export_bytes(world["sysadmin"], {"zone": str(world.b.zone.pk)}))
    ws = wb["整改台账"]
    ws.cell(3, COL["整改目标"], "乙区目标已调整")
    result = run_import(world, save(wb), actor=world["sysadmin"], zone=world.b.zone)
    assert result.as_dict() == {"created": 0, "updated": 1, "errors": []}
    ledger["b"].refresh_from_db()
    assert ledger["b"].goal == "乙区目标已调整"


# Dates at the edges of the allowed range -----------------------------------------------


def test_dates_at_the_edges_of_the_range_make_the_round_trip(world, make_problem):
    problem = make_problem(world, deadline=dt.date(2100, 12, 31))
    Problem.objects.filter(pk=problem.pk).update(found_on=dt.date(1990, 1, 1))

    data = export_bytes(world["zone_admin"])
    ws = open_xlsx(data)["整改台账"]
    assert ws.cell(row_of(ws, problem.code), COL["整改时限"]).value.date() == dt.date(2100, 12, 31)

    result = run_import(world, data, dry_run=True)
    assert result.as_dict() == {"created": 0, "updated": 0, "errors": []}


def test_an_imported_date_past_2100_is_refused_at_its_cell(world, categories):
    wb = open_xlsx(export_bytes(world["zone_admin"]))
    ws = wb["整改台账"]
    r = append_row(ws, **new_row_values(world, 整改时限=dt.date(2101, 1, 1)))
    before = Snapshot()

    result = run_import(world, save(wb))

    assert [(e["row"], e["column"], e["message"]) for e in result.errors] == [
        (r, "整改时限", "整改时限应在 1990-01-01 至 2100-12-31 之间")
    ]
    assert before.unchanged()
