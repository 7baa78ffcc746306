"""Template helpers for stored files and file inputs: ``{% load files %}``.

- ``kind|is_image``: the file has a thumbnail and opens in the image viewer.
- ``kind|opens_inline``: the browser may show it itself (``?inline=1``).
- ``items|images`` and ``items|other_files``: the records (with a
  ``content_kind``) that are images, and the rest, to list images as
  thumbnails and the others as links.
- ``{% upload_limit_attrs %}`` on an ``<input type="file">``: the size limit
  and its message, for the check ``shiji.js`` makes before sending (the
  server checks again); ``{% upload_limit_attrs max_bytes %}`` for an input
  whose service allows less than the site-wide limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from shiji.core.downloads import INLINE_KINDS
from shiji.core.thumbnails import has_thumbnail
from shiji.core.uploads import too_big_message, upload_limit

register = template.Library()


@register.filter
def is_image(kind: str) -> bool:
    return has_thumbnail(kind)


@register.filter
def opens_inline(kind: str) -> bool:
    return kind in INLINE_KINDS


@register.filter
def images(items: Iterable[Any]) -> list[Any]:
    return [item for item in items if has_thumbnail(item.content_kind)]


@register.filter
def other_files(items: Iterable[Any]) -> list[Any]:
    return [item for item in items if not has_thumbnail(item.content_kind)]


@register.simple_tag
def upload_limit_attrs(max_bytes: int | None = None) -> SafeString:
    limit = upload_limit(max_bytes)
    return format_html('data-max-bytes="{}" data-max-message="{}"', limit, too_big_message(limit))
