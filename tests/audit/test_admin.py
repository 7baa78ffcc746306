"""The Django admin reads and never writes around the services: an org
reparented there kept its old path, a grant made there skipped the scope
rules, and nothing was audited. Even a superuser can add, change or delete
nothing there now; the app's own pages (audited, scoped) do that."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.orgs.models import Organization, RoleGrant, User


@pytest.fixture
def superuser(world):
    return User.objects.create_superuser(
        username="root", password="Root-pass-2026", email="root@example.org"
    )


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_no_admin_page_may_add_change_or_delete_anything(superuser, rf):
    request = rf.get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        name = model._meta.label
        assert not model_admin.has_add_permission(request), name
        assert not model_admin.has_change_permission(request), name
        assert not model_admin.has_delete_permission(request), name
        assert model_admin.has_view_permission(request), name  # still useful for reading
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), name
            assert not inline.has_change_permission(request), name
            assert not inline.has_delete_permission(request), name
    assert Group not in admin.site._registry  # permissions are role grants, not groups


def test_reparenting_an_org_in_the_admin_is_refused(world, superuser, client):
    client.force_login(superuser)
    org = world.a.dept
    before = (org.parent_id, org.path, AuditEvent.objects.count())
    url = admin_url(Organization, "change", org.pk)
    assert client.get(url).status_code == 200  # the page shows the org
    response = client.post(
        url,
        {"zone": org.zone_id, "parent": world.a.econ.pk, "name": org.name, "kind": org.kind,
         "sector": org.sector},
    )  # fmt: skip
    assert response.status_code == 403
    org.refresh_from_db()
    assert (org.parent_id, org.path, AuditEvent.objects.count()) == before


def test_a_grant_cannot_be_made_or_a_user_deleted_in_the_admin(world, superuser, client):
    client.force_login(superuser)
    target = world["liaison"]
    grants = list(RoleGrant.objects.filter(user=target).values_list("role", "zone_id", "org_id"))
    response = client.post(
        admin_url(User, "change", target.pk),
        {"username": target.username, "grants-TOTAL_FORMS": "1", "grants-INITIAL_FORMS": "0",
         "grants-0-role": "zone_admin", "grants-0-zone": world.b.zone.pk},
    )  # fmt: skip
    assert response.status_code == 403
    assert list(RoleGrant.objects.filter(user=target).values_list("role", "zone_id", "org_id")) == (
        grants
    )
    response = client.post(admin_url(User, "delete", target.pk), {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=target.pk).exists()
    response = client.post(
        f"/admin/orgs/user/{target.pk}/password/",
        {"password1": "Taken-over-2026", "password2": "Taken-over-2026"},
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert not target.check_password("Taken-over-2026")


def test_the_audit_trail_cannot_be_edited_in_the_admin(world, superuser, client):
    client.force_login(superuser)
    event = AuditEvent.objects.first()
    response = client.post(admin_url(AuditEvent, "change", event.pk), {"note": "改"})
    assert response.status_code == 403
    response = client.post(
        admin_url(AuditEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk, note=event.note).exists()
    assert response.status_code in (200, 302, 403)
