"""Files of a session: materials, and speeches (研讨发言) with their file."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record
from shiji.core.errors import invalid
from shiji.core.i18n import recorded
from shiji.core.uploads import check_upload, stored_upload
from shiji.core.validation import clean_text
from shiji.orgs import policy
from shiji.orgs.models import Person
from shiji.study.models import (
    Material,
    Speech,
    StudySession,
)
from shiji.study.services.sessions import FILE_KINDS, REFUSED, TEXT_LIMIT, locked_session

# Files ---------------------------------------------------------------------------


def _file_name(file: Any, field: str) -> str:
    return (
        clean_text(
            getattr(file, "name", "") or recorded("文件"),
            field=field,
            label=gettext("文件名"),
            max_length=200,
        )
        .replace("\\", "/")
        .rsplit("/", 1)[-1]
    )


@transaction.atomic
def material_add(*, actor: policy.Actor, session: StudySession, file: Any) -> Material:
    session = locked_session(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    info = check_upload(file, allowed=FILE_KINDS)
    name = _file_name(file, "file")
    material = Material(
        session=session,
        original_name=name,
        content_kind=info.kind,
        size=info.size,
        sha256=info.sha256,
        uploaded_by=policy.user_of(actor),
    )
    with stored_upload(material.file, file, name=name):
        material.save()
        session.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action=EventKind.STUDY_MATERIAL,
            obj=session,
            changes={"material": [None, {"name": name, "sha256": info.sha256}]},
        )
    return material


@transaction.atomic
def speech_add(
    *,
    actor: policy.Actor,
    session: StudySession,
    person: Any,
    title: Any,
    text: Any = "",
    file: Any = None,
) -> Speech:
    """A speech or written reflection (研讨发言) by someone of the session's
    org subtree: a text, a file, or both."""
    session = locked_session(session)
    policy.require(actor, "study.manage", session, message=REFUSED)
    if (
        not isinstance(person, Person)
        or person.zone_id != session.zone_id
        or not person.org.path.startswith(session.org.path)
    ):
        raise invalid(
            person=gettext("发言人应为%(org)s及其下级组织的人员") % {"org": session.org.name}
        )
    title = clean_text(title, field="title", label=gettext("发言题目"), max_length=200)
    text = clean_text(
        text, field="text", label=gettext("发言内容"), max_length=TEXT_LIMIT, required=False
    )
    if not text and file is None:
        raise invalid(text=gettext("请填写发言内容或上传发言材料"))
    speech = Speech(
        session=session,
        person=person,
        title=title,
        text=text,
        created_by=policy.user_of(actor),
    )
    # A speech without a file stores nothing, so there is nothing to undo.
    stored: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if file is not None:
        info = check_upload(file, allowed=FILE_KINDS)
        speech.original_name = _file_name(file, "file")
        speech.content_kind, speech.size, speech.sha256 = info.kind, info.size, info.sha256
        stored = stored_upload(speech.file, file, name=speech.original_name)
    with stored:
        speech.save()
        session.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action=EventKind.STUDY_SPEECH,
            obj=session,
            changes={
                "speech": [
                    None,
                    {"person": person.name, "title": title, "sha256": speech.sha256 or None},
                ]
            },
        )
    return speech
