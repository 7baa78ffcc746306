"""A session's files: learning materials (学习材料) and speeches (研讨发言)
added from the session page's action panel, and their access-checked
downloads."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shiji.core.downloads import stored_file_response
from shiji.core.validation import parse_id
from shiji.orgs.selectors import people_visible_to
from shiji.study import services
from shiji.study.models import StudySession
from shiji.study.views.common import session_for
from shiji.study.views.detail import act


@login_required
@require_POST
def material_upload(request: HttpRequest, pk: int) -> HttpResponse:
    def call(session: StudySession) -> str:
        item = services.material_add(
            actor=request.user, session=session, file=request.FILES.get("file")
        )
        return _("已上传学习材料：%(name)s") % {"name": item.original_name}

    return act(request, pk, "material", call)


@login_required
@require_POST
def speech_add(request: HttpRequest, pk: int) -> HttpResponse:
    def call(session: StudySession) -> str:
        person = (
            people_visible_to(user=request.user)
            .filter(zone=session.zone, pk=parse_id(request.POST.get("person")))
            .first()
        )
        services.speech_add(
            actor=request.user,
            session=session,
            person=person,
            title=request.POST.get("title", ""),
            text=request.POST.get("text", ""),
            file=request.FILES.get("file"),
        )
        return _("已添加研讨发言")

    return act(request, pk, "speech", call)


def _file_of(request: HttpRequest, item: Any, missing: str) -> FileResponse:
    # A material or a speech's attachment, through the access-checked view.
    if item is None:
        raise Http404(missing)
    return stored_file_response(
        request,
        item.file,
        filename=item.original_name,
        kind=item.content_kind,
        missing_message=_("文件不存在"),
    )


@login_required
@require_GET
def material_download(request: HttpRequest, pk: int, item_id: int) -> FileResponse:
    session = session_for(request, pk)
    item = session.materials.filter(pk=parse_id(item_id)).first()
    return _file_of(request, item, _("材料不存在"))


@login_required
@require_GET
def speech_download(request: HttpRequest, pk: int, item_id: int) -> FileResponse:
    session = session_for(request, pk)
    item = session.speeches.filter(pk=parse_id(item_id)).exclude(file="").first()
    return _file_of(request, item, _("发言材料不存在"))
