"""A zone's period locks once every figure of it is confirmed: only its task
force locks it, once; afterwards nothing new is entered or imported into
it, and a change is a correction with its reason, flagged and confirmed by
another person. Through the service, the page and the API."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.urls import reverse

from shiji.assessment.excel import ImportErrors, measurements_import
from shiji.assessment.models import Measurement, PeriodLock
from shiji.assessment.services import measurement_confirm, measurement_correct, period_lock
from shiji.audit.models import AuditEvent
from shiji.audit.verify import verify_all
from shiji.core.errors import Conflict, Forbidden, Invalid, NotFound
from tests.assessment.test_import import filled

FIGURES = reverse("assessment:figures")
LOCK = reverse("assessment:lock")
ENTER = reverse("assessment:enter")


@pytest.fixture
def confirmed_quarter(world, enter):
    """Zone A's 2026Q1: two figures the liaison entered, the zone admin confirmed."""
    made = [enter("industrial-output", "2026Q1", "200"), enter("revenue", "2026Q1", "500")]
    for m in made:
        measurement_confirm(actor=world["zone_admin"], measurement=m, note="与统计局月报核对一致")
    return made


def lock_a(world, actor="zone_admin", period="2026Q1", note=""):
    return period_lock(actor=world[actor], zone=world.a.zone, period=period, note=note)


def lock_events():
    return AuditEvent.objects.filter(action="measurement.period_lock")


# Locking ---------------------------------------------------------------------------------


def test_the_task_force_locks_a_period_whose_figures_are_all_confirmed(world, confirmed_quarter):
    lock = lock_a(world, period="2026-q1", note="一季度数据已与统计局核对")

    lock.refresh_from_db()
    assert (lock.zone, lock.period, lock.locked_by, lock.note) == (
        world.a.zone, "2026Q1", world["zone_admin"], "一季度数据已与统计局核对",
    )  # fmt: skip
    assert lock.locked_at is not None
    event = lock_events().get()
    assert event.zone_id == world.a.zone.pk and event.note == "一季度数据已与统计局核对"
    assert event.changes == {"period": [None, "2026Q1"], "figures": [None, 2]}
    assert verify_all().ok


def test_a_period_without_figures_or_with_a_pending_one_is_not_locked(world, enter):
    with pytest.raises(Conflict, match="本期尚无数据"):
        lock_a(world)
    pending = enter("industrial-output", "2026Q1", "200")
    measurement_confirm(actor=world["zone_admin"], measurement=enter("revenue", "2026Q1", "500"))
    with pytest.raises(Conflict, match="还有 1 项数据待确认"):
        lock_a(world)
    assert not PeriodLock.objects.exists() and not lock_events().exists()

    measurement_confirm(actor=world["zone_admin"], measurement=pending)
    assert lock_a(world).period == "2026Q1"


def test_only_the_task_force_locks_and_another_zone_is_not_found(world, confirmed_quarter):
    for who in ("liaison", "secretary", "leader", "supervisor", "national"):
        with pytest.raises(Forbidden):
            lock_a(world, actor=who)
    with pytest.raises(NotFound):
        lock_a(world, actor="outsider")
    assert not PeriodLock.objects.exists() and not lock_events().exists()
    # The system admin is of the task force everywhere.
    assert lock_a(world, actor="sysadmin").locked_by == world["sysadmin"]


def test_a_period_locks_once(world, confirmed_quarter):
    lock_a(world)
    with pytest.raises(Conflict, match="本期已锁定"):
        lock_a(world, actor="sysadmin")
    assert PeriodLock.objects.count() == 1 and lock_events().count() == 1


@pytest.mark.parametrize(
    ("period", "note"), [("2026Q5", ""), ("下季度", ""), ("2026Q1", "长" * 2001)]
)
def test_bad_input_is_refused_by_field(world, confirmed_quarter, period, note):
    with pytest.raises(Invalid) as caught:
        lock_a(world, period=period, note=note)
    assert set(caught.value.fields) <= {"period", "note"} and caught.value.fields
    assert not PeriodLock.objects.exists()


def test_a_lock_covers_its_zone_and_period_only(world, enter, confirmed_quarter):
    lock_a(world)
    enter("industrial-output", "2026Q2", "210")
    enter("industrial-output", "2026Q1", "190", zone=world.b.zone, actor=world["outsider"])
    assert Measurement.objects.filter(period="2026Q2").exists()


# After the lock ----------------------------------------------------------------------------


def test_nothing_new_is_entered_into_a_locked_period(world, enter, confirmed_quarter):
    lock_a(world)
    before = AuditEvent.objects.count()

    with pytest.raises(Conflict, match="本期已锁定"):
        enter("exports", "2026Q1", "120")
    with pytest.raises(Conflict, match="本期已锁定"):
        enter("exports", "2026Q1", "120", actor=world["zone_admin"])

    assert Measurement.objects.count() == 2
    assert AuditEvent.objects.count() == before


def test_the_import_into_a_locked_period_is_refused_by_row_and_writes_nothing(
    world, library, confirmed_quarter
):
    lock_a(world)
    file = filled(world, {"exports": (120, "统计局"), "new-firms": (35, "市场监管局")})

    plan = measurements_import(actor=world["liaison"], zone=world.a.zone, period="2026Q1",
                               file=file, dry_run=True)  # fmt: skip
    assert [(e["row"] > 2, e["column"]) for e in plan.errors] == [(True, "期间"), (True, "期间")]
    assert all("本期已锁定" in str(e["message"]) for e in plan.errors)
    file.seek(0)
    with pytest.raises(ImportErrors):
        measurements_import(actor=world["liaison"], zone=world.a.zone, period="2026Q1",
                            file=file, dry_run=False)  # fmt: skip
    assert Measurement.objects.count() == 2
    assert AuditEvent.objects.filter(action="measurement.enter").count() == 2


def test_a_correction_after_the_lock_is_flagged_and_confirmed_by_another_person(
    world, confirmed_quarter
):
    lock_a(world)
    original = confirmed_quarter[0]

    with pytest.raises(Forbidden):
        measurement_correct(actor=world["liaison"], measurement=original, value="190",
                            reason="统计局修订")  # fmt: skip
    with pytest.raises(Invalid):
        measurement_correct(actor=world["zone_admin"], measurement=original, value="190",
                            reason="")  # fmt: skip
    fixed = measurement_correct(actor=world["zone_admin"], measurement=original, value="190",
                                reason="统计局发布修订数")  # fmt: skip

    assert [f["kind"] for f in fixed.flags] == ["corrected_after_lock"]
    assert "原值 200" in fixed.flags[0]["reason"]
    assert AuditEvent.objects.get(action="measurement.correct").note == "统计局发布修订数"
    # Two people, as before the lock: not the corrector, but another of the task force.
    with pytest.raises(Forbidden, match="填报人不能确认"):
        measurement_confirm(actor=world["zone_admin"], measurement=fixed, note="x")
    with pytest.raises(Forbidden):
        measurement_confirm(actor=world["liaison"], measurement=fixed, note="x")
    measurement_confirm(actor=world["sysadmin"], measurement=fixed, note="按修订数更正")
    fixed.refresh_from_db()
    assert fixed.status == "confirmed" and fixed.is_current
    original.refresh_from_db()
    assert original.is_current is False and original.value == 200
    with pytest.raises(Conflict):
        measurement_confirm(actor=world["zone_admin"], measurement=fixed, note="x")
    assert verify_all().ok


def test_in_a_locked_period_only_corrections_are_confirmed(world, enter, confirmed_quarter):
    # A figure that waits in a period locked under it: the service never
    # lets this happen (the lock needs every figure confirmed, and both take
    # the zone's row), so it is made here by hand, as a race would leave it.
    stray = enter("exports", "2026Q1", "120")
    PeriodLock.objects.create(zone=world.a.zone, period="2026Q1", locked_at=stray.entered_at)

    with pytest.raises(Conflict, match="本期已锁定"):
        measurement_confirm(actor=world["zone_admin"], measurement=stray, note="x")
    stray.refresh_from_db()
    assert stray.status == "entered"


# Two at once -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_locks_at_once_make_one_lock(world, library, enter):
    for code, value in (("industrial-output", "200"), ("revenue", "500")):
        measurement_confirm(actor=world["sysadmin"], measurement=enter(code, "2026Q1", value))
    start = threading.Barrier(2)
    results: list[str] = []

    def lock(who):
        try:
            start.wait(5)
            period_lock(actor=world[who], zone=world.a.zone, period="2026Q1")
            results.append("locked")
        except Conflict:
            results.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=lock, args=(w,)) for w in ("zone_admin", "sysadmin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["conflict", "locked"]
    assert PeriodLock.objects.count() == 1 and lock_events().count() == 1
    assert verify_all().ok


@pytest.mark.django_db(transaction=True)
def test_a_lock_waits_for_an_entry_under_way_and_sees_its_figure(world, library, enter):
    measurement_confirm(actor=world["sysadmin"], measurement=enter("revenue", "2026Q1", "500"))
    entered, release = threading.Event(), threading.Event()

    def enter_and_hold():
        # A figure entered in a transaction that stays open a moment.
        try:
            with transaction.atomic():
                enter("exports", "2026Q1", "120")
                entered.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=enter_and_hold)
    holder.start()
    try:
        assert entered.wait(10)
        # The entry commits a second after the lock has begun.
        threading.Timer(1.0, release.set).start()
        # Had the lock not waited for the entry, it would have locked the
        # period under an unconfirmed figure that could then never count.
        with pytest.raises(Conflict, match="还有 1 项数据待确认"):
            lock_a(world)
    finally:
        release.set()
        holder.join(10)
    assert not PeriodLock.objects.exists()
    assert Measurement.objects.filter(indicator__code="exports", status="entered").exists()


# The page -----------------------------------------------------------------------------------


def page_of(client, world, period="2026Q1"):
    return client.get(FIGURES, {"zone": world.a.zone.pk, "period": period})


def test_the_page_explains_why_the_period_cannot_be_locked_yet(world, enter, login):
    admin = login(world["zone_admin"])
    page = page_of(admin, world).content.decode()
    assert 'id="sj-lock-disabled"' in page and "本期尚无数据，无法锁定" in page
    enter("industrial-output", "2026Q1", "200")
    page = page_of(admin, world).content.decode()
    assert "还有 1 项数据待确认，全部确认后才能锁定" in page and 'id="sj-lock-form"' not in page
    # Who may not lock sees no button, only what happens.
    page = page_of(login(world["liaison"]), world).content.decode()
    assert "sj-lock-disabled" not in page and "由工作专班锁定本期" in page


def test_the_task_force_locks_on_the_page_and_the_period_shows_locked(
    world, confirmed_quarter, login
):
    admin = login(world["zone_admin"])
    page = page_of(admin, world).content.decode()
    assert 'id="sj-lock-form"' in page and "锁定不能撤销" in page
    assert "项指标未填报，锁定后不能再填报" in page

    assert login(world["liaison"]).post(LOCK, {"zone": world.a.zone.pk,
                                               "period": "2026Q1"}).status_code == 403  # fmt: skip
    r = login(world["zone_admin"]).post(
        LOCK, {"zone": world.a.zone.pk, "period": "2026Q1", "note": "已核对"}
    )
    assert r.status_code == 302 and r["Location"].endswith("#sj-lock")
    assert PeriodLock.objects.get().note == "已核对"

    page = page_of(login(world["liaison"]), world).content.decode()
    assert "data-locked" in page and "zone_admin 于" in page and "锁定说明：已核对" in page
    assert "本期已锁定，不能再填报" in page and "sj-form-enter" not in page
    assert "sj-import-link" not in page and "sj-lock-form" not in page
    r = login(world["liaison"]).post(ENTER, {"zone": world.a.zone.pk, "indicator": "exports",
                                             "period": "2026Q1", "value": "1",
                                             "source": "统计局"})  # fmt: skip
    assert r.status_code == 409 and "本期已锁定" in r.content.decode()
    assert Measurement.objects.count() == 2
    # Locking again from a stale page is a conflict shown on the page.
    r = login(world["zone_admin"]).post(LOCK, {"zone": world.a.zone.pk, "period": "2026Q1"})
    assert r.status_code == 409 and "本期已锁定" in r.content.decode()


def test_a_refused_lock_on_the_page_writes_nothing(world, enter, login):
    enter("industrial-output", "2026Q1", "200")
    admin = login(world["zone_admin"])
    r = admin.post(LOCK, {"zone": world.a.zone.pk, "period": "2026Q1"})
    assert r.status_code == 409 and "待确认" in r.content.decode()
    assert admin.post(LOCK, {"zone": world.b.zone.pk, "period": "2026Q1"}).status_code == 404
    assert admin.post(LOCK, {"zone": world.a.zone.pk, "period": "x"}).status_code == 422
    assert not PeriodLock.objects.exists() and not lock_events().exists()


# The API ------------------------------------------------------------------------------------


def test_the_api_locks_a_period_and_figures_say_so(world, confirmed_quarter, api):
    url = "/api/v1/measurements/lock"
    body = {"zone": world.a.zone.pk, "period": "2026Q1", "note": "已核对"}
    assert api(world["liaison"]).post(url, body).status_code == 403
    assert api(world["outsider"]).post(url, body).status_code == 404
    assert api(world["zone_admin"]).post(url, {**body, "period": "2026Q9"}).status_code == 422
    figure = f"/api/v1/measurements/{confirmed_quarter[0].pk}"
    assert api(world["liaison"]).get(figure).json()["period_locked"] is False

    r = api(world["zone_admin"]).post(url, body)

    assert r.status_code == 200
    got = r.json()
    assert (got["zone"], got["period"], got["locked_by"], got["note"]) == (
        world.a.zone.pk, "2026Q1", "zone_admin", "已核对",
    )  # fmt: skip
    assert got["locked_at"]
    assert api(world["zone_admin"]).post(url, body).status_code == 409
    assert api(world["liaison"]).get(figure).json()["period_locked"] is True
    listed = api(world["liaison"]).get("/api/v1/measurements", data={"zone": world.a.zone.pk})
    assert {i["period_locked"] for i in listed.json()["items"]} == {True}
    r = api(world["liaison"]).post("/api/v1/measurements", {
        "zone": world.a.zone.pk, "indicator": "exports", "period": "2026Q1", "value": 1,
        "source": "统计局",
    })  # fmt: skip
    assert r.status_code == 409 and "本期已锁定" in r.json()["detail"]


def test_the_api_refuses_a_lock_with_a_pending_figure(world, enter, api):
    enter("industrial-output", "2026Q1", "200")
    r = api(world["zone_admin"]).post(
        "/api/v1/measurements/lock", {"zone": world.a.zone.pk, "period": "2026Q1"}
    )
    assert r.status_code == 409 and "待确认" in r.json()["detail"]
    assert not PeriodLock.objects.exists()


def test_the_api_confirms_only_corrections_in_a_locked_period(world, enter, confirmed_quarter, api):
    stray = enter("exports", "2026Q1", "120")  # made before the lock, by hand below
    PeriodLock.objects.create(zone=world.a.zone, period="2026Q1", locked_at=stray.entered_at)
    r = api(world["zone_admin"]).post(f"/api/v1/measurements/{stray.pk}/confirm", {"note": "x"})
    assert r.status_code == 409 and "本期已锁定" in r.json()["detail"]

    r = api(world["zone_admin"]).post(
        f"/api/v1/measurements/{confirmed_quarter[0].pk}/correct",
        {"value": 190, "reason": "统计局发布修订数"},
    )
    assert r.status_code == 201
    fixed = r.json()
    assert fixed["period_locked"] is True
    assert [f["kind"] for f in fixed["flags"]] == ["corrected_after_lock"]
    r = api(world["sysadmin"]).post(f"/api/v1/measurements/{fixed['id']}/confirm", {"note": "核"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"


def test_the_api_import_into_a_locked_period_reports_every_row(world, confirmed_quarter, api):
    lock_a(world)
    file = filled(world, {"exports": (120, "统计局")})
    r = api(world["liaison"]).post(
        "/api/v1/measurements/import",
        {"file": file, "zone": world.a.zone.pk, "period": "2026Q1"},
        format="multipart",
    )
    assert r.status_code == 422
    body = r.json()
    assert body["created"] == 0 and len(body["errors"]) == 1
    assert body["errors"][0]["column"] == "期间" and "本期已锁定" in body["errors"][0]["message"]
    assert Measurement.objects.count() == 2


def test_a_correction_after_the_lock_is_made_and_confirmed_on_the_page(
    world, confirmed_quarter, login
):
    lock_a(world)
    original = confirmed_quarter[0]
    r = login(world["zone_admin"]).post(
        reverse("assessment:correct", args=[original.pk]),
        {"value": "190", "reason": "统计局发布修订数"},
    )
    assert r.status_code == 302
    fixed = Measurement.objects.get(corrects=original)
    page = page_of(login(world["sysadmin"]), world).content.decode()
    assert 'data-flag="corrected_after_lock"' in page and "更正理由：统计局发布修订数" in page
    assert f'action="{reverse("assessment:confirm", args=[fixed.pk])}"' in page
    # The corrector sees it waiting for someone else.
    assert "您填报的数据须由他人确认" in page_of(login(world["zone_admin"]), world).content.decode()
    r = login(world["sysadmin"]).post(reverse("assessment:confirm", args=[fixed.pk]),
                                      {"note_corrected_after_lock": "按修订数更正"})  # fmt: skip
    assert r.status_code == 302
    fixed.refresh_from_db()
    assert fixed.status == "confirmed" and fixed.flags[0]["note"] == "按修订数更正"
