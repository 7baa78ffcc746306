"""A zone admin opens an account for a branch secretary in a real browser:
the form grows a row through htmx without losing what was typed, the new
account signs in and sees its own branch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shiji.audit.models import AuditEvent
from shiji.orgs.models import User
from tests.browser.conftest import sign_in

NEW_PASSWORD = "Zhibu-Shuji-2026"


@pytest.mark.browser
def test_zone_admin_opens_an_account_and_it_signs_in(world, live_server, page, artifacts):
    a = world.a
    sign_in(page, live_server, "zone_admin")

    page.get_by_label("账号菜单").click()
    page.get_by_role("link", name="账号管理").click()
    expect(page.get_by_role("heading", name="账号管理")).to_be_visible()
    expect(page.locator("table")).to_contain_text("secretary")
    expect(page.locator("table")).not_to_contain_text("outsider")
    page.screenshot(path=artifacts / "accounts-list.png", full_page=True)

    page.get_by_role("link", name="新建账号").click()
    page.fill("#id_username", "zhou1")
    page.fill("#id_name", "周一")
    page.fill("#id_password", NEW_PASSWORD)
    roles = page.locator('select[name="grant_role"]')
    scopes = page.locator('select[name="grant_scope"]')
    expect(roles).to_have_count(2)
    # Only what a zone admin may grant is offered.
    expect(roles.first.locator('option[value="system_admin"]')).to_have_count(0)
    expect(scopes.first.locator(f'option[value="zone:{world.b.zone.pk}"]')).to_have_count(0)
    roles.nth(0).select_option("secretary")
    scopes.nth(0).select_option(f"org:{a.firm.pk}")
    page.get_by_role("button", name="添加一行").click()
    expect(roles).to_have_count(3)
    # The swap replaced the roles card only: the typed fields are intact.
    expect(page.locator("#id_password")).to_have_value(NEW_PASSWORD)
    expect(roles.nth(0)).to_have_value("secretary")
    roles.nth(2).select_option("supervisor")
    scopes.nth(2).select_option(f"zone:{a.zone.pk}")
    page.screenshot(path=artifacts / "accounts-create.png", full_page=True)
    page.get_by_role("button", name="创建账号").click()

    user = User.objects.get(username="zhou1")
    expect(page).to_have_url(re.compile(rf"/orgs/users/{user.pk}/$"))
    expect(page.get_by_text("账号“zhou1”已创建")).to_be_visible()
    expect(page.locator("#sj-timeline")).to_contain_text("新建账号")
    page.screenshot(path=artifacts / "accounts-edit.png", full_page=True)
    assert set(user.grants.values_list("role", flat=True)) == {"secretary", "supervisor"}
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()

    page.get_by_label("账号菜单").click()
    page.get_by_role("button", name="退出登录").click()
    page.fill("#id_username", "zhou1")
    page.fill("#id_password", NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("您好，周一")).to_be_visible()
