"""One username rule (shiji.orgs.usernames) on every path that names an
account: the form and the API (tests/orgs/test_api_accounts.py,
test_accounts_ui.py), the demo loader, ``createsuperuser`` and the model."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from shiji.core.errors import Invalid
from shiji.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from shiji.demo.services import superuser_create
from shiji.orgs.models import User
from shiji.orgs.services import RESERVED_USERNAMES
from shiji.orgs.usernames import login_key, validate_username
from tests.conftest import SYSTEM

LOOK_ALIKES = ["аdmin", "sеcretary", "gy_admіn", "ｇｙ＿ａｄｍｉｎ\u200b"]


def test_every_demo_account_name_is_valid():
    for account in DEMO_ACCOUNTS:
        validate_username(account.username)
    # Only the first superuser, made by the system, holds a reserved name.
    reserved = [a.username for a in DEMO_ACCOUNTS if a.username in RESERVED_USERNAMES]
    assert reserved == ["admin"] and DEMO_ACCOUNTS[0].username == "admin"


@pytest.mark.parametrize("username", LOOK_ALIKES)
def test_the_model_field_refuses_look_alikes(db, username):
    user = User(username=username)
    user.set_password(DEMO_PASSWORD)
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert "username" in caught.value.message_dict


@pytest.mark.parametrize("username", LOOK_ALIKES)
def test_createsuperuser_refuses_look_alikes(db, monkeypatch, username):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEMO_PASSWORD)
    with pytest.raises(CommandError, match="用户名应为"):
        call_command("createsuperuser", username=username, email="", interactive=False)
    assert not User.objects.exists()


@pytest.mark.parametrize("username", LOOK_ALIKES)
def test_the_demo_loaders_superuser_refuses_look_alikes(db, username):
    with pytest.raises(Invalid) as caught:
        superuser_create(actor=SYSTEM, username=username, password=DEMO_PASSWORD, name="x")
    assert list(caught.value.fields) == ["username"]
    assert not User.objects.exists()


def test_usernames_are_unique_ignoring_case_in_the_database(db):
    User.objects.create_user(username="Wang.Wu", password=DEMO_PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="wang.wu", password=DEMO_PASSWORD)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Admin", "admin"),
        ("  ｇｙ＿ａｄｍｉｎ ", "gy_admin"),
        ("аdmin", "аdmin"),  # a different name, not the admin's
        ("", ""),
        ("a\x00b", ""),
        ("x" * 151, ""),
        (None, ""),
        (["admin"], ""),
    ],
)
def test_the_login_key_of_a_typed_name(typed, key):
    assert login_key(typed) == key
