"""The one rule for usernames, used by the account form, the API, the demo
loader, ``createsuperuser`` and the admin (through the model field).

A username is a sign-in identifier that people read aloud and type, so it is
kept to plain ASCII: letters, digits and ``. _ - @``, starting with a letter
or digit, 3 to 64 characters. That refuses every look-alike (a Cyrillic "а"
in "аdmin", a Greek "ο", zero-width characters) without a confusables table.
Input is NFKC-normalised first, so full-width letters typed with a Chinese
input method ("ａｄｍｉｎ") become the ASCII they look like instead of an error.

Usernames keep the case they were given but are unique and matched without
regard to case (a unique index on ``lower(username)``): "Admin" is "admin".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$"
USERNAME_RULE = gettext_lazy("用户名应为 3–64 位英文字母、数字或 . _ - @，并以字母或数字开头")
# Longest text a login form or token request may carry as a username.
MAX_TYPED = 150
_USERNAME = re.compile(USERNAME_PATTERN, re.ASCII)


def normalize_username(value: Any) -> str:
    """What the user meant: NFKC (full-width to ASCII), surrounding blanks dropped."""
    return unicodedata.normalize("NFKC", value if isinstance(value, str) else "").strip()


@deconstructible
class UsernameValidator:
    """The model field's validator (``createsuperuser``, the admin, ``full_clean``)."""

    message = USERNAME_RULE
    code = "invalid_username"

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str) or not _USERNAME.fullmatch(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UsernameValidator)

    def __hash__(self) -> int:
        return hash(self.code)


validate_username = UsernameValidator()


def login_key(typed: Any) -> str:
    """The form of a typed username that sign-in matches and counts failures
    under: normalised and lower-cased, so "Admin", "ADMIN" and "ａｄｍｉｎ" are one
    account and one failure counter. Empty for nothing usable."""
    text = normalize_username(typed)
    if not text or len(text) > MAX_TYPED or "\x00" in text:
        return ""
    return text.lower()
