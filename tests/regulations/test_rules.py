"""The register's rules that probes got round: the issuer is not the one who
drafted or submitted a rule; an issued rule is immutable, its problems
included; a refused API PATCH writes nothing at all; and the API names only
the linked problems the caller can see."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict
from shiji.regulations import services
from shiji.regulations.models import Regulation, Status

URL = "/api/v1/regulations"


def draft(world, actor="secretary", org=None, **kw):
    return services.regulation_create(
        actor=world[actor], zone=world.a.zone, org=org or world.a.dept, title="议事规则",
        action="new", **kw,
    )  # fmt: skip


def submit(world, regulation, actor="secretary"):
    return services.regulation_transition(
        actor=world[actor], regulation=regulation, action="submit"
    )


def issue(world, regulation, actor):
    return services.regulation_transition(
        actor=world[actor], regulation=regulation, action="issue",
        issued_on=timezone.localdate(),
    )  # fmt: skip


# Four eyes ------------------------------------------------------------------------------


def test_a_secretary_may_not_issue_the_rule_they_drafted_and_submitted(world):
    r = draft(world)
    submit(world, r)
    with pytest.raises(Conflict, match="提交审议的人不能印发"):
        issue(world, r, "secretary")
    r.refresh_from_db()
    assert r.status == Status.REVIEW and r.issued_on is None
    assert r.submitted_by == world["secretary"]
    assert not AuditEvent.objects.filter(action="regulation.issue").exists()

    issue(world, r, "zone_admin")
    r.refresh_from_db()
    assert r.status == Status.ISSUED


def test_the_drafter_may_not_issue_what_someone_else_submitted(world):
    r = draft(world, actor="zone_admin")
    submit(world, r, actor="secretary")
    with pytest.raises(Conflict, match="起草人不能印发"):
        issue(world, r, "zone_admin")
    issue(world, r, "sysadmin")
    assert Regulation.objects.get(pk=r.pk).status == Status.ISSUED


def test_the_page_and_the_api_refuse_the_same_self_issue(world, login, api):
    r = draft(world)
    submit(world, r)
    page = login(world["secretary"]).post(
        reverse("regulations:transition", args=[r.pk]),
        {"action": "issue", "issued_on": timezone.localdate().isoformat()},
    )
    assert page.status_code == 409 and "提交审议的人不能印发" in page.content.decode()
    response = api(world["secretary"]).post(
        f"{URL}/{r.pk}/transitions",
        {"action": "issue", "issued_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("提交审议的人不能印发")
    assert Regulation.objects.get(pk=r.pk).status == Status.REVIEW


# An issued rule is a record ----------------------------------------------------------------


def test_problems_cannot_be_linked_to_or_unlinked_from_an_issued_rule(
    world, make_problem, login, api
):
    linked, other = make_problem(world), make_problem(world)
    r = draft(world, problems=[linked])
    submit(world, r)
    issue(world, r, "zone_admin")
    with pytest.raises(Conflict, match="制度已印发"):
        services.regulation_link_problems(actor=world["zone_admin"], regulation=r, problems=[other])
    with pytest.raises(Conflict, match="制度已印发"):
        services.regulation_unlink_problem(actor=world["zone_admin"], regulation=r, problem=linked)

    client = login(world["zone_admin"])
    page = client.post(reverse("regulations:link", args=[r.pk]), {"problems": [other.pk]})
    assert page.status_code == 409
    unlink = client.post(reverse("regulations:unlink", args=[r.pk, linked.pk]))
    assert unlink.status_code == 409
    response = api(world["zone_admin"]).patch(f"{URL}/{r.pk}", {"problems": [other.pk]})
    assert response.status_code == 409
    assert list(r.problems.all()) == [linked]
    assert (
        not AuditEvent.objects.filter(action__in=["regulation.link", "regulation.unlink"])
        .exclude(changes__problems=[None, [linked.code]])
        .exists()
    )


def test_the_issued_rules_page_offers_no_link_form(world, make_problem, login):
    make_problem(world)
    r = draft(world)
    submit(world, r)
    issue(world, r, "zone_admin")
    html = login(world["zone_admin"]).get(reverse("regulations:detail", args=[r.pk])).content
    assert reverse("regulations:link", args=[r.pk]).encode() not in html


# One transaction per request -----------------------------------------------------------------


def test_a_refused_patch_leaves_the_title_as_it_was(world, make_problem, api):
    r = draft(world, actor="zone_admin")
    theirs = make_problem(world, zone="b")
    client = api(world["zone_admin"])  # issuing its token is audited too
    events = AuditEvent.objects.count()
    response = client.patch(f"{URL}/{r.pk}", {"title": "改过的名称", "problems": [theirs.pk]})
    assert response.status_code == 422
    assert "problems" in {e["field"] for e in response.json()["errors"]}
    r.refresh_from_db()
    assert r.title == "议事规则"
    assert AuditEvent.objects.count() == events


# What the API names ------------------------------------------------------------------------------


def test_the_api_names_only_the_linked_problems_the_caller_can_see(world, make_problem, api):
    mine = make_problem(world, org=world.a.dept)
    hidden = make_problem(world, org=world.a.firm)  # outside the secretary's subtree
    r = draft(world, actor="zone_admin", problems=[mine, hidden])

    seen = api(world["secretary"]).get(f"{URL}/{r.pk}").json()
    assert seen["problems"] == [mine.pk]
    listed = api(world["secretary"]).get(URL).json()["items"]
    assert [i["problems"] for i in listed if i["id"] == r.pk] == [[mine.pk]]
    assert api(world["zone_admin"]).get(f"{URL}/{r.pk}").json()["problems"] == sorted(
        [mine.pk, hidden.pk]
    )


def test_a_problem_the_caller_cannot_see_cannot_be_linked(world, make_problem, api):
    hidden = make_problem(world, org=world.a.firm)
    response = api(world["secretary"]).post(
        URL,
        {"zone": world.a.zone.pk, "org": world.a.dept.pk, "title": "制度", "action": "new",
         "problems": [hidden.pk]},
    )  # fmt: skip
    assert response.status_code == 422
    assert not Regulation.objects.exists()
