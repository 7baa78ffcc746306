"""The query counts of the work-update and bulletin pages, pinned: the same
number with twice the updates, photos, entries and issues (no query per
row), and the pinned one."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shiji.reports import services
from tests.reports.conftest import approved, draft, submit
from tests.samples import image_bytes
from tests.test_query_counts import counted

pytestmark = pytest.mark.today("2026-07-01")


@pytest.fixture
def bulletin_life(world, series):
    """``add()`` adds one round: two approved updates with a photo each (in
    the draft), a waiting and a returned update, and an issued bulletin.
    Returns the draft, made in the first round."""
    made: dict = {"rounds": 0}

    def photo(n):
        return [SimpleUploadedFile(f"{n}.png", image_bytes("png", str(n)), "image/png")]

    def add():
        n = made["rounds"]
        made["rounds"] += 1
        ups = [approved(world, title=f"动态{n}-{i}", photos=photo(f"{n}{i}")) for i in range(2)]
        if "draft" not in made:
            made["draft"] = draft(world, series, *ups)
        else:
            services.bulletin_add_updates(
                actor=world["zone_admin"], bulletin=made["draft"], updates=ups
            )
        submit(world, title=f"待审核{n}")
        services.update_review(
            actor=world["zone_admin"], update=submit(world, title=f"退回{n}"), action="return",
            note="请补充",
        )  # fmt: skip
        services.bulletin_issue(
            actor=world["zone_admin"],
            bulletin=draft(world, series, approved(world, title=f"期{n}")),
        )
        return made["draft"]

    return add


PAGES = [
    ("updates", "zone_admin", 6),
    ("updates", "secretary", 6),
    ("bulletins", "zone_admin", 5),
    ("bulletins", "secretary", 4),
    ("bulletin", "zone_admin", 9),
    ("update", "zone_admin", 9),
]


@pytest.mark.parametrize(("page", "who", "expected"), PAGES)
def test_pinned_query_count(
    world, login, bulletin_life, django_assert_num_queries, page, who, expected
):
    bulletin = bulletin_life()
    item = bulletin.items.order_by("position").first()
    path = {
        "updates": reverse("reports:updates"),
        "bulletins": reverse("reports:bulletins"),
        "bulletin": reverse("reports:bulletin_detail", args=[bulletin.pk]),
        "update": reverse("reports:update_detail", args=[item.update_id]),
    }[page]
    client = login(world[who])
    client.get(path)
    counted(client, path, django_assert_num_queries, expected)
    bulletin_life()
    body = counted(client, path, django_assert_num_queries, expected)
    if page == "bulletin":
        assert "动态1-1" in body and body.count("<figure") == 4
