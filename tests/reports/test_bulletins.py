"""Bulletins (工作简报): compiled from approved updates, numbered on issue
(第N期, never reused), immutable once issued (a correction is a new issue),
exported as .docx in the Party/government bulletin layout, listed and
downloaded through the API within the caller's scope."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from django.urls import reverse
from docx.oxml.ns import qn

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Forbidden, Invalid
from shiji.reports import selectors, services
from shiji.reports.models import Bulletin, BulletinItem, BulletinStatus
from tests.reports.conftest import approved, draft, submit

pytestmark = pytest.mark.today("2026-07-01")
ISSUED = dt.date(2026, 6, 30)


def issue(world, bulletin, **kw):
    return services.bulletin_issue(
        actor=world["zone_admin"], bulletin=bulletin, issued_on=kw.pop("issued_on", ISSUED), **kw
    )


def test_issuing_takes_the_series_next_number_and_moves_it_on(world, series):
    first = issue(world, draft(world, series, approved(world, title="一")))
    second = issue(world, draft(world, series, approved(world, title="二")))
    assert (first.number, second.number) == (1, 2)
    series.refresh_from_db()
    assert series.next_number == 3
    assert first.status == BulletinStatus.ISSUED and first.issuer == "甲高新区学习教育工作专班"
    event = AuditEvent.objects.get(action="bulletin.issue", object_id=str(first.pk))
    assert event.changes["number"] == [None, 1]


def test_a_bulletin_with_no_updates_is_not_issued(world, series):
    empty = draft(world, series)
    with pytest.raises(Invalid) as caught:
        issue(world, empty)
    assert "items" in caught.value.fields
    empty.refresh_from_db()
    assert empty.number is None and empty.status == BulletinStatus.DRAFT
    series.refresh_from_db()
    assert series.next_number == 1


def test_a_number_already_used_is_refused_and_numbers_only_run_forward(world, series):
    issue(world, draft(world, series, approved(world, title="一")))
    second = draft(world, series, approved(world, title="二"))
    with pytest.raises(Invalid) as caught:
        issue(world, second, number=1)
    assert caught.value.fields["number"] == "第1期已使用，期号不能重复"
    # A series begun on paper continues at a later number; the skipped ones
    # are never filled in afterwards.
    assert issue(world, second, number=5).number == 5
    third = draft(world, series, approved(world, title="三"))
    with pytest.raises(Invalid) as caught:
        issue(world, third, number=3)
    assert "第6期" in caught.value.fields["number"]
    assert issue(world, third).number == 6


def test_an_update_from_another_zone_or_not_approved_is_refused(world, series):
    theirs = approved(world, zone="b", actor="outsider")
    waiting = submit(world, title="待审核")
    bulletin = draft(world, series)
    for update in (theirs, waiting, theirs.pk + 1000):
        with pytest.raises(Invalid) as caught:
            services.bulletin_add_updates(
                actor=world["zone_admin"], bulletin=bulletin, updates=[update]
            )
        assert "updates" in caught.value.fields
    assert not bulletin.items.exists()
    # The other zone's admin cannot even see this zone's series.
    with pytest.raises(Forbidden):
        draft(world, series, actor="outsider")


def test_entries_are_copies_edited_lightly_and_ordered(world, series):
    one, two = approved(world, title="一"), approved(world, title="二")
    bulletin = draft(world, series, one, two)
    first, second = selectors.bulletin_items(bulletin=bulletin)
    services.bulletin_item_edit(
        actor=world["zone_admin"], bulletin=bulletin, item=first, heading="甲高新区", byline="李四"
    )
    services.bulletin_move_item(actor=world["zone_admin"], bulletin=bulletin, item=second, step=-1)
    items = selectors.bulletin_items(bulletin=bulletin)
    assert [i.heading for i in items] == ["二", "甲高新区"]
    one.refresh_from_db()
    assert one.title == "一" and one.author == "张三"  # the submitted update is untouched
    actions = list(
        AuditEvent.objects.filter(object_id=str(bulletin.pk), object_type="reports.bulletin")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "bulletin.create", "bulletin.item_add", "bulletin.item_edit", "bulletin.item_move",
    ]  # fmt: skip


def test_an_issued_bulletin_is_immutable_and_a_correction_is_a_new_issue(world, series):
    update = approved(world)
    bulletin = issue(world, draft(world, series, update))
    item = bulletin.items.get()
    admin = world["zone_admin"]
    for call in (
        lambda: services.bulletin_edit(actor=admin, bulletin=bulletin, title="改"),
        lambda: services.bulletin_item_edit(actor=admin, bulletin=bulletin, item=item, body="改"),
        lambda: services.bulletin_item_remove(actor=admin, bulletin=bulletin, item=item),
        lambda: services.bulletin_issue(actor=admin, bulletin=bulletin),
        lambda: services.bulletin_delete_draft(actor=admin, bulletin=bulletin),
    ):
        with pytest.raises(Conflict):
            call()
    with pytest.raises(Invalid):
        services.bulletin_correct(actor=admin, bulletin=bulletin, note="")
    correction = services.bulletin_correct(actor=admin, bulletin=bulletin, note="第二段日期有误")
    services.bulletin_item_edit(
        actor=admin, bulletin=correction, item=correction.items.get(), body="更正后的正文。"
    )
    assert issue(world, correction).number == 2
    item.refresh_from_db()
    assert item.body == "第一段。\n第二段。"  # the issued one is as it went out
    assert correction.corrects == bulletin


def test_who_sees_and_who_compiles_bulletins(world, series):
    issued = issue(world, draft(world, series, approved(world, title="一")))
    waiting = draft(world, series, approved(world, title="二"))

    def seen(who):
        return set(selectors.bulletins_visible_to(user=world[who]).values_list("pk", flat=True))

    assert seen("zone_admin") == seen("sysadmin") == {issued.pk, waiting.pk}
    for who in ("secretary", "firm_secretary", "leader", "supervisor", "provincial", "national"):
        assert seen(who) == {issued.pk}, who
    assert seen("outsider") == seen("nobody") == set()
    with pytest.raises(Forbidden):
        services.bulletin_issue(actor=world["secretary"], bulletin=waiting)


def test_the_national_series_is_compiled_only_over_all_zones(world):
    with pytest.raises(Forbidden):
        services.series_create(actor=world["zone_admin"], zone=None, title="简报", issuer="专班")
    national = services.series_create(
        actor=world["sysadmin"], zone=None, title="简报", issuer="国家高新区学习教育工作专班"
    )
    ours, theirs = approved(world), approved(world, zone="b", actor="outsider")
    bulletin = draft(world, national, ours, theirs, actor="sysadmin")
    services.bulletin_issue(actor=world["sysadmin"], bulletin=bulletin, issued_on=ISSUED)
    # Issued national bulletins are read by everyone with a role.
    for who in ("secretary", "outsider", "provincial"):
        assert selectors.bulletins_visible_to(user=world[who]).filter(pk=bulletin.pk).exists()
    assert not selectors.bulletins_visible_to(user=world["nobody"]).exists()


# The .docx ---------------------------------------------------------------------------


def _fonts(paragraph):
    return {r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in paragraph.runs if r.text.strip()}


def test_the_docx_has_the_masthead_number_titles_in_order_fonts_and_page_setup(world, series):
    one = approved(world, title="支部专题学习", author="张三")
    two = approved(world, title="入企走访", body="走访企业。", author="")
    bulletin = issue(world, draft(world, series, one, two, title="甲高新区学查改一体推进"))
    document = docx.Document(io.BytesIO(services_docx(bulletin)))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    texts = [p.text for p in paragraphs]
    masthead, number, issuer = paragraphs[:3]
    assert masthead.text == "学习教育工作简报"
    assert _fonts(masthead) == {"方正小标宋简体"}
    assert {str(r.font.color.rgb) for r in masthead.runs} == {"FF0000"}
    assert number.text == "第1期" and _fonts(number) == {"楷体"}
    assert issuer.text == "甲高新区学习教育工作专班\t2026年6月30日"
    rule = issuer._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000"
    title = paragraphs[3]
    assert title.text == "甲高新区学查改一体推进" and _fonts(title) == {"方正小标宋简体"}
    headings = [p.text for p in paragraphs if _fonts(p) == {"黑体"}]
    assert headings == ["支部专题学习", "入企走访"]
    body = paragraphs[texts.index("第一段。")]
    assert _fonts(body) == {"仿宋_GB2312"} and body.paragraph_format.first_line_indent == 32 * 12700
    assert texts.index("（张三）") > texts.index("第二段。")
    assert texts[-3:] == ["报送：市学习教育领导小组办公室", "抄送：区各部门",
                          "甲高新区学习教育工作专班\t2026年6月30日印发"]  # fmt: skip
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "—" in footer
    assert "PAGE" in section.even_page_footer.paragraphs[0]._p.xml
    table = next(
        r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable")
    )
    xml = table.blob.decode()
    for name, alt in (("仿宋_GB2312", "FangSong_GB2312"), ("黑体", "SimHei"), ("楷体", "KaiTi")):
        assert f'w:name="{name}"><w:altName w:val="{alt}"/>' in xml


def services_docx(bulletin):
    from shiji.reports.views_bulletins import docx_download

    return docx_download(bulletin)[0]


def test_a_draft_exports_without_a_number(world, series):
    bulletin = draft(world, series, approved(world))
    document = docx.Document(io.BytesIO(services_docx(bulletin)))
    assert document.paragraphs[1].text == "第　期（草稿）"


# Pages and the API -------------------------------------------------------------------


def test_the_bulletin_pages_compile_and_issue(world, series, login):
    update = approved(world, title="支部专题学习")
    client = login(world["zone_admin"])
    assert "编第1期" in client.get(reverse("reports:bulletins")).content.decode()
    response = client.post(
        reverse("reports:bulletin_create", args=[series.pk]), {"title": "第一期标题"}
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("reports:bulletin_detail", args=[bulletin.pk])).content.decode()
    assert "本期还没有编入工作动态" in page and "支部专题学习" in page
    response = client.post(reverse("reports:bulletin_issue", args=[bulletin.pk]), {})
    assert response.status_code == 422
    assert "简报还没有编入任何工作动态，不能印发" in response.content.decode()
    client.post(reverse("reports:bulletin_add_items", args=[bulletin.pk]), {"updates": [update.pk]})
    assert bulletin.items.count() == 1
    client.post(
        reverse("reports:bulletin_issue", args=[bulletin.pk]), {"issued_on": ISSUED.isoformat()}
    )
    bulletin.refresh_from_db()
    assert bulletin.number == 1
    page = client.get(reverse("reports:bulletin_detail", args=[bulletin.pk])).content.decode()
    assert "第1期" in page and "2026年6月30日" in page and "发更正期" in page
    download = client.get(reverse("reports:bulletin_docx", args=[bulletin.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_update_of_another_zone_posted_to_the_page_is_refused(world, series, login):
    theirs = approved(world, zone="b", actor="outsider")
    bulletin = draft(world, series)
    client = login(world["zone_admin"])
    response = client.post(
        reverse("reports:bulletin_add_items", args=[bulletin.pk]), {"updates": [theirs.pk]}
    )
    assert response.status_code == 422
    assert "不属于本简报的范围" in response.content.decode()
    assert not BulletinItem.objects.exists()


def test_another_zones_bulletin_is_404_on_the_pages(world, series, login):
    bulletin = issue(world, draft(world, series, approved(world)))
    client = login(world["outsider"])
    for name in ("reports:bulletin_detail", "reports:bulletin_docx"):
        assert client.get(reverse(name, args=[bulletin.pk])).status_code == 404
    assert (
        client.post(
            reverse("reports:bulletin_correct", args=[bulletin.pk]), {"note": "x"}
        ).status_code
        == 404
    )


def test_the_api_lists_issued_bulletins_in_scope(world, series, api):
    issued = issue(world, draft(world, series, approved(world, title="一"), title="第一期"))
    draft(world, series, approved(world, title="二"))
    body = api(world["secretary"]).get("/api/v1/bulletins").json()
    assert body == {
        "items": [
            {"id": issued.pk, "series": "学习教育工作简报", "number": 1, "title": "第一期",
             "issued_on": "2026-06-30"}
        ]
    }  # fmt: skip
    assert api(world["outsider"]).get("/api/v1/bulletins").json() == {"items": []}
    assert api(None).get("/api/v1/bulletins").status_code == 401


def test_the_api_downloads_the_docx_and_hides_other_zones(world, series, api):
    bulletin = issue(world, draft(world, series, approved(world)))
    response = api(world["provincial"]).get(f"/api/v1/bulletins/{bulletin.pk}/docx")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(b"".join(response.streaming_content)))
    assert document.paragraphs[1].text == "第1期"
    assert api(world["outsider"]).get(f"/api/v1/bulletins/{bulletin.pk}/docx").status_code == 404
    assert api(world["secretary"]).get("/api/v1/bulletins/0/docx").status_code == 422
    assert api(world["secretary"]).get("/api/v1/bulletins/999999/docx").status_code == 404
