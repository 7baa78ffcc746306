"""The 政绩考核 pages: the indicator library and a zone's figures for a
period, with the enter, confirm and correct forms (inline errors, empty
states, scope, and pinned query counts)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shiji.assessment.models import Measurement
from shiji.assessment.services import measurement_confirm
from shiji.audit.models import AuditEvent

FIGURES = reverse("assessment:figures")
ENTER = reverse("assessment:enter")


def table(client, world, period="2026Q1", zone=None):
    return client.get(FIGURES, {"zone": (zone or world.a.zone).pk, "period": period})


def test_without_the_library_the_indicator_page_says_how_to_load_it(world, login):
    r = login(world["liaison"]).get(reverse("assessment:home"))
    assert r.status_code == 200
    assert "manage.py load_indicators" in r.content.decode()


def test_the_indicator_page_shows_the_five_dimensions_and_placeholder_weights(
    world, library, login
):
    r = login(world["national"]).get(reverse("assessment:home"))
    page = r.content.decode()
    assert r.status_code == 200
    for label in ("创新能力和创业活跃度", "结构优化和产业价值链", "绿色发展和宜居包容性",
                  "开放创新和国际竞争力", "综合质效和持续创新力"):  # fmt: skip
        assert label in page
    assert "瞪羚企业数" in page and "待确认" in page
    assert "工业增加值 ≤ 规模以上工业总产值" in page
    # Both zones for the national viewer, one for a zone's liaison.
    assert page.count("data-zone=") == 2
    assert (
        login(world["liaison"]).get(reverse("assessment:home")).content.decode().count("data-zone=")
        == 1
    )


def test_the_indicator_page_costs_the_same_queries_with_more_zones(
    world, library, enter, login, django_assert_num_queries
):
    client = login(world["national"])
    client.get(reverse("assessment:home"))
    enter("industrial-output", "2026Q1", "300")
    with django_assert_num_queries(7) as first:
        client.get(reverse("assessment:home"))
    enter("industrial-output", "2026Q1", "300", zone=world.b.zone, actor=world["outsider"])
    enter("revenue", "2026Q1", "300")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("assessment:home"))


def test_a_liaison_enters_a_quarter_and_a_zone_admin_confirms_with_a_note(world, library, login):
    liaison = login(world["liaison"])
    r = table(liaison, world)
    assert r.status_code == 200 and "未填报" in r.content.decode()

    r = liaison.post(ENTER, {"zone": world.a.zone.pk, "indicator": "industrial-output",
                             "period": "2026Q1", "value": "200", "source": "统计局"})  # fmt: skip
    assert r.status_code == 302 and r["Location"].endswith("#ind-industrial-output")
    r = liaison.post(ENTER, {"zone": world.a.zone.pk, "indicator": "industrial-value-added",
                             "period": "2026Q1", "value": "250", "source": "统计局",
                             "report": "规上工业主要指标"})  # fmt: skip
    assert r.status_code == 302
    page = table(liaison, world).content.decode()
    assert 'data-flag="relation"' in page and "1 项数据有疑点" in page
    assert "您填报的数据须由他人确认" in page and "核实无误" not in page

    admin = login(world["zone_admin"])
    flagged = Measurement.objects.get(indicator__code="industrial-value-added")
    url = reverse("assessment:confirm", args=[flagged.pk])
    r = admin.post(url, {})
    assert r.status_code == 422
    assert 'data-error="note_relation"' in r.content.decode()
    r = admin.post(url, {"note_relation": "口径不同，已与统计局核实"})
    assert r.status_code == 302
    flagged.refresh_from_db()
    assert flagged.status == "confirmed" and flagged.flags[0]["note"] == "口径不同，已与统计局核实"
    page = table(admin, world).content.decode()
    assert "口径不同，已与统计局核实" in page and 'data-status="confirmed"' in page


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(world, library, login):
    liaison = login(world["liaison"])
    r = liaison.post(ENTER, {"zone": world.a.zone.pk, "indicator": "rd-staff-share",
                             "period": "2026", "value": "120", "source": "统计局"})  # fmt: skip
    assert r.status_code == 422
    page = r.content.decode()
    assert "应在 0 – 100" in page or "应在 0～100" in page
    assert 'value="120"' in page
    assert not Measurement.objects.exists()


def test_a_locked_figure_is_corrected_with_its_reason_next_to_the_original(
    world, library, enter, login
):
    m = enter("industrial-output", "2026Q1", "300")
    measurement_confirm(actor=world["zone_admin"], measurement=m)
    admin = login(world["zone_admin"])
    url = reverse("assessment:correct", args=[m.pk])

    r = admin.post(url, {"value": "280"})
    assert r.status_code == 422 and 'data-error="reason"' in r.content.decode()
    assert login(world["liaison"]).post(url, {"value": "280", "reason": "x"}).status_code == 403
    r = login(world["zone_admin"]).post(url, {"value": "280", "reason": "统计局修订快报数"})
    assert r.status_code == 302

    page = table(admin, world).content.decode()
    assert "更正理由：统计局修订快报数" in page
    assert "<s>300</s>" in page and "已被更正" in page
    assert 'data-flag="corrected_after_lock"' in page


def test_another_zones_figures_are_not_found(world, library, enter, login):
    m = enter("industrial-output", "2026Q1", "300")
    outsider = login(world["outsider"])
    assert table(outsider, world).status_code == 404
    assert outsider.post(reverse("assessment:confirm", args=[m.pk])).status_code == 404
    r = outsider.post(ENTER, {"zone": world.a.zone.pk, "indicator": "revenue",
                              "period": "2026Q1", "value": "1", "source": "x"})  # fmt: skip
    assert r.status_code == 404
    assert Measurement.objects.count() == 1


def test_a_bad_period_is_explained_and_the_default_shown(world, library, login):
    r = login(world["liaison"]).get(FIGURES, {"period": "明年"})
    assert r.status_code == 200 and "期间格式不正确" in r.content.decode()


@pytest.mark.parametrize("extra", [0, 1])
def test_the_figures_page_costs_the_same_queries_with_more_figures(
    world, library, enter, login, django_assert_num_queries, extra
):
    client = login(world["zone_admin"])
    enter("industrial-output", "2026Q1", "300")
    m = enter("revenue", "2026Q1", "500")
    if extra:
        measurement_confirm(actor=world["zone_admin"], measurement=m)
        from shiji.assessment.services import measurement_correct

        measurement_correct(actor=world["sysadmin"], measurement=m, value="510", reason="修订")
        for code in ("exports", "new-firms", "satisfaction", "rules-made"):
            enter(code, "2026Q1", "12.5")
    table(client, world)
    # Whatever the figures: the lock of the shown period is one query of them.
    with django_assert_num_queries(7):
        table(client, world)


def test_the_evidence_of_a_figure_downloads_for_its_zone_only(world, library, enter, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.samples import pdf_bytes

    m = enter("industrial-output", "2026Q1", "300",
              file=SimpleUploadedFile("月报.pdf", pdf_bytes("assessment")))  # fmt: skip
    m.refresh_from_db()
    assert m.evidence_name == "月报.pdf" and len(m.evidence_sha256) == 64
    url = reverse("assessment:evidence", args=[m.pk])
    assert "data-evidence" in table(login(world["national"]), world).content.decode()
    r = login(world["national"]).get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert login(world["outsider"]).get(url).status_code == 404
    other = enter("revenue", "2026Q1", "300")
    assert (
        login(world["zone_admin"]).get(reverse("assessment:evidence", args=[other.pk])).status_code
        == 404
    )
    event = AuditEvent.objects.get(action="measurement.enter", object_id=m.pk)
    assert event.changes["file"][1]["name"] == "月报.pdf"


def test_the_task_force_sets_a_trajectory_on_the_targets_page(world, library, login):
    url = reverse("assessment:targets")
    admin = login(world["zone_admin"])
    page = admin.get(url).content.decode()
    assert "本区尚未设定目标值" in page and 'id="sj-target-form"' in page

    save = reverse("assessment:target_save")
    for year, value in ((2026, "620"), (2030, "1000")):
        data = {"zone": world.a.zone.pk, "indicator": "industrial-output",
                "period": str(year), "comparator": "gte", "value": value}  # fmt: skip
        r = admin.post(save, data)
        assert r.status_code == 302
    r = admin.post(save, {"zone": world.a.zone.pk, "indicator": "industrial-output",
                          "period": "2031", "comparator": "gte", "value": "-1"})  # fmt: skip
    assert r.status_code == 422 and "invalid-feedback" in r.content.decode()

    page = login(world["liaison"]).get(url).content.decode()
    assert 'data-indicator="industrial-output"' in page and "1000" in page
    assert 'id="sj-target-form"' not in page
    assert login(world["liaison"]).post(save, {"zone": world.a.zone.pk}).status_code == 403
    assert login(world["outsider"]).get(url, {"zone": world.a.zone.pk}).status_code == 404


def test_the_targets_page_costs_the_same_queries_with_more_targets(
    world, library, login, django_assert_num_queries
):
    from shiji.assessment.services import target_set

    client = login(world["zone_admin"])

    def add(code, year):
        target_set(actor=world["zone_admin"], zone=world.a.zone, indicator=code,
                   period=str(year), comparator="gte", value="10")  # fmt: skip

    add("revenue", 2026)
    client.get(reverse("assessment:targets"))
    with django_assert_num_queries(6) as first:
        client.get(reverse("assessment:targets"))
    for year in (2027, 2028):
        add("revenue", year)
        add("exports", year)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("assessment:targets"))
