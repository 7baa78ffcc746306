"""The audit trail as a database editor would attack it: each zone has its own
keyed hash chain; audit_verify names every break; the attacks of issue 7 —
edit and recompute with the app's own function, delete the tail with its
head, delete the head, reorder, delete a user — are all caught or refused."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from shiji.audit import checkpoints, keys
from shiji.audit.chain import ChainHeadBroken, event_mac
from shiji.audit.kinds import EventKind
from shiji.audit.models import SYSTEM_CHAIN, AuditChainHead, AuditEvent, chain_of
from shiji.audit.selectors import timeline_for
from shiji.audit.services import audit_record
from shiji.audit.verify import verify_all
from shiji.core.errors import Invalid
from shiji.orgs import services
from tests.audit.conftest import ATTACKER_KEY, REAL_KEY, chain_a, events_of, head_of


def verify_output(capsys) -> tuple[bool, str]:
    try:
        call_command("audit_verify")
    except CommandError as exc:
        out = capsys.readouterr()
        return False, out.out + out.err + str(exc)
    out = capsys.readouterr()
    return True, out.out + out.err


# The chains ---------------------------------------------------------------------------


def test_every_write_in_the_world_is_audited_and_every_chain_verifies(world, capsys):
    assert AuditEvent.objects.filter(action=EventKind.ORG_CREATE).count() == 12
    assert AuditEvent.objects.filter(action=EventKind.PERSON_CREATE).count() == 10
    ok, out = verify_output(capsys)
    assert ok and "校验通过" in out


def test_each_zone_has_its_own_chain_and_system_events_have_theirs(world):
    services.user_create(
        actor=world["sysadmin"],
        username="national2",
        password="Another-pass-2026",
        name="全国查看",
        grants=[{"role": "viewer"}],
    )
    a, b = chain_of(world.a.zone.pk), chain_of(world.b.zone.pk)
    for chain, zone in ((a, world.a.zone), (b, world.b.zone)):
        events = list(events_of(chain))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert {e.zone_id for e in events} == {zone.pk}
        assert (head_of(chain).seq, head_of(chain).hash) == (events[-1].seq, events[-1].hash)
    system = list(events_of(SYSTEM_CHAIN))
    assert [e.action for e in system] == ["user.create"] and system[0].zone_id is None
    assert all(e.key_id == "prod-2026" for e in AuditEvent.objects.all())


def test_an_event_records_the_org_its_object_belongs_to(world):
    person = services.person_create(actor=world["zone_admin"], org=world.a.firm, name="孙八")
    event = timeline_for(person).get()
    assert event.org_id == world.a.firm.pk and event.zone_id == world.a.zone.pk
    assert timeline_for(world.a.zone).first().org_id is None  # the zone itself: no org


def test_an_unknown_kind_is_refused_and_nothing_is_written(world):
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError), transaction_atomic():
        audit_record(actor=world["zone_admin"], action="problem.made_up", obj=world.a.dept)
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("actor", [None, "admin"])
def test_an_event_without_a_user_or_the_system_as_actor_is_refused(world, actor):
    before = AuditEvent.objects.count()
    with pytest.raises(TypeError, match=r"policy\.system"), transaction_atomic():
        audit_record(actor=actor, action=EventKind.ORG_UPDATE, obj=world.a.dept)
    assert AuditEvent.objects.count() == before


def transaction_atomic():
    from django.db import transaction

    return transaction.atomic()


def test_a_failed_write_leaves_no_event(world):
    before = AuditEvent.objects.count()
    head = head_of(chain_a(world)).seq
    with pytest.raises(Invalid):
        services.org_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            parent=world.a.root,
            name=world.a.dept.name,  # duplicate name: refused
            kind="branch",
            sector="organ",
        )
    assert AuditEvent.objects.count() == before
    assert head_of(chain_a(world)).seq == head


# Edits, deletions, reordering -----------------------------------------------------------


def test_an_edited_event_is_caught(world, capsys):
    victim = events_of(chain_a(world))[5]
    AuditEvent.objects.filter(pk=victim.pk).update(object_repr="篡改")
    report = verify_all()
    assert [(b.chain, b.seq) for b in report.breaks] == [(victim.chain, victim.seq)]
    assert "记录被修改" in report.breaks[0].reason
    ok, out = verify_output(capsys)
    assert not ok and f"{victim.chain} #{victim.seq}" in out


def test_edited_changes_json_is_caught(world):
    victim = AuditEvent.objects.filter(action=EventKind.PERSON_CREATE).order_by("id").first()
    changes = dict(victim.changes)
    changes["name"] = [None, "冒名"]
    AuditEvent.objects.filter(pk=victim.pk).update(changes=changes)
    assert [b.seq for b in verify_all().breaks] == [victim.seq]


def test_editing_and_recomputing_with_the_apps_own_function_is_caught(world, settings):
    """The old attack: change an event, then recompute its hash and every later
    one with the app's own code. Without the key the signatures come out wrong."""
    chain = chain_a(world)
    victim = events_of(chain)[3]
    settings.AUDIT_HMAC_KEYS = ATTACKER_KEY  # all the editor can sign with
    prev = victim.prev_hash
    for ev in events_of(chain).filter(seq__gte=victim.seq):
        if ev.pk == victim.pk:
            ev.object_repr = "篡改后的名称"
        ev.prev_hash = prev
        ev.hash = event_mac(ev)
        ev.save(update_fields=["object_repr", "prev_hash", "hash"])
        prev = ev.hash
    AuditChainHead.objects.filter(chain=chain).update(hash=prev)
    settings.AUDIT_HMAC_KEYS = REAL_KEY

    breaks = verify_all().breaks
    later = events_of(chain).filter(seq__gte=victim.seq).count()
    assert len(breaks) == later  # every re-signed event, not only the first
    assert {b.chain for b in breaks} == {chain}
    assert all("记录被修改" in b.reason for b in breaks)


def test_recomputing_with_the_old_unkeyed_hash_is_caught(world):
    victim = events_of(chain_a(world))[2]
    victim.note = "补记"
    raw = json.dumps({"note": victim.note, "seq": victim.seq}, sort_keys=True)
    AuditEvent.objects.filter(pk=victim.pk).update(
        note=victim.note, hash=hashlib.sha256(raw.encode()).hexdigest()
    )
    breaks = verify_all().breaks
    assert (victim.chain, victim.seq) in [(b.chain, b.seq) for b in breaks]


def test_a_deleted_event_is_caught(world):
    victim = events_of(chain_a(world))[3]
    AuditEvent.objects.filter(pk=victim.pk).delete()
    breaks = verify_all().breaks
    assert [(b.seq, b.reason) for b in breaks] == [
        (victim.seq + 1, f"缺少事件 #{victim.seq}（被删除）")
    ]


def test_deleting_the_last_event_is_caught_by_the_head(world):
    last = events_of(chain_a(world)).last()
    last.delete()
    breaks = verify_all().breaks
    assert [b.kind for b in breaks] == ["head"]
    assert f"链头指向 #{last.seq}" in breaks[0].reason


def test_reordered_events_are_caught(world):
    first, second = events_of(chain_a(world))[2:4]
    # Swap their positions (seq is unique per chain, so through a spare value).
    AuditEvent.objects.filter(pk=first.pk).update(seq=10**9)
    AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
    AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    seqs = {b.seq for b in verify_all().breaks}
    assert {first.seq, second.seq} <= seqs


def test_moving_an_event_to_another_zones_chain_is_caught(world):
    victim = events_of(chain_a(world))[4]
    AuditEvent.objects.filter(pk=victim.pk).update(zone=world.b.zone)
    reasons = [b.reason for b in verify_all().breaks]
    assert "所属链与事件的高新区不符" in reasons and "内容与签名不符（记录被修改）" in reasons


def test_audit_verify_reports_every_break_in_every_chain(world, capsys):
    a, b = chain_a(world), chain_of(world.b.zone.pk)
    victims = [events_of(a)[1], events_of(a)[7], events_of(b)[2]]
    for ev in victims:
        AuditEvent.objects.filter(pk=ev.pk).update(note="改")
    ok, out = verify_output(capsys)
    assert not ok
    for ev in victims:
        assert f"{ev.chain} #{ev.seq}：内容与签名不符" in out
    assert "审计链有 3 处断裂" in out


# The tail and the head ------------------------------------------------------------


def delete_tail_with_head(chain: str, n: int) -> int:
    """The attack the chain alone cannot see: drop the last ``n`` events and
    move the head back to what is left. Returns the seq of the new tip."""
    events = list(events_of(chain))
    AuditEvent.objects.filter(pk__in=[e.pk for e in events[-n:]]).delete()
    tip = events[-n - 1]
    AuditChainHead.objects.filter(chain=chain).update(seq=tip.seq, hash=tip.hash)
    return tip.seq


def test_the_tail_deleted_with_its_head_is_caught_by_a_checkpoint(world, capsys):
    call_command("audit_checkpoint")
    chain = chain_a(world)
    before = events_of(chain).last().seq
    tip = delete_tail_with_head(chain, 3)
    ok, out = verify_output(capsys)
    assert not ok
    assert f"{chain} #{before}：检查点" in out and f"记录链曾到 #{before}" in out
    assert f"#{tip}" not in out.split("断裂")[0]  # the shortened chain itself is consistent


def test_without_checkpoints_the_same_attack_would_pass_so_verify_says_so(world, capsys):
    delete_tail_with_head(chain_a(world), 3)
    ok, out = verify_output(capsys)
    assert ok and "没有检查点文件" in out  # the operator is told what is not covered


def test_deleting_the_chain_head_stops_writes_with_a_message_not_a_crash(world):
    chain = chain_a(world)
    AuditChainHead.objects.filter(chain=chain).delete()
    before = AuditEvent.objects.count()
    with pytest.raises(ChainHeadBroken, match="audit_repair_head") as caught:
        services.person_create(actor=world["zone_admin"], org=world.a.dept, name="赵九")
    assert caught.value.status == 503
    assert AuditEvent.objects.count() == before
    assert not world.a.dept.people.filter(name="赵九").exists()  # the write rolled back
    # Other zones keep working: their chains are their own.
    services.person_create(actor=world["outsider"], org=world.b.dept, name="赵九")
    assert [b.kind for b in verify_all().breaks] == ["head"]


def test_a_missing_head_answers_the_page_and_the_api_without_a_500(world, login, api, make_problem):
    problem = make_problem(world, status="in_progress")
    client = api(world["secretary"])  # its token is issued (and audited) before the attack
    AuditChainHead.objects.filter(chain=chain_a(world)).delete()
    response = login(world["secretary"]).post(
        f"/ledger/{problem.pk}/progress/", {"text": "已完成一半"}
    )
    assert response.status_code == 503
    assert "审计链头缺失" in response.content.decode()
    response = client.post(f"/api/v1/problems/{problem.pk}/progress", {"text": "已完成一半"})
    assert response.status_code == 503
    assert "audit_repair_head" in response.json()["detail"]
    assert not problem.progress.exists()


def test_the_repair_command_rebuilds_the_head_and_records_itself(world, capsys):
    chain = chain_a(world)
    last = events_of(chain).last()
    AuditChainHead.objects.filter(chain=chain).delete()

    call_command("audit_repair_head")
    assert "链头已指向" in capsys.readouterr().out
    repair = events_of(chain).last()
    assert repair.action == EventKind.AUDIT_HEAD_REPAIR and repair.seq == last.seq + 1
    assert repair.changes["head"] == [None, [last.seq, last.hash]]
    assert "链头缺失" in repair.note and "audit_repair_head" in repair.note
    assert verify_all().ok
    services.person_create(actor=world["zone_admin"], org=world.a.dept, name="赵九")
    assert verify_all().ok


def test_repair_refuses_a_chain_with_other_breaks_unless_told_to_record_them(world, capsys):
    chain = chain_a(world)
    victim = events_of(chain)[2]
    AuditEvent.objects.filter(pk=victim.pk).update(note="改")
    AuditChainHead.objects.filter(chain=chain).delete()
    with pytest.raises(CommandError, match="--accept-breaks"):
        call_command("audit_repair_head", chain)
    assert head_of(chain) is None or head_of(chain).seq == 0
    capsys.readouterr()

    call_command("audit_repair_head", chain, "--accept-breaks")
    repair = events_of(chain).last()
    assert f"#{victim.seq}：内容与签名不符" in repair.note  # the break is on the record
    assert [b.seq for b in verify_all().breaks] == [victim.seq]  # and still reported


def test_a_truncation_repaired_afterwards_stays_detected(world):
    call_command("audit_checkpoint")
    chain = chain_a(world)
    before = events_of(chain).last().seq
    events = list(events_of(chain))
    AuditEvent.objects.filter(pk__in=[e.pk for e in events[-2:]]).delete()
    AuditChainHead.objects.filter(chain=chain).delete()
    call_command("audit_repair_head", chain)
    repair = events_of(chain).last()
    assert f"记录链曾到 #{before}" in repair.note  # the checkpoint's word is on the record
    for name in ("甲", "乙", "丙"):  # the chain grows past where it was
        services.person_create(actor=world["zone_admin"], org=world.a.dept, name=name)
    kinds = {b.kind for b in verify_all().breaks if b.chain == chain}
    assert kinds == {"checkpoint"}


def test_a_new_zones_first_write_creates_its_chain(world):
    zone = services.zone_create(
        actor=world["sysadmin"], code="zc", name="丙高新区", short_name="丙", province="江西",
        city="景德镇",
    )  # fmt: skip
    chain = chain_of(zone.pk)
    assert [e.seq for e in events_of(chain)] == [1]
    assert head_of(chain).seq == 1


# Users --------------------------------------------------------------------------------


def test_a_user_whose_events_are_in_the_chain_cannot_be_deleted(world):
    person = services.person_create(actor=world["zone_admin"], org=world.a.dept, name="周十")
    assert timeline_for(person).get().actor == world["zone_admin"]
    with pytest.raises(ProtectedError):
        world["zone_admin"].delete()
    assert verify_all().ok


def test_deactivating_a_user_keeps_the_chain_and_the_label(world):
    services.person_create(actor=world["secretary"], org=world.a.dept, name="吴十一")
    services.user_update(actor=world["zone_admin"], user=world["secretary"], is_active=False)
    event = AuditEvent.objects.filter(action=EventKind.PERSON_CREATE).last()
    assert event.actor_label == "secretary（secretary）"
    assert verify_all().ok


# Keys -----------------------------------------------------------------------------------


def test_rotating_the_key_signs_new_events_with_it_and_old_ones_still_verify(world, settings):
    settings.AUDIT_HMAC_KEYS = "next-2027:" + "n" * 40 + "," + REAL_KEY
    person = services.person_create(actor=world["zone_admin"], org=world.a.dept, name="郑十二")
    assert timeline_for(person).get().key_id == "next-2027"
    assert verify_all().ok

    settings.AUDIT_HMAC_KEYS = "next-2027:" + "n" * 40  # the old key dropped too early
    breaks = verify_all().breaks
    assert breaks and all("prod-2026" in b.reason and "未配置" in b.reason for b in breaks)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("k1", "id:secret"),
        ("k1:short", "at least 32"),
        ("bad id:" + "s" * 40, "id:secret"),
        ("k1:" + "s" * 40 + ",k1:" + "t" * 40, "listed twice"),
    ],
)
def test_malformed_keys_are_refused_with_the_reason(value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        keys.parse_keys(value)


def test_production_without_keys_builds_assets_but_refuses_to_serve_or_write(tmp_path):
    """collectstatic needs no secret; the server and the commands that may
    write (here migrate and check) stop with the reason."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "SHIJI_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "AUDIT_HMAC_KEYS": "",
        "SHIJI_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "shiji.settings",
    }

    def run(*code: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 (this test's own code)
            [sys.executable, "-c", "\n".join(code)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def manage(*args: str) -> subprocess.CompletedProcess:
        return run(
            "from django.core.management import execute_from_command_line",
            f"execute_from_command_line(['manage.py', *{list(args)!r}])",
        )

    built = manage("collectstatic", "--no-input", "-v0")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    for refused in (manage("migrate", "--no-input"), manage("check"), run("import shiji.wsgi")):
        assert refused.returncode != 0
        assert "AUDIT_HMAC_KEYS must be set in production" in refused.stderr, refused.stderr


def test_development_derives_a_key_from_secret_key(settings):
    settings.AUDIT_HMAC_KEYS = ""
    assert keys.signing_key_id() == "dev"
    settings.SECRET_KEY = "another-" + "z" * 50
    first = keys.sign("dev", b"x")
    settings.SECRET_KEY = "yet-another-" + "z" * 50
    assert keys.sign("dev", b"x") != first


# Checkpoints ------------------------------------------------------------------------------


def test_checkpoints_are_signed_lines_one_per_chain_that_moved(world, settings):
    first = checkpoints.checkpoints_write()
    assert {cp.chain for cp in first.written} == {chain_a(world), chain_of(world.b.zone.pk)}
    lines = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    assert len(lines) == 2
    cp = checkpoints.Checkpoint.parse(lines[0])
    assert cp.key_id == "prod-2026" and cp.is_authentic()
    assert checkpoints.checkpoints_write().written == []  # nothing moved
    services.person_create(actor=world["zone_admin"], org=world.a.dept, name="冯十三")
    again = checkpoints.checkpoints_write().written
    assert [c.chain for c in again] == [chain_a(world)]
    assert len(settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()) == 3


def test_a_checkpoint_is_never_written_for_a_tampered_chain(world, capsys):
    victim = events_of(chain_a(world))[3]
    AuditEvent.objects.filter(pk=victim.pk).update(note="改")
    with pytest.raises(CommandError):
        call_command("audit_checkpoint")
    out = capsys.readouterr()
    assert f"{chain_a(world)} #{victim.seq}" in out.err
    assert [c.chain for c in checkpoints.latest().values()] == [chain_of(world.b.zone.pk)]


def test_an_edited_checkpoint_file_is_caught(world, settings):
    call_command("audit_checkpoint")
    path = settings.AUDIT_CHECKPOINT_FILE
    lines = path.read_text().splitlines()
    data = json.loads(lines[0])
    data["seq"] -= 2  # pretend the chain was shorter
    path.write_text("\n".join([json.dumps(data), *lines[1:]]) + "\n")
    reasons = [b.reason for b in verify_all().breaks]
    assert reasons == ["第 1 行不是有效的检查点（签名不符或被改动）"]


def test_checkpoints_are_posted_to_the_configured_endpoint(world, settings):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    settings.AUDIT_CHECKPOINT_URL = f"http://127.0.0.1:{server.server_port}/checkpoints"
    try:
        call_command("audit_checkpoint")
    finally:
        thread.join(5)
        server.server_close()
    sent = received[0]["checkpoints"]
    assert {c["chain"] for c in sent} == {chain_a(world), chain_of(world.b.zone.pk)}
    assert all(checkpoints.Checkpoint(**c).is_authentic() for c in sent)


def test_an_unreachable_endpoint_fails_the_command_but_keeps_the_file(world, settings):
    settings.AUDIT_CHECKPOINT_URL = "http://127.0.0.1:9/nowhere"
    with pytest.raises(CommandError):
        call_command("audit_checkpoint")
    assert len(checkpoints.latest()) == 2
