"""The English catalogue is complete and compiled.

``msgfmt`` (GNU gettext, in the Makefile's system-deps) checks the .po: every
message translated, none fuzzy, placeholders matching (``--check``); the .mo
compiled from it in a temporary folder must equal the committed one, so a
change to the .po cannot be forgotten by ``compilemessages``. After changing
strings: ``manage.py makemessages -l en --add-location=file --no-obsolete``,
translate, ``manage.py compilemessages``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "shiji" / "locale" / "en" / "LC_MESSAGES"

MSGFMT = shutil.which("msgfmt") or "msgfmt"
pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed: make system-deps"
)


def _compile(tmp_path: Path) -> tuple[str, bytes]:
    out = tmp_path / "django.mo"
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        [MSGFMT, "--check", "--statistics", "-o", str(out), str(LOCALE / "django.po")],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.strip(), out.read_bytes()


def test_every_message_is_translated_and_none_is_fuzzy(tmp_path):
    statistics, _ = _compile(tmp_path)
    assert "translated messages" in statistics
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    _, compiled = _compile(tmp_path)
    assert (LOCALE / "django.mo").read_bytes() == compiled, "run manage.py compilemessages"
