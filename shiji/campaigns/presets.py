"""Campaign presets: YAML files that describe a campaign as data.

A preset is read in two passes. ``yaml.compose`` builds the node tree, which
keeps the line of every key and value; the walker below checks each node
against the expected shape and builds plain, frozen specs. Any mistake raises
``PresetInvalid`` naming the file, the line and the field, before anything
touches the database, so a bad file loads nothing.

Format (see ``presets/zhengjiguan-2026.yaml``)::

    code, name, year, general_requirement, starts_on, ends_on, description
    arrangements:  [{code, name, requirement, placeholder?}]
    categories:    [{code, name, description?, placeholder?}]
    task_templates: [{code, title, arrangement, sectors, due_on? | due_offset_days?,
                      description?}]
    study_kinds:   [{code, name, description?}]
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shiji.core.errors import Invalid
from shiji.core.i18n import in_chinese
from shiji.orgs.models import Sector

PRESET_DIR = Path(__file__).resolve().parent / "presets"
MAX_BYTES = 1024 * 1024

_TAG_STR = "tag:yaml.org,2002:str"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PresetInvalid(Invalid):
    """A preset file that does not fit the format; ``line`` is 1-based (0 when
    the mistake is not on a particular line, e.g. the file cannot be read)."""

    def __init__(self, *, filename: str, line: int, field: str, message: str):
        where = f"第 {line} 行，" if line else ""
        super().__init__(
            f"预设文件 {filename} {where}{field}：{message}",
            fields={field: f"{where}{message}"},
        )
        self.filename = filename
        self.line = line
        self.field = field


@dataclass(frozen=True)
class ArrangementSpec:
    code: str
    name: str
    requirement: str
    is_placeholder: bool
    order: int


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    description: str
    is_placeholder: bool
    order: int


@dataclass(frozen=True)
class TaskSpec:
    code: str
    title: str
    arrangement: str  # an ArrangementSpec code of the same preset
    sectors: tuple[str, ...]  # orgs.Sector codes
    due_on: dt.date | None
    due_offset_days: int | None
    description: str
    order: int


@dataclass(frozen=True)
class StudyKindSpec:
    code: str
    name: str
    description: str
    order: int


@dataclass(frozen=True)
class Preset:
    filename: str
    code: str
    name: str
    year: int
    general_requirement: str
    starts_on: dt.date
    ends_on: dt.date
    description: str
    arrangements: tuple[ArrangementSpec, ...]
    categories: tuple[CategorySpec, ...]
    tasks: tuple[TaskSpec, ...]
    study_kinds: tuple[StudyKindSpec, ...]


def builtin_presets() -> list[Path]:
    """The preset files shipped with Shiji, by name."""
    return sorted(PRESET_DIR.glob("*.yaml"))


def preset_path(name: str | Path) -> Path:
    """A path as given, or the built-in preset of that code ("zhengjiguan-2026")."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    builtin = PRESET_DIR / f"{name}.yaml"
    if builtin.exists():
        return builtin
    known = "、".join(p.stem for p in builtin_presets())
    raise PresetInvalid(
        filename=str(name), line=0, field="file", message=f"找不到预设（内置预设：{known}）"
    )


def read_preset(path: str | Path) -> Preset:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PresetInvalid(
            filename=path.name, line=0, field="file", message=f"无法读取文件（{exc.strerror}）"
        ) from None
    if len(raw) > MAX_BYTES:
        raise PresetInvalid(filename=path.name, line=0, field="file", message="文件过大")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PresetInvalid(
            filename=path.name, line=0, field="file", message="文件不是 UTF-8 编码"
        ) from None
    return parse_preset(text, filename=path.name)


@in_chinese
def parse_preset(text: str, *, filename: str) -> Preset:
    """Check ``text`` strictly and return the preset it describes."""
    return _Reader(filename).preset(text)


class _Reader:
    def __init__(self, filename: str):
        self.filename = filename
        self.constructor = SafeConstructor()

    # Errors ------------------------------------------------------------------

    def fail(self, node: Node | None, field: str, message: str) -> NoReturn:
        line = node.start_mark.line + 1 if node is not None and node.start_mark else 0
        raise PresetInvalid(filename=self.filename, line=line, field=field, message=message)

    # Shapes ------------------------------------------------------------------

    def mapping(
        self, node: Node, field: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.fail(node, field or "(文件)", "应为键值映射（key: value）")
        out: dict[str, Node] = {}
        allowed = set(required) | set(optional)
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _TAG_STR:
                self.fail(key_node, field or "(文件)", "键应为文字")
            key = key_node.value
            path = f"{field}.{key}" if field else key
            if key not in allowed:
                self.fail(key_node, path, f"未知字段（可用字段：{'、'.join(sorted(allowed))}）")
            if key in out:
                self.fail(key_node, path, "字段重复")
            out[key] = value_node
        for key in required:
            if key not in out:
                self.fail(node, f"{field}.{key}" if field else key, "缺少必填字段")
        return out

    def sequence(self, node: Node, field: str, label: str, *, min_items: int = 1) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, field, f"{label}应为列表")
        if len(node.value) < min_items:
            self.fail(node, field, f"{label}至少需要 {min_items} 项")
        return list(node.value)

    def text(
        self, node: Node, field: str, label: str, *, max_length: int, required: bool = True
    ) -> str:
        if isinstance(node, ScalarNode) and node.tag == _TAG_NULL and not required:
            return ""
        if not isinstance(node, ScalarNode) or node.tag != _TAG_STR:
            self.fail(node, field, f"{label}应为文字")
        value = node.value.strip()
        if "\x00" in value:
            self.fail(node, field, f"{label}含有非法字符")
        if required and not value:
            self.fail(node, field, f"请填写{label}")
        if len(value) > max_length:
            self.fail(node, field, f"{label}不能超过 {max_length} 个字")
        return value

    def slug(self, node: Node, field: str, label: str = "代码") -> str:
        value = self.text(node, field, label, max_length=40)
        if not _SLUG.match(value):
            self.fail(node, field, f"{label}只能包含小写字母、数字、- 和 _")
        return value

    def integer(self, node: Node, field: str, label: str, *, low: int, high: int) -> int:
        if not isinstance(node, ScalarNode) or node.tag != _TAG_INT:
            self.fail(node, field, f"{label}应为整数")
        value = self.constructor.construct_yaml_int(node)
        if not low <= value <= high:
            self.fail(node, field, f"{label}应在 {low} 到 {high} 之间")
        return value

    def boolean(self, node: Node, field: str, label: str) -> bool:
        if not isinstance(node, ScalarNode) or node.tag != _TAG_BOOL:
            self.fail(node, field, f"{label}应为 true 或 false")
        return self.constructor.construct_yaml_bool(node)

    def date(self, node: Node, field: str, label: str) -> dt.date:
        # YAML resolves 2026-02-24 as a timestamp and "2026-02-24" as text;
        # both are accepted, anything but a plain calendar date is not.
        if not isinstance(node, ScalarNode) or node.tag not in (_TAG_TIMESTAMP, _TAG_STR):
            self.fail(node, field, f"{label}应为日期（格式：2026-03-31）")
        value = node.value.strip()
        if not _DATE.match(value):
            self.fail(node, field, f"{label}不是有效日期（格式：2026-03-31）")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(node, field, f"{label}不是有效日期：{value}")

    def unique(self, seen: dict[str, str], value: str, node: Node, field: str, label: str) -> None:
        if value in seen:
            self.fail(node, field, f"{label}“{value}”与 {seen[value]} 重复")
        seen[value] = field

    # The document ------------------------------------------------------------

    def preset(self, text: str) -> Preset:
        try:
            nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            problem = exc.problem or exc.context or "无法解析"
            if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
                problem += f"（{exc.context}，始于第 {exc.context_mark.line + 1} 行）"
            raise PresetInvalid(
                filename=self.filename,
                line=line,
                field="(语法)",
                message=f"YAML 语法错误：{problem}",
            ) from None
        except yaml.YAMLError as exc:
            raise PresetInvalid(
                filename=self.filename, line=0, field="(语法)", message=f"YAML 语法错误：{exc}"
            ) from None
        if not nodes:
            self.fail(None, "(文件)", "文件为空")
        if len(nodes) > 1:
            self.fail(nodes[1], "(文件)", "一个文件只能包含一个预设（发现多个 YAML 文档）")
        root = nodes[0]
        top = self.mapping(
            root,
            "",
            required=(
                "code",
                "name",
                "year",
                "general_requirement",
                "starts_on",
                "ends_on",
                "arrangements",
                "categories",
            ),
            optional=("description", "task_templates", "study_kinds"),
        )
        code = self.slug(top["code"], "code")
        name = self.text(top["name"], "name", "名称", max_length=100)
        year = self.integer(top["year"], "year", "年度", low=2000, high=2100)
        general = self.text(
            top["general_requirement"], "general_requirement", "总要求", max_length=200
        )
        starts_on = self.date(top["starts_on"], "starts_on", "开始日期")
        ends_on = self.date(top["ends_on"], "ends_on", "结束日期")
        if starts_on.year != year:
            self.fail(top["starts_on"], "starts_on", f"开始日期应在 {year} 年内（与 year 一致）")
        if ends_on < starts_on:
            self.fail(top["ends_on"], "ends_on", "结束日期不能早于开始日期")
        description = (
            self.text(top["description"], "description", "说明", max_length=5000, required=False)
            if "description" in top
            else ""
        )
        arrangements = self.arrangements(top["arrangements"])
        categories = self.categories(top["categories"])
        tasks = (
            self.tasks(top["task_templates"], arrangements, starts_on, ends_on)
            if "task_templates" in top
            else ()
        )
        kinds = self.study_kinds(top["study_kinds"]) if "study_kinds" in top else ()
        return Preset(
            filename=self.filename,
            code=code,
            name=name,
            year=year,
            general_requirement=general,
            starts_on=starts_on,
            ends_on=ends_on,
            description=description,
            arrangements=arrangements,
            categories=categories,
            tasks=tasks,
            study_kinds=kinds,
        )

    def arrangements(self, node: Node) -> tuple[ArrangementSpec, ...]:
        out: list[ArrangementSpec] = []
        codes: dict[str, str] = {}  # value → where it first appeared
        names: dict[str, str] = {}
        for i, item in enumerate(self.sequence(node, "arrangements", "工作安排")):
            f = f"arrangements[{i}]"
            m = self.mapping(
                item, f, required=("code", "name"), optional=("requirement", "placeholder")
            )
            spec = ArrangementSpec(
                code=self.slug(m["code"], f"{f}.code"),
                name=self.text(m["name"], f"{f}.name", "名称", max_length=50),
                requirement=self.text(
                    m["requirement"], f"{f}.requirement", "要求", max_length=2000, required=False
                )
                if "requirement" in m
                else "",
                is_placeholder=self.boolean(m["placeholder"], f"{f}.placeholder", "placeholder")
                if "placeholder" in m
                else False,
                order=i + 1,
            )
            self.unique(codes, spec.code, m["code"], f"{f}.code", "代码")
            self.unique(names, spec.name, m["name"], f"{f}.name", "名称")
            out.append(spec)
        return tuple(out)

    def categories(self, node: Node) -> tuple[CategorySpec, ...]:
        out: list[CategorySpec] = []
        codes: dict[str, str] = {}  # value → where it first appeared
        names: dict[str, str] = {}
        for i, item in enumerate(self.sequence(node, "categories", "问题类别")):
            f = f"categories[{i}]"
            m = self.mapping(
                item, f, required=("code", "name"), optional=("description", "placeholder")
            )
            spec = CategorySpec(
                code=self.slug(m["code"], f"{f}.code"),
                name=self.text(m["name"], f"{f}.name", "名称", max_length=50),
                description=self.text(
                    m["description"], f"{f}.description", "说明", max_length=2000, required=False
                )
                if "description" in m
                else "",
                is_placeholder=self.boolean(m["placeholder"], f"{f}.placeholder", "placeholder")
                if "placeholder" in m
                else False,
                order=i + 1,
            )
            self.unique(codes, spec.code, m["code"], f"{f}.code", "代码")
            self.unique(names, spec.name, m["name"], f"{f}.name", "名称")
            out.append(spec)
        return tuple(out)

    def tasks(
        self,
        node: Node,
        arrangements: tuple[ArrangementSpec, ...],
        starts_on: dt.date,
        ends_on: dt.date,
    ) -> tuple[TaskSpec, ...]:
        known = {a.code for a in arrangements}
        out: list[TaskSpec] = []
        codes: dict[str, str] = {}  # value → where it first appeared
        for i, item in enumerate(self.sequence(node, "task_templates", "任务模板", min_items=0)):
            f = f"task_templates[{i}]"
            m = self.mapping(
                item,
                f,
                required=("code", "title", "arrangement", "sectors"),
                optional=("description", "due_on", "due_offset_days"),
            )
            code = self.slug(m["code"], f"{f}.code")
            self.unique(codes, code, m["code"], f"{f}.code", "代码")
            arrangement = self.slug(m["arrangement"], f"{f}.arrangement", "工作安排代码")
            if arrangement not in known:
                choices = "、".join(a.code for a in arrangements)
                self.fail(
                    m["arrangement"],
                    f"{f}.arrangement",
                    f"未知的工作安排“{arrangement}”（可用：{choices}）",
                )
            sectors = self.sectors(m["sectors"], f"{f}.sectors")
            if "due_on" in m and "due_offset_days" in m:
                self.fail(
                    m["due_offset_days"],
                    f"{f}.due_offset_days",
                    "due_on 与 due_offset_days 只能填一个",
                )
            due_on = offset = None
            if "due_on" in m:
                due_on = self.date(m["due_on"], f"{f}.due_on", "完成时限")
                if not starts_on <= due_on <= ends_on:
                    self.fail(m["due_on"], f"{f}.due_on", "完成时限应在活动起止日期之间")
            if "due_offset_days" in m:
                span = (ends_on - starts_on).days
                offset = self.integer(
                    m["due_offset_days"], f"{f}.due_offset_days", "开始后天数", low=0, high=span
                )
            out.append(
                TaskSpec(
                    code=code,
                    title=self.text(m["title"], f"{f}.title", "任务", max_length=200),
                    arrangement=arrangement,
                    sectors=sectors,
                    due_on=due_on,
                    due_offset_days=offset,
                    description=self.text(
                        m["description"],
                        f"{f}.description",
                        "说明",
                        max_length=2000,
                        required=False,
                    )
                    if "description" in m
                    else "",
                    order=i + 1,
                )
            )
        return tuple(out)

    def sectors(self, node: Node, field: str) -> tuple[str, ...]:
        """Sector codes or their Chinese labels (机关, 国企, …), each at most once."""
        by_text = {code: code for code in Sector.values}
        by_text.update({str(label): code for code, label in Sector.choices})
        out: list[str] = []
        for j, item in enumerate(self.sequence(node, field, "适用领域")):
            value = self.text(item, f"{field}[{j}]", "领域", max_length=20)
            if value not in by_text:
                self.fail(
                    item,
                    f"{field}[{j}]",
                    f"未知领域“{value}”（可用：{'、'.join(str(lb) for lb in Sector.labels)}）",
                )
            if by_text[value] in out:
                self.fail(item, f"{field}[{j}]", f"领域“{value}”重复")
            out.append(by_text[value])
        return tuple(out)

    def study_kinds(self, node: Node) -> tuple[StudyKindSpec, ...]:
        out: list[StudyKindSpec] = []
        codes: dict[str, str] = {}  # value → where it first appeared
        names: dict[str, str] = {}
        for i, item in enumerate(self.sequence(node, "study_kinds", "学习形式", min_items=0)):
            f = f"study_kinds[{i}]"
            m = self.mapping(item, f, required=("code", "name"), optional=("description",))
            spec = StudyKindSpec(
                code=self.slug(m["code"], f"{f}.code"),
                name=self.text(m["name"], f"{f}.name", "名称", max_length=50),
                description=self.text(
                    m["description"], f"{f}.description", "说明", max_length=2000, required=False
                )
                if "description" in m
                else "",
                order=i + 1,
            )
            self.unique(codes, spec.code, m["code"], f"{f}.code", "代码")
            self.unique(names, spec.name, m["name"], f"{f}.name", "名称")
            out.append(spec)
        return tuple(out)
