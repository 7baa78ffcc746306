"""Signing in and out, lockout, password change and password hashing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from shiji import settings as project_settings
from shiji.audit.models import AuditEvent
from shiji.orgs import services
from shiji.orgs.models import User
from tests.conftest import PASSWORD

NEW_PASSWORD = "Zhenggai-Xiaohao-2026"


def _login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_is_in_chinese(client, db):
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in body
    for text in ("登录账号", "用户名", "密码"):
        assert text in body


def test_right_password_signs_in_and_goes_home(client, world):
    response = _login(client, "secretary", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in(client)
    world["secretary"].refresh_from_db()
    assert world["secretary"].last_login is not None


def test_login_follows_a_local_next_but_not_a_foreign_one(client, world):
    assert _login(client, "secretary", PASSWORD, next="/orgs/")["Location"] == "/orgs/"
    other = Client()
    response = _login(other, "secretary", PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/"


def test_wrong_password_shows_the_message_and_does_not_sign_in(client, world):
    response = _login(client, "secretary", "wrong-password")
    assert response.status_code == 422  # Invalid, as the API answers it
    assert "用户名或密码不正确" in response.content.decode()
    assert not _signed_in(client)
    # The username stays in the form so only the password needs retyping.
    assert 'value="secretary"' in response.content.decode()


@pytest.mark.parametrize(
    ("username", "password"),
    [("nobody-here", PASSWORD), ("secre\x00tary", PASSWORD), ("secretary", "x\x00"), ("", "")],
)
def test_unknown_or_junk_credentials_are_refused_without_a_500(client, world, username, password):
    response = _login(client, username, password)
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.content.decode()


def test_deactivated_account_cannot_sign_in(client, world):
    User.objects.filter(username="secretary").update(is_active=False)
    assert _login(client, "secretary", PASSWORD).status_code == 422
    assert not _signed_in(client)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, world):
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        assert "用户名或密码不正确" in _login(client, "secretary", "nope").content.decode()
    locked = _login(client, "secretary", "nope")
    assert "锁定" in locked.content.decode()

    response = _login(client, "secretary", PASSWORD)
    assert response.status_code == 429  # LockedOut, as the token endpoint answers it
    assert "登录失败次数过多，账号已临时锁定，请稍后再试" in response.content.decode()
    assert not _signed_in(client)

    user = User.objects.get(username="secretary")
    assert user.locked_until > timezone.now()
    event = AuditEvent.objects.get(action="user.locked", object_id=str(user.pk))
    assert event.object_type == "orgs.user"
    assert event.zone == world.a.zone
    assert event.actor is None and event.actor_label == "系统"


def test_logout_needs_post(client, world):
    client.force_login(world["secretary"])
    assert client.get("/accounts/logout/").status_code == 405
    assert _signed_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not _signed_in(client)


def test_pages_send_anonymous_visitors_to_the_login(client, db):
    response = client.get("/orgs/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/orgs/"


# Password change ---------------------------------------------------------------------


def _change(client, old, new, new2=None):
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password": new, "new_password2": new if new2 is None else new2},
    )


def test_password_change_page_needs_login(client, db):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_change_with_wrong_old_password(client, world):
    client.force_login(world["secretary"])
    response = _change(client, "not-it", NEW_PASSWORD)
    assert response.status_code == 422
    assert "原密码不正确" in response.content.decode()
    assert User.objects.get(username="secretary").check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_password_change_with_mismatched_new_passwords(client, world):
    client.force_login(world["secretary"])
    response = _change(client, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert response.status_code == 422
    assert "两次输入的新密码不一致" in response.content.decode()
    assert User.objects.get(username="secretary").check_password(PASSWORD)


@pytest.mark.parametrize("weak", ["1234", "12345678", "password", "secretary1"])
def test_password_change_refuses_weak_passwords(client, world, weak):
    client.force_login(world["secretary"])
    response = _change(client, PASSWORD, weak)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_new_password"' in body and "is-invalid" in body
    assert User.objects.get(username="secretary").check_password(PASSWORD)


def test_password_change_succeeds_keeps_the_session_and_is_audited(client, world, api):
    user = world["secretary"]
    token_api = api(user)
    client.force_login(user)
    response = _change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "密码已修改" in client.get("/").content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="user.password_change", object_id=str(user.pk))
    assert event.actor == user
    assert event.changes["password"] == ["***", "***"]
    # Tokens issued under the old password end with it.
    # (A fresh client: the test client also carries the browser session.)
    assert Client().get("/api/v1/me", headers=token_api.headers).status_code == 401
    assert _login(Client(), "secretary", NEW_PASSWORD).status_code == 302


# Hashing and the admin site -------------------------------------------------------------


def test_passwords_are_hashed_with_argon2(world):
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert world["secretary"].password.startswith("argon2")
    user = services.user_create(actor=world["zone_admin"], username="hashed", password=NEW_PASSWORD)
    assert user.password.startswith("argon2")
    assert NEW_PASSWORD not in user.password


def test_admin_site_sends_anonymous_visitors_to_our_login(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "登录账号" in response.content.decode()


def test_admin_login_form_cannot_bypass_the_lockout(client, world):
    User.objects.filter(username="sysadmin").update(is_staff=True, is_superuser=True)
    response = client.post("/admin/login/", {"username": "sysadmin", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _signed_in(client)
