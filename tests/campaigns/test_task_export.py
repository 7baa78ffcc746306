"""The task list workbook (任务清单: a row per task with its assignments
summarised, the per-organization detail on a second sheet) and the org ×
task matrix workbook: what they hold, that they cover what the page shows,
their file names, and that they print on A4."""

from __future__ import annotations

import io
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shiji.campaigns import excel
from shiji.campaigns.models import TaskAssignment
from tests.campaigns.test_task_pages import accept
from tests.campaigns.test_tasks import report
from tests.paper import assert_prints_on_a4, page_numbers_printed, print_to_pdf


def download(client, name: str, params=None):
    response = client.get(reverse(name), params or {})
    assert response.status_code == 200, response.content[:300]
    assert response["Cache-Control"] == "private, no-store"  # a zone's records
    return response, load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(ws, header_row: int) -> list[dict]:
    headers = [c.value for c in ws[header_row]]
    return [
        dict(zip(headers, row, strict=True))
        for row in ws.iter_rows(min_row=header_row + 1, values_only=True)
    ]


def attachment_name(response) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition  # RFC 5987, for the Chinese name
    return disposition


# The task list -----------------------------------------------------------------------


def test_each_task_is_one_row_with_its_assignments_summarised(world, make_task, login):
    late = make_task(sectors=["organ", "private"], days=-3, title="超期任务")
    fine = make_task(sectors=["organ"], days=20, title="未到期任务")
    accept(world, TaskAssignment.objects.get(task=late, org=world.a.dept))
    report(world, TaskAssignment.objects.get(task=fine, org=world.a.dept))

    response, book = download(login(world["zone_admin"]), "campaigns:tasks_export")

    assert book.sheetnames == ["任务清单", "分单位明细"]
    ws = book["任务清单"]
    assert ws["A1"].value == "甲高新区任务清单"
    tasks = rows_of(ws, 2)
    assert [t["任务"] for t in tasks] == ["超期任务", "未到期任务"]
    # 超期任务 went to 机关党委, its branch, the 经济(社会)组织党委 and its firm.
    assert tasks[0]["完成情况"] == "应完成 4 个单位，已完成 1，逾期 3"
    assert tasks[0]["逾期未完成的单位"] == "、".join(
        [world.a.organ.name, world.a.econ.name, world.a.firm.name]
    )
    assert tasks[1]["完成情况"] == "应完成 2 个单位，已完成 0，待审核 1"
    assert tasks[1]["逾期未完成的单位"] is None
    assert tasks[0]["完成时限"].date() == late.deadline
    assert "高新区" not in tasks[0]  # one zone: no zone column

    detail = rows_of(book["分单位明细"], 2)
    assert len(detail) == 6
    assert {
        (d["任务"], d["单位"], d["状态"]) for d in detail if d["单位"] == world.a.dept.name
    } == {
        ("超期任务", world.a.dept.name, "已通过"),
        ("未到期任务", world.a.dept.name, "已报送"),
    }
    assert {d["红黄绿灯"] for d in detail if d["任务"] == "超期任务" and d["状态"] != "已通过"} == {
        "红灯"
    }

    today = timezone.localdate().isoformat()
    assert quote(f"甲高新区-任务清单-{today}.xlsx") in attachment_name(response)


def test_task_titles_stay_literal_text_and_dates_are_dates(world, make_task, login):
    task = make_task(title='=HYPERLINK("http://x")')
    _, book = download(login(world["zone_admin"]), "campaigns:tasks_export")
    ws = book["任务清单"]
    assert ws["C3"].value == task.title and ws["C3"].data_type == "s" and ws["C3"].quotePrefix
    assert ws["E3"].is_date and ws["E3"].value.date() == task.deadline
    detail = book["分单位明细"]
    assert detail["B3"].value == task.title and detail["B3"].quotePrefix


def test_the_export_covers_the_zone_and_filter_the_page_shows(world, make_task, login):
    make_task(title="甲区任务")
    make_task(zone="b", title="乙区任务")
    make_task(zone="b", title="乙区国企任务", sectors=["soe"])
    client = login(world["national"])

    # Several zones in sight: the page shows one (the first, or the chosen).
    page = client.get(reverse("campaigns:tasks"), {"zone": world.b.zone.pk, "sector": "soe"})
    assert "乙区国企任务" in page.content.decode()
    response, book = download(
        client, "campaigns:tasks_export", {"zone": world.b.zone.pk, "sector": "soe"}
    )
    assert [t["任务"] for t in rows_of(book["任务清单"], 2)] == ["乙区国企任务"]
    assert book["任务清单"]["A1"].value == "乙高新区任务清单"
    assert quote("乙高新区-任务清单-") in attachment_name(response)

    _, default = download(client, "campaigns:tasks_export")
    shown = client.get(reverse("campaigns:tasks")).content.decode()
    titles = [t["任务"] for t in rows_of(default["任务清单"], 2)]
    assert titles and all(t in shown for t in titles)


def test_the_task_export_prints_on_a4_landscape(world, make_task, login):
    make_task(title="召开专题民主生活会，" * 6, sectors=["organ", "private"])
    _, book = download(login(world["zone_admin"]), "campaigns:tasks_export")
    for ws in book.worksheets:
        assert_prints_on_a4(ws, landscape=True, header_rows="$2:$2")
        assert ws.oddHeader.left.text == "甲高新区"
        assert ws.oddHeader.right.text.startswith("导出日期：")


# The matrix --------------------------------------------------------------------------


def test_the_matrix_page_offers_its_export_with_what_it_shows(world, make_task, login, campaign):
    make_task(title="学习任务")
    client = login(world["zone_admin"])
    arrangement = campaign.arrangements.get(code="study")
    html = client.get(reverse("campaigns:matrix"), {"arrangement": arrangement.pk}).content.decode()
    href = f"{reverse('campaigns:matrix_export')}?arrangement={arrangement.pk}"
    assert f'id="sj-matrix-export" href="{href}"' in html


def test_the_matrix_export_is_the_page_as_a_workbook(world, make_task, login, campaign):
    late = make_task(sectors=["organ", "private"], days=-3, title="超期任务")
    make_task(sectors=["organ"], days=3, title="临期任务")
    other = make_task(
        sectors=["organ"],
        title="另一安排的任务",
        arrangement=campaign.arrangements.get(code="rectify"),
    )
    accept(world, TaskAssignment.objects.get(task=late, org=world.a.dept))
    client = login(world["zone_admin"])
    study = campaign.arrangements.get(code="study")

    response, book = download(client, "campaigns:matrix_export", {"arrangement": study.pk})

    ws = book["任务进度总览"]
    assert ws["A1"].value == "甲高新区任务进度总览"
    assert [c.value for c in ws[2]] == ["单位", "1. 超期任务", "2. 临期任务", "已通过 / 分派"]
    rows = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert rows == [
        [world.a.organ.name, "待完成（超期）", "待完成（临期）", "0 / 2"],
        ["\u3000" + world.a.dept.name, "已通过", "待完成（临期）", "1 / 2"],
        [world.a.econ.name, "待完成（超期）", "—", "0 / 1"],
        ["\u3000" + world.a.firm.name, "待完成（超期）", "—", "0 / 1"],
        ["合计（已通过 / 分派）", "1 / 4", "0 / 2", None],
    ]
    assert other.title not in str(rows)
    assert quote("甲高新区-任务进度总览-") in attachment_name(response)
    assert_prints_on_a4(ws, landscape=False, header_rows="$2:$2")  # two tasks: upright


def test_a_branch_secretary_exports_only_their_own_row(world, make_task, login):
    make_task(sectors=["organ", "private"])
    _, book = download(login(world["secretary"]), "campaigns:matrix_export")
    rows = list(book["任务进度总览"].iter_rows(min_row=3, values_only=True))
    assert [r[0].strip("\u3000") for r in rows[:-1]] == [world.a.dept.name]


def test_more_tasks_than_fit_across_a_page_go_on_further_sheets(world, make_task, login):
    per_sheet = excel.MATRIX_TASKS_PER_SHEET
    for n in range(per_sheet + 2):
        make_task(title=f"任务{n + 1:02d}", days=10 + n)
    _, book = download(login(world["zone_admin"]), "campaigns:matrix_export")
    assert book.sheetnames == [
        f"任务进度总览（1-{per_sheet}）",
        f"任务进度总览（{per_sheet + 1}-{per_sheet + 2}）",
    ]
    second = book.worksheets[1]
    assert [c.value for c in second[2]] == [
        "单位",
        f"{per_sheet + 1}. 任务{per_sheet + 1:02d}",
        f"{per_sheet + 2}. 任务{per_sheet + 2:02d}",
        "已通过 / 分派",
    ]
    assert_prints_on_a4(book.worksheets[0], landscape=True, header_rows="$2:$2")
    assert_prints_on_a4(second, landscape=False, header_rows="$2:$2")  # narrow: upright


def test_the_matrix_export_is_refused_without_the_right_and_outside_scope(world, make_task, login):
    make_task(zone="b")
    assert login(world["nobody"]).get(reverse("campaigns:matrix_export")).status_code == 403
    client = login(world["zone_admin"])
    assert (
        client.get(reverse("campaigns:matrix_export"), {"zone": world.b.zone.pk}).status_code == 404
    )


def test_libreoffice_prints_the_task_list_across_a4_pages_whole(
    world, make_task, login, tmp_path, libreoffice_profile
):
    titles = [
        f"第{n}项任务：" + "对照正确政绩观要求检视本单位投资决策和经营业绩考核，形成问题清单。" * n
        for n in range(1, 6)
    ]
    for title in titles:
        make_task(title=title[:200], sectors=["organ", "private"], days=-1)
    _, book = download(login(world["zone_admin"]), "campaigns:tasks_export")
    out = io.BytesIO()
    book.save(out)  # as downloaded: openpyxl keeps what the file says

    pdf = print_to_pdf(
        out.getvalue(), name="任务清单", workdir=tmp_path, profile=libreoffice_profile
    )

    assert pdf.landscape and page_numbers_printed(pdf)
    assert min(pdf.printed_sizes()) >= 9.0 - 0.05
    assert not pdf.overprinted(), pdf.overprinted()[:3]
    for title in titles:
        assert pdf.cell_text(title[:200]) == title[:200]
    # Both sheets: the tasks, then the detail.
    assert {"甲高新区任务清单", "甲高新区任务清单（分单位明细）"} <= {w.text for w in pdf.words}
