"""Work updates (工作动态): submitted by an organization with photos, approved
or returned by the zone's task force, seen within scope; every write
audited, bad input refused with nothing written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Forbidden, Invalid, NotFound
from shiji.reports import selectors, services
from shiji.reports.models import UpdatePhoto, UpdateStatus, WorkUpdate
from tests.reports.conftest import DAY, approved, submit
from tests.samples import image_bytes, photo_bytes

pytestmark = pytest.mark.today("2026-07-01")


def upload(name="会场.jpg", data=None):
    return SimpleUploadedFile(name, data or photo_bytes("会场", gps=True), "image/jpeg")


def events(obj, action):
    return AuditEvent.objects.filter(object_id=str(obj.pk), action=action)


def test_a_submitted_update_waits_for_review_with_its_photos_without_camera_metadata(world):
    update = submit(world, photos=[upload()])
    assert update.status == UpdateStatus.SUBMITTED
    assert update.submitted_by == world["secretary"]
    photo = update.photos.get()
    assert photo.kind == "jpeg" and photo.name == "会场.jpg"
    with photo.file.open("rb") as handle, Image.open(handle) as image:
        assert not image.getexif()  # no GPS, make or model left
    assert events(update, "update.submit").count() == 1
    assert events(update, "update.photo").get().changes["photo"][1]["sha256"] == photo.sha256


def test_an_update_with_bad_input_writes_nothing(world):
    cases = [
        ({"title": ""}, "title"),
        ({"body": "  "}, "body"),
        ({"happened_on": "2026-13-01"}, "happened_on"),
        ({"happened_on": "2099-01-01"}, "happened_on"),
        ({"photos": [SimpleUploadedFile("x.jpg", b"<html>", "image/jpeg")]}, "photos"),
        ({"photos": [upload(f"{i}.jpg", image_bytes("png", str(i))) for i in range(7)]}, "photos"),
    ]
    for values, field in cases:
        with pytest.raises(Invalid) as caught:
            submit(world, **values)
        assert field in caught.value.fields, values
    assert not WorkUpdate.objects.exists() and not UpdatePhoto.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="update.").exists()


def test_an_organization_outside_the_submitters_subtree_is_refused(world):
    with pytest.raises(Invalid):  # out of the secretary's sight: "not there"
        submit(world, actor="secretary", org=world.a.soe)
    with pytest.raises(Invalid):  # another zone's org is "not there"
        submit(world, actor="secretary", org=world.b.root)
    with pytest.raises(Forbidden):
        submit(world, actor="supervisor")


def test_the_zone_admin_approves_and_the_approved_update_is_locked(world):
    update = approved(world)
    assert update.status == UpdateStatus.APPROVED and update.reviewed_by == world["zone_admin"]
    assert events(update, "update.approve").count() == 1
    with pytest.raises(Conflict):
        services.update_edit(actor=world["secretary"], update=update, title="改")
    with pytest.raises(Conflict):
        services.update_review(actor=world["zone_admin"], update=update, action="approve")


def test_returning_needs_a_reason_and_an_edit_resubmits(world):
    update = submit(world)
    with pytest.raises(Invalid) as caught:
        services.update_review(actor=world["zone_admin"], update=update, action="return")
    assert "note" in caught.value.fields
    services.update_review(
        actor=world["zone_admin"], update=update, action="return", note="请补充参加人员"
    )
    update.refresh_from_db()
    assert update.status == UpdateStatus.RETURNED and update.return_reason == "请补充参加人员"
    services.update_edit(actor=world["secretary"], update=update, body="补充后的正文。")
    update.refresh_from_db()
    assert update.status == UpdateStatus.SUBMITTED
    assert events(update, "update.edit").get().changes["status"] == ["returned", "submitted"]


def test_only_the_task_force_reviews(world):
    update = submit(world)
    for who in ("secretary", "liaison", "leader", "supervisor"):
        with pytest.raises(Forbidden):
            services.update_review(actor=world[who], update=update, action="approve")
    with pytest.raises(Forbidden):
        services.update_review(actor=world["outsider"], update=update, action="approve")


def test_who_sees_an_update(world):
    waiting = submit(world)
    done = approved(world, title="已采用的动态")
    seen = {
        who: set(selectors.updates_visible_to(user=world[who]).values_list("pk", flat=True))
        for who in ("zone_admin", "secretary", "firm_secretary", "leader", "provincial",
                    "national", "outsider", "nobody")
    }  # fmt: skip
    assert seen["zone_admin"] == seen["secretary"] == {waiting.pk, done.pk}
    # Not yet approved: only its submitters' subtree and the task force; the
    # leader of the subtree reads the approved one, another branch neither.
    assert seen["leader"] == {done.pk}
    assert seen["firm_secretary"] == set()
    assert seen["provincial"] == seen["national"] == {done.pk}
    assert seen["outsider"] == seen["nobody"] == set()


def test_photos_are_added_and_removed_while_the_update_is_open(world):
    update = submit(world)
    services.update_add_photos(actor=world["liaison"], update=update, photos=[upload()])
    photo = update.photos.get()
    services.update_remove_photo(actor=world["liaison"], update=update, photo=photo)
    assert not update.photos.exists()
    assert events(update, "update.photo_remove").count() == 1
    with pytest.raises(NotFound):
        services.update_remove_photo(actor=world["liaison"], update=update, photo=photo.pk)


# Pages -------------------------------------------------------------------------------


def test_the_update_pages_submit_review_and_show_the_photo(world, login):
    client = login(world["secretary"])
    assert "还没有工作动态" in client.get(reverse("reports:updates")).content.decode()
    response = client.post(
        reverse("reports:update_create"),
        {
            "org": world.a.dept.pk,
            "title": "支部专题学习",
            "happened_on": DAY.isoformat(),
            "body": "正文。",
            "author": "张三",
            "photos": [upload()],
        },
    )
    update = WorkUpdate.objects.get()
    assert response.status_code == 302
    photo = update.photos.get()
    page = client.get(reverse("reports:update_detail", args=[update.pk])).content.decode()
    assert "支部专题学习" in page and "待审核" in page and "采用（可编入简报）" not in page
    shown = client.get(reverse("reports:update_photo", args=[update.pk, photo.pk]) + "?inline=1")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"

    admin = login(world["zone_admin"])
    response = admin.post(reverse("reports:update_review", args=[update.pk]), {"action": "return"})
    assert response.status_code == 422
    assert "请填写退回理由" in response.content.decode()
    admin.post(reverse("reports:update_review", args=[update.pk]), {"action": "approve"})
    update.refresh_from_db()
    assert update.status == UpdateStatus.APPROVED


def test_the_update_form_shows_errors_inline_and_writes_nothing(world, login):
    client = login(world["secretary"])
    response = client.post(
        reverse("reports:update_create"),
        {"org": world.a.dept.pk, "title": "", "happened_on": "", "body": ""},
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "请填写标题" in page and "is-invalid" in page
    assert not WorkUpdate.objects.exists()


def test_another_zones_update_and_photo_are_404(world, login):
    update = submit(world, photos=[upload()])
    photo = update.photos.get()
    client = login(world["outsider"])
    assert client.get(reverse("reports:update_detail", args=[update.pk])).status_code == 404
    url = reverse("reports:update_photo", args=[update.pk, photo.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("reports:update_review", args=[update.pk]), {"action": "approve"}
    )
    assert response.status_code == 404
    update.refresh_from_db()
    assert update.status == UpdateStatus.SUBMITTED
