"""The label of a feedback step is stored in Chinese whatever the language
of the request that made the move, and shown in the reader's language."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import translation

from shiji.outreach.models import FeedbackStep
from tests.outreach.test_handling import act, make_item


def test_a_move_made_in_english_stores_the_chinese_label(world):
    with translation.override("en"):
        item = make_item(world)
        act(world, "zone_admin", item, "accept")
    labels = dict(FeedbackStep.objects.filter(feedback=item).values_list("action", "public_label"))
    assert labels == {"submit": "已提交，等待受理", "accept": "已受理"}


def test_the_back_office_shows_the_steps_in_the_readers_language(world):
    item = make_item(world)
    act(world, "zone_admin", item, "accept")
    client = Client()
    client.force_login(world["zone_admin"])
    url = reverse("outreach:feedback_detail", args=[item.pk])
    chinese = client.get(url).content.decode()
    assert "已提交，等待受理" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(url).content.decode()
    assert "Submitted, awaiting acceptance" in english and "已提交，等待受理" not in english
