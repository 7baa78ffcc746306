"""The accounts part of the API contract (DESIGN.md §6): tokens and lockout,
bearer and session authentication, scoped reads, and the account writes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.orgs import services
from shiji.orgs.models import ApiToken, LoginThrottle, RoleGrant, User
from tests.conftest import PASSWORD, lock_out

NEW_PASSWORD = "Gaoxin-Zhenggai-2026"


def _token(client, username, password):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )


def _events(action, user=None):
    qs = AuditEvent.objects.filter(action=action)
    if user is not None:
        qs = qs.filter(object_type="orgs.user", object_id=str(user.pk))
    return qs


def _fields(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json().get("errors") or []}


# Tokens and lockout ----------------------------------------------------------------


def test_token_for_the_right_password_opens_the_api(client, world):
    response = _token(client, "zone_admin", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "zone_admin"
    assert me.json()["roles"] == ["zone_admin"]
    assert ApiToken.objects.filter(user=world["zone_admin"]).count() == 1
    assert _events("user.token_issue", world["zone_admin"]).count() == 1


def test_token_for_a_wrong_password_is_401_and_counts_a_failure(client, world):
    response = _token(client, "zone_admin", "not-the-password")
    assert response.status_code == 401
    assert response.json()["detail"] == "用户名或密码不正确"
    assert list(LoginThrottle.objects.values_list("username", "client", "failures")) == [
        ("zone_admin", "127.0.0.1", 1)
    ]
    assert not ApiToken.objects.exists()


def test_token_for_an_unknown_user_answers_like_a_wrong_password(client, world):
    unknown = _token(client, "no-such-user", PASSWORD)
    known = _token(client, "zone_admin", "not-the-password")
    assert unknown.status_code == known.status_code == 401
    assert unknown.json() == known.json()


def test_usernames_are_matched_ignoring_case_and_width(client, world):
    assert _token(client, "Zone_Admin", PASSWORD).status_code == 200
    assert _token(client, "ｚｏｎｅ＿ａｄｍｉｎ", PASSWORD).status_code == 200


def _fail_until_locked(client, username):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert _token(client, username, "wrong-password").status_code == 401


def test_lockout_after_repeated_failures_refuses_even_the_right_password(client, world):
    _fail_until_locked(client, "zone_admin")
    response = _token(client, "zone_admin", PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "locked"
    assert "请 15 分钟后再试" in response.json()["detail"]
    user = User.objects.get(username="zone_admin")
    assert LoginThrottle.objects.get(username="zone_admin").locked_until > timezone.now()
    assert _events("user.locked", user).count() == 1
    assert not ApiToken.objects.filter(user=user).exists()


def test_unknown_usernames_lock_exactly_like_real_ones(client, world):
    # Otherwise the lock itself would tell which usernames exist.
    _fail_until_locked(client, "zone_admin")
    _fail_until_locked(client, "no-such-user")
    real, unknown = _token(client, "zone_admin", PASSWORD), _token(client, "no-such-user", "x")
    assert real.status_code == unknown.status_code == 429
    assert real.json() == unknown.json()
    # The case and width of the typed name do not open a new counter.
    assert _token(client, "ZONE_ADMIN", PASSWORD).status_code == 429


def test_lock_lifts_once_the_wait_has_passed(client, world):
    _fail_until_locked(client, "zone_admin")
    # Travel past the wait by moving the lock into the past.
    LoginThrottle.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert _token(client, "zone_admin", PASSWORD).status_code == 200
    assert not LoginThrottle.objects.exists()


def test_failures_after_an_expired_lock_lock_again_for_longer(client, world):
    _fail_until_locked(client, "zone_admin")
    LoginThrottle.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert _token(client, "zone_admin", "wrong-password").status_code == 401
    assert _token(client, "zone_admin", PASSWORD).status_code == 429
    wait = LoginThrottle.objects.get().locked_until - timezone.now()
    assert dt.timedelta(minutes=29) < wait <= dt.timedelta(minutes=30)
    assert _events("user.locked", world["zone_admin"]).count() == 2


def test_token_request_with_junk_is_refused_without_a_500(client, world):
    for body in (
        {"username": "zone_admin\x00", "password": PASSWORD},
        {"username": "zone_admin", "password": "x\x00y"},
        {"username": 12, "password": ["x"]},
        {"username": "a" * 151, "password": PASSWORD},
        {},
    ):
        response = client.post("/api/v1/auth/token", body, content_type="application/json")
        assert response.status_code in (401, 422), body
    response = client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


# Authentication ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/zones"),
        ("get", "/api/v1/orgs"),
        ("get", "/api/v1/users"),
        ("get", "/api/v1/users/1"),
        ("post", "/api/v1/users"),
        ("patch", "/api/v1/users/1"),
    ],
)
def test_without_credentials_every_endpoint_is_401(client, world, method, path):
    kwargs = {"content_type": "application/json"} if method != "get" else {}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_unknown_expired_or_deactivated_tokens_are_401(client, world, api):
    assert api(None).get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer sj_nope"})
    assert bad.status_code == 401

    caller = api(world["secretary"])
    assert caller.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(user=world["secretary"]).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert caller.get("/api/v1/me").status_code == 401

    caller = api(world["liaison"])
    User.objects.filter(pk=world["liaison"].pk).update(is_active=False)
    assert caller.get("/api/v1/me").status_code == 401


def test_deleting_the_token_ends_that_token_only_and_is_audited(client, world, api):
    laptop, phone = api(world["secretary"]), api(world["secretary"])
    response = client.delete("/api/v1/auth/token", headers=laptop.headers)
    assert response.status_code == 204
    assert laptop.get("/api/v1/me").status_code == 401
    assert client.delete("/api/v1/auth/token", headers=laptop.headers).status_code == 401
    assert phone.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.filter(user=world["secretary"]).count() == 1
    event = _events("user.token_revoke", world["secretary"]).get()
    assert event.actor == world["secretary"]


def test_deleting_the_token_needs_a_token(client, world):
    assert client.delete("/api/v1/auth/token").status_code == 401
    client.force_login(world["secretary"])
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 400
    assert response.json()["code"] == "no_token"
    assert not _events("user.token_revoke").exists()


def test_browser_session_works_and_needs_csrf_on_writes(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["zone_admin"])
    assert browser.get("/api/v1/me").json()["username"] == "zone_admin"

    body = {"username": "csrf-user", "password": NEW_PASSWORD}
    refused = browser.post("/api/v1/users", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    target = world["liaison"].pk
    refused = browser.patch(f"/api/v1/users/{target}", {"name": "x"}, "application/json")
    assert refused.status_code == 403
    assert not User.objects.filter(username="csrf-user").exists()

    browser.get("/")  # any page sets the CSRF cookie
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"].value}
    created = browser.post("/api/v1/users", body, content_type="application/json", headers=csrf)
    assert created.status_code == 201
    patched = browser.patch(
        f"/api/v1/users/{target}", {"name": "联络员甲"}, "application/json", headers=csrf
    )
    assert patched.status_code == 200
    assert User.objects.get(pk=target).name == "联络员甲"


# Reads ---------------------------------------------------------------------------------


def test_me_shows_the_callers_grants(world, api):
    body = api(world["secretary"]).get("/api/v1/me").json()
    assert body["zone"] == world.a.zone.pk
    assert body["grants"] == [
        {"role": "secretary", "zone": world.a.zone.pk, "org": world.a.dept.pk, "province": None}
    ]


@pytest.mark.parametrize(
    ("who", "zones"),
    [
        ("sysadmin", ["za", "zb"]),
        ("national", ["za", "zb"]),
        ("provincial", ["za"]),
        ("zone_admin", ["za"]),
        ("secretary", ["za"]),
        ("outsider", ["zb"]),
        ("nobody", []),
    ],
)
def test_zones_are_those_in_the_callers_scope(world, api, who, zones):
    response = api(world[who]).get("/api/v1/zones")
    assert [z["code"] for z in response.json()] == zones


def test_orgs_are_scoped_to_the_caller(world, api):
    admin = api(world["zone_admin"])
    names = {o["name"] for o in admin.get("/api/v1/orgs").json()}
    assert names == {o.name for o in world.a.zone.orgs.all()}
    assert admin.get(f"/api/v1/orgs?zone={world.a.zone.pk}").json()
    assert admin.get(f"/api/v1/orgs?zone={world.b.zone.pk}").json() == []

    secretary = api(world["secretary"]).get("/api/v1/orgs").json()
    assert [o["id"] for o in secretary] == [world.a.dept.pk]


@pytest.mark.parametrize("zone", ["abc", "0", "-3", str(10**30)])
def test_orgs_with_a_junk_zone_is_422(world, api, zone):
    response = api(world["zone_admin"]).get(f"/api/v1/orgs?zone={zone}")
    assert response.status_code == 422
    assert _fields(response).keys() == {"zone"}


def test_user_list_is_scoped_and_filtered_by_zone(world, api):
    admin = api(world["zone_admin"])
    body = admin.get("/api/v1/users").json()
    usernames = {u["username"] for u in body["items"]}
    assert body["count"] == len(usernames) == User.objects.filter(zone=world.a.zone).count()
    assert "outsider" not in usernames and "sysadmin" not in usernames
    assert admin.get(f"/api/v1/users?zone={world.b.zone.pk}").json() == {"count": 0, "items": []}

    sysadmin = api(world["sysadmin"]).get(f"/api/v1/users?zone={world.b.zone.pk}").json()
    assert [u["username"] for u in sysadmin["items"]] == ["outsider"]

    paged = admin.get("/api/v1/users?page=2&page_size=3").json()
    assert paged["count"] == body["count"] and len(paged["items"]) == 3
    assert admin.get("/api/v1/users?page_size=100000").status_code == 422
    assert admin.get(f"/api/v1/users?page={10**30}").status_code == 422


def test_roles_without_account_management_see_no_accounts(world, api):
    assert api(world["secretary"]).get("/api/v1/users").json() == {"count": 0, "items": []}
    target = world["liaison"].pk
    assert api(world["secretary"]).get(f"/api/v1/users/{target}").status_code == 404


# Creating accounts -----------------------------------------------------------------------


def test_zone_admin_creates_an_account_in_their_zone(world, api):
    response = api(world["zone_admin"]).post(
        "/api/v1/users",
        {
            "username": "dept-liaison",
            "password": NEW_PASSWORD,
            "name": "孙八",
            "email": "sun@example.cn",
            "grants": [{"role": "liaison", "org": world.a.dept.pk}],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["zone"] == world.a.zone.pk
    assert body["grants"] == [
        {"role": "liaison", "zone": world.a.zone.pk, "org": world.a.dept.pk, "province": None}
    ]
    user = User.objects.get(username="dept-liaison")
    assert (user.name, user.zone, user.is_active) == ("孙八", world.a.zone, True)
    assert user.check_password(NEW_PASSWORD)
    assert user.password.startswith("argon2")
    event = _events("user.create", user).get()
    assert event.actor == world["zone_admin"]
    assert event.zone == world.a.zone
    assert event.changes["username"] == [None, "dept-liaison"]
    assert "password" not in json.dumps(event.changes)


def test_account_without_grants_lands_in_the_admins_zone(world, api):
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": "plain", "password": NEW_PASSWORD}
    )
    assert response.status_code == 201
    assert User.objects.get(username="plain").zone == world.a.zone


@pytest.mark.parametrize(
    "grant",
    [
        {"role": "secretary", "org": "B.dept"},
        {"role": "supervisor", "zone": "B"},
        {"role": "supervisor", "zone": 10**12},
    ],
)
def test_granting_in_another_zone_is_404(world, api, grant):
    grant = {
        k: (world.b.dept.pk if v == "B.dept" else world.b.zone.pk if v == "B" else v)
        for k, v in grant.items()
    }
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": "spy", "password": NEW_PASSWORD, "grants": [grant]}
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="spy").exists()
    assert not _events("user.create").exists()


def test_account_in_another_zone_is_404(world, api):
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": "spy", "password": NEW_PASSWORD, "zone": world.b.zone.pk}
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="spy").exists()


@pytest.mark.parametrize(
    "grant",
    [
        {"role": "system_admin"},
        {"role": "viewer"},
        {"role": "viewer", "province": "江苏"},
        {"role": "viewer", "zone": "A"},
        {"role": "system_admin", "zone": "A"},
    ],
)
def test_zone_admin_may_not_grant_national_roles(world, api, grant):
    grant = {k: (world.a.zone.pk if v == "A" else v) for k, v in grant.items()}
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": "boss", "password": NEW_PASSWORD, "grants": [grant]}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not User.objects.filter(username="boss").exists()


def test_system_admin_grants_national_roles(world, api):
    response = api(world["sysadmin"]).post(
        "/api/v1/users",
        {
            "username": "gd-viewer",
            "password": NEW_PASSWORD,
            "grants": [{"role": "viewer", "province": "广东"}],
        },
    )
    assert response.status_code == 201
    user = User.objects.get(username="gd-viewer")
    assert user.zone is None
    assert list(user.grants.values_list("role", "province")) == [("viewer", "广东")]
    assert _events("user.create", user).get().actor == world["sysadmin"]


def test_roles_without_account_management_may_not_create_accounts(world, api):
    response = api(world["secretary"]).post(
        "/api/v1/users", {"username": "friend", "password": NEW_PASSWORD}
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="friend").exists()


def test_unknown_role_code_is_422_naming_the_field(world, api):
    response = api(world["zone_admin"]).post(
        "/api/v1/users",
        {
            "username": "x1",
            "password": NEW_PASSWORD,
            "grants": [{"role": "secretary", "org": world.a.dept.pk}, {"role": "emperor"}],
        },
    )
    assert response.status_code == 422
    assert list(_fields(response)) == ["grants[1].role"]
    assert not User.objects.filter(username="x1").exists()


def test_role_with_the_wrong_kind_of_scope_is_422(world, api):
    response = api(world["zone_admin"]).post(
        "/api/v1/users",
        {
            "username": "x2",
            "password": NEW_PASSWORD,
            "grants": [{"role": "secretary", "zone": world.a.zone.pk}],
        },
    )
    assert response.status_code == 422
    assert "一个组织" in _fields(response)["grants[0].role"]


@pytest.mark.parametrize("username", ["secretary", "SECRETARY", "ｓｅｃｒｅｔａｒｙ"])
def test_duplicate_username_is_422(world, api, username):
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": username, "password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert _fields(response) == {"username": "该用户名不可用，请换一个"}
    assert User.objects.filter(username__iexact="secretary").count() == 1


@pytest.mark.parametrize(
    "username",
    [
        "outsider",  # an account in zone B, which zone A's admin cannot see
        "OUTSIDER",
        "sysadmin",  # a national account
        "admin",  # reserved: nobody holds it
        "Root",
    ],
)
def test_a_name_taken_elsewhere_gets_the_same_answer_as_any_unavailable_name(world, api, username):
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": username, "password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    # Not "exists in another zone": the same words as for a reserved name.
    assert response.json() == {
        "detail": "该用户名不可用，请换一个",
        "code": "invalid",
        "errors": [{"field": "username", "message": "该用户名不可用，请换一个"}],
    }
    assert User.objects.filter(username__iexact=username).count() == (
        0 if username.lower() in ("admin", "root") else 1
    )


@pytest.mark.parametrize(
    "username",
    [
        "аdmin2",  # Cyrillic а
        "sеcretary2",  # Cyrillic е
        "gy_admіn",  # Ukrainian і
        "zhang\u200bsan",  # zero-width space
        "张三",
        "ab",
        "-lead",
        "a b c",
        "x" * 65,
        "o'brien",
    ],
)
def test_usernames_outside_the_safe_set_are_refused(world, api, username):
    response = api(world["sysadmin"]).post(
        "/api/v1/users", {"username": username, "password": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert _fields(response) == {
        "username": "用户名应为 3–64 位英文字母、数字或 . _ - @，并以字母或数字开头"
    }
    assert User.objects.count() == len(world.users)
    assert not _events("user.create").exists()


def test_full_width_usernames_are_stored_as_the_ascii_they_look_like(world, api):
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": "ｗａｎｇ．ｗｕ", "password": NEW_PASSWORD}
    )
    assert response.status_code == 201
    assert response.json()["username"] == "wang.wu"
    assert _token(Client(), "Wang.Wu", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize("password", ["12345678", "password", "newbie-x"])
def test_weak_password_is_422(world, api, password):
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": "newbie-x", "password": password}
    )
    assert response.status_code == 422
    assert "password" in _fields(response)
    assert not User.objects.filter(username="newbie-x").exists()


def test_same_grant_twice_is_stored_once(world, api):
    grant = {"role": "liaison", "org": world.a.firm.pk}
    response = api(world["zone_admin"]).post(
        "/api/v1/users", {"username": "twice", "password": NEW_PASSWORD, "grants": [grant, grant]}
    )
    assert response.status_code == 201
    assert RoleGrant.objects.filter(user__username="twice").count() == 1


# Changing accounts ---------------------------------------------------------------------


def test_rename(world, api):
    target = world["liaison"]
    response = api(world["zone_admin"]).patch(f"/api/v1/users/{target.pk}", {"name": "周九"})
    assert response.status_code == 200
    assert response.json()["name"] == "周九"
    target.refresh_from_db()
    assert target.name == "周九"
    event = _events("user.update", target).get()
    assert event.changes == {"name": ["liaison", "周九"]}
    assert event.actor == world["zone_admin"]


def test_deactivate_ends_api_access_and_reactivating_does_not_revive_it(world, api):
    target = world["liaison"]
    their_api = api(target)
    admin = api(world["zone_admin"])
    response = admin.patch(f"/api/v1/users/{target.pk}", {"is_active": False})
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.is_active is False
    assert _events("user.update", target).get().changes == {
        "is_active": [True, False],
        "api_tokens": [1, 0],
    }
    assert their_api.get("/api/v1/me").status_code == 401
    assert _token(Client(), "liaison", PASSWORD).status_code == 401

    assert admin.patch(f"/api/v1/users/{target.pk}", {"is_active": True}).status_code == 200
    assert their_api.get("/api/v1/me").status_code == 401
    assert not ApiToken.objects.filter(user=target).exists()
    assert _token(Client(), "liaison", PASSWORD).status_code == 200


def test_admin_may_not_deactivate_themselves(world, api):
    me = world["zone_admin"]
    response = api(me).patch(f"/api/v1/users/{me.pk}", {"is_active": False})
    assert response.status_code == 422
    assert "is_active" in _fields(response)
    me.refresh_from_db()
    assert me.is_active


def test_regrant_replaces_the_roles(world, api):
    target = world["liaison"]
    response = api(world["zone_admin"]).patch(
        f"/api/v1/users/{target.pk}",
        {"grants": [{"role": "secretary", "org": world.a.firm.pk}, {"role": "supervisor"}]},
    )
    # A grant with no scope would cover all zones: not for a zone admin.
    assert response.status_code == 403
    assert list(target.grants.values_list("role", "org")) == [("liaison", world.a.dept.pk)]

    response = api(world["zone_admin"]).patch(
        f"/api/v1/users/{target.pk}",
        {"grants": [{"role": "secretary", "org": world.a.firm.pk}]},
    )
    assert response.status_code == 200
    assert list(target.grants.values_list("role", "org")) == [("secretary", world.a.firm.pk)]
    event = _events("user.update", target).get()
    old, new = event.changes["grants"]
    assert old == [f"联络员@{world.a.zone.name} / {world.a.dept.name}"]
    assert new == [f"书记@{world.a.zone.name} / {world.a.firm.name}"]


def test_patch_of_another_zones_account_is_404(world, api):
    outsider = world["outsider"]
    admin = api(world["zone_admin"])
    assert admin.get(f"/api/v1/users/{outsider.pk}").status_code == 404
    response = admin.patch(f"/api/v1/users/{outsider.pk}", {"name": "hacked"})
    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.name == "outsider"
    assert not _events("user.update").exists()


def test_patch_of_a_national_account_is_404_for_a_zone_admin(world, api):
    response = api(world["zone_admin"]).patch(
        f"/api/v1/users/{world['national'].pk}", {"password": NEW_PASSWORD}
    )
    assert response.status_code == 404


def test_zone_admin_may_not_take_over_an_account_holding_more_than_they_can_grant(world, api):
    # A system admin gave a zone-A account a national role; its zone admin
    # must not be able to reset its password and sign in with it.
    boss = services.user_create(
        actor=world["sysadmin"],
        username="a-boss",
        password=NEW_PASSWORD,
        zone=world.a.zone,
        grants=[{"role": "viewer"}],
    )
    response = api(world["zone_admin"]).patch(
        f"/api/v1/users/{boss.pk}", {"password": "Another-Pass-2026"}
    )
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.check_password(NEW_PASSWORD)
    assert not _events("user.update", boss).exists()


def test_password_reset_lifts_a_lock_and_ends_old_tokens(world, api, client):
    target = world["liaison"]
    their_api = api(target)
    _fail_until_locked(client, "liaison")
    response = api(world["zone_admin"]).patch(
        f"/api/v1/users/{target.pk}", {"password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)
    assert not LoginThrottle.objects.exists()
    assert their_api.get("/api/v1/me").status_code == 401
    assert _token(client, "liaison", NEW_PASSWORD).status_code == 200
    changes = _events("user.update", target).get().changes
    assert changes["password"] == ["***", "***"]
    assert changes["api_tokens"] == [1, 0]
    assert changes["locked_until"][1] is None


def test_admin_unlocks_an_account_through_the_api(world, api):
    target = world["liaison"]
    lock_out("liaison", "203.0.113.9")
    lock_out("liaison", "203.0.113.10")
    admin = api(world["zone_admin"])
    assert admin.get(f"/api/v1/users/{target.pk}").json()["is_locked"] is True
    listed = {u["username"]: u["is_locked"] for u in admin.get("/api/v1/users").json()["items"]}
    assert listed["liaison"] is True and listed["secretary"] is False

    response = admin.patch(f"/api/v1/users/{target.pk}", {"is_locked": False})
    assert response.status_code == 200
    assert response.json()["is_locked"] is False
    assert not LoginThrottle.objects.exists()
    event = _events("user.update", target).get()
    assert event.actor == world["zone_admin"]
    assert list(event.changes) == ["locked_until"] and event.changes["locked_until"][1] is None
    # Nothing locked: nothing to do, nothing recorded.
    assert admin.patch(f"/api/v1/users/{target.pk}", {"is_locked": False}).status_code == 200
    assert _events("user.update", target).count() == 1


def test_locking_through_the_api_is_refused(world, api):
    response = api(world["zone_admin"]).patch(
        f"/api/v1/users/{world['liaison'].pk}", {"is_locked": True}
    )
    assert response.status_code == 422
    assert "is_locked" in _fields(response)


def test_another_zones_admin_cannot_unlock(world, api):
    lock_out("liaison", "203.0.113.9")
    response = api(world["outsider"]).patch(
        f"/api/v1/users/{world['liaison'].pk}", {"is_locked": False}
    )
    assert response.status_code == 404
    assert LoginThrottle.objects.get().locked_until > timezone.now()


def test_patch_with_null_grants_is_422(world, api):
    response = api(world["zone_admin"]).patch(
        f"/api/v1/users/{world['liaison'].pk}", {"grants": None}
    )
    assert response.status_code == 422


# Junk --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"username": 123, "password": NEW_PASSWORD},
        {"username": "okay", "password": NEW_PASSWORD, "grants": "liaison"},
        {"username": "okay", "password": NEW_PASSWORD, "zone": "abc"},
        {"username": "okay", "password": NEW_PASSWORD, "zone": 10**30},
        {
            "username": "okay",
            "password": NEW_PASSWORD,
            "grants": [{"role": "liaison", "org": 2**70}],
        },
        {"username": "okay", "password": NEW_PASSWORD, "grants": [{"role": 5}]},
        {"username": "ok\x00ay", "password": NEW_PASSWORD},
        {"username": "okay", "password": "Pass\x00word-2026"},
        {"username": "okay", "password": NEW_PASSWORD, "name": "孙\x00八"},
        {"username": "okay", "password": NEW_PASSWORD, "email": "not-an-email"},
        {
            "username": "okay",
            "password": NEW_PASSWORD,
            "grants": [{"role": "viewer", "province": "江\x00苏"}],
        },
        ["not", "an", "object"],
        '"a JSON string"',
    ],
)
def test_junk_in_a_new_account_is_refused_without_a_500(world, api, body):
    response = api(world["sysadmin"]).post("/api/v1/users", body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]
    assert not User.objects.filter(username="okay").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5},
        {"is_active": "perhaps"},
        {"name": "x\x00"},
        {"password": "short"},
        {"grants": [{"role": "liaison", "zone": -1}]},
        {"grants": [{"role": "liaison", "org": "one"}]},
    ],
)
def test_junk_in_a_change_is_refused_without_a_500(world, api, body):
    response = api(world["zone_admin"]).patch(f"/api/v1/users/{world['liaison'].pk}", body)
    assert response.status_code == 422, response.content
    assert not _events("user.update").exists()


@pytest.mark.parametrize("user_id", ["0", "-1", str(10**30), "abc", "1.5"])
def test_junk_account_ids_are_not_a_500(world, api, user_id):
    admin = api(world["zone_admin"])
    assert admin.get(f"/api/v1/users/{user_id}").status_code in (404, 422)
    assert admin.patch(f"/api/v1/users/{user_id}", {"name": "x"}).status_code in (404, 422)


def test_unparseable_body_is_400(world, api):
    response = api(world["zone_admin"]).post(
        "/api/v1/users", "{oops", content_type="application/json"
    )
    assert response.status_code == 400
