"""Language helpers.

Some text is Chinese whatever the page language, because it is read back
or matched against Chinese: the ledger workbook (its headers and 状态
labels are a contract, DESIGN.md §6, and its import reads the same labels
back), the roster and sign-in sheets (filled in on paper and imported
again), and the campaign preset files (written in Chinese, sectors named by
their Chinese labels). Their choice labels are translatable for the pages,
so the functions that write or read them run in Chinese.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

P = ParamSpec("P")
R = TypeVar("R")

CHINESE = "zh-hans"


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the catalogue, like Django's, but usable where
    settings may not be configured (``core.xlsx`` in a bare script)."""
    return message


def recorded(text: str, /, **params: Any) -> str:
    """Text stored with a record (an audit note, a summary): Chinese whatever
    the page language, like everything the database holds. ``text`` has
    ``%(name)s`` placeholders for ``params``."""
    return text % params if params else text


def in_chinese(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with Chinese active (a fresh override per call: Django's
    ``override`` used as a decorator shares one instance between threads)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(CHINESE):
            return fn(*args, **kwargs)

    return wrapper


@in_chinese
def codes_and_labels(choices: Any) -> list[str]:
    """What an API field of ``choices`` accepts: the codes and the Chinese
    labels. Built at import time, so built in Chinese: otherwise the first
    request language to import the module (English, in a test run or a
    worker) would decide for good which labels the API takes."""
    return [*choices.values, *(str(label) for label in choices.labels)]


@dataclass(frozen=True)
class Message:
    """A message kept as its msgid and parameters, rendered when shown.

    Import checks run in Chinese (the workbook's labels are read in
    Chinese) and their results may be stored (a background job's result),
    yet the import page shows them in the reader's language: an error is
    stored with its Chinese text and its ``msgid``/``params`` (see
    ``stored_text``). Parameters are the workbook's own words (headers,
    cell values, 状态 labels), which stay as written. Made with ``msg``.
    """

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        # Without settings (a bare script reading a workbook) the msgid is the text.
        text = gettext(self.msgid) if settings.configured else self.msgid
        return text % self.params if self.params else text


def msg(msgid: str, **params: Any) -> Message:
    """``msg("列“%(column)s”…", column=…)``: a ``Message``, rendered when
    shown. ``makemessages`` collects ``msg`` like ``gettext_noop``."""
    return Message(msgid, params)


def stored_text(entry: Mapping[str, Any] | str | None) -> str:
    """A stored message in the current language: an entry with ``msgid``
    and ``params`` (``Message``), or Chinese text that is itself a msgid
    (a job's phase, a fixed error); other text is shown as stored."""
    if not entry:
        return ""
    if isinstance(entry, str):
        return gettext(entry)
    msgid = entry.get("msgid")
    if msgid:
        params = entry.get("params") or {}
        try:
            return gettext(msgid) % params if params else gettext(msgid)
        except (KeyError, TypeError, ValueError):
            pass  # a catalogue that does not fit the stored parameters
    text = str(entry.get("message") or "")
    return gettext(text) if text else ""
