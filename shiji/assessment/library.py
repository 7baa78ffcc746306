"""The indicator library: a YAML file that describes the indicators of 政绩考核
as data (``indicators.yaml`` next to this module).

Read like a campaign preset (``campaigns.presets``): ``yaml.compose`` keeps
the line of every node, the walker checks each node and builds frozen specs,
and any mistake raises ``LibraryInvalid`` naming the file, the line and the
field before anything touches the database, so a bad file loads nothing.
The shape checks (mapping, text, slug, boolean) are the preset reader's own,
reused by subclassing rather than written twice.

Format::

    code, name, description?
    indicators: [{code, name, kind, dimension, unit, direction, weight,
                  placeholder?, period, range?: [min|null, max|null],
                  usual_change?, computed_from?, description?}]
    relations:  [{left, op, right, description?}]   # op: "<=" or "<"
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

import yaml
from yaml.nodes import Node, ScalarNode

from shiji.assessment.models import Dimension, IndicatorKind, PeriodKind, RelationOp
from shiji.campaigns.presets import _Reader
from shiji.core.errors import Invalid
from shiji.core.i18n import in_chinese

LIBRARY_PATH = Path(__file__).resolve().parent / "indicators.yaml"
MAX_BYTES = 1024 * 1024

_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_NULL = "tag:yaml.org,2002:null"
DIRECTIONS = {"higher": True, "lower": False}
OPS = {"<=": RelationOp.LTE, "≤": RelationOp.LTE, "<": RelationOp.LT}
# Weights within a dimension add up to 1 (three decimal places are stored).
WEIGHT_TOLERANCE = Decimal("0.001")
VALUE_LIMIT = Decimal("1e14")


class LibraryInvalid(Invalid):
    """An indicator file that does not fit the format; ``line`` is 1-based
    (0 when the mistake is not on one line, e.g. the file cannot be read)."""

    def __init__(self, *, filename: str, line: int, field: str, message: str):
        where = f"第 {line} 行，" if line else ""
        super().__init__(
            f"指标库文件 {filename} {where}{field}：{message}",
            fields={field: f"{where}{message}"},
        )
        self.filename = filename
        self.line = line
        self.field = field


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    kind: str
    dimension: str
    unit: str
    higher_is_better: bool
    weight: Decimal
    weight_is_placeholder: bool
    period_kind: str
    min_value: Decimal | None
    max_value: Decimal | None
    usual_change: Decimal
    computed_from: str
    description: str
    order: int


@dataclass(frozen=True)
class RelationSpec:
    left: str
    op: str
    right: str
    description: str


@dataclass(frozen=True)
class Library:
    filename: str
    code: str
    name: str
    indicators: tuple[IndicatorSpec, ...]
    relations: tuple[RelationSpec, ...]


def read_library(path: str | Path = LIBRARY_PATH) -> Library:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LibraryInvalid(
            filename=path.name, line=0, field="file", message=f"无法读取文件（{exc.strerror}）"
        ) from None
    if len(raw) > MAX_BYTES:
        raise LibraryInvalid(filename=path.name, line=0, field="file", message="文件过大")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LibraryInvalid(
            filename=path.name, line=0, field="file", message="文件不是 UTF-8 编码"
        ) from None
    return parse_library(text, filename=path.name)


@in_chinese
def parse_library(text: str, *, filename: str) -> Library:
    """Check ``text`` strictly and return the library it describes."""
    return _LibraryReader(filename).library(text)


def _choice(choices, value: str) -> str | None:
    for code, label in choices.choices:
        if value in (code, str(label)):
            return code
    return None


class _LibraryReader(_Reader):
    def fail(self, node: Node | None, field: str, message: str) -> NoReturn:
        line = node.start_mark.line + 1 if node is not None and node.start_mark else 0
        raise LibraryInvalid(filename=self.filename, line=line, field=field, message=message)

    def compose(self, text: str) -> Node:
        try:
            nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "无法解析"
            if exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
                problem += f"（{exc.context}，始于第 {exc.context_mark.line + 1} 行）"
            raise LibraryInvalid(
                filename=self.filename,
                line=mark.line + 1 if mark else 0,
                field="(语法)",
                message=f"YAML 语法错误：{problem}",
            ) from None
        except yaml.YAMLError as exc:
            raise LibraryInvalid(
                filename=self.filename, line=0, field="(语法)", message=f"YAML 语法错误：{exc}"
            ) from None
        if not nodes or nodes[0] is None:
            self.fail(None, "(文件)", "文件为空")
        if len(nodes) > 1:
            self.fail(nodes[1], "(文件)", "一个文件只能包含一个指标库（发现多个 YAML 文档）")
        return nodes[0]

    def bound(self, node: Node, field: str, label: str) -> Decimal | None:
        if isinstance(node, ScalarNode) and node.tag == _TAG_NULL:
            return None
        return self.number(node, field, label).quantize(Decimal("0.0001"))

    def number(self, node: Node, field: str, label: str) -> Decimal:
        if not isinstance(node, ScalarNode) or node.tag not in (_TAG_INT, _TAG_FLOAT):
            self.fail(node, field, f"{label}应为数字")
        try:
            value = Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            self.fail(node, field, f"{label}应为数字")
        if not value.is_finite() or abs(value) >= VALUE_LIMIT:
            self.fail(node, field, f"{label}超出范围")
        return value

    def choice(self, node: Node, field: str, label: str, choices) -> str:
        value = self.text(node, field, label, max_length=40)
        code = _choice(choices, value)
        if code is None:
            allowed = "、".join(f"{c}（{lb}）" for c, lb in choices.choices)
            self.fail(node, field, f"未知的{label}“{value}”（可用：{allowed}）")
        return code

    def library(self, text: str) -> Library:
        root = self.compose(text)
        top = self.mapping(
            root, "", required=("code", "name", "indicators"), optional=("relations",)
        )
        code = self.slug(top["code"], "code")
        name = self.text(top["name"], "name", "名称", max_length=100)
        indicators = self.indicators(top["indicators"])
        relations = self.relations(top["relations"], indicators) if "relations" in top else ()
        return Library(
            filename=self.filename,
            code=code,
            name=name,
            indicators=indicators,
            relations=relations,
        )

    def indicators(self, node: Node) -> tuple[IndicatorSpec, ...]:
        out: list[IndicatorSpec] = []
        codes: dict[str, str] = {}
        names: dict[str, str] = {}
        weights: dict[str, list[tuple[Decimal, Node, str]]] = {}
        for i, item in enumerate(self.sequence(node, "indicators", "指标")):
            f = f"indicators[{i}]"
            m = self.mapping(
                item,
                f,
                required=(
                    "code", "name", "kind", "dimension", "unit", "direction", "weight", "period",
                ),
                optional=("placeholder", "range", "usual_change", "computed_from", "description"),
            )  # fmt: skip
            code = self.slug(m["code"], f"{f}.code")
            self.unique(codes, code, m["code"], f"{f}.code", "代码")
            name = self.text(m["name"], f"{f}.name", "名称", max_length=100)
            self.unique(names, name, m["name"], f"{f}.name", "名称")
            dimension = self.choice(m["dimension"], f"{f}.dimension", "维度", Dimension)
            direction = self.text(m["direction"], f"{f}.direction", "方向", max_length=10)
            if direction not in DIRECTIONS:
                self.fail(m["direction"], f"{f}.direction", "方向应为 higher 或 lower")
            weight = self.number(m["weight"], f"{f}.weight", "权重")
            if not Decimal(0) < weight <= Decimal(1) or weight != weight.quantize(Decimal("0.001")):
                self.fail(m["weight"], f"{f}.weight", "权重应在 0 到 1 之间，最多三位小数")
            weights.setdefault(dimension, []).append((weight, m["weight"], f"{f}.weight"))
            low = high = None
            if "range" in m:
                bounds = self.sequence(m["range"], f"{f}.range", "取值范围", min_items=2)
                if len(bounds) != 2:
                    self.fail(m["range"], f"{f}.range", "取值范围应为 [最小值, 最大值]")
                low = self.bound(bounds[0], f"{f}.range[0]", "最小值")
                high = self.bound(bounds[1], f"{f}.range[1]", "最大值")
                if low is not None and high is not None and high <= low:
                    self.fail(bounds[1], f"{f}.range[1]", "最大值应大于最小值")
            change = Decimal(50)
            if "usual_change" in m:
                change = self.number(m["usual_change"], f"{f}.usual_change", "正常变动幅度")
                if not Decimal(0) < change <= Decimal(1000):
                    self.fail(
                        m["usual_change"], f"{f}.usual_change", "正常变动幅度应在 0 到 1000 之间"
                    )
            out.append(
                IndicatorSpec(
                    code=code,
                    name=name,
                    kind=self.choice(m["kind"], f"{f}.kind", "类型", IndicatorKind),
                    dimension=dimension,
                    unit=self.text(m["unit"], f"{f}.unit", "单位", max_length=20),
                    higher_is_better=DIRECTIONS[direction],
                    weight=weight.quantize(Decimal("0.001")),
                    weight_is_placeholder=self.boolean(
                        m["placeholder"], f"{f}.placeholder", "placeholder"
                    )
                    if "placeholder" in m
                    else False,
                    period_kind=self.choice(m["period"], f"{f}.period", "统计周期", PeriodKind),
                    min_value=low,
                    max_value=high,
                    usual_change=change.quantize(Decimal("0.1")),
                    computed_from=self.text(
                        m["computed_from"], f"{f}.computed_from", "数据来源", max_length=60
                    )
                    if "computed_from" in m
                    else "",
                    description=self.text(
                        m["description"], f"{f}.description", "说明", max_length=2000,
                        required=False,
                    )
                    if "description" in m
                    else "",
                    order=i + 1,
                )
            )  # fmt: skip
        for dimension, entries in weights.items():
            total = sum((w for w, _, _ in entries), Decimal(0))
            if abs(total - 1) > WEIGHT_TOLERANCE:
                _, last, field = entries[-1]
                label = Dimension(dimension).label
                self.fail(last, field, f"维度“{label}”内各指标权重之和应为 1（现为 {total}）")
        return tuple(out)

    def relations(
        self, node: Node, indicators: tuple[IndicatorSpec, ...]
    ) -> tuple[RelationSpec, ...]:
        known = {i.code for i in indicators}
        out: list[RelationSpec] = []
        pairs: dict[str, str] = {}
        for i, item in enumerate(self.sequence(node, "relations", "指标关系", min_items=0)):
            f = f"relations[{i}]"
            m = self.mapping(item, f, required=("left", "op", "right"), optional=("description",))
            ends = []
            for side in ("left", "right"):
                code = self.slug(m[side], f"{f}.{side}", "指标代码")
                if code not in known:
                    self.fail(m[side], f"{f}.{side}", f"未知的指标“{code}”")
                ends.append(code)
            if ends[0] == ends[1]:
                self.fail(m["right"], f"{f}.right", "关系两端不能是同一指标")
            op = self.text(m["op"], f"{f}.op", "关系", max_length=4)
            if op not in OPS:
                self.fail(m["op"], f"{f}.op", "关系应为 <= 或 <")
            self.unique(pairs, f"{ends[0]} {ends[1]}", m["left"], f"{f}.left", "关系")
            out.append(
                RelationSpec(
                    left=ends[0],
                    op=OPS[op],
                    right=ends[1],
                    description=self.text(
                        m["description"], f"{f}.description", "说明", max_length=200,
                        required=False,
                    )
                    if "description" in m
                    else "",
                )
            )  # fmt: skip
        return tuple(out)
