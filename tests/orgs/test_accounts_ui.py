"""账号管理 pages: the list, the create and edit forms and the account's
record, for zone admins and system admins."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.orgs import services
from shiji.orgs.models import LoginThrottle, RoleGrant, User
from tests.conftest import PASSWORD, lock_out

NEW_PASSWORD = "Zhuanban-Kaitong-2026"


def _body(response) -> str:
    return response.content.decode()


def _options(body: str, name: str) -> list[str]:
    """The option values of every <select name=...> on the page, in order."""
    out = []
    for select in re.findall(rf'<select name="{name}".*?</select>', body, re.S):
        out += re.findall(r'<option value="([^"]*)"', select)
    return out


def _make(world, username="made", grants=None, actor="zone_admin", **kw):
    return services.user_create(
        actor=world[actor],
        username=username,
        password=NEW_PASSWORD,
        name=kw.pop("name", "王主任"),
        grants=grants if grants is not None else [{"role": "liaison", "org": world.a.dept.pk}],
        **kw,
    )


# The list ----------------------------------------------------------------------------


def test_zone_admin_sees_their_zones_accounts_with_roles_and_status(world, login):
    User.objects.filter(username="liaison").update(is_active=False)
    lock_out("leader", "203.0.113.9")
    response = login(world["zone_admin"]).get("/orgs/users/")
    body = _body(response)
    assert response.status_code == 200
    for header in ("用户名", "姓名", "所属高新区", "角色（范围）", "状态", "最近登录"):
        assert header in body
    assert "secretary" in body and world.a.dept.name in body and "书记" in body
    assert "outsider" not in body and "sysadmin" not in body and "national" not in body
    assert "停用" in body and "锁定中" in body
    assert "新建账号" in body


def test_account_list_filters_by_status_and_search(world, login):
    User.objects.filter(username="liaison").update(is_active=False)
    lock_out("leader", "203.0.113.9")
    lock_out("nobody-at-all", "203.0.113.9")
    client = login(world["zone_admin"])
    body = _body(client.get("/orgs/users/", {"status": "inactive"}))
    assert "liaison" in body and "secretary" not in body
    body = _body(client.get("/orgs/users/", {"status": "locked"}))
    assert ">leader<" in body and ">secretary<" not in body and "共 1 个账号" in body
    body = _body(client.get("/orgs/users/", {"q": "firm"}))
    assert "firm_secretary" in body and ">liaison<" not in body
    body = _body(client.get("/orgs/users/", {"q": "zzz-none"}))
    assert "没有符合条件的账号" in body


def test_system_admin_filters_by_zone_and_sees_national_accounts(world, login):
    client = login(world["sysadmin"])
    body = _body(client.get("/orgs/users/", {"zone": world.b.zone.pk}))
    assert ">outsider<" in body and ">secretary<" not in body
    body = _body(client.get("/orgs/users/", {"zone": "none"}))
    assert ">national<" in body and ">outsider<" not in body


def test_zone_filter_of_another_zone_is_404(world, login):
    client = login(world["zone_admin"])
    assert client.get("/orgs/users/", {"zone": world.b.zone.pk}).status_code == 404
    assert client.get("/orgs/users/", {"zone": "junk\x00"}).status_code == 404


@pytest.mark.parametrize("who", ["secretary", "leader", "supervisor", "national", "nobody"])
def test_account_pages_are_refused_to_other_roles(world, login, who):
    client = login(world[who])
    assert client.get("/orgs/users/").status_code == 403
    assert client.get("/orgs/users/new/").status_code == 403
    assert client.get(f"/orgs/users/{world['liaison'].pk}/").status_code == 403


def test_account_pages_need_login(client, world):
    response = client.get("/orgs/users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_account_list_query_count_does_not_grow_with_accounts(
    world, login, django_assert_num_queries
):
    client = login(world["zone_admin"])
    client.get("/orgs/users/")  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/orgs/users/")
    for i in range(15):
        _make(world, username=f"extra{i}", grants=[{"role": "liaison", "org": world.a.firm.pk}])
    with CaptureQueriesContext(connection) as many:
        assert ">extra14<" in _body(client.get("/orgs/users/"))
    assert len(many) == len(few)


def test_the_admin_menu_links_to_the_account_pages(world, login):
    assert 'href="/orgs/users/"' in _body(login(world["zone_admin"]).get("/"))
    assert 'href="/orgs/users/"' not in _body(login(world["secretary"]).get("/"))


# Create ------------------------------------------------------------------------------


def test_zone_admin_picks_only_roles_and_scopes_they_may_grant(world, login):
    body = _body(login(world["zone_admin"]).get("/orgs/users/new/"))
    roles = _options(body, "grant_role")
    assert "system_admin" not in roles and "viewer" not in roles
    assert {"zone_admin", "leader", "secretary", "liaison", "supervisor"} <= set(roles)
    scopes = set(_options(body, "grant_scope"))
    assert f"zone:{world.a.zone.pk}" in scopes and f"org:{world.a.dept.pk}" in scopes
    assert f"zone:{world.b.zone.pk}" not in scopes and f"org:{world.b.dept.pk}" not in scopes
    assert "all" not in scopes and not any(s.startswith("province:") for s in scopes)
    assert world.b.zone.name not in body


def test_system_admin_may_pick_national_roles_and_scopes(world, login):
    body = _body(login(world["sysadmin"]).get("/orgs/users/new/"))
    assert {"system_admin", "viewer"} <= set(_options(body, "grant_role"))
    scopes = set(_options(body, "grant_scope"))
    assert {"all", "province:江苏", "province:广东", f"zone:{world.b.zone.pk}"} <= scopes


def test_create_an_account(world, login):
    client = login(world["zone_admin"])
    response = client.post(
        "/orgs/users/new/",
        {
            "username": "sun8",
            "name": "孙八",
            "email": "",
            "password": NEW_PASSWORD,
            "zone": world.a.zone.pk,
            "grant_role": ["secretary", "", "supervisor"],
            "grant_scope": [f"org:{world.a.firm.pk}", "", f"zone:{world.a.zone.pk}"],
        },
    )
    user = User.objects.get(username="sun8")
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/users/{user.pk}/"
    assert (user.name, user.zone) == ("孙八", world.a.zone)
    assert user.check_password(NEW_PASSWORD)
    assert set(user.grants.values_list("role", "org", "zone")) == {
        ("secretary", world.a.firm.pk, world.a.zone.pk),
        ("supervisor", None, world.a.zone.pk),
    }
    event = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert event.actor == world["zone_admin"]
    page = _body(client.get(response["Location"]))
    assert "账号“sun8”已创建" in page
    assert "新建账号" in page  # the account's record


def test_create_shows_errors_next_to_their_inputs(world, login):
    client = login(world["zone_admin"])
    response = client.post(
        "/orgs/users/new/",
        {
            "username": "secretary",
            "name": "重名",
            "password": NEW_PASSWORD,
            "zone": world.a.zone.pk,
            "grant_role": ["liaison"],
            "grant_scope": [f"org:{world.a.dept.pk}"],
        },
    )
    body = _body(response)
    assert response.status_code == 422
    assert "该用户名不可用，请换一个" in body and "is-invalid" in body
    assert 'value="重名"' in body  # what was typed stays
    assert NEW_PASSWORD not in body  # but never the password
    assert User.objects.filter(username__iexact="secretary").count() == 1


def _create(client, zone, username):
    return client.post(
        "/orgs/users/new/", {"username": username, "password": NEW_PASSWORD, "zone": zone.pk}
    )


def test_a_name_taken_in_another_zone_reads_like_any_unavailable_name(world, login):
    client = login(world["zone_admin"])
    taken_elsewhere = _body(_create(client, world.a.zone, "outsider"))
    reserved = _body(_create(client, world.a.zone, "administrator"))
    for body in (taken_elsewhere, reserved):
        assert "该用户名不可用，请换一个" in body
        assert world.b.zone.name not in body and "其他" not in body
    assert User.objects.filter(username="outsider").get().zone == world.b.zone


def test_a_look_alike_username_is_refused_in_the_form(world, login):
    response = _create(login(world["zone_admin"]), world.a.zone, "sеcretary")  # Cyrillic е
    assert response.status_code == 422
    assert "用户名应为 3–64 位英文字母、数字或 . _ - @，并以字母或数字开头" in _body(response)
    assert User.objects.count() == len(world.users)


def test_create_with_a_weak_password(world, login):
    response = login(world["zone_admin"]).post(
        "/orgs/users/new/",
        {"username": "weakling", "password": "12345678", "zone": world.a.zone.pk},
    )
    assert response.status_code == 422
    assert re.search(r'id="id_password"[^>]*>\s*<div class="invalid-feedback">', _body(response))
    assert not User.objects.filter(username="weakling").exists()


@pytest.mark.parametrize(
    ("role", "scope", "message", "status"),
    [
        ("secretary", "", "请选择授权范围", 422),
        ("secretary", "zone:A", "“书记”角色的范围应为一个组织", 422),
        # The same statuses as the accounts API: out of reach is 404, a role
        # the actor may not give is 403; the message stays on its row.
        ("liaison", "org:B", "组织不存在", 404),
        ("viewer", "zone:A", "只有系统管理员可以授予“上级查看”角色", 403),
        ("system_admin", "all", "只有系统管理员可以授予“系统管理员”角色", 403),
        ("supervisor", "all", "只有系统管理员可以授予全国或省级范围的角色", 403),
    ],
)
def test_a_grant_the_actor_may_not_give_is_an_error_on_its_row(
    world, login, role, scope, message, status
):
    scope = scope.replace("A", str(world.a.zone.pk)).replace("B", str(world.b.dept.pk))
    response = login(world["zone_admin"]).post(
        "/orgs/users/new/",
        {
            "username": "rowtest",
            "password": NEW_PASSWORD,
            "zone": world.a.zone.pk,
            "grant_role": ["liaison", role],
            "grant_scope": [f"org:{world.a.dept.pk}", scope],
        },
    )
    body = _body(response)
    assert response.status_code == status
    rows = body.split("sj-grant-row")[1:]
    assert message not in rows[0]
    assert f'<div class="invalid-feedback d-block">{message}</div>' in rows[1]
    assert not User.objects.filter(username="rowtest").exists()


def test_adding_a_row_redraws_the_form_without_saving(world, login):
    client = login(world["zone_admin"])
    data = {
        "username": "later",
        "password": NEW_PASSWORD,
        "zone": world.a.zone.pk,
        "grant_role": ["liaison", "", ""],
        "grant_scope": [f"org:{world.a.dept.pk}", "", ""],
        "_add_row": "1",
    }
    response = client.post("/orgs/users/new/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert _body(response).count('name="grant_role"') == 4
    assert not User.objects.filter(username="later").exists()


def test_system_admin_creates_a_national_viewer(world, login):
    response = login(world["sysadmin"]).post(
        "/orgs/users/new/",
        {
            "username": "gd-viewer",
            "password": NEW_PASSWORD,
            "zone": "",
            "grant_role": ["viewer"],
            "grant_scope": ["province:广东"],
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="gd-viewer")
    assert user.zone is None
    assert list(user.grants.values_list("role", "province")) == [("viewer", "广东")]


def test_create_in_another_zone_is_refused(world, login):
    response = login(world["zone_admin"]).post(
        "/orgs/users/new/",
        {"username": "spy", "password": NEW_PASSWORD, "zone": world.b.zone.pk},
    )
    assert response.status_code == 422
    assert "高新区不存在" in _body(response)
    assert not User.objects.filter(username="spy").exists()


# Edit ------------------------------------------------------------------------------


def test_edit_page_shows_the_account_and_its_record(world, login):
    account = _make(world)
    body = _body(login(world["zone_admin"]).get(f"/orgs/users/{account.pk}/"))
    assert 'value="王主任"' in body
    assert "账号记录" in body and "新建账号" in body and "zone_admin（甲高）" in body
    assert f'value="org:{world.a.dept.pk}" selected' in body


def test_edit_name_status_and_roles(world, login):
    account = _make(world)
    client = login(world["zone_admin"])
    response = client.post(
        f"/orgs/users/{account.pk}/",
        {
            "name": "王处长",
            "email": "wang@example.cn",
            "password": "",
            "is_active": "0",
            "grant_role": ["", "secretary"],
            "grant_scope": [f"org:{world.a.dept.pk}", f"org:{world.a.firm.pk}"],
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.email, account.is_active) == ("王处长", "wang@example.cn", False)
    assert list(account.grants.values_list("role", "org")) == [("secretary", world.a.firm.pk)]
    event = AuditEvent.objects.get(action="user.update", object_id=str(account.pk))
    assert event.changes["name"] == ["王主任", "王处长"]
    assert event.changes["is_active"] == [True, False]
    assert "password" not in event.changes
    body = _body(client.get(f"/orgs/users/{account.pk}/"))
    assert "已保存" in body and "修改账号" in body and "王主任 → 王处长" in body


def test_reset_password_unlocks_the_account(world, login):
    account = _make(world)
    lock_out("made", "203.0.113.9")
    client = login(world["zone_admin"])
    assert "重置密码也会解除锁定" in _body(client.get(f"/orgs/users/{account.pk}/"))
    response = client.post(
        f"/orgs/users/{account.pk}/",
        {
            "name": account.name,
            "password": "Brand-New-Pass-2026",
            "is_active": "1",
            "grant_role": ["liaison"],
            "grant_scope": [f"org:{world.a.dept.pk}"],
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password("Brand-New-Pass-2026")
    assert not LoginThrottle.objects.exists()


def test_the_account_page_lists_each_locked_address_and_unlocks_them(world, login):
    account = _make(world)
    lock_out("made", "203.0.113.9")
    lock_out("made", "198.51.100.4")
    client = login(world["zone_admin"])
    body = _body(client.get(f"/orgs/users/{account.pk}/"))
    assert "锁定中" in body
    assert "203.0.113.9：连续失败 5 次" in body and "198.51.100.4：连续失败 5 次" in body
    assert f'action="/orgs/users/{account.pk}/unlock/"' in body

    response = client.post(f"/orgs/users/{account.pk}/unlock/")
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/users/{account.pk}/"
    assert not LoginThrottle.objects.exists()
    event = AuditEvent.objects.get(action="user.update", object_id=str(account.pk))
    assert event.actor == world["zone_admin"]
    assert list(event.changes) == ["locked_until"]
    page = _body(client.get(response["Location"]))
    assert "已解除登录锁定" in page and "锁定中" not in page
    assert client.post("/accounts/logout/").status_code == 302
    assert (
        client.post(
            "/accounts/login/",
            {"username": "made", "password": NEW_PASSWORD},
            REMOTE_ADDR="203.0.113.9",
        ).status_code
        == 302
    )


@pytest.mark.parametrize(("who", "status"), [("secretary", 403), ("outsider", 404)])
def test_unlock_is_refused_outside_the_admins_scope(world, login, who, status):
    lock_out("liaison", "203.0.113.9")
    response = login(world[who]).post(f"/orgs/users/{world['liaison'].pk}/unlock/")
    assert response.status_code == status
    assert LoginThrottle.objects.get().locked_until > timezone.now()
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_unlock_needs_post(world, login):
    lock_out("liaison", "203.0.113.9")
    response = login(world["zone_admin"]).get(f"/orgs/users/{world['liaison'].pk}/unlock/")
    assert response.status_code == 405
    assert LoginThrottle.objects.exists()


def test_admin_cannot_deactivate_themselves_from_the_form(world, login):
    me = world["zone_admin"]
    response = login(me).post(
        f"/orgs/users/{me.pk}/",
        {
            "name": me.name,
            "is_active": "0",
            "grant_role": ["zone_admin"],
            "grant_scope": [f"zone:{world.a.zone.pk}"],
        },
    )
    assert response.status_code == 422
    assert "不能停用自己的账号" in _body(response)
    me.refresh_from_db()
    assert me.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_zones_account_is_404(world, login, method):
    client = login(world["zone_admin"])
    for pk in (world["outsider"].pk, world["national"].pk, 999999, 10**30):
        response = getattr(client, method)(f"/orgs/users/{pk}/", {"name": "x"})
        assert response.status_code == 404
    world["outsider"].refresh_from_db()
    assert world["outsider"].name == "outsider"


def test_account_holding_more_than_the_admin_can_grant_is_read_only(world, login):
    boss = _make(
        world,
        username="a-boss",
        actor="sysadmin",
        zone=world.a.zone,
        grants=[{"role": "viewer", "zone": world.a.zone.pk}],
    )
    client = login(world["zone_admin"])
    body = _body(client.get(f"/orgs/users/{boss.pk}/"))
    assert "只能由系统管理员修改" in body and "<fieldset disabled>" in body
    response = client.post(
        f"/orgs/users/{boss.pk}/", {"name": "x", "password": "Taken-Over-2026", "is_active": "1"}
    )
    assert response.status_code == 403
    assert "只能由系统管理员修改" in _body(response)
    boss.refresh_from_db()
    assert boss.check_password(NEW_PASSWORD) and boss.name == "王主任"
    assert RoleGrant.objects.filter(user=boss, role="viewer").exists()


def test_wrong_methods_are_refused(world, login):
    client = login(world["zone_admin"])
    assert client.post("/orgs/users/", {}).status_code == 405
    assert client.delete(f"/orgs/users/{world['liaison'].pk}/").status_code == 405


def test_world_users_still_sign_in(client, world):
    # The edit pages never touch passwords unless asked to.
    assert (
        client.post("/accounts/login/", {"username": "liaison", "password": PASSWORD}).status_code
        == 302
    )


def test_a_partial_post_changes_only_what_it_sends(world, login):
    account = _make(world)
    response = login(world["zone_admin"]).post(f"/orgs/users/{account.pk}/", {"name": "只改姓名"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "只改姓名" and account.is_active
    assert list(account.grants.values_list("role", flat=True)) == ["liaison"]
    changes = AuditEvent.objects.get(action="user.update", object_id=str(account.pk)).changes
    assert changes == {"name": ["王主任", "只改姓名"]}
