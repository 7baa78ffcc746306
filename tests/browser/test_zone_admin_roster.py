"""A zone admin imports a roster in a real browser: log in, open the org tree,
download the template, upload a file with mistakes, fix it, confirm."""

from __future__ import annotations

import re

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from shiji.audit.models import AuditEvent
from shiji.orgs.models import Organization, Person
from tests.browser.conftest import sign_in


def write_roster(path, *, orgs, people) -> None:
    wb = Workbook()
    for index, (title, headers, rows) in enumerate(
        (
            ("组织", ["组织名称", "上级组织", "组织类型", "领域"], orgs),
            ("人员", ["姓名", "所属组织", "职务", "是否党员", "联系电话"], people),
        )
    ):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        ws.append([f"甲高新区{title}花名册"])
        ws.append(headers)
        for row in rows:
            ws.append(row)
    wb.save(path)


@pytest.mark.browser
def test_zone_admin_imports_a_roster_from_the_org_tree(
    world, live_server, page, artifacts, tmp_path
):
    a = world.a
    good = tmp_path / "花名册.xlsx"
    orgs = [
        ["星河科技有限公司党支部", "星河集团党委", "党支部", "非公企业"],
        ["星河集团党委", a.econ.name, "党委", "非公企业"],
    ]
    people = [
        ["周一", "星河科技有限公司党支部", "党支部书记", "是", "13800000001"],
        ["吴二", "星河科技有限公司党支部", "党务联络员", "否", ""],
        ["郑三", "星河集团党委", "委员", "是", ""],
    ]
    write_roster(good, orgs=orgs, people=people)
    bad = tmp_path / "有错误的花名册.xlsx"
    write_roster(
        bad,
        orgs=[*orgs, ["星河集团党委", "不存在的党委", "党委", "国企"]],
        people=[*people, ["冯五", "没有的支部", "干部", "也许", ""]],
    )

    sign_in(page, live_server, "zone_admin")
    expect(page.get_by_role("link", name="组织与人员")).to_be_visible()

    # The org tree: collapse and expand.
    page.get_by_role("link", name="组织与人员").click()
    expect(page.get_by_role("heading", name="组织与人员")).to_be_visible()
    dept = page.get_by_role("link", name=a.dept.name, exact=True)
    expect(dept).to_be_visible()
    page.get_by_role("button", name="全部收起").click()
    expect(dept).to_be_hidden()
    page.get_by_role("button", name="全部展开").click()
    expect(dept).to_be_visible()
    organ_toggle = page.locator(f'li[data-org="{a.organ.pk}"] > .sj-node [data-sj-toggle]')
    organ_toggle.click()
    expect(dept).to_be_hidden()
    expect(organ_toggle).to_have_attribute("aria-expanded", "false")
    organ_toggle.click()
    expect(dept).to_be_visible()

    # To the import page; the template downloads as a workbook.
    page.get_by_role("link", name="导入花名册").click()
    expect(page.get_by_role("heading", name="导入花名册")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载模板").first.click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    assert template.name.endswith(".xlsx")
    assert load_workbook(template).sheetnames == ["组织", "人员"]

    before = (Organization.objects.count(), Person.objects.count(), AuditEvent.objects.count())

    # Not a workbook at all: said next to the file input.
    fake = tmp_path / "花名册.xlsx.txt"
    fake.write_text("姓名,所属组织\n张三,机关党委\n", encoding="utf-8")
    page.set_input_files("#id_file", str(fake))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#id_file_error")).to_have_text("文件不是有效的 Excel（.xlsx）文件")
    page.screenshot(path=artifacts / "roster-bad-file.png", full_page=True)

    # A file with mistakes: every problem by sheet, row and column; nothing written.
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="上传并检查").click()
    errors = page.locator("#sj-roster-errors")
    expect(errors).to_be_visible()
    expect(page.get_by_text("未导入任何数据")).to_be_visible()
    expect(errors).to_contain_text("组织名称“星河集团党委”重复出现")
    expect(errors).to_contain_text("所属组织“没有的支部”不存在")
    expect(errors).to_contain_text("是否党员请填写“是”或“否”")
    page.screenshot(path=artifacts / "roster-errors.png", full_page=True)
    assert before == (
        Organization.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    )

    # The corrected file: a preview, then the import.
    page.set_input_files("#id_file", str(good))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_text("试导入结果：检查通过")).to_be_visible()
    counts = page.locator("#sj-roster-counts")
    expect(counts).to_contain_text(re.compile(r"2\s*个组织将新建"))
    expect(counts).to_contain_text(re.compile(r"3\s*名人员将新建"))
    page.screenshot(path=artifacts / "roster-dry-run.png", full_page=True)
    assert Organization.objects.count() == before[0]

    page.get_by_role("button", name="确认导入").click()
    expect(page).to_have_url(re.compile(rf"/orgs/\?zone={a.zone.pk}$"))
    expect(page.get_by_text("花名册已导入：新建 2 个组织")).to_be_visible()

    # The new orgs sit in the tree with their people counts (own / subtree).
    group = Organization.objects.get(zone=a.zone, name="星河集团党委")
    branch = Organization.objects.get(zone=a.zone, name="星河科技有限公司党支部")
    group_node = page.locator(f'li[data-org="{group.pk}"] > .sj-node')
    branch_node = page.locator(f'li[data-org="{branch.pk}"] > .sj-node')
    expect(group_node).to_contain_text("1 / 3 人")
    expect(branch_node).to_contain_text("2 / 2 人")
    branch_node.get_by_role("link", name=branch.name).click()
    expect(page.locator("#sj-org-people")).to_contain_text("周一")
    page.screenshot(path=artifacts / "roster-tree.png", full_page=True)
    assert AuditEvent.objects.filter(action="roster.import").count() == 1
