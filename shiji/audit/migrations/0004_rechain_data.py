"""One keyed chain per zone, step 2 of 3: the data.

Existing events are split into the chain of their zone (events without a
zone form the system chain), renumbered within it in their old order, given
the scope anchor of their object's org, and signed with the current key
(AUDIT_HMAC_KEYS). Before that, the old chain is checked with the old,
unkeyed rule; whatever it finds is recorded — not hidden — in a final
``audit.rechain`` event of the system chain, so the new chain carries the
result of the last check the old one could get. Nothing is refused: an old
chain broken by deleting a user (its events' actor went to NULL, which the
old hash covered) must still be able to migrate.

Irreversible once there are events (the old unkeyed hashes are not kept);
an empty trail migrates back, so the step can be tested.
"""

import datetime as dt
import hashlib
import json

from django.db import migrations
from django.utils import timezone

BATCH = 2000
GENESIS = "0" * 64
SHOWN_BREAKS = 20


def legacy_digest(event):
    """The rule of 0001/0002: SHA-256 over the fields, with no key."""
    payload = {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "zone_id": event.zone_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "note": event.note,
        "prev_hash": event.prev_hash,
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def org_anchors(apps, rows):
    """``{event pk: org id}`` from each event's object, where it has an org."""
    wanted = {}
    for ev in rows:
        if ev.object_id.isdigit():
            wanted.setdefault(ev.object_type, set()).add(int(ev.object_id))
    orgs_of = {}
    for object_type, ids in wanted.items():
        app_label, _, model_name = object_type.partition(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        if model._meta.label == "orgs.Organization":
            found = {pk: pk for pk in model.objects.filter(pk__in=ids).values_list("pk", flat=True)}
        elif any(f.name == "org" for f in model._meta.get_fields()):
            found = dict(model.objects.filter(pk__in=ids).values_list("pk", "org_id"))
        else:
            continue
        orgs_of[object_type] = found
    return {
        ev.pk: orgs_of.get(ev.object_type, {}).get(int(ev.object_id))
        for ev in rows
        if ev.object_id.isdigit()
    }


def rechain(apps, schema_editor):
    from shiji.audit import keys
    from shiji.audit.chain import event_mac
    from shiji.audit.models import chain_of

    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    total = Event.objects.count()
    if not total:
        return
    key_id = keys.signing_key_id()
    tips = {}  # chain -> (seq, hash) of its last event so far
    breaks = []
    expected, prev, last_seq = 1, GENESIS, 0
    while True:
        rows = list(Event.objects.filter(seq__gt=last_seq).order_by("seq")[:BATCH])
        if not rows:
            break
        anchors = org_anchors(apps, rows)
        for ev in rows:
            # The old rule first, on the untouched row.
            if ev.seq != expected:
                breaks.append(f"#{ev.seq}：序号不连续，应为 #{expected}")
            elif ev.prev_hash != prev:
                breaks.append(f"#{ev.seq}：与前一事件的哈希不衔接")
            if legacy_digest(ev) != ev.hash:
                breaks.append(f"#{ev.seq}：内容与哈希不符")
            prev, expected, last_seq = ev.hash, ev.seq + 1, ev.seq
            # Then its place in the new chain.
            ev.chain = chain_of(ev.zone_id)
            seq, tip = tips.get(ev.chain, (0, GENESIS))
            ev.seq, ev.prev_hash, ev.key_id = seq + 1, tip, key_id
            ev.org_id = anchors.get(ev.pk)
            ev.hash = event_mac(ev)
            tips[ev.chain] = (ev.seq, ev.hash)
        Event.objects.bulk_update(
            rows, ["chain", "seq", "prev_hash", "key_id", "org_id", "hash"], batch_size=500
        )
    old_head = apps.get_model("audit", "LegacyChainHead").objects.filter(id=1).first()
    if old_head is None or (old_head.seq, old_head.hash) != (last_seq, prev):
        breaks.append(f"#{last_seq + 1}：链头与末尾事件不符（末尾事件或链头被删除）")
    # The record of the migration itself, last in the system chain.
    system = chain_of(None)
    seq, tip = tips.get(system, (0, GENESIS))
    shown = breaks[:SHOWN_BREAKS]
    more = len(breaks) - len(shown)
    found = "完整" if not breaks else f"发现 {len(breaks)} 处断裂：" + "；".join(shown)
    if more > 0:
        found += f"；另有 {more} 处未列出"
    note = (
        f"原审计链（{total} 条事件）按旧规则校验：{found}。"
        f"已按高新区拆分为 {len(tips | {chain_of(None): None})} 条链，并以密钥 {key_id} 重新签名。"
    )
    event = Event(
        chain=system,
        seq=seq + 1,
        created_at=timezone.now(),
        actor_label="系统（数据迁移）",
        action="audit.rechain",
        object_type="audit.auditchainhead",
        object_id="*",
        object_repr="审计链",
        changes={
            "events": [None, total],
            "chains": [None, len(tips | {system: None})],
            "legacy_breaks": [None, len(breaks)],
            "legacy_last_hash": [None, prev],
        },
        note=note,
        key_id=key_id,
        prev_hash=tip,
    )
    event.hash = event_mac(event)
    event.save(force_insert=True)
    tips[system] = (event.seq, event.hash)
    Head.objects.bulk_create(
        [Head(chain=chain, seq=seq, hash=h) for chain, (seq, h) in sorted(tips.items())]
    )
    if breaks:
        print(f"\n  审计：原审计链有 {len(breaks)} 处断裂，已记入 audit.rechain 事件。")


def refuse_with_events(apps, schema_editor):
    if apps.get_model("audit", "AuditEvent").objects.exists():
        raise RuntimeError("审计链已按高新区拆分并以密钥签名，不能退回旧格式")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_rechain_schema")]

    operations = [
        migrations.RunPython(rechain, refuse_with_events, elidable=False),
    ]
