"""The English switch in the layout: Chinese by default, English on request."""

from __future__ import annotations

from django.utils import translation

from shiji.web.context import AREAS


def _switch(client, language: str, next_url: str = "/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


def test_chinese_is_the_default(world, login):
    body = login(world["zone_admin"]).get("/").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "问题整改台账" in body and "Rectification ledger" not in body
    assert 'name="language" value="en" lang="en" title="Switch to English">English</button>' in body


def test_an_english_browser_still_gets_chinese_until_the_user_switches(world, login):
    client = login(world["zone_admin"])
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in body and "问题整改台账" in body
    client.cookies["django_language"] = "en"
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in body and "Rectification ledger" in body


def test_an_unknown_language_cookie_falls_back_to_chinese(world, login):
    client = login(world["zone_admin"])
    client.cookies["django_language"] = "fr\x00"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and '<html lang="zh-hans">' in response.content.decode()


def test_switching_to_english_translates_the_layout_and_nav(world, login):
    client = login(world["zone_admin"])
    response = _switch(client, "en", "/orgs/")
    assert response.status_code == 302
    assert response["Location"] == "/orgs/"
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body
    for text in ("Rectification ledger", "Organizations &amp; people", "Dashboard", "Sign out"):
        assert text in body, text
    assert "Accounts" in body and "Audit log" in body
    assert "问题整改台账" not in body
    assert 'name="language" value="zh-hans" lang="zh-Hans" title="切换到中文">中文</button>' in body


def test_every_nav_area_has_an_english_label():
    for _key, label, _url in AREAS:
        with translation.override("zh-hans"):
            chinese = str(label)
        with translation.override("en"):
            assert str(label) != chinese, f"untranslated: {chinese}"


def test_account_pages_in_english(world, login):
    client = login(world["zone_admin"])
    _switch(client, "en")
    body = client.get("/orgs/users/").content.decode()
    for text in ("Accounts", "New account", "Username", "Last sign-in", "Search by username"):
        assert text in body, text
    body = client.get("/orgs/users/new/").content.decode()
    assert "Roles and scopes" in body and "Create account" in body


def test_login_page_in_english_and_back_to_chinese(client, db):
    _switch(client, "en", "/accounts/login/")
    body = client.get("/accounts/login/").content.decode()
    assert "Sign in to your account" in body and "登录账号" not in body
    _switch(client, "zh-hans", "/accounts/login/")
    assert "登录账号" in client.get("/accounts/login/").content.decode()


def test_error_pages_follow_the_language(world, login):
    client = login(world["zone_admin"])
    response = client.get(f"/orgs/users/{world['outsider'].pk}/")
    assert response.status_code == 404
    assert "页面或记录不存在" in response.content.decode()
    _switch(client, "en")
    response = client.get(f"/orgs/users/{world['outsider'].pk}/")
    assert response.status_code == 404
    assert "Page or record not found" in response.content.decode()
    forbidden = login(world["secretary"]).get("/orgs/users/")
    assert forbidden.status_code == 403
    assert "You may not do this" in forbidden.content.decode()


def test_login_page_states_the_configured_lockout(client, settings, db):
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_MINUTES = 7, 30
    body = client.get("/accounts/login/").content.decode()
    assert "连续输错密码 7 次后须等 30 分钟再试，此后每输错一次等待时间加倍。" in body


def test_the_switch_is_on_every_width_and_remembered(world, login):
    """A plain form (no JavaScript), not hidden on phones; the cookie outlives
    the browser session."""
    client = login(world["liaison"])
    body = client.get("/").content.decode()
    assert '<form method="post" action="/i18n/setlang/" class="sj-lang">' in body
    response = _switch(client, "en")
    cookie = response.cookies["django_language"]
    assert cookie.value == "en" and int(cookie["max-age"]) >= 300 * 24 * 3600
