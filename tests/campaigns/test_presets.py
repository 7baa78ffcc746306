"""Campaign presets: strict loading from YAML, idempotent reloads, adoption by a zone."""

from __future__ import annotations

import datetime as dt
import textwrap
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.campaigns.models import (
    Campaign,
    CategoryTemplate,
    ProblemCategory,
    StudyKind,
    TaskTemplate,
    WorkArrangement,
    ZoneCampaign,
)
from shiji.campaigns.presets import PresetInvalid, builtin_presets, read_preset
from shiji.campaigns.services import campaign_load, zone_adopt_campaign
from shiji.core.errors import Forbidden, Invalid, NotFound
from tests.conftest import SYSTEM

PRESET_ROWS = (Campaign, WorkArrangement, CategoryTemplate, TaskTemplate, StudyKind)

# A small valid preset; the bad-file cases below each change one thing in it.
GOOD = textwrap.dedent(
    """\
    code: test-campaign
    name: 测试学习教育
    year: 2026
    general_requirement: 立党为公、为民造福
    starts_on: 2026-02-24
    ends_on: 2026-07-31
    description: 用于测试
    arrangements:
      - code: study
        name: 学习研讨
        requirement: 要求“深”
      - code: rectify
        name: 整改整治
    categories:
      - code: old-accounts
        name: 新官不理旧账
      - code: fake-data
        name: 数据造假
        placeholder: true
    task_templates:
      - code: plan
        title: 制定实施方案
        arrangement: study
        sectors: [机关, 国企]
        due_offset_days: 21
    study_kinds:
      - code: deployment
        name: 部署会议
    """
)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The world fixture hashes a dozen passwords; these tests are not about them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def write(tmp_path, text: str, name: str = "preset.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts() -> dict[str, int]:
    rows = {m.__name__: m.objects.count() for m in PRESET_ROWS}
    rows["events"] = AuditEvent.objects.count()
    return rows


# Loading ------------------------------------------------------------------------------


def test_the_2026_preset_loads_the_campaign_as_the_seed_describes_it(db):
    result = campaign_load(actor=SYSTEM, path="zhengjiguan-2026")

    campaign = Campaign.objects.get(code="zhengjiguan-2026")
    assert result.campaign == campaign and result.changed
    assert campaign.name == "树立和践行正确政绩观学习教育"
    assert campaign.general_requirement == "立党为公、为民造福、科学决策、真抓实干"
    assert (campaign.starts_on, campaign.ends_on) == (dt.date(2026, 2, 24), dt.date(2026, 7, 31))
    assert campaign.source == "zhengjiguan-2026.yaml"
    assert [a.name for a in campaign.arrangements.order_by("order")] == [
        "学习研讨",
        "查摆问题",
        "整改整治",
        "建章立制",
        "“开门”教育",
    ]
    assert campaign.arrangements.get(code="study").requirement.startswith("学习研讨要求“深”")
    assert campaign.arrangements.get(code="outreach").requirement.startswith("“开门”教育要求“真”")
    categories = list(campaign.category_templates.order_by("order"))
    assert len(categories) == 8
    assert [c.name for c in categories if not c.is_placeholder] == [
        "新官不理旧账",
        "形象工程",
        "政绩工程",
    ]
    assert sum(c.is_placeholder for c in categories) == 5
    branch = campaign.task_templates.get(code="branch-study")
    assert branch.sectors == ["organ", "soe", "institution", "private", "social"]
    assert branch.arrangement.code == "study"
    plan = campaign.task_templates.get(code="plan")
    assert plan.due_on is None and plan.due_date == dt.date(2026, 3, 17)
    assert set(campaign.study_kinds.values_list("name", flat=True)) == {
        "党工委会议",
        "理论学习中心组",
        "专题读书班",
        "支部学习",
        "研讨交流",
        "部署会议",
    }
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[0] == "campaign.create"
    assert actions.count("arrangement.create") == 5
    assert actions.count("category_template.create") == 8
    assert actions.count("task_template.create") == campaign.task_templates.count()
    assert actions.count("study_kind.create") == 6
    assert verify_all().ok


def test_every_builtin_preset_is_valid_and_has_the_same_structure(db):
    paths = builtin_presets()
    assert {p.stem for p in paths} >= {"zhengjiguan-2026", "dangji-2024"}
    for path in paths:
        preset = read_preset(path)
        assert preset.arrangements and preset.categories and preset.tasks and preset.study_kinds
        campaign_load(actor=SYSTEM, path=path)
    dangji = Campaign.objects.get(code="dangji-2024")
    assert dangji.year == 2024 and dangji.starts_on.month == 4 and dangji.ends_on.month == 7


def test_loading_the_same_file_twice_changes_and_records_nothing(db):
    campaign_load(actor=SYSTEM, path="zhengjiguan-2026")
    before = counts()
    ids = set(CategoryTemplate.objects.values_list("pk", flat=True))

    result = campaign_load(actor=SYSTEM, path="zhengjiguan-2026")

    assert not result.changed
    assert counts() == before
    assert set(CategoryTemplate.objects.values_list("pk", flat=True)) == ids


def test_an_edited_preset_updates_rows_in_place_and_audits_each_change(db, tmp_path):
    path = write(tmp_path, GOOD)
    campaign_load(actor=SYSTEM, path=path)
    old = CategoryTemplate.objects.get(code="old-accounts")
    task = TaskTemplate.objects.get(code="plan")
    # Swap the two category names (a unique field), drop the task, add a kind.
    edited = (
        GOOD.replace("name: 新官不理旧账", "name: @@")
        .replace("name: 数据造假", "name: 新官不理旧账")
        .replace("name: @@", "name: 数据造假")
        .replace("name: 测试学习教育", "name: 测试学习教育（修订）")
    )
    edited = edited.split("task_templates:")[0] + (
        "study_kinds:\n  - code: deployment\n    name: 部署会议\n"
        "  - code: seminar\n    name: 研讨交流\n"
    )
    result = campaign_load(actor=SYSTEM, path=write(tmp_path, edited))

    assert (result.created, result.updated, result.deleted) == (1, 3, 1)
    old.refresh_from_db()
    assert old.name == "数据造假"
    assert CategoryTemplate.objects.get(code="fake-data").name == "新官不理旧账"
    assert not TaskTemplate.objects.filter(pk=task.pk).exists()
    assert Campaign.objects.get().name == "测试学习教育（修订）"
    rename = AuditEvent.objects.get(action="category_template.update", object_id=str(old.pk))
    assert rename.changes == {"name": ["新官不理旧账", "数据造假"]}
    gone = AuditEvent.objects.get(action="task_template.delete")
    assert gone.object_id == str(task.pk) and gone.changes["title"] == ["制定实施方案", None]
    assert AuditEvent.objects.filter(action="study_kind.create").count() == 2
    assert verify_all().ok


def test_a_zone_admin_may_not_load_presets_but_a_system_admin_may(world):
    with pytest.raises(Forbidden):
        campaign_load(actor=world["zone_admin"], path="zhengjiguan-2026")
    assert not Campaign.objects.exists()

    campaign_load(actor=world["sysadmin"], path="zhengjiguan-2026")
    event = AuditEvent.objects.get(action="campaign.create")
    assert event.actor == world["sysadmin"]


# Bad files ----------------------------------------------------------------------------

# case: (text in GOOD, replaced by, expected line, expected field)
EDITS = {
    "syntax": ("name: 学习研讨", "name: [学习研讨", 11, "(语法)"),
    "missing_field": ("general_requirement: 立党为公、为民造福\n", "", 1, "general_requirement"),
    "missing_nested_field": ("    name: 整改整治\n", "", 12, "arrangements[1].name"),
    "wrong_type_year": ("year: 2026", "year: 二〇二六", 3, "year"),
    "wrong_type_list": (
        "study_kinds:\n  - code: deployment\n    name: 部署会议",
        "study_kinds: 部署会议",
        26,
        "study_kinds",
    ),
    "wrong_type_flag": ("placeholder: true", "placeholder: 是", 19, "categories[1].placeholder"),
    "bad_date": ("ends_on: 2026-07-31", "ends_on: 2026-02-30", 6, "ends_on"),
    "bad_date_text": ("starts_on: 2026-02-24", "starts_on: 春节后", 5, "starts_on"),
    "ends_before_start": ("ends_on: 2026-07-31", "ends_on: 2026-01-31", 6, "ends_on"),
    "unknown_sector": ("[机关, 国企]", "[机关, 外资企业]", 24, "task_templates[0].sectors[1]"),
    "duplicate_code": ("code: fake-data", "code: old-accounts", 17, "categories[1].code"),
    "duplicate_name": ("name: 整改整治", "name: 学习研讨", 13, "arrangements[1].name"),
    "duplicate_key": ("year: 2026\n", "year: 2026\nyear: 2027\n", 4, "year"),
    "unknown_field": ("description: 用于测试", "descripton: 用于测试", 7, "descripton"),
    "unknown_arrangement": (
        "arrangement: study",
        "arrangement: examine",
        23,
        "task_templates[0].arrangement",
    ),
    "due_after_end": (
        "due_offset_days: 21",
        "due_offset_days: 400",
        25,
        "task_templates[0].due_offset_days",
    ),
    "bad_code": ("code: plan", "code: 方案", 21, "task_templates[0].code"),
}
BAD = {
    case: (GOOD.replace(old, new), line, field) for case, (old, new, line, field) in EDITS.items()
}
assert all(text != GOOD for text, _, _ in BAD.values())


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_preset_names_file_line_and_field_and_loads_nothing(db, tmp_path, case):
    text, line, field = BAD[case]
    path = write(tmp_path, text, name=f"{case}.yaml")

    with pytest.raises(Invalid) as caught:
        campaign_load(actor=SYSTEM, path=path)

    exc = caught.value
    assert isinstance(exc, PresetInvalid)
    assert (exc.filename, exc.line, exc.field) == (f"{case}.yaml", line, field)
    assert f"{case}.yaml" in exc.message and f"第 {line} 行" in exc.message
    assert field in exc.message and field in exc.fields
    assert all(n == 0 for n in counts().values())


def test_a_bad_edit_of_a_loaded_preset_leaves_the_campaign_as_it_was(db, tmp_path):
    campaign_load(actor=SYSTEM, path=write(tmp_path, GOOD))
    before = counts()
    # Valid up to the last task, so the campaign fields would change first if
    # the loader wrote while it read.
    broken = GOOD.replace("name: 测试学习教育", "name: 改名").replace(
        "[机关, 国企]", "[机关, 央企]"
    )

    with pytest.raises(PresetInvalid):
        campaign_load(actor=SYSTEM, path=write(tmp_path, broken))

    assert counts() == before
    assert Campaign.objects.get().name == "测试学习教育"


def test_an_empty_or_unreadable_file_is_refused_by_name(db, tmp_path):
    with pytest.raises(PresetInvalid) as caught:
        campaign_load(actor=SYSTEM, path=write(tmp_path, "", name="empty.yaml"))
    assert caught.value.filename == "empty.yaml" and "文件为空" in caught.value.message
    with pytest.raises(PresetInvalid) as caught:
        campaign_load(actor=SYSTEM, path=tmp_path / "missing.yaml")
    assert "无法读取" in caught.value.message
    with pytest.raises(PresetInvalid) as caught:
        campaign_load(actor=SYSTEM, path="no-such-campaign")
    assert "zhengjiguan-2026" in caught.value.message


# The command --------------------------------------------------------------------------


def test_load_campaign_command_loads_builtin_presets_and_reports_changes(db):
    out = StringIO()
    call_command("load_campaign", "--all", stdout=out)
    assert Campaign.objects.filter(code__in=["zhengjiguan-2026", "dangji-2024"]).count() == 2
    assert "新增" in out.getvalue()

    out = StringIO()
    call_command("load_campaign", "zhengjiguan-2026", stdout=out)
    assert "无变化" in out.getvalue()


def test_load_campaign_command_reports_the_line_of_a_bad_file(db, tmp_path):
    path = write(tmp_path, BAD["unknown_sector"][0], name="bad.yaml")
    with pytest.raises(CommandError, match=r"bad\.yaml 第 24 行"):
        call_command("load_campaign", str(path), stdout=StringIO())
    assert not Campaign.objects.exists()


# Adoption by a zone -------------------------------------------------------------------


def adopt(world, actor, zone=None):
    campaign = Campaign.objects.get(code="zhengjiguan-2026")
    return zone_adopt_campaign(actor=actor, zone=zone or world.a.zone, campaign=campaign)


def test_adopting_copies_the_campaign_categories_into_the_zone(world):
    campaign_load(actor=SYSTEM, path="zhengjiguan-2026")
    first_event = AuditEvent.objects.last().pk

    adoption = adopt(world, world["zone_admin"])

    assert adoption.campaign.code == "zhengjiguan-2026"
    categories = ProblemCategory.objects.filter(zone=world.a.zone).order_by("order")
    assert [c.name for c in categories][:3] == ["新官不理旧账", "形象工程", "政绩工程"]
    assert categories.count() == 8 and categories.filter(is_placeholder=True).count() == 5
    assert not ProblemCategory.objects.filter(zone=world.b.zone).exists()
    events = AuditEvent.objects.filter(pk__gt=first_event)
    assert events.filter(action="zone_campaign.adopt", zone=world.a.zone).count() == 1
    assert events.filter(action="category.create", zone=world.a.zone).count() == 8
    assert all(e.actor == world["zone_admin"] for e in events)


def test_adopting_again_keeps_the_zone_wording(world):
    campaign_load(actor=SYSTEM, path="zhengjiguan-2026")
    adopt(world, world["zone_admin"])
    # The zone admin has reworded a placeholder (category editing is its own feature).
    ProblemCategory.objects.filter(zone=world.a.zone, code="fake-data").update(name="统计造假")
    before = AuditEvent.objects.count()

    adopt(world, world["zone_admin"])
    assert AuditEvent.objects.count() == before  # nothing changed, nothing recorded
    assert ProblemCategory.objects.filter(zone=world.a.zone).count() == 8
    assert ProblemCategory.objects.get(zone=world.a.zone, code="fake-data").name == "统计造假"


def test_adopting_for_another_zone_is_not_found_and_for_a_secretary_forbidden(world):
    campaign_load(actor=SYSTEM, path="zhengjiguan-2026")
    with pytest.raises(NotFound):
        adopt(world, world["zone_admin"], zone=world.b.zone)
    with pytest.raises(Forbidden):
        adopt(world, world["secretary"])
    with pytest.raises(NotFound):
        adopt(world, world["nobody"])
    assert not ZoneCampaign.objects.exists() and not ProblemCategory.objects.exists()
