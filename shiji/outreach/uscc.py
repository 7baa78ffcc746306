"""统一社会信用代码 (unified social credit code), GB 32100-2015.

Eighteen characters from the alphabet ``0-9A-HJ-NPQRTUWXY`` (no I, O, Z, S
or V, which read like digits):

=======  ==========================================================
1        登记管理部门代码 (registration authority: 9 市场监管, 5 民政, …)
2        机构类别代码 (organization type within that authority)
3–8      登记管理机关行政区划码 (GB/T 2260 region of the registrar)
9–17     主体标识码 (the GB 11714 organization code: eight characters
         and its own check character, 0–9 or X, weights 3 7 9 10 5 8 4 2
         mod 11)
18       校验码: weights 3^i mod 31 over the first 17, mod 31
=======  ==========================================================

``clean_credit_code`` normalizes what a person types (full-width
characters, lower case, spaces and hyphens from a printed licence) and
refuses a code that cannot be one, naming the part that is wrong, so that a
typo is caught at the desk rather than in a later cross-check.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.utils.translation import gettext as _

from shiji.core.errors import invalid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
# 3^i mod 31 for positions 1..17 (GB 32100-2015 §5).
WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))
# GB 11714-1997: weights of the organization code's eight body characters.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Registration authorities of GB 32100 and its later assignments (2–8 other
# ministries, A 军队, N 农业农村); Y 其他.
AUTHORITIES = frozenset("123456789ANY")
# Province-level prefixes of GB/T 2260, and 10 for central registrars (100000).
PROVINCES = frozenset(
    f"{n}"
    for n in (10, 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
              46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82)
)  # fmt: skip
_EXCLUDED = frozenset("IOZSV")


def check_char(first17: str) -> str:
    """The 18th character for the first seventeen."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_char(body: str) -> str:
    """The GB 11714 check character of an organization code's first eight."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w
        for c, w in zip(body, ORG_WEIGHTS, strict=True)
    )
    rest = 11 - total % 11
    return "0" if rest == 11 else "X" if rest == 10 else str(rest)


def normalize(value: Any) -> str:
    """Half-width, upper case, without the spaces and hyphens of a printout."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(c for c in text if not c.isspace() and c != "-").upper()


def problem(code: str) -> str:
    """What is wrong with ``code`` (already normalized), or "" for a valid one."""
    label = _("统一社会信用代码")
    if not code:
        return _("请填写%(label)s") % {"label": label}
    if len(code) != LENGTH:
        return _("%(label)s应为 18 位，现在是 %(n)d 位") % {"label": label, "n": len(code)}
    bad = [c for c in code if c not in ALPHABET]
    if bad:
        shown = bad[0] if bad[0].isprintable() else "?"
        if bad[0] in _EXCLUDED:
            return _("%(label)s中不能有字母“%(c)s”（不使用 I、O、Z、S、V），请核对是否应为数字") % {
                "label": label,
                "c": shown,
            }
        return _("%(label)s只能由数字和大写字母组成，“%(c)s”不允许") % {
            "label": label,
            "c": shown,
        }
    if code[0] not in AUTHORITIES:
        return _("第 1 位（登记管理部门代码）“%(c)s”无效，应为 1–9、A、N 或 Y") % {"c": code[0]}
    if not "1" <= code[1] <= "9":
        return _("第 2 位（机构类别代码）“%(c)s”无效，应为数字 1–9") % {"c": code[1]}
    region = code[2:8]
    if not region.isdigit() or region[:2] not in PROVINCES:
        return _("第 3–8 位（登记管理机关行政区划码）“%(r)s”不是有效的行政区划码") % {"r": region}
    if org_check_char(code[8:16]) != code[16]:
        return _("第 9–17 位（组织机构代码）的校验位不正确，请核对是否有输入错误")
    if check_char(code[:17]) != code[17]:
        return _("%(label)s的校验码（第 18 位）不正确，请核对是否有输入错误") % {"label": label}
    return ""


def is_valid(value: Any) -> bool:
    return not problem(normalize(value))


def clean_credit_code(value: Any, *, field: str = "credit_code") -> str:
    """The normalized code, or ``Invalid`` with the Chinese reason under ``field``."""
    code = normalize(value)
    reason = problem(code)
    if reason:
        raise invalid(**{field: reason})
    return code
