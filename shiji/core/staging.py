"""Uploads parked between a dry run and its confirmation (``StagedUpload``).

A dry-run view checks the file, parks it with ``staged_create`` and shows the
preview with the staged id; the confirm view fetches it with
``staged_get_for_user`` (only the uploader, only for a day: anyone else gets
404) and imports the stored bytes.

Staged rows are scratch copies, not campaign records, so they write no audit
event: the import that consumes one records the file's name and SHA-256.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.core.errors import NotFound
from shiji.core.models import StagedUpload
from shiji.core.uploads import UploadInfo
from shiji.core.validation import parse_id
from shiji.orgs.policy import user_of

if TYPE_CHECKING:
    from shiji.orgs.policy import Actor

MAX_AGE = dt.timedelta(days=1)


@transaction.atomic
def staged_create(
    *, actor: Actor, zone: Any, purpose: str, file: IO[bytes] | Any, info: UploadInfo
) -> StagedUpload:
    """Park an upload that ``check_upload`` has accepted (``info`` is its result)."""
    user = user_of(actor)
    if user is None:
        # The row belongs to the account that will confirm the upload
        # (uploaded_by is required): the system confirms nothing, so it
        # stages nothing. Before, this failed later, as an IntegrityError.
        raise TypeError("an upload is staged for a signed-in user, not for the system")
    file.seek(0)
    content = file.read()
    file.seek(0)
    name = str(getattr(file, "name", "") or "upload").replace("\x00", "")
    staged = StagedUpload.objects.create(
        uploaded_by=user,
        zone=zone,
        purpose=purpose,
        original_name=name.rsplit("/", 1)[-1][-255:],
        kind=info.kind,
        sha256=info.sha256,
        size=info.size,
        content=content,
    )
    return staged


def staged_get_for_user(*, user: Any, pk: Any, purpose: str, lock: bool = False) -> StagedUpload:
    """The user's own, unexpired staged upload; anything else is NotFound."""
    pk = parse_id(pk)
    qs = StagedUpload.objects.select_related("zone").filter(
        pk=pk,
        purpose=purpose,
        uploaded_by_id=getattr(user, "pk", None),
        created_at__gte=timezone.now() - MAX_AGE,
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    staged = qs.first()
    if staged is None:
        raise NotFound(gettext("上传的文件已导入或已过期，请重新上传"))
    return staged


def staged_file(staged: StagedUpload) -> io.BytesIO:
    """The parked bytes as a file object, named like the original upload."""
    file = io.BytesIO(bytes(staged.content))
    file.name = staged.original_name
    return file


def staged_purge(*, now: dt.datetime | None = None, max_age: dt.timedelta = MAX_AGE) -> int:
    """Delete staged uploads older than ``max_age``; returns how many."""
    cutoff = (now or timezone.now()) - max_age
    deleted, _ = StagedUpload.objects.filter(created_at__lt=cutoff).delete()
    return deleted
