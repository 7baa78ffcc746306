"""Signing in and out, lockout (per account and client address, with a
growing wait), answers that do not tell which usernames exist, sessions that
end for good, password change and password hashing. The parallel attack is in
test_login_concurrency.py."""

from __future__ import annotations

import datetime as dt
import io
import re
import statistics
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shiji import settings as project_settings
from shiji.audit.models import AuditEvent
from shiji.orgs import services
from shiji.orgs.models import LoginThrottle, User
from tests.conftest import PASSWORD, lock_out

NEW_PASSWORD = "Zhenggai-Xiaohao-2026"


def _login(client, username, password, forwarded_for=None, **extra):
    meta = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    data = {"username": username, "password": password, **extra}
    return client.post("/accounts/login/", data, **meta)


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


def test_repeated_failures_lock_that_address_even_for_the_right_password(client, world):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        response = _login(client, "secretary", "nope")
        assert response.status_code == 422
        assert "用户名或密码不正确" in response.content.decode()

    response = _login(client, "secretary", PASSWORD)
    assert response.status_code == 429
    assert "密码输错次数过多，请 15 分钟后再试，或请管理员解除锁定" in response.content.decode()
    assert not _signed_in(client)

    throttle = LoginThrottle.objects.get(username="secretary")
    assert throttle.client == "127.0.0.1"
    assert throttle.failures == settings.LOGIN_MAX_FAILURES
    assert throttle.locked_until > timezone.now() + dt.timedelta(minutes=14)
    event = AuditEvent.objects.get(action="user.locked", object_id=str(world["secretary"].pk))
    assert event.object_type == "orgs.user"
    assert event.zone == world.a.zone
    assert event.actor is None and event.actor_label == "系统（login）"
    assert event.note == f"来自 127.0.0.1 的连续第 {settings.LOGIN_MAX_FAILURES} 次失败"


def test_a_lock_from_one_address_does_not_stop_the_owner_from_another(world):
    # Anyone could lock any account (admin included) with five requests.
    attacker, owner = Client(REMOTE_ADDR="203.0.113.66"), Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(settings.LOGIN_MAX_FAILURES + 3):
        _login(attacker, "sysadmin", "guess")
    assert _login(attacker, "sysadmin", PASSWORD).status_code == 429

    response = _login(owner, "sysadmin", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(owner)
    # Only the attacker's address is locked, and only it was counted.
    assert list(LoginThrottle.objects.values_list("client", "failures")) == [
        ("203.0.113.66", settings.LOGIN_MAX_FAILURES)
    ]


def test_each_failure_after_a_lock_doubles_the_wait(world):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    throttle = LoginThrottle.objects.filter(username="secretary")
    waits = []
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(attacker, "secretary", "guess")
    for _ in range(3):
        waits.append(round((throttle.get().locked_until - timezone.now()).total_seconds() / 60))
        # The wait runs out: one more guess, and a lock twice as long.
        throttle.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
        assert _login(attacker, "secretary", "guess").status_code == 422
        assert _login(attacker, "secretary", "guess").status_code == 429
    assert waits == [15, 30, 60]
    assert AuditEvent.objects.filter(action="user.locked").count() == 4

    # A success once the wait is over starts afresh.
    throttle.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert _login(attacker, "secretary", PASSWORD).status_code == 302
    assert not throttle.exists()


def test_the_wait_is_capped(settings):
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_MINUTES = 5, 15
    settings.LOGIN_LOCKOUT_MAX_MINUTES = 24 * 60
    assert [services.lock_minutes(n) for n in (1, 4, 5, 6, 7, 11, 12, 10**6)] == [
        0,
        0,
        15,
        30,
        60,
        960,
        1440,
        1440,
    ]


def test_behind_the_proxy_the_client_is_the_last_forwarded_hop(world, settings):
    settings.BEHIND_TLS_PROXY = True
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for i in range(settings.LOGIN_MAX_FAILURES):
        # The first entries are the client's to write: rotating them gains nothing.
        forged = f"192.0.2.{i}, 203.0.113.66"
        assert _login(proxy, "secretary", "guess", forwarded_for=forged).status_code == 422
    assert _login(proxy, "secretary", PASSWORD, forwarded_for="203.0.113.66").status_code == 429
    assert LoginThrottle.objects.get().client == "203.0.113.66"
    assert _login(proxy, "secretary", PASSWORD, forwarded_for="198.51.100.7").status_code == 302


def test_without_the_proxy_setting_forwarded_headers_are_ignored(world, settings):
    settings.BEHIND_TLS_PROXY = False
    for i in range(settings.LOGIN_MAX_FAILURES):
        _login(Client(), "secretary", "guess", forwarded_for=f"192.0.2.{i}")
    assert list(LoginThrottle.objects.values_list("client", flat=True)) == ["127.0.0.1"]


def _page(response, username: str) -> str:
    """The page without what differs on every response (the CSRF token) and
    the username echoed back into the form."""
    body = response.content.decode().replace(f'value="{username}"', 'value="…"')
    return re.sub(r"[A-Za-z0-9]{64}", "«csrf»", body)


def test_unknown_and_known_usernames_get_the_same_answers_until_locked(world):
    known, unknown = Client(), Client()
    for _ in range(settings.LOGIN_MAX_FAILURES + 1):
        a = _login(known, "secretary", "guess")
        b = _login(unknown, "no-such-user", "guess")
        assert a.status_code == b.status_code
        assert _page(a, "secretary") == _page(b, "no-such-user")
    # Both are locked now (before, only real accounts ever locked: a tell).
    assert a.status_code == 429
    # A deactivated account answers like the rest too.
    User.objects.filter(username="liaison").update(is_active=False)
    c = _login(Client(), "liaison", PASSWORD)
    d = _login(Client(), "no-such-user-2", PASSWORD)
    assert (c.status_code, _page(c, "liaison")) == (d.status_code, _page(d, "no-such-user-2"))


def test_unknown_usernames_take_as_long_as_wrong_passwords(world, settings):
    # With the production hasher the check is what takes time; an unknown
    # name runs the hasher too (on a throwaway password), so timing tells
    # nothing. Medians over several tries, with a wide tolerance: the gap
    # this guards against is ten-fold or more.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    settings.LOGIN_MAX_FAILURES = 1000
    User.objects.filter(username="secretary").update(password=make_password(PASSWORD))
    client = Client()

    def took(username: str) -> float:
        start = time.perf_counter()
        assert _login(client, username, "guess").status_code == 422
        return time.perf_counter() - start

    _login(client, "warm-up", "guess")
    known = [took("secretary") for _ in range(5)]
    unknown = [took(f"nobody-{i}") for i in range(5)]
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, (known, unknown)


def test_logout_needs_post(client, world):
    client.force_login(world["secretary"])
    assert client.get("/accounts/logout/").status_code == 405
    assert _signed_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not _signed_in(client)


def test_logout_ends_the_session_for_good(client, world):
    _login(client, "secretary", PASSWORD)
    stolen = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = stolen
    assert replay.get("/").status_code == 302


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(world):
    browser = Client()
    assert _login(browser, "liaison", PASSWORD).status_code == 302
    assert browser.get("/").status_code == 200
    liaison = world["liaison"]
    services.user_update(actor=world["zone_admin"], user=liaison, is_active=False)
    assert browser.get("/").status_code == 302
    services.user_update(actor=world["zone_admin"], user=liaison, is_active=True)
    assert browser.get("/").status_code == 302
    assert not _signed_in(browser)
    event = AuditEvent.objects.get(action="user.update", changes__is_active=[True, False])
    assert event.note == "停用：该账号的全部登录会话已结束"
    # Signing in again works as usual.
    assert _login(Client(), "liaison", PASSWORD).status_code == 302


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


def test_password_change_guesses_are_counted_and_locked_like_sign_in(client, world):
    client.force_login(world["secretary"])
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert _change(client, "a-guess", NEW_PASSWORD).status_code == 422
    response = _change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 429
    assert "密码输错次数过多" in response.content.decode()
    assert User.objects.get(username="secretary").check_password(PASSWORD)
    # One counter per account and address: sign-in from here is locked too.
    assert _login(Client(), "secretary", PASSWORD).status_code == 429
    assert AuditEvent.objects.filter(action="user.locked").count() == 1
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_a_right_old_password_clears_the_count(client, world):
    client.force_login(world["secretary"])
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        _change(client, "a-guess", NEW_PASSWORD)
    assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert not LoginThrottle.objects.exists()


def test_password_change_ends_other_sessions_but_keeps_this_one(client, world):
    elsewhere = Client()
    assert _login(elsewhere, "secretary", PASSWORD).status_code == 302
    assert _login(client, "secretary", PASSWORD).status_code == 302
    assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


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


def test_stale_failure_counts_are_purged_but_live_ones_kept(world):
    lock_out("secretary", "203.0.113.1")  # locked now: kept
    lock_out("gone-user", "203.0.113.2")
    long_ago = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MAX_MINUTES + 1)
    LoginThrottle.objects.filter(username="gone-user").update(
        last_attempt_at=long_ago, locked_until=long_ago
    )
    out = io.StringIO()
    call_command("purge_login_throttles", stdout=out)
    assert "已删除 1 条" in out.getvalue()
    assert list(LoginThrottle.objects.values_list("username", flat=True)) == ["secretary"]
