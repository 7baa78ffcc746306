"""Chinese text in Python goes through gettext, so English mode can show it.

An AST walk over ``shiji/**/*.py`` (migrations excluded) finds every string
literal with Chinese in it that is not an argument of a gettext function
(``gettext``, ``gettext_lazy``, ``_``, ``ngettext``, ``pgettext`` …).
Docstrings are not user-facing and are skipped, and so is the OpenAPI
documentation (``API_DOCS``).

``CHINESE_ON_PURPOSE`` lists what stays Chinese by design, with the reason:
whole files, or a line marked ``# zh-only: <reason>``.
``PENDING`` was the debt still to wrap, per file (now none): a file's count
may only go down. Every file is at zero, so new user-facing Chinese must be
wrapped from the start. Messages kept with their parameters and rendered
when shown go through ``core.i18n.msg``; text stored with a record (audit
notes, summaries) through ``core.i18n.recorded``, which stays Chinese.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
GETTEXT = {
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "_",
    "_l",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "msg",  # core.i18n.msg: a message rendered when shown
    # Not gettext: core.i18n.recorded, text stored with a record (audit notes,
    # summaries), Chinese on purpose like everything the database holds.
    "recorded",
}

# The OpenAPI document's words (``summary=``, ``description=`` of operations,
# parameters and schema fields, the routers' ``tags=``): the API's documentation, written in Chinese
# for the zones' integrators, not text of the pages.
API_DOCS = {"summary", "description", "tags"}

CHINESE_ON_PURPOSE = {
    # Demo data from the seed: zones, org trees, rosters, problems (data, not UI).
    "shiji/demo/": "demo data",
    # Campaign preset files are Chinese data; the loader's keys name their fields.
    "shiji/campaigns/presets.py": "preset keys and preset data",
    # Each event kind carries its Chinese and its English side by side.
    "shiji/audit/kinds.py": "bilingual by construction (zh, en pairs)",
    # The ledger workbook's sheet name, headers and status labels are a contract (DESIGN.md §6).
    "shiji/ledger/excel/layout.py": "the ledger workbook contract",
    # The roster workbook: its layout and the template (instructions, examples)
    # are filled in and imported back in Chinese.
    "shiji/orgs/roster/layout.py": "the roster workbook's layout",
    "shiji/orgs/roster/template.py": "the roster template, a Chinese workbook",
    "shiji/study/signin_layout.py": "the sign-in sheet, a Chinese paper form",
    # The indicator library file's reader: a Chinese data file, loaded by
    # operators (manage.py load_indicators, the demo), its messages their console's.
    "shiji/assessment/library.py": "the indicator library file and its loader's messages",
    # Sample figures and target trajectories for the demo (data, not UI).
    "shiji/assessment/samples.py": "sample data",
    # The generated national data set (generate_national): its texts and the
    # list of the national high-tech zones are data, not UI.
    "shiji/national/generator.py": "generated national data",
    "shiji/national/zones.py": "the national high-tech zones (data)",
    # The bulletin's Word file and its number: a Chinese document whatever the
    # page's language (GB/T 9704: fonts by their Chinese names, 第N期, 报送/抄送),
    # like the printed bulletin page, which is marked lang="zh-Hans".
    "shiji/reports/docx.py": "the bulletin's Word file, a Chinese document",
    # Console output for operators (cron, deploys), like the README's commands.
    "/management/commands/": "operator console output",
}

# A literal on a line with this comment stays Chinese: characters and
# patterns the workbooks are read with, the workbooks' own words.
ZH_ONLY = "# zh-only:"

PENDING: dict[str, int] = {}  # all wrapped (2026-12-01); a file listed here may only go down


def _gettext_call(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return name in GETTEXT


def _is_api_doc(node: ast.AST | None) -> bool:
    return isinstance(node, ast.keyword) and node.arg in API_DOCS


def _api_doc_value(mapping: ast.Dict, value: ast.AST) -> bool:
    """``{"description": "…"}`` in an operation's ``openapi_extra``."""
    for key, item in zip(mapping.keys, mapping.values, strict=True):
        if item is value:
            return isinstance(key, ast.Constant) and key.value in API_DOCS
    return False


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of each Chinese literal outside gettext, docstrings excepted,
    and literals on a line marked ``# zh-only: <reason>`` (the allow-list)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not CJK.search(node.value.replace("\u3000", "")):
            continue  # no Chinese, or only full-width spaces (indenting a tree)
        parent = parents.get(node)
        if isinstance(parent, ast.Expr):  # a docstring or a bare string
            continue
        child = node
        while isinstance(parent, ast.JoinedStr | ast.FormattedValue):
            child, parent = parent, parents.get(parent)
        if isinstance(parent, ast.keyword) and parent.arg in API_DOCS:
            continue
        if isinstance(parent, ast.List) and _is_api_doc(parents.get(parent)):
            continue  # tags=["…"]
        if isinstance(parent, ast.Dict) and _api_doc_value(parent, child):
            continue
        if _gettext_call(parent):
            continue
        end = node.end_lineno or node.lineno
        if any(ZH_ONLY in lines[n - 1] for n in range(node.lineno, end + 1)):
            continue
        found.append((node.lineno, node.value[:60]))
    return found


def _files() -> dict[str, list[tuple[int, str]]]:
    result = {}
    for path in sorted((ROOT / "shiji").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel or any(key in rel for key in CHINESE_ON_PURPOSE):
            continue
        found = untranslated(path.read_text(encoding="utf-8"))
        if found:
            result[rel.removeprefix("shiji/")] = found
    return result


def test_no_new_untranslated_chinese_in_python():
    grown, shrunk = [], []
    files = _files()
    for rel, found in files.items():
        allowed = PENDING.get(rel, 0)
        if len(found) > allowed:
            lines = "\n".join(f"    {rel}:{n}: {text!r}" for n, text in found)
            grown.append(f"{rel}: {len(found)} untranslated (allowed {allowed}):\n{lines}")
    for rel, allowed in PENDING.items():
        now = len(files.get(rel, []))
        if now < allowed:
            shrunk.append(f"{rel}: {now} (PENDING says {allowed}: lower it)")
    assert not grown, "Wrap these in gettext / gettext_lazy:\n" + "\n".join(grown)
    assert not shrunk, "\n".join(shrunk)


def test_the_check_itself():
    source = '''
"""模块说明"""
from django.utils.translation import gettext as _, gettext_lazy
A = gettext_lazy("标签")
B = "标签"
def f(x):
    """说明"""
    return _("你好"), f"共 {x} 条", "ok"
C = "、"  # zh-only: a separator
'''
    assert [n for n, _ in untranslated(source)] == [5, 8, 8]  # an f-string counts per piece
