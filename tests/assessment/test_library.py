"""The indicator library: strict loading from YAML, idempotent reloads,
retirement instead of deletion, and a bad file that names file, line and
field and loads nothing."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shiji.assessment.library import LibraryInvalid, read_library
from shiji.assessment.models import Indicator, IndicatorRelation
from shiji.assessment.services import indicators_load
from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.core.errors import Forbidden, Invalid
from tests.conftest import SYSTEM

# A small valid library; each bad case below changes one thing in it.
GOOD = textwrap.dedent(
    """\
    code: test-library
    name: 测试指标库
    indicators:
      - code: output
        name: 规模以上工业总产值
        kind: visible
        dimension: structure
        unit: 亿元
        direction: higher
        weight: 0.6
        placeholder: true
        period: quarter
        range: [0, null]
      - code: value-added
        name: 工业增加值
        kind: 显绩
        dimension: 结构优化和产业价值链
        unit: 亿元
        direction: higher
        weight: 0.4
        period: quarter
      - code: energy
        name: 单位增加值综合能耗
        kind: latent
        dimension: green
        unit: 吨标准煤/万元
        direction: lower
        weight: 1
        period: year
        usual_change: 30
      - code: rd-share
        name: 研发人员占比
        kind: latent
        dimension: innovation
        unit: "%"
        direction: higher
        weight: 1.0
        period: year
        range: [0, 100]
    relations:
      - left: value-added
        op: "<="
        right: output
        description: 增加值不超过总产值
    """
)


def write(tmp_path, text: str, name: str = "indicators.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts() -> dict[str, int]:
    return {
        "indicators": Indicator.objects.count(),
        "relations": IndicatorRelation.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_the_builtin_library_has_the_five_dimensions_and_the_named_indicators(db):
    result = indicators_load(actor=SYSTEM)

    by_code = {i.code: i for i in Indicator.objects.all()}
    assert result.created == len(by_code) + 1  # and one relation
    assert {i.dimension for i in by_code.values()} == {
        "innovation", "structure", "green", "openness", "quality",
    }  # fmt: skip
    names = {i.name for i in by_code.values()}
    for name in (
        "研发人员全时当量占从业人员比重", "国家级和省级研发机构数", "瞪羚企业数",
        "单位增加值综合能耗", "技术服务出口占出口总额比重", "营业收入", "规模以上工业总产值",
        "工业增加值", "问题整改完成率", "建章立制数", "群众满意度",
    ):  # fmt: skip
        assert name in names, name
    # Both kinds in the library; the campaign's own 潜绩 come from Shiji's records.
    assert {i.kind for i in by_code.values()} == {"visible", "latent"}
    assert by_code["rectification-rate"].kind == "latent"
    assert by_code["rectification-rate"].computed_from == "ledger.closure_rate"
    assert by_code["rules-made"].computed_from == "regulations.issued"
    assert by_code["satisfaction"].computed_from == "outreach.satisfaction"
    # Every weight is a placeholder until a zone confirms it.
    assert all(i.weight_is_placeholder for i in by_code.values())
    assert by_code["energy-intensity"].higher_is_better is False
    assert by_code["rd-staff-share"].max_value == 100
    relation = IndicatorRelation.objects.get()
    assert (relation.left.code, relation.op, relation.right.code) == (
        "industrial-value-added", "lte", "industrial-output",
    )  # fmt: skip
    # The demo's codes for Qingyuan's targets are the library's.
    assert {"industrial-output", "industrial-value-added"} <= set(by_code)
    assert verify_all().ok


def test_weights_add_up_to_one_in_each_dimension_of_the_builtin_library():
    totals: dict[str, Decimal] = {}
    for spec in read_library().indicators:
        totals[spec.dimension] = totals.get(spec.dimension, Decimal(0)) + spec.weight
    assert totals == dict.fromkeys(totals, Decimal(1))
    assert len(totals) == 5


def test_a_small_library_loads_as_written(db, tmp_path):
    indicators_load(actor=SYSTEM, path=write(tmp_path, GOOD))

    output = Indicator.objects.get(code="output")
    assert (output.kind, output.dimension, output.period_kind) == (
        "visible", "structure", "quarter",
    )  # fmt: skip
    assert output.weight == Decimal("0.6") and output.weight_is_placeholder
    assert (output.min_value, output.max_value, output.usual_change) == (0, None, 50)
    # Chinese labels are accepted for the choices.
    added = Indicator.objects.get(code="value-added")
    assert (added.kind, added.dimension, added.weight_is_placeholder) == (
        "visible", "structure", False,
    )  # fmt: skip
    energy = Indicator.objects.get(code="energy")
    assert not energy.higher_is_better and energy.usual_change == 30
    assert energy.source == "indicators.yaml"
    assert IndicatorRelation.objects.get().description == "增加值不超过总产值"


def test_loading_the_same_file_twice_changes_and_records_nothing(db, tmp_path):
    path = write(tmp_path, GOOD)
    indicators_load(actor=SYSTEM, path=path)
    before = counts()

    result = indicators_load(actor=SYSTEM, path=path)

    assert not result.changed and "无变化" in result.summary()
    assert counts() == before


def test_an_edited_library_updates_in_place_retires_and_audits_each_change(db, tmp_path):
    indicators_load(actor=SYSTEM, path=write(tmp_path, GOOD))
    ids = dict(Indicator.objects.values_list("code", "pk"))
    head, tail = GOOD.split("  - code: rd-share")
    edited = (
        (head + "relations:" + tail.split("relations:")[1])
        .replace("unit: 吨标准煤/万元", "unit: 千克标准煤/万元")
        .replace('op: "<="', 'op: "<"')
    )
    assert edited.count("rd-share") == 0

    result = indicators_load(actor=SYSTEM, path=write(tmp_path, edited))

    assert (result.created, result.updated, result.retired, result.deleted) == (0, 2, 1, 0)
    assert dict(Indicator.objects.values_list("code", "pk")) == ids
    assert Indicator.objects.get(code="energy").unit == "千克标准煤/万元"
    assert not Indicator.objects.get(code="rd-share").is_active
    assert IndicatorRelation.objects.get().op == "lt"
    actions = list(AuditEvent.objects.order_by("-seq")[:3].values_list("action", flat=True))
    assert sorted(actions) == ["indicator.retire", "indicator.update", "indicator_relation.update"]
    update = AuditEvent.objects.get(action="indicator.update")
    assert update.changes == {"unit": ["吨标准煤/万元", "千克标准煤/万元"]}


def test_a_relation_dropped_from_the_file_is_deleted_with_its_event(db, tmp_path):
    indicators_load(actor=SYSTEM, path=write(tmp_path, GOOD))
    without = GOOD.split("relations:")[0]

    result = indicators_load(actor=SYSTEM, path=write(tmp_path, without))

    assert result.deleted == 1 and not IndicatorRelation.objects.exists()
    assert AuditEvent.objects.filter(action="indicator_relation.delete").count() == 1


def test_only_a_system_admin_may_load_the_library(world, tmp_path):
    with pytest.raises(Forbidden):
        indicators_load(actor=world["zone_admin"], path=write(tmp_path, GOOD))
    assert not Indicator.objects.exists()
    indicators_load(actor=world["sysadmin"], path=write(tmp_path, GOOD))
    assert AuditEvent.objects.filter(action="indicator.create").first().actor == world["sysadmin"]


# Bad files ----------------------------------------------------------------------------

# case: (text in GOOD, replaced by, expected line, expected field)
EDITS = {
    "syntax": ("name: 测试指标库", "name: [测试指标库", 3, "(语法)"),
    "missing_field": (
        "    unit: 亿元\n    direction: higher\n    weight: 0.6",
        "    direction: higher\n    weight: 0.6",
        4,
        "indicators[0].unit",
    ),
    "unknown_kind": ("kind: 显绩", "kind: 显性", 16, "indicators[1].kind"),
    "unknown_dimension": ("dimension: green", "dimension: 生态", 25, "indicators[2].dimension"),
    "bad_direction": ("direction: lower", "direction: down", 27, "indicators[2].direction"),
    "weight_text": ("weight: 0.6", "weight: 六成", 10, "indicators[0].weight"),
    "weight_out_of_range": ("weight: 1.0", "weight: 1.5", 37, "indicators[3].weight"),
    "weights_do_not_add_up": ("weight: 0.4", "weight: 0.3", 20, "indicators[1].weight"),
    "bad_period": (
        "period: year\n    usual_change",
        "period: weekly\n    usual_change",
        29,
        "indicators[2].period",
    ),
    "bad_range": ("range: [0, 100]", "range: [100, 0]", 39, "indicators[3].range[1]"),
    "range_text": ("range: [0, null]", "range: [零, null]", 13, "indicators[0].range[0]"),
    "bad_flag": ("placeholder: true", "placeholder: 是", 11, "indicators[0].placeholder"),
    "duplicate_code": ("code: energy", "code: output", 22, "indicators[2].code"),
    "duplicate_name": ("name: 工业增加值", "name: 规模以上工业总产值", 15, "indicators[1].name"),
    "unknown_field": ("usual_change: 30", "usual_chang: 30", 30, "indicators[2].usual_chang"),
    "unknown_relation_end": ("right: output", "right: gdp", 43, "relations[0].right"),
    "bad_op": ('op: "<="', 'op: ">="', 42, "relations[0].op"),
    "self_relation": ("right: output", "right: value-added", 43, "relations[0].right"),
}
BAD = {
    case: (GOOD.replace(old, new, 1), line, field)
    for case, (old, new, line, field) in EDITS.items()
}
assert all(text != GOOD for text, _, _ in BAD.values())


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_library_names_file_line_and_field_and_loads_nothing(db, tmp_path, case):
    text, line, field = BAD[case]
    path = write(tmp_path, text, name=f"{case}.yaml")

    with pytest.raises(Invalid) as caught:
        indicators_load(actor=SYSTEM, path=path)

    exc = caught.value
    assert isinstance(exc, LibraryInvalid)
    assert (exc.filename, exc.line, exc.field) == (f"{case}.yaml", line, field)
    assert f"{case}.yaml" in exc.message and f"第 {line} 行" in exc.message
    assert field in exc.message and field in exc.fields
    assert all(n == 0 for n in counts().values())


def test_a_bad_edit_of_a_loaded_library_leaves_it_as_it_was(db, tmp_path):
    indicators_load(actor=SYSTEM, path=write(tmp_path, GOOD))
    before = counts()
    # Valid up to the relation, so the indicators would change first if the
    # loader wrote while it read.
    broken = GOOD.replace("unit: 吨标准煤/万元", "unit: 千克").replace(
        "right: output", "right: gdp"
    )

    with pytest.raises(LibraryInvalid):
        indicators_load(actor=SYSTEM, path=write(tmp_path, broken))

    assert counts() == before
    assert Indicator.objects.get(code="energy").unit == "吨标准煤/万元"


def test_an_empty_or_unreadable_file_is_refused_by_name(db, tmp_path):
    with pytest.raises(LibraryInvalid, match=r"empty\.yaml.*文件为空"):
        indicators_load(actor=SYSTEM, path=write(tmp_path, "", name="empty.yaml"))
    with pytest.raises(LibraryInvalid, match="无法读取"):
        indicators_load(actor=SYSTEM, path=tmp_path / "missing.yaml")


def test_load_indicators_command_loads_the_builtin_file_and_reports_changes(db):
    out = StringIO()
    call_command("load_indicators", stdout=out)
    assert Indicator.objects.count() == 18 and "新增" in out.getvalue()

    out = StringIO()
    call_command("load_indicators", stdout=out)
    assert "无变化" in out.getvalue()


def test_load_indicators_command_reports_the_line_of_a_bad_file(db, tmp_path):
    path = write(tmp_path, BAD["bad_op"][0], name="bad.yaml")
    with pytest.raises(CommandError, match=r"bad\.yaml 第 42 行"):
        call_command("load_indicators", str(path), stdout=StringIO())
    assert not Indicator.objects.exists()
