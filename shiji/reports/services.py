"""Writes of work updates (工作动态) and bulletins (工作简报). The pages and the
demo loader call these; each runs in one transaction with its audit event.

An update moves 待审核 → 已采用 (approve) or → 已退回 (return, with a reason);
a returned update edited by its organization is 待审核 again. A bulletin is
edited only while it is a draft; issuing it locks its series row, takes the
series' next number (or a later one given explicitly, to continue a series
begun on paper) and moves the series on, so two issues racing each other get
two numbers and a number is never given twice (the unique constraint on
series and number is the backstop).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shiji.audit.kinds import EventKind
from shiji.audit.services import audit_record, created, diff, snapshot
from shiji.core.errors import Conflict, NotFound, invalid
from shiji.core.i18n import recorded
from shiji.core.images import CLEANABLE, image_without_metadata
from shiji.core.uploads import EXTENSIONS, check_upload, stored_upload, upload_name
from shiji.core.validation import clean_date, clean_text, parse_id
from shiji.orgs import policy
from shiji.orgs.models import Zone
from shiji.orgs.selectors import org_reference
from shiji.reports import selectors
from shiji.reports.models import (
    Bulletin,
    BulletinItem,
    BulletinSeries,
    BulletinStatus,
    UpdatePhoto,
    UpdateStatus,
    WorkUpdate,
)

TEXT_LIMIT = 20000
MAX_PHOTOS = 6
MAX_NUMBER = 9999
UPDATE_FIELDS = ["zone", "org", "title", "happened_on", "body", "author"]
UPDATE_EDIT_FIELDS = ["org", "title", "happened_on", "body", "author"]
BULLETIN_EDIT_FIELDS = ["title", "subtitle", "lead", "report_to", "copy_to"]
ITEM_EDIT_FIELDS = ["heading", "body", "byline", "show_photos"]
SERIES_FIELDS = ["zone", "title", "issuer", "report_to", "copy_to", "next_number"]


# Work updates ------------------------------------------------------------------------


def _clean_update(actor: policy.Actor, zone: Zone, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "org" in data:
        out["org"] = org_reference(
            actor=actor, zone=zone, value=data["org"], field="org", label=gettext("报送单位")
        )
    if "title" in data:
        out["title"] = clean_text(
            data["title"], field="title", label=gettext("标题"), max_length=200
        )
    if "happened_on" in data:
        day = clean_date(data["happened_on"], field="happened_on", label=gettext("日期"))
        if day > timezone.localdate():
            raise invalid(happened_on=gettext("日期不能晚于今天"))
        out["happened_on"] = day
    if "body" in data:
        out["body"] = clean_text(
            data["body"], field="body", label=gettext("正文"), max_length=TEXT_LIMIT
        )
    if "author" in data:
        out["author"] = clean_text(
            data["author"], field="author", label=gettext("作者"), max_length=100, required=False
        )
    return out


def _clean_photos(files: Sequence[Any], *, have: int = 0) -> list[tuple[str, bytes]]:
    """Check each photo by its content; the camera's metadata (a phone's GPS
    position, its serial number) is dropped here, before anything is stored:
    bulletins leave the zone."""
    files = [f for f in files if f is not None]
    if have + len(files) > MAX_PHOTOS:
        raise invalid(photos=gettext("每条动态最多 %(n)s 张图片") % {"n": MAX_PHOTOS})
    out = []
    for file in files:
        info = check_upload(file, allowed=CLEANABLE, field="photos")
        out.append((info.kind, image_without_metadata(file, kind=info.kind, field="photos")))
    return out


def _store_photos(
    actor: policy.Actor,
    update: WorkUpdate,
    cleaned: list[tuple[str, bytes]],
    names: list[str],
    stack: contextlib.ExitStack,
) -> list[UpdatePhoto]:
    made = []
    for (kind, data), name in zip(cleaned, names, strict=True):
        photo = UpdatePhoto(
            update=update,
            name=name,
            kind=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=policy.user_of(actor),
        )
        stack.enter_context(stored_upload(photo.file, ContentFile(data), name=name))
        photo.save()
        audit_record(
            actor=actor,
            action=EventKind.UPDATE_PHOTO,
            obj=update,
            changes={"photo": [None, {"name": name, "sha256": photo.sha256}]},
        )
        made.append(photo)
    return made


def _photo_names(files: Sequence[Any], cleaned: list[tuple[str, bytes]]) -> list[str]:
    names = []
    for file, (kind, _data) in zip([f for f in files if f is not None], cleaned, strict=True):
        name = upload_name(file, default=recorded("图片"))
        stem = name.rsplit(".", 1)[0] if "." in name else name
        names.append(stem[:180] + EXTENSIONS[kind])
    return names


def update_submit(
    *,
    actor: policy.Actor,
    zone: Zone,
    org: Any,
    title: Any,
    happened_on: Any,
    body: Any,
    author: Any = "",
    photos: Sequence[Any] = (),
    is_sample: bool = False,
) -> WorkUpdate:
    """A new work update, 待审核, with its photos."""
    values = _clean_update(
        actor,
        zone,
        {"org": org, "title": title, "happened_on": happened_on, "body": body, "author": author},
    )
    policy.require(actor, "update.submit", values["org"])
    cleaned = _clean_photos(photos)  # decoded outside the transaction: it takes a while
    names = _photo_names(photos, cleaned)
    with contextlib.ExitStack() as stack, transaction.atomic():
        update = WorkUpdate.objects.create(
            zone=zone, submitted_by=policy.user_of(actor), is_sample=is_sample, **values
        )
        audit_record(
            actor=actor,
            action=EventKind.UPDATE_SUBMIT,
            obj=update,
            changes=created(update, UPDATE_FIELDS),
        )
        _store_photos(actor, update, cleaned, names, stack)
    return update


def _locked_update(update: WorkUpdate) -> WorkUpdate:
    return WorkUpdate.objects.select_for_update().select_related("zone", "org").get(pk=update.pk)


def _editable(update: WorkUpdate) -> None:
    if update.status == UpdateStatus.APPROVED:
        raise Conflict(gettext("工作动态已采用，不能再修改"))


@transaction.atomic
def update_edit(*, actor: policy.Actor, update: WorkUpdate, **fields: Any) -> WorkUpdate:
    """Change an update not yet approved; a returned one goes back to 待审核."""
    update = _locked_update(update)
    policy.require(actor, "update.submit", update)
    unknown = set(fields) - set(UPDATE_EDIT_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(unknown, gettext("不能修改此字段")))
    _editable(update)
    values = _clean_update(actor, update.zone, fields)
    if "org" in values and values["org"].pk != update.org_id:
        policy.require(actor, "update.submit", values["org"])
    before = snapshot(update, [*UPDATE_EDIT_FIELDS, "status"])
    for key, value in values.items():
        setattr(update, key, value)
    if update.status == UpdateStatus.RETURNED:
        update.status = UpdateStatus.SUBMITTED
    changes = diff(before, snapshot(update, [*UPDATE_EDIT_FIELDS, "status"]))
    if changes:
        update.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action=EventKind.UPDATE_EDIT, obj=update, changes=changes)
    return update


def update_add_photos(
    *, actor: policy.Actor, update: WorkUpdate, photos: Sequence[Any]
) -> list[UpdatePhoto]:
    policy.require(actor, "update.submit", update)
    if not [f for f in photos if f is not None]:
        raise invalid(photos=gettext("请选择要上传的图片"))
    cleaned = _clean_photos(photos)
    names = _photo_names(photos, cleaned)
    with contextlib.ExitStack() as stack, transaction.atomic():
        update = _locked_update(update)
        _editable(update)
        have = update.photos.count()
        if have + len(cleaned) > MAX_PHOTOS:
            raise invalid(photos=gettext("每条动态最多 %(n)s 张图片") % {"n": MAX_PHOTOS})
        return _store_photos(actor, update, cleaned, names, stack)


@transaction.atomic
def update_remove_photo(*, actor: policy.Actor, update: WorkUpdate, photo: Any) -> None:
    update = _locked_update(update)
    policy.require(actor, "update.submit", update)
    _editable(update)
    found = update.photos.filter(pk=photo.pk if isinstance(photo, UpdatePhoto) else parse_id(photo))
    row = found.first()
    if row is None:
        raise NotFound(gettext("图片不存在"))
    audit_record(
        actor=actor,
        action=EventKind.UPDATE_PHOTO_REMOVE,
        obj=update,
        changes={"photo": [{"name": row.name, "sha256": row.sha256}, None]},
    )
    # The bytes stay: content-addressed files may be shared by other rows.
    row.delete()


@transaction.atomic
def update_review(
    *, actor: policy.Actor, update: WorkUpdate, action: str, note: Any = ""
) -> WorkUpdate:
    """采用 (``approve``) or 退回 (``return``, with a reason) a 待审核 update."""
    update = _locked_update(update)
    policy.require(actor, "update.approve", update)
    if action not in ("approve", "return"):
        raise invalid(action=gettext("操作应为 approve 或 return"))
    if update.status != UpdateStatus.SUBMITTED:
        raise Conflict(
            gettext("工作动态当前为“%(status)s”，不能再审核")
            % {"status": update.get_status_display()}
        )
    note = clean_text(
        note,
        field="note",
        label=gettext("退回理由") if action == "return" else gettext("审核意见"),
        max_length=1000,
        required=action == "return",
    )
    target = UpdateStatus.APPROVED if action == "approve" else UpdateStatus.RETURNED
    changes: dict[str, Any] = {"status": [update.status, target]}
    update.status = target
    update.reviewed_by = policy.user_of(actor)
    update.reviewed_at = timezone.now()
    update.return_reason = note if action == "return" else ""
    update.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "return_reason", "updated_at"]
    )
    kind = EventKind.UPDATE_APPROVE if action == "approve" else EventKind.UPDATE_RETURN
    audit_record(actor=actor, action=kind, obj=update, changes=changes, note=note)
    return update


# Bulletin series ---------------------------------------------------------------------


def _clean_number(value: Any, *, field: str, label: str) -> int:
    number = parse_id(value)
    if number < 1 or number > MAX_NUMBER:
        raise invalid(
            **{
                field: gettext("%(label)s应为 1 至 %(max)s 的整数")
                % {"label": label, "max": MAX_NUMBER}
            }
        )
    return number


@transaction.atomic
def series_create(
    *,
    actor: policy.Actor,
    zone: Zone | None,
    title: Any,
    issuer: Any,
    report_to: Any = "",
    copy_to: Any = "",
    first_number: Any = 1,
    is_sample: bool = False,
) -> BulletinSeries:
    """A new series of a zone, or the national one (``zone`` None: only for
    grants over all zones). ``first_number`` lets a series begun on paper
    continue its numbering."""
    probe = BulletinSeries(zone=zone)
    policy.require(actor, "bulletin.manage", probe)
    values = {
        "title": clean_text(title, field="title", label=gettext("简报名称"), max_length=100),
        "issuer": clean_text(issuer, field="issuer", label=gettext("编印单位"), max_length=100),
        "report_to": clean_text(
            report_to, field="report_to", label=gettext("报送"), max_length=300, required=False
        ),
        "copy_to": clean_text(
            copy_to, field="copy_to", label=gettext("抄送"), max_length=300, required=False
        ),
        "next_number": _clean_number(first_number, field="first_number", label=gettext("首期期号")),
    }
    if BulletinSeries.objects.filter(zone=zone, title=values["title"]).exists():
        raise invalid(title=gettext("已有同名的简报系列"))
    series = BulletinSeries.objects.create(zone=zone, is_sample=is_sample, **values)
    audit_record(
        actor=actor,
        action=EventKind.BULLETIN_SERIES_CREATE,
        obj=series,
        changes=created(series, SERIES_FIELDS),
    )
    return series


# Bulletins ---------------------------------------------------------------------------


def _clean_bulletin(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = clean_text(
            data["title"], field="title", label=gettext("标题"), max_length=200
        )
    if "subtitle" in data:
        out["subtitle"] = clean_text(
            data["subtitle"], field="subtitle", label=gettext("副标题"), max_length=200,
            required=False,
        )  # fmt: skip
    if "lead" in data:
        out["lead"] = clean_text(
            data["lead"], field="lead", label=gettext("导语"), max_length=TEXT_LIMIT, required=False
        )
    for key, label in (("report_to", gettext("报送")), ("copy_to", gettext("抄送"))):
        if key in data:
            out[key] = clean_text(data[key], field=key, label=label, max_length=300, required=False)
    return out


def _locked_draft(actor: policy.Actor, bulletin: Bulletin) -> Bulletin:
    # Only the bulletin's row: the series' zone is an outer join (the
    # national series has none), which PostgreSQL refuses to lock.
    bulletin = (
        Bulletin.objects.select_for_update(of=("self",))
        .select_related("series__zone")
        .get(pk=bulletin.pk)
    )
    policy.require(actor, "bulletin.manage", bulletin)
    if bulletin.status != BulletinStatus.DRAFT:
        raise Conflict(gettext("简报已印发，不能再修改；如有错误，请发更正期"))
    return bulletin


def bulletin_create(
    *,
    actor: policy.Actor,
    series: BulletinSeries,
    title: Any,
    subtitle: Any = "",
    lead: Any = "",
    updates: Iterable[Any] = (),
    is_sample: bool = False,
) -> Bulletin:
    """A draft of ``series`` (its 报送/抄送 taken from the series), with the
    given approved updates as its first entries, in that order."""
    with transaction.atomic():
        policy.require(actor, "bulletin.manage", series)
        values = _clean_bulletin({"title": title, "subtitle": subtitle, "lead": lead})
        bulletin = Bulletin.objects.create(
            series=series,
            report_to=series.report_to,
            copy_to=series.copy_to,
            created_by=policy.user_of(actor),
            is_sample=is_sample,
            **values,
        )
        audit_record(
            actor=actor,
            action=EventKind.BULLETIN_CREATE,
            obj=bulletin,
            changes=created(bulletin, ["series", "title", "subtitle", "lead"]),
        )
        wanted = list(updates)
        if wanted:
            bulletin_add_updates(actor=actor, bulletin=bulletin, updates=wanted)
    return bulletin


@transaction.atomic
def bulletin_edit(*, actor: policy.Actor, bulletin: Bulletin, **fields: Any) -> Bulletin:
    bulletin = _locked_draft(actor, bulletin)
    unknown = set(fields) - set(BULLETIN_EDIT_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(unknown, gettext("不能修改此字段")))
    values = _clean_bulletin(fields)
    before = snapshot(bulletin, BULLETIN_EDIT_FIELDS)
    for key, value in values.items():
        setattr(bulletin, key, value)
    changes = diff(before, snapshot(bulletin, BULLETIN_EDIT_FIELDS))
    if changes:
        bulletin.save(update_fields=[*changes, "updated_at"])
        audit_record(actor=actor, action=EventKind.BULLETIN_EDIT, obj=bulletin, changes=changes)
    return bulletin


def _updates_of(
    actor: policy.Actor, bulletin: Bulletin, updates: Iterable[Any]
) -> list[WorkUpdate]:
    """The approved updates to add, given as records or ids: each one the
    actor can see, of the series' zone, approved and not already in the
    bulletin. Any other refuses the whole request (the same answer for an
    update of another zone and for one that does not exist)."""
    wanted = [u.pk if isinstance(u, WorkUpdate) else parse_id(u) for u in updates]
    if not wanted:
        raise invalid(updates=gettext("请选择要编入简报的工作动态"))
    found = selectors.updates_for_bulletin(user=actor, bulletin=bulletin).in_bulk(wanted)
    if any(pk not in found for pk in wanted):
        raise invalid(
            updates=gettext("所选工作动态不存在、未采用、已编入本期或不属于本简报的范围，不能编入")
        )
    return [found[pk] for pk in dict.fromkeys(wanted)]


@transaction.atomic
def bulletin_add_updates(
    *, actor: policy.Actor, bulletin: Bulletin, updates: Iterable[Any]
) -> list[BulletinItem]:
    """Append entries copied from approved updates (title, text, byline)."""
    bulletin = _locked_draft(actor, bulletin)
    chosen = _updates_of(actor, bulletin, updates)
    last = bulletin.items.order_by("-position").values_list("position", flat=True).first() or 0
    items = [
        BulletinItem(
            bulletin=bulletin,
            update=u,
            position=last + i,
            heading=u.title,
            body=u.body,
            byline=u.author,
        )
        for i, u in enumerate(chosen, 1)
    ]
    BulletinItem.objects.bulk_create(items)
    audit_record(
        actor=actor,
        action=EventKind.BULLETIN_ITEM_ADD,
        obj=bulletin,
        changes={"items": [None, [u.title for u in chosen]]},
    )
    return items


def _item(bulletin: Bulletin, item: Any) -> BulletinItem:
    pk = item.pk if isinstance(item, BulletinItem) else parse_id(item)
    found = bulletin.items.filter(pk=pk).first()
    if found is None:
        raise NotFound(gettext("简报条目不存在"))
    return found


@transaction.atomic
def bulletin_item_edit(
    *, actor: policy.Actor, bulletin: Bulletin, item: Any, **fields: Any
) -> BulletinItem:
    """Light editing of an entry: its heading, text, byline, and whether its
    photos are printed. The update the zone submitted is left as it was."""
    bulletin = _locked_draft(actor, bulletin)
    row = _item(bulletin, item)
    unknown = set(fields) - set(ITEM_EDIT_FIELDS)
    if unknown:
        raise invalid(**dict.fromkeys(unknown, gettext("不能修改此字段")))
    values: dict[str, Any] = {}
    if "heading" in fields:
        values["heading"] = clean_text(
            fields["heading"], field="heading", label=gettext("小标题"), max_length=200
        )
    if "body" in fields:
        values["body"] = clean_text(
            fields["body"], field="body", label=gettext("正文"), max_length=TEXT_LIMIT
        )
    if "byline" in fields:
        values["byline"] = clean_text(
            fields["byline"], field="byline", label=gettext("署名"), max_length=100, required=False
        )
    if "show_photos" in fields:
        values["show_photos"] = str(fields["show_photos"]).lower() in ("1", "true", "on", "yes")
    before = snapshot(row, ITEM_EDIT_FIELDS)
    for key, value in values.items():
        setattr(row, key, value)
    changes = diff(before, snapshot(row, ITEM_EDIT_FIELDS))
    if changes:
        row.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action=EventKind.BULLETIN_ITEM_EDIT,
            obj=bulletin,
            changes=changes,
            note=recorded("条目：%(h)s", h=row.heading),
        )
    return row


@transaction.atomic
def bulletin_item_remove(*, actor: policy.Actor, bulletin: Bulletin, item: Any) -> None:
    bulletin = _locked_draft(actor, bulletin)
    row = _item(bulletin, item)
    audit_record(
        actor=actor,
        action=EventKind.BULLETIN_ITEM_REMOVE,
        obj=bulletin,
        changes={"items": [[row.heading], None]},
    )
    row.delete()


@transaction.atomic
def bulletin_reorder(*, actor: policy.Actor, bulletin: Bulletin, order: Sequence[Any]) -> None:
    """Put the entries in ``order`` (their ids, every one exactly once)."""
    bulletin = _locked_draft(actor, bulletin)
    rows = {i.pk: i for i in bulletin.items.order_by("position", "pk")}
    wanted = [parse_id(x) for x in order]
    if sorted(wanted) != sorted(rows):
        raise invalid(order=gettext("条目顺序应列出本期的每个条目各一次"))
    before = [rows[pk].heading for pk in rows]
    for position, pk in enumerate(wanted, 1):
        rows[pk].position = position
    BulletinItem.objects.bulk_update(list(rows.values()), ["position"])
    after = [rows[pk].heading for pk in wanted]
    if before != after:
        audit_record(
            actor=actor, action=EventKind.BULLETIN_ITEM_MOVE, obj=bulletin,
            changes={"items": [before, after]},
        )  # fmt: skip


def bulletin_move_item(*, actor: policy.Actor, bulletin: Bulletin, item: Any, step: int) -> None:
    """Move one entry ``step`` places (-1 up, 1 down) within the order."""
    with transaction.atomic():
        bulletin = _locked_draft(actor, bulletin)
        ids = list(bulletin.items.order_by("position", "pk").values_list("pk", flat=True))
        row = _item(bulletin, item)
        at = ids.index(row.pk)
        to = max(0, min(len(ids) - 1, at + step))
        ids.insert(to, ids.pop(at))
        bulletin_reorder(actor=actor, bulletin=bulletin, order=ids)


@transaction.atomic
def bulletin_issue(
    *, actor: policy.Actor, bulletin: Bulletin, issued_on: Any = None, number: Any = None
) -> Bulletin:
    """Issue a draft as the series' next number (第N期), or as ``number``
    when one is given: never one already used, never one below the series'
    next (the numbers only run forward, so none is reused)."""
    bulletin = _locked_draft(actor, bulletin)
    if not bulletin.items.exists():
        raise invalid(items=gettext("简报还没有编入任何工作动态，不能印发"))
    day = (
        timezone.localdate()
        if issued_on in (None, "")
        else clean_date(issued_on, field="issued_on", label=gettext("印发日期"))
    )
    if day > timezone.localdate():
        raise invalid(issued_on=gettext("印发日期不能晚于今天"))
    # The series row is the numbering's lock: a second issue in the same
    # series waits here until this one commits, then reads the moved number.
    series = BulletinSeries.objects.select_for_update().get(pk=bulletin.series_id)
    if number in (None, ""):
        chosen = series.next_number
    else:
        chosen = _clean_number(number, field="number", label=gettext("期号"))
        if series.bulletins.filter(number=chosen).exists():
            raise invalid(number=gettext("第%(n)s期已使用，期号不能重复") % {"n": chosen})
        if chosen < series.next_number:
            raise invalid(
                number=gettext("期号只能向后编，本系列下一期为第%(n)s期")
                % {"n": series.next_number}
            )
    bulletin.number = chosen
    bulletin.status = BulletinStatus.ISSUED
    bulletin.issued_on = day
    bulletin.issuer = series.issuer
    bulletin.issued_by = policy.user_of(actor)
    bulletin.issued_at = timezone.now()
    try:
        with transaction.atomic():
            bulletin.save(
                update_fields=["number", "status", "issued_on", "issuer", "issued_by",
                               "issued_at", "updated_at"]
            )  # fmt: skip
    except IntegrityError:
        # Only when the lock above was bypassed (a row written by hand).
        raise Conflict(gettext("第%(n)s期已使用，请重新印发") % {"n": chosen}) from None
    series.next_number = chosen + 1
    series.save(update_fields=["next_number"])
    audit_record(
        actor=actor,
        action=EventKind.BULLETIN_ISSUE,
        obj=bulletin,
        changes={
            "number": [None, chosen],
            "status": [BulletinStatus.DRAFT, BulletinStatus.ISSUED],
            "issued_on": [None, day],
        },
    )
    return bulletin


@transaction.atomic
def bulletin_correct(*, actor: policy.Actor, bulletin: Bulletin, note: Any) -> Bulletin:
    """A correction of an issued bulletin: a new draft of the same series
    with its entries copied and the reason given, issued under a new number
    like any other; the issued one stays as it was."""
    original = Bulletin.objects.select_related("series__zone").get(pk=bulletin.pk)
    policy.require(actor, "bulletin.manage", original)
    if not original.is_issued:
        raise Conflict(gettext("简报尚未印发，直接修改即可，无需更正"))
    note = clean_text(note, field="note", label=gettext("更正说明"), max_length=1000)
    draft = Bulletin.objects.create(
        series=original.series,
        title=original.title,
        subtitle=original.subtitle,
        lead=original.lead,
        report_to=original.report_to,
        copy_to=original.copy_to,
        corrects=original,
        correction_note=note,
        created_by=policy.user_of(actor),
        is_sample=original.is_sample,
    )
    BulletinItem.objects.bulk_create(
        BulletinItem(
            bulletin=draft, update_id=i.update_id, position=i.position, heading=i.heading,
            body=i.body, byline=i.byline, show_photos=i.show_photos,
        )
        for i in original.items.order_by("position", "pk")
    )  # fmt: skip
    audit_record(
        actor=actor,
        action=EventKind.BULLETIN_CREATE,
        obj=draft,
        changes={**created(draft, ["series", "title", "corrects"])},
        note=note,
    )
    return draft


@transaction.atomic
def bulletin_delete_draft(*, actor: policy.Actor, bulletin: Bulletin) -> None:
    """Discard a draft. It never had a number, so none is lost."""
    bulletin = _locked_draft(actor, bulletin)
    audit_record(
        actor=actor,
        action=EventKind.BULLETIN_DELETE,
        obj=bulletin,
        changes={"title": [bulletin.title, None]},
    )
    bulletin.delete()
