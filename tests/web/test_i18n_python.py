"""Chinese text in Python goes through gettext, so English mode can show it.

An AST walk over ``shiji/**/*.py`` (migrations excluded) finds every string
literal with Chinese in it that is not an argument of a gettext function
(``gettext``, ``gettext_lazy``, ``_``, ``ngettext``, ``pgettext`` …).
Docstrings are not user-facing and are skipped, and so is the OpenAPI
documentation (``API_DOCS``).

``CHINESE_ON_PURPOSE`` lists what stays Chinese by design, with the reason.
``PENDING`` is the debt still to wrap, per file: a file's count may only go
down (lower the number when you wrap strings; the test says when). New files
start at zero, so new user-facing Chinese must be wrapped from the start.
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
}

# The OpenAPI document's words (``summary=``, ``description=`` of operations,
# parameters and schema fields): the API's documentation, written in Chinese
# for the zones' integrators, not text of the pages.
API_DOCS = {"summary", "description"}

CHINESE_ON_PURPOSE = {
    # Demo data from the seed: zones, org trees, rosters, problems (data, not UI).
    "shiji/demo/": "demo data",
    # Campaign preset files are Chinese data; the loader's keys name their fields.
    "shiji/campaigns/presets.py": "preset keys and preset data",
    # Each event kind carries its Chinese and its English side by side.
    "shiji/audit/kinds.py": "bilingual by construction (zh, en pairs)",
    # The ledger workbook's sheet name, headers and status labels are a contract (DESIGN.md §6).
    "shiji/ledger/excel/layout.py": "the ledger workbook contract",
    # Console output for operators (cron, deploys), like the README's commands.
    "/management/commands/": "operator console output",
}

PENDING = {
    "api.py": 27,
    "audit/chain.py": 2,
    "audit/checkpoints.py": 12,
    "audit/keys.py": 1,
    "audit/services.py": 11,
    "audit/timeline.py": 1,
    "audit/verify.py": 12,
    "campaigns/api.py": 1,
    "campaigns/excel.py": 3,
    "campaigns/services/adoption.py": 4,
    "campaigns/services/categories.py": 15,
    "campaigns/services/presets.py": 9,
    "campaigns/services/tasks.py": 25,
    "core/schemas.py": 3,
    "core/thumbnails.py": 1,
    "core/workflow.py": 1,
    "core/xlsx/paper.py": 5,
    "core/xlsx/reader.py": 50,
    "core/xlsx/writer.py": 6,
    "ledger/api.py": 7,
    "ledger/excel/apply.py": 4,
    "ledger/excel/export.py": 8,
    "ledger/excel/plan.py": 99,
    "ledger/services.py": 6,
    "ledger/tasks.py": 12,
    "ledger/views_excel.py": 1,
    "ledger/workflow.py": 7,
    "orgs/admin.py": 1,
    "orgs/api.py": 2,
    "orgs/models.py": 3,
    "orgs/policy.py": 2,
    "orgs/roster/apply.py": 10,
    "orgs/roster/plan.py": 103,
    "orgs/roster/template.py": 19,
    "orgs/selectors.py": 6,
    "orgs/services/accounts.py": 22,
    "orgs/services/signin.py": 5,
    "orgs/services/tree.py": 20,
    "orgs/usernames.py": 1,
    "orgs/views_accounts.py": 1,
    "orgs/views_roster.py": 1,
    "regulations/api.py": 1,
    "regulations/apps.py": 1,
    "regulations/services.py": 2,
    "regulations/workflow.py": 3,
    "settings.py": 1,
    "study/api.py": 4,
    "study/apps.py": 1,
    "study/excel.py": 58,
    "study/services/files.py": 7,
    "study/services/groups.py": 16,
    "study/services/sessions.py": 17,
    "study/views.py": 1,
    "study/views_groups.py": 1,
    "urls.py": 1,
}


def _gettext_call(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return name in GETTEXT


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of each Chinese literal outside gettext, docstrings excepted."""
    tree = ast.parse(source)
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not CJK.search(node.value):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Expr):  # a docstring or a bare string
            continue
        if isinstance(parent, ast.keyword) and parent.arg in API_DOCS:
            continue
        while isinstance(parent, ast.JoinedStr | ast.FormattedValue):
            parent = parents.get(parent)
        if _gettext_call(parent):
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
'''
    assert [n for n, _ in untranslated(source)] == [5, 8, 8]  # an f-string counts per piece
