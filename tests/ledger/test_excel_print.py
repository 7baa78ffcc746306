"""The ledger workbook on paper: the contract's workbook and its 打印版
print across one A4 page in landscape with text of at least 9 pt, every row
as tall as its text, the header on every page, page numbers, 填报单位 and
填报日期; across several zones a 高新区 column, which the import reads.
Checked with openpyxl, and by printing through LibreOffice."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shiji.core.xlsx import chinese_date
from shiji.ledger import services
from shiji.ledger.excel import HEADERS, export_workbook
from shiji.ledger.models import Status
from tests.ledger.test_excel import Snapshot, open_xlsx, run_import, save
from tests.paper import assert_prints_on_a4, page_numbers_printed, print_to_pdf

PRINT_HEADERS = [
    "序号",
    "台账编号",
    "问题描述",
    "整改措施",
    "责任单位",
    "责任领导",
    "责任人",
    "整改时限",
    "整改进展 / 完成情况",
    "状态 / 销号日期",
]
# Problem descriptions as people write them: short and long, with numbers,
# Latin letters, quotes and line breaks (and no spaces, so that the PDF's
# words can be matched back to the text).
TEXTS = [
    "园区主干道旁长期堆放建筑垃圾，群众反映强烈。",
    "“景观亮化”工程重外观轻实效：2025年投入资金约1200万元，建成后部分路段灯带长期不开，"
    "年维护费用约120万元，群众认为是形象工程，审计也已指出资金使用效益不高的问题。",
    "项目审批久拖不决：企业反映一个技改项目的环评、能评和规划许可前后用了9个月，"
    "各部门之间材料重复提交，“最多跑一次”没有落实到位。",
    "新官不理旧账：前任班子与ABC科技公司签订的招商协议约定的奖补资金3年未兑现，\n"
    "企业多次反映无人答复，影响政府公信力和营商环境。",
    "政企圆桌会上企业提出的12条意见建议中，有5条超过60天未答复，"
    "答复内容空泛、避重就轻，企业不满意。" * 3,
    "考核指标重显绩轻潜绩，GDP和招商引资金额权重过高（合计约60%），"
    "科技创新、生态环境、民生改善等指标权重偏低，导致部分单位热衷于短期见效的项目。" * 2,
]


@pytest.fixture
def problems(world, make_problem):
    """Zone A's problems with the TEXTS, in different states; one in zone B."""
    made = []
    for n, text in enumerate(TEXTS, start=1):
        status = [None, Status.IN_PROGRESS, Status.CLOSED][n % 3]
        made.append(
            make_problem(
                world,
                description=f"第{n}号问题：{text}",
                measures=f"第{n}号措施：建立台账，逐项明确责任单位、责任人和整改时限。"
                * (n % 3 + 1),
                status=status,
            )
        )
    services.problem_add_progress(
        actor=world["zone_admin"], problem=made[0], text="已完成第一轮排查\r\n正在整改"
    )
    made.append(make_problem(world, zone="b", description="乙区的问题：道路破损"))
    return made


def export(user, params=None) -> bytes:
    out = io.BytesIO()
    export_workbook(user=user, params=params or {}, out=out)
    return out.getvalue()


# The contract's workbook -------------------------------------------------------------


def test_the_ledger_prints_across_one_a4_page_at_9_pt_or_more(world, problems):
    ws = open_xlsx(export(world["zone_admin"]))["整改台账"]

    # The contract, unchanged: the sheet, the merged title, the sixteen headers.
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:P1"]
    assert [c.value for c in ws[2]] == HEADERS
    scale, smallest = assert_prints_on_a4(ws, landscape=True, header_rows="$2:$2")
    assert scale < 100 and smallest >= 9.0
    # 填报单位 and 填报日期 head every page (rows 1 and 2 are the contract's).
    assert ws.oddHeader.left.text == "填报单位：甲高新区"
    assert ws.oddHeader.right.text == f"填报日期：{chinese_date(timezone.localdate())}"


def test_each_row_is_as_tall_as_its_longest_text(world, problems):
    ws = open_xlsx(export(world["zone_admin"]))["整改台账"]
    heights = {
        ws.cell(r, 5).value.split("：")[0]: ws.row_dimensions[r].height
        for r in range(3, ws.max_row + 1)
    }
    assert heights["第6号问题"] > heights["第2号问题"] > heights["第1号问题"] >= 2 * 10 * 1.2
    assert max(heights.values()) <= 409  # Excel's limit


def test_an_export_across_zones_adds_a_zone_column_after_the_sixteen(world, problems):
    ws = open_xlsx(export(world["sysadmin"]))["整改台账"]
    headers = [c.value for c in ws[2]]
    assert headers == [*HEADERS, "高新区"]
    zones = {ws.cell(r, 2).value[:2]: ws.cell(r, 17).value for r in range(3, ws.max_row + 1)}
    assert zones == {"ZA": "甲高新区", "ZB": "乙高新区"}
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:Q1"]
    assert ws.oddHeader.left.text == "填报单位：各高新区"
    assert_prints_on_a4(ws, landscape=True, header_rows="$2:$2")


def test_the_import_reads_the_zone_column_and_refuses_another_zones_rows(world, problems):
    data = export(world["sysadmin"])
    wb = open_xlsx(data)
    ws = wb["整改台账"]
    theirs = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 17).value == "乙高新区")
    before = Snapshot()

    result = run_import(world, data)

    assert result.errors == [
        {
            "row": theirs,
            "column": "高新区",
            "message": "这一行是“乙高新区”的问题，不能导入甲高新区的台账："
            "请只保留甲高新区的行，其他高新区的行分别导入",
        }
    ]
    assert before.unchanged()
    # Zone A's rows alone, with their 高新区 column, import back unchanged.
    ws.delete_rows(theirs)
    assert run_import(world, save(wb)).as_dict() == {"created": 0, "updated": 0, "errors": []}
    assert before.unchanged()


# The 打印版 ------------------------------------------------------------------------


def test_the_print_version_has_the_readers_columns_under_a_filled_in_line(world, problems):
    ws = open_xlsx(export(world["zone_admin"], {"version": "print"}))["整改台账（打印版）"]

    assert ws["A1"].value.endswith("问题整改台账")
    assert ws["A2"].value == "填报单位：甲高新区"
    assert ws["F2"].value == f"填报日期：{chinese_date(timezone.localdate())}"
    assert [c.value for c in ws[3]] == PRINT_HEADERS
    rows = {
        row[2].split("：")[0]: dict(zip(PRINT_HEADERS, row, strict=True))
        for row in ws.iter_rows(min_row=4, values_only=True)
    }
    assert len(rows) == len(TEXTS)
    closed = rows["第2号问题"]
    closed_problem = problems[1]
    closed_problem.refresh_from_db()
    assert closed["整改进展 / 完成情况"] == closed_problem.completion_note
    assert closed["状态 / 销号日期"] == f"已销号\n{closed_problem.closed_on:%Y-%m-%d}"
    working = rows["第1号问题"]
    assert working["状态 / 销号日期"] == "整改中"
    _, smallest = assert_prints_on_a4(ws, landscape=True, header_rows="$3:$3")
    assert smallest >= 9.5  # larger than the full workbook's


def test_the_print_version_cannot_be_imported(world, problems):
    before = Snapshot()
    result = run_import(world, export(world["zone_admin"], {"version": "print"}))
    assert [e["message"] for e in result.errors] == [
        "这是整改台账的打印版，只供打印，不能导入：请在台账页点击“导出 Excel”，"
        "在导出的文件中修改后再导入"
    ]
    assert before.unchanged()


def test_the_ledger_page_offers_the_print_version(world, problems, login):
    client = login(world["zone_admin"])
    html = client.get(reverse("ledger:list"), {"status": "closed"}).content.decode()
    href = f"{reverse('ledger:export')}?status=closed&amp;version=print"
    assert f'href="{href}" data-sj-export-print' in html
    response = client.get(reverse("ledger:export"), {"status": "closed", "version": "print"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["整改台账（打印版）"]
    assert book.active.max_row == 3 + 2  # the two closed problems
    name = f"甲高新区-问题整改台账（打印版）-{timezone.localdate().isoformat()}.xlsx"
    assert quote(name) in response["Content-Disposition"]


# Printed by LibreOffice -------------------------------------------------------------


@pytest.mark.parametrize("version", ["", "print"], ids=["workbook", "print-version"])
def test_libreoffice_prints_every_text_whole_without_overprinting(
    world, problems, tmp_path, libreoffice_profile, version
):
    data = export(world["zone_admin"], {"version": version} if version else {})
    pdf = print_to_pdf(
        data,
        name=f"整改台账-{version or 'workbook'}",
        workdir=tmp_path,
        profile=libreoffice_profile,
    )

    assert pdf.landscape and len(pdf.pages) >= 2
    assert page_numbers_printed(pdf)
    sizes = pdf.printed_sizes()
    assert min(sizes) >= 9.0 - 0.05, f"text printed at {min(sizes):.2f} pt"
    assert not pdf.overprinted(), pdf.overprinted()[:3]
    for problem in problems[:-1]:
        assert pdf.cell_text(problem.description) == problem.description.replace("\n", "")
    # The header row on every page.
    for page in range(1, len(pdf.pages) + 1):
        assert "问题描述" in {w.text for w in pdf.words if w.page == page}
