"""Every template is translatable: no Chinese text outside the translation tags.

This is the static half of the English check (the rendered half is
``test_i18n_pages.py``). Each template under ``shiji/**/templates`` is split
with Django's own template lexer, and Chinese characters are allowed only

- inside ``{% translate %}`` / ``{% blocktranslate %}`` (the catalogue has
  their English), or ``_("…")`` in a filter argument;
- in template comments (``{# #}``, ``{% comment %}``);
- in an element marked ``lang="zh-Hans"``: Chinese on purpose, in both
  languages (the 中文 button of the language switch, the 实 logo glyph, the
  Chinese half of the bilingual 500 page). Keep these few and marked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2] / "shiji"
TEMPLATES = sorted(p for p in ROOT.glob("**/templates/**/*.html"))

# Ideographs, CJK punctuation and full-width forms: a "，" or "（" left in the
# English page is as untranslated as a word.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
TRANSLATED_ARG = re.compile(r"""_\(\s*(?:"[^"]*"|'[^']*')\s*\)""")
# An element that says its content is Chinese on purpose: <x ... lang="zh-Hans" ...>中文</x>.
ON_PURPOSE = re.compile(
    r"""<(?P<tag>[a-z0-9]+)\b[^>]*\blang=["']zh-hans["'][^>]*>.*?</(?P=tag)>""",
    re.IGNORECASE | re.DOTALL,
)
TRANSLATE_TAGS = ("translate ", "trans ", "blocktranslate", "blocktrans")
OPENING = {"blocktranslate", "blocktrans", "comment", "verbatim"}


def chinese_outside_translation(source: str) -> list[tuple[int, str]]:
    """(line, text) for each piece of Chinese that no translation covers."""
    found: list[tuple[int, str]] = []
    inside: str | None = None  # the block tag whose body is being skipped
    for token in Lexer(source).tokenize():
        content = token.contents
        if token.token_type == TokenType.COMMENT:
            continue
        if token.token_type == TokenType.BLOCK:
            name = content.split(" ", 1)[0]
            if inside:
                if name == "end" + inside:
                    inside = None
                continue
            if name in OPENING:
                inside = name
                continue
            if content.startswith(TRANSLATE_TAGS):
                continue
            rest = TRANSLATED_ARG.sub("", content)
        elif inside:
            continue
        elif token.token_type == TokenType.VAR:
            rest = TRANSLATED_ARG.sub("", content)
        else:
            rest = ON_PURPOSE.sub("", content)
        for line_offset, line in enumerate(rest.splitlines() or [rest]):
            if CJK.search(line):
                found.append((token.lineno + line_offset, line.strip()[:80]))
    return found


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_chinese_outside_translation(path: Path):
    found = chinese_outside_translation(path.read_text(encoding="utf-8"))
    assert not found, "\n".join(f"{path.relative_to(ROOT)}:{n}: {text}" for n, text in found)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('{% translate "整改" %}', False),
        ("{% blocktranslate %}共 {{ n }} 条{% endblocktranslate %}", False),
        (
            "{% blocktranslate count n=n %}{{ n }} 人{% plural %}{{ n }} 人{% endblocktranslate %}",
            False,
        ),
        ("{# 说明 #}{% comment %}说明{% endcomment %}", False),
        ('{{ x|default:_("无") }}', False),
        ('<button lang="zh-Hans" name="language">中文</button>', False),
        ("<p>整改</p>", True),
        ('{{ x|default:"无" }}', True),
        ('{% include "a.html" with title="标题" %}', True),
        ("<p>{{ a }}、{{ b }}</p>", True),
        ('<span lang="en">中文</span>', True),
    ],
)
def test_the_check_itself(source: str, flagged: bool):
    assert bool(chinese_outside_translation(source)) is flagged
