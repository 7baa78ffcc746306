"""Bulletins in the JSON API (DESIGN.md §6, Reports): the list of issued
bulletins the caller can read, and one bulletin as .docx. Reads only; the
bulletins are compiled and issued on the pages."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema

from shiji.core.downloads import attachment_response
from shiji.core.schemas import COMMON_ERRORS, ErrorOut, Id
from shiji.core.uploads import CONTENT_TYPES
from shiji.reports import selectors
from shiji.reports.views_bulletins import docx_download

router = Router(tags=["工作简报"])

DOCX = CONTENT_TYPES["docx"]


class BulletinOut(Schema):
    id: int
    series: str = Field(description="简报名称，如“树立和践行正确政绩观学习教育简报”")
    number: int = Field(description="期号（第N期）")
    title: str
    issued_on: dt.date


class BulletinList(Schema):
    items: list[BulletinOut]


@router.get(
    "bulletins",
    response={200: BulletinList, **COMMON_ERRORS},
    summary="已印发的工作简报",
    description="调用者可查看的已印发简报，按印发日期从新到旧。编辑中的草稿不列出。",
)
def bulletin_list(request):
    rows = selectors.bulletins_issued_visible_to(user=request.user)
    return {
        "items": [
            {
                "id": b.pk,
                "series": b.series.title,
                "number": b.number,
                "title": b.title,
                "issued_on": b.issued_on,
            }
            for b in rows
        ]
    }


@router.get(
    "bulletins/{bulletin_id}/docx",
    response={404: ErrorOut, **COMMON_ERRORS},
    summary="下载工作简报（.docx）",
    description="按党政机关公文格式（GB/T 9704）排版的 Word 文件。不可见的简报返回 404。",
    openapi_extra={
        "responses": {
            200: {
                "description": "工作简报 Word 文件",
                "content": {DOCX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def bulletin_docx(request, bulletin_id: Id):
    bulletin = selectors.bulletin_get_for_user(user=request.user, pk=bulletin_id)
    data, filename = docx_download(bulletin)
    return attachment_response(data, filename=filename, kind="docx")
