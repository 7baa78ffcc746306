"""The campaign app stands on its own: it never imports the ledger.

The task list and the matrix colour their rows with the traffic light from
shiji.core.lights; an import of shiji.ledger here would tie the campaign's
layout to one of the apps it configures. The test reads the source (no import
needed), so a lazy import inside a function is caught as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import shiji

ROOT = Path(shiji.__file__).parent


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every module named by an import statement in the package's files."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = "shiji." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import: resolve against this module
                    base = module.rsplit(".", node.level)[0]
                    names.add(f"{base}.{node.module}" if node.module else base)
                elif node.module:
                    names.add(node.module)
                    if node.module == "shiji":
                        names.update(f"shiji.{alias.name}" for alias in node.names)
        found[module] = names
    return found


def test_the_walker_sees_imports():
    # Guard against a walker that finds nothing and so passes vacuously.
    modules = imported_modules("campaigns")
    assert "shiji.core.lights" in modules["shiji.campaigns.selectors"]


def test_campaigns_do_not_import_the_ledger():
    offenders = {
        module: sorted(n for n in names if n == "shiji.ledger" or n.startswith("shiji.ledger."))
        for module, names in imported_modules("campaigns").items()
    }
    assert {m: n for m, n in offenders.items() if n} == {}


def test_campaign_templates_do_not_include_ledger_templates():
    # The shared partials (the light, file links, thumbnails) live in web/;
    # a campaign page that reached into ledger/ would break with its layout.
    used = {
        path.relative_to(ROOT).as_posix(): re.findall(
            r"{%\s*(?:include|extends)\s+[\"']([^\"']+)", path.read_text(encoding="utf-8")
        )
        for path in sorted((ROOT / "campaigns" / "templates").rglob("*.html"))
    }
    assert any(names for names in used.values())  # the walker sees includes
    offenders = {p: [n for n in names if n.startswith("ledger/")] for p, names in used.items()}
    assert {p: n for p, n in offenders.items() if n} == {}
