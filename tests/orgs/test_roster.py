"""Roster import: template download, dry run, all-or-nothing import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from shiji.audit.models import AuditEvent
from shiji.core.errors import Forbidden, Invalid, NotFound
from shiji.core.models import StagedUpload
from shiji.core.staging import staged_purge
from shiji.orgs import services
from shiji.orgs.models import Organization, Person
from shiji.orgs.roster import (
    ORG_HEADERS,
    PEOPLE_HEADERS,
    roster_import,
    roster_parse,
    roster_template_bytes,
)
from tests.conftest import make_user

IMPORT = "/orgs/roster/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_file(
    orgs=(),
    people=(),
    *,
    org_headers=ORG_HEADERS,
    people_headers=PEOPLE_HEADERS,
    title=True,
    name="花名册.xlsx",
) -> SimpleUploadedFile:
    """A roster as a user would fill it: a title row, the headers, the rows."""
    wb = Workbook()
    sheets = (("组织", org_headers, orgs), ("人员", people_headers, people))
    for index, (sheet, headers, rows) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = sheet
        if title:
            ws.append([f"{sheet}花名册（填写说明）"])
        ws.append(list(headers))
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def good_file(world) -> SimpleUploadedFile:
    econ = world.a.econ.name
    return workbook_file(
        orgs=[
            # The child comes before its parent: the import orders by dependency.
            ["星河科技有限公司党支部", "星河集团党委", "党支部", "非公企业"],
            ["星河集团党委", econ, "党委", "非公企业"],
            ["甲高新区青年创新联合会", "", "部门", "社会组织"],
        ],
        people=[
            ["周一", "星河科技有限公司党支部", "党支部书记", "是", 13800000001],
            ["吴二", "星河科技有限公司党支部", "党务联络员", "否", ""],
            ["郑三", "星河集团党委", "委员", "是", "0512-6688 0000"],
            ["孙四", world.a.dept.name, "科员", "是", ""],
        ],
    )


def snapshot_counts() -> tuple[int, int, int, int]:
    return (
        Organization.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
        StagedUpload.objects.count(),
    )


def dry_run(client, world, upload):
    return client.post(IMPORT, {"zone": world.a.zone.pk, "file": upload})


# The template --------------------------------------------------------------------------


def test_template_downloads_as_a_real_workbook_that_parses_back(world, login):
    client = login(world["zone_admin"])
    response = client.get(f"/orgs/roster/template/?zone={world.a.zone.pk}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)

    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["组织", "人员"]
    assert [c.value for c in wb["组织"][2]] == ORG_HEADERS
    assert [c.value for c in wb["人员"][2]] == PEOPLE_HEADERS
    assert wb["组织"]["A3"].value.startswith("【示例】")
    lists = {
        (sheet, str(v.sqref)): v.formula1
        for sheet in ("组织", "人员")
        for v in wb[sheet].data_validations.dataValidation
    }
    assert lists == {
        ("组织", "C3:C2000"): '"党工委,党委,党总支,党支部,部门,企业"',
        ("组织", "D3:D2000"): '"机关,国企,事业单位,非公企业,社会组织"',
        ("人员", "D3:D2000"): '"是,否"',
    }

    # Untouched, it holds only examples, which the import skips.
    plan = roster_parse(SimpleUploadedFile("t.xlsx", data), world.a.zone)
    assert [e["message"] for e in plan.errors] == [
        "花名册中没有可导入的数据：“组织”和“人员”两个工作表都没有填写数据行（带【示例】的行不算）"
    ]


def test_a_filled_in_template_imports(world):
    wb = load_workbook(io.BytesIO(roster_template_bytes(zone=world.a.zone)))
    wb["组织"].append(["甲高新区数据局党支部", world.a.organ.name, "党支部", "机关"])
    wb["人员"].append(["冯五", "甲高新区数据局党支部", "局长", "是", "13900000000"])
    out = io.BytesIO()
    wb.save(out)
    plan = roster_import(
        actor=world["zone_admin"],
        zone=world.a.zone,
        file=SimpleUploadedFile("r.xlsx", out.getvalue()),
    )
    assert plan.counts["orgs_created"] == 1 and plan.counts["people_created"] == 1
    branch = Organization.objects.get(zone=world.a.zone, name="甲高新区数据局党支部")
    assert branch.parent == world.a.organ
    assert branch.people.get().phone == "13900000000"


# A good import ------------------------------------------------------------------------------


def test_dry_run_previews_and_writes_nothing_then_confirm_imports_with_audit(world, login):
    client = login(world["zone_admin"])
    before_orgs, before_people, before_events, _ = snapshot_counts()
    last = AuditEvent.objects.last().pk

    response = dry_run(client, world, good_file(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert "试导入结果：检查通过" in body
    assert "个组织将新建" in body and "确认导入" in body
    assert "星河科技有限公司党支部" in body
    # The dry run writes nothing but the parked upload.
    assert (Organization.objects.count(), Person.objects.count()) == (before_orgs, before_people)
    assert AuditEvent.objects.count() == before_events
    staged = StagedUpload.objects.get()
    assert staged.uploaded_by == world["zone_admin"] and staged.purpose == "roster"
    assert f"/orgs/roster/confirm/{staged.pk}/" in body

    response = client.post(f"/orgs/roster/confirm/{staged.pk}/", {"zone": world.a.zone.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/?zone={world.a.zone.pk}"

    zone = world.a.zone
    group = Organization.objects.get(zone=zone, name="星河集团党委")
    branch = Organization.objects.get(zone=zone, name="星河科技有限公司党支部")
    league = Organization.objects.get(zone=zone, name="甲高新区青年创新联合会")
    assert group.parent == world.a.econ and group.kind == "committee"
    assert branch.parent == group and branch.sector == "private"
    assert branch.path.startswith(group.path) and branch.depth == group.depth + 1
    assert league.parent is None and league.sector == "social"
    zhou = Person.objects.get(org=branch, name="周一")
    assert (zhou.position, zhou.is_party_member, zhou.phone) == ("党支部书记", True, "13800000001")
    assert Person.objects.get(org=branch, name="吴二").is_party_member is False
    assert Person.objects.get(org=group, name="郑三").phone == "0512-6688 0000"
    assert Person.objects.filter(org=world.a.dept, name="孙四").exists()

    new = AuditEvent.objects.filter(pk__gt=last)
    actions = list(new.values_list("action", flat=True))
    assert actions.count("org.create") == 3
    assert actions.count("person.create") == 4
    assert actions[-1] == "roster.import"
    summary = new.get(action="roster.import")
    assert summary.actor == world["zone_admin"] and summary.zone_id == zone.pk
    assert summary.changes["orgs_created"] == [None, 3]
    assert summary.changes["people_created"] == [None, 4]
    assert summary.changes["file"] == [None, "花名册.xlsx"]
    assert len(summary.changes["sha256"][1]) == 64
    assert set(new.values_list("actor", flat=True)) == {world["zone_admin"].pk}
    assert not StagedUpload.objects.exists()  # consumed

    tree = client.get(response["Location"]).content.decode()
    assert "花名册已导入：新建 3 个组织、更新 0 个组织，新建 4 名人员、更新 0 名人员。" in tree
    assert "星河集团党委" in tree and "甲高新区青年创新联合会" in tree


def test_reimporting_the_same_file_changes_nothing(world):
    admin = world["zone_admin"]
    roster_import(actor=admin, zone=world.a.zone, file=good_file(world))
    orgs, people = Organization.objects.count(), Person.objects.count()
    last = AuditEvent.objects.last().pk

    plan = roster_parse(good_file(world), world.a.zone)
    assert plan.ok and not plan.has_changes
    assert plan.counts["orgs_unchanged"] == 3 and plan.counts["people_unchanged"] == 4

    roster_import(actor=admin, zone=world.a.zone, file=good_file(world))
    assert (Organization.objects.count(), Person.objects.count()) == (orgs, people)
    assert list(AuditEvent.objects.filter(pk__gt=last).values_list("action", flat=True)) == [
        "roster.import"
    ]


def test_unchanged_file_offers_no_confirm_button(world, login):
    roster_import(actor=world["zone_admin"], zone=world.a.zone, file=good_file(world))
    response = dry_run(login(world["zone_admin"]), world, good_file(world))
    body = response.content.decode()
    assert "没有需要导入的变更" in body and "确认导入" not in body
    assert not StagedUpload.objects.exists()


def test_existing_orgs_and_people_are_updated_not_duplicated(world):
    a = world.a
    zhao = Person.objects.get(org=a.firm, name="赵六")
    services.person_update(actor=world["zone_admin"], person=zhao, is_active=False)
    upload = workbook_file(
        # Move the firm's branch under the SOE committee and reclassify it.
        orgs=[[a.firm.name, a.soe.name, "党总支", "国企"]],
        people=[
            ["赵六", a.firm.name, "支部书记", "否", "13700000000"],
            ["钱七", a.firm.name, "干部", "是", ""],  # as the fixture made him
        ],
    )
    plan = roster_parse(upload, a.zone)
    assert plan.ok
    assert plan.orgs[0].changes == {
        "组织类型": ["党支部", "党总支"],
        "领域": ["非公企业", "国企"],
        "上级组织": [a.econ.name, a.soe.name],
    }
    assert plan.counts == {
        "orgs_created": 0,
        "orgs_updated": 1,
        "orgs_unchanged": 0,
        "people_created": 0,
        "people_updated": 1,
        "people_unchanged": 1,
    }
    last = AuditEvent.objects.last().pk

    roster_import(actor=world["zone_admin"], zone=a.zone, file=upload)

    firm = Organization.objects.get(pk=a.firm.pk)
    assert (firm.kind, firm.sector, firm.parent_id) == ("general_branch", "soe", a.soe.pk)
    assert firm.path.startswith(Organization.objects.get(pk=a.soe.pk).path)
    zhao.refresh_from_db()
    assert (zhao.position, zhao.is_party_member, zhao.phone, zhao.is_active) == (
        "支部书记",
        False,
        "13700000000",
        True,
    )
    assert Person.objects.filter(org=a.firm).count() == 2
    events = AuditEvent.objects.filter(pk__gt=last)
    assert list(events.values_list("action", flat=True)) == [
        "org.update",
        "person.update",
        "roster.import",
    ]
    assert events[0].changes["kind"] == ["branch", "general_branch"]


def test_moving_orgs_is_ordered_so_a_former_child_can_become_the_parent(world):
    a = world.a
    # Today: organ > dept. Wanted: dept at the top, organ under it.
    upload = workbook_file(
        orgs=[
            [a.organ.name, a.dept.name, "党委", "机关"],
            [a.dept.name, "", "党支部", "机关"],
        ]
    )
    roster_import(actor=world["zone_admin"], zone=a.zone, file=upload)
    organ = Organization.objects.get(pk=a.organ.pk)
    dept = Organization.objects.get(pk=a.dept.pk)
    assert dept.parent is None and organ.parent == dept
    assert organ.path.startswith(dept.path)


# Bad files write nothing and say why ---------------------------------------------------------


def _bad_files(world_a_names):
    organ, dept = world_a_names
    big = b"PK\x03\x04" + b"\x00" * (5 * 1024 * 1024)
    return {
        "duplicate-org-names": (
            workbook_file(
                orgs=[["新组织", "", "部门", "机关"], ["新组织", "", "党委", "机关"]],
            ),
            ["组织名称“新组织”重复出现（第 3、4 行），同一名称只能填写一行"],
        ),
        "unknown-parent": (
            workbook_file(orgs=[["新组织", "不存在的党委", "部门", "机关"]]),
            ["上级组织“不存在的党委”不存在"],
        ),
        "missing-column": (
            workbook_file(
                orgs=[["新组织", "部门", "机关"]],
                org_headers=["组织名称", "组织类型", "领域"],
            ),
            ["缺少列：上级组织"],
        ),
        "renamed-column": (
            workbook_file(
                orgs=[["新组织", "", "部门", "机关"]],
                org_headers=["组织名称", "上级单位", "组织类型", "领域"],
            ),
            ["缺少列：上级组织（第 2 行有未识别的列：上级单位，是否改了列名？）"],
        ),
        "empty-sheets": (
            workbook_file(),
            ["花名册中没有可导入的数据"],
        ),
        "exe-renamed-xlsx": (
            SimpleUploadedFile("roster.xlsx", b"MZ\x90\x00" + b"\x00" * 500, content_type=XLSX),
            ["文件不是有效的 Excel（.xlsx）文件"],
        ),
        "text-file": (
            SimpleUploadedFile("roster.xlsx", "姓名,所属组织\n张三,机关\n".encode()),
            ["文件不是有效的 Excel（.xlsx）文件"],
        ),
        "oversized": (
            SimpleUploadedFile("roster.xlsx", big, content_type=XLSX),
            ["文件过大（最大 5 MB）"],
        ),
        "parent-cycle": (
            workbook_file(
                orgs=[["甲组织", "乙组织", "党委", "机关"], ["乙组织", "甲组织", "党委", "机关"]]
            ),
            ["上级关系形成循环：甲组织 → 乙组织 → 甲组织"],
        ),
        "duplicate-people": (
            workbook_file(
                people=[["张新", dept, "干部", "是", ""], ["张新", dept, "科员", "否", ""]]
            ),
            [f"“{dept}”的“张新”重复出现（第 3、4 行）"],
        ),
        "person-in-unknown-org": (
            workbook_file(people=[["张新", "没有的支部", "干部", "是", ""]]),
            ["所属组织“没有的支部”不存在"],
        ),
        "bad-values": (
            workbook_file(
                orgs=[["新组织", organ, "办公室", ""]],
                people=[["", dept, "干部", "也许", "电话待定"]],
            ),
            [
                "组织类型应为以下之一：党工委、党委、党总支、党支部、部门、企业",
                "请选择领域（机关、国企、事业单位、非公企业、社会组织）",
                "请填写姓名",
                "是否党员请填写“是”或“否”",
                "联系电话只能包含数字及 - + ( ) 等符号",
            ],
        ),
        "missing-sheet": (
            _single_sheet_file(),
            ["缺少工作表“人员”，请使用下载的模板填写"],
        ),
    }


def _single_sheet_file() -> SimpleUploadedFile:
    wb = Workbook()
    wb.active.title = "组织"
    wb.active.append(ORG_HEADERS)
    wb.active.append(["新组织", "", "部门", "机关"])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("one-sheet.xlsx", out.getvalue())


BAD_CASES = [
    "duplicate-org-names",
    "unknown-parent",
    "missing-column",
    "renamed-column",
    "empty-sheets",
    "exe-renamed-xlsx",
    "text-file",
    "oversized",
    "parent-cycle",
    "duplicate-people",
    "person-in-unknown-org",
    "bad-values",
    "missing-sheet",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_file_writes_nothing_and_says_why(world, login, case):
    upload, messages = _bad_files((world.a.organ.name, world.a.dept.name))[case]
    client = login(world["zone_admin"])
    before = snapshot_counts()

    response = dry_run(client, world, upload)

    body = response.content.decode()
    assert response.status_code in (200, 422)
    for message in messages:
        assert message in body
    assert "确认导入" not in body
    assert snapshot_counts() == before

    # The import service refuses the same file just as firmly.
    upload.seek(0)
    with pytest.raises(Invalid):
        roster_import(actor=world["zone_admin"], zone=world.a.zone, file=upload)
    assert snapshot_counts() == before


def test_errors_are_listed_by_sheet_row_and_column(world, login):
    upload = workbook_file(
        orgs=[["新组织", "", "部门", "机关"], ["新组织", "", "部门", "机关"]],
        people=[["张新", "没有的支部", "干部", "是", ""]],
    )
    plan = roster_parse(upload, world.a.zone)
    assert [{k: v for k, v in e.items() if k not in ("msgid", "params")} for e in plan.errors] == [
        {
            "sheet": "组织",
            "row": 3,
            "column": "组织名称",
            "message": "组织名称“新组织”重复出现（第 3、4 行），同一名称只能填写一行",
        },
        {
            "sheet": "组织",
            "row": 4,
            "column": "组织名称",
            "message": "组织名称“新组织”重复出现（第 3、4 行），同一名称只能填写一行",
        },
        {
            "sheet": "人员",
            "row": 3,
            "column": "所属组织",
            "message": "所属组织“没有的支部”不存在："
            "请先在“组织”表中添加，或填写系统中已有的组织名称",
        },
    ]
    body = dry_run(
        login(world["zone_admin"]),
        world,
        workbook_file(orgs=[["新组织", "", "部门", "机关"], ["新组织", "", "部门", "机关"]]),
    ).content.decode()
    assert "发现 2 处问题，未导入任何数据" in body
    assert '<td class="text-nowrap">第 4 行</td>' in body


def test_formulas_and_merged_cells_in_a_roster_are_refused(world):
    wb = Workbook()
    orgs = wb.active
    orgs.title = "组织"
    orgs.append(ORG_HEADERS)
    orgs.append(["=A1", "", "部门", "机关"])
    orgs.append(["新组织一", "", "部门", "机关"])
    orgs.append(["新组织二", "", "部门", "机关"])
    orgs.merge_cells("D3:D4")
    people = wb.create_sheet("人员")
    people.append(PEOPLE_HEADERS)
    out = io.BytesIO()
    wb.save(out)
    plan = roster_parse(SimpleUploadedFile("f.xlsx", out.getvalue()), world.a.zone)
    assert [(e["row"], e["column"]) for e in plan.errors] == [(2, "组织名称"), (3, "领域")]
    assert "公式" in plan.errors[0]["message"]
    assert "D3:D4 是合并单元格" in plan.errors[1]["message"]


def test_confirm_shows_new_problems_when_the_zone_changed_since_the_dry_run(world, login):
    client = login(world["zone_admin"])
    dry_run(client, world, good_file(world))
    staged = StagedUpload.objects.get()
    # Meanwhile someone renames the parent the file refers to.
    services.org_update(actor=world["zone_admin"], org=world.a.econ, name="改名后的党委")
    before = snapshot_counts()

    response = client.post(f"/orgs/roster/confirm/{staged.pk}/", {"zone": world.a.zone.pk})

    # The parked file no longer fits the zone: bad input now (422), listed again.
    assert response.status_code == 422
    assert f"上级组织“{world.a.econ.name}”不存在" in response.content.decode()
    assert snapshot_counts() == before


# Who may import ----------------------------------------------------------------------------


def test_another_zones_admin_gets_404_everywhere(world, login):
    client = login(world["outsider"])
    zone = world.a.zone.pk
    before = snapshot_counts()
    assert client.get(f"{IMPORT}?zone={zone}").status_code == 404
    assert client.get(f"/orgs/roster/template/?zone={zone}").status_code == 404
    assert dry_run(client, world, good_file(world)).status_code == 404
    assert snapshot_counts() == before
    with pytest.raises(NotFound):
        roster_import(actor=world["outsider"], zone=world.a.zone, file=good_file(world))


@pytest.mark.parametrize("role", ["liaison", "secretary", "leader", "supervisor", "provincial"])
def test_roles_that_see_the_zone_but_may_not_import_get_403(world, login, role):
    client = login(world[role])
    zone = world.a.zone.pk
    before = snapshot_counts()
    assert client.get(f"{IMPORT}?zone={zone}").status_code == 403
    assert client.get(f"/orgs/roster/template/?zone={zone}").status_code == 403
    assert dry_run(client, world, good_file(world)).status_code == 403
    assert snapshot_counts() == before
    with pytest.raises(Forbidden):
        roster_import(actor=world[role], zone=world.a.zone, file=good_file(world))


def test_only_the_uploader_may_confirm_a_staged_upload(world, login, client):
    dry_run(login(world["zone_admin"]), world, good_file(world))
    staged = StagedUpload.objects.get()
    colleague = make_user(
        "zone_admin2", world.a.zone, [{"role": "zone_admin", "zone": world.a.zone}]
    )
    before = snapshot_counts()
    for user in (colleague, world["sysadmin"], world["outsider"]):
        client.force_login(user)
        response = client.post(f"/orgs/roster/confirm/{staged.pk}/", {"zone": world.a.zone.pk})
        assert response.status_code == 404
    assert snapshot_counts() == before


def test_confirming_twice_imports_once(world, login):
    client = login(world["zone_admin"])
    dry_run(client, world, good_file(world))
    pk = StagedUpload.objects.get().pk
    assert client.post(f"/orgs/roster/confirm/{pk}/").status_code == 302
    after = snapshot_counts()
    assert client.post(f"/orgs/roster/confirm/{pk}/").status_code == 404
    assert snapshot_counts() == after


def test_staged_uploads_expire_after_a_day(world, login):
    client = login(world["zone_admin"])
    dry_run(client, world, good_file(world))
    staged = StagedUpload.objects.get()
    StagedUpload.objects.filter(pk=staged.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1, minutes=1)
    )
    assert client.post(f"/orgs/roster/confirm/{staged.pk}/").status_code == 404
    assert staged_purge() == 1
    assert not StagedUpload.objects.exists()


def test_confirm_refuses_get_and_requests_without_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["zone_admin"])
    assert client.get(f"{IMPORT}?zone={world.a.zone.pk}").status_code == 200
    assert (
        client.post(IMPORT, {"zone": world.a.zone.pk, "file": good_file(world)}).status_code == 403
    )
    assert client.get("/orgs/roster/confirm/1/").status_code == 405
    assert not StagedUpload.objects.exists()


def test_anonymous_users_are_sent_to_login(world, client):
    response = client.get(f"{IMPORT}?zone={world.a.zone.pk}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_import_page_offers_the_template_and_says_the_limits(world, login):
    body = login(world["zone_admin"]).get(f"{IMPORT}?zone={world.a.zone.pk}").content.decode()
    assert f"/orgs/roster/template/?zone={world.a.zone.pk}" in body
    assert "不超过 5 MB" in body and "上传并检查" in body


def test_tree_offers_import_only_to_those_who_may(world, login, client):
    assert "导入花名册" in login(world["zone_admin"]).get("/orgs/").content.decode()
    client.force_login(world["liaison"])
    assert 'href="/orgs/roster/import/' not in client.get("/orgs/").content.decode()


def test_a_file_that_is_no_workbook_is_refused_next_to_the_file_input(world, login):
    upload = SimpleUploadedFile("setup.xlsx", b"MZ\x90\x00" + b"\x00" * 500)
    response = dry_run(login(world["zone_admin"]), world, upload)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'class="form-control is-invalid"' in body
    assert "文件不是有效的 Excel（.xlsx）文件" in body
    assert "刚才上传的文件：setup.xlsx" in body


def test_no_file_chosen_is_asked_for(world, login):
    response = login(world["zone_admin"]).post(IMPORT, {"zone": world.a.zone.pk})
    assert response.status_code == 422
    assert "请选择要上传的文件" in response.content.decode()


# Crafted and misleading workbooks --------------------------------------------------------


def test_the_empty_cells_workbook_is_refused_quickly_in_bounded_memory(world, login):
    from tests import xlsx_attacks

    bomb = xlsx_attacks.empty_cells_bomb(
        ORG_HEADERS, sheet="组织", others=[("人员", PEOPLE_HEADERS)]
    )
    client = login(world["zone_admin"])
    before = snapshot_counts()

    response, seconds, peak_mb = xlsx_attacks.measured(
        lambda: dry_run(client, world, SimpleUploadedFile("花名册.xlsx", bomb, content_type=XLSX))
    )

    assert response.status_code == 422
    assert "含有大量空白单元格" in response.content.decode()
    assert seconds < 30 and peak_mb < 50  # traced: several times slower
    assert snapshot_counts() == before


def test_every_row_past_an_under_stated_dimension_is_read(world):
    from tests import xlsx_attacks

    data = good_file(world).read()
    understated = xlsx_attacks.with_dimension(data, "A1:E3")

    plan = roster_parse(SimpleUploadedFile("花名册.xlsx", understated), world.a.zone)

    assert plan.errors == []
    assert (plan.counts["orgs_created"], plan.counts["people_created"]) == (3, 4)
