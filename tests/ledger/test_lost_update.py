"""Two people edit one problem at once: both open the edit form (or read it
through the API), both save. The first save wins; the second is refused
with a conflict that says why (409), and the first one's change is kept —
never a silent overwrite (a lost update)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Invalid
from shiji.ledger import services

URL = "/api/v1/problems"


class FormValues(HTMLParser):
    """What a browser would send from the page's ``#sj-problem-form``: its
    inputs, selected options and text areas, as they were rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = a.get("id") == "sj-problem-form"
        if not self._inside or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.values[name] = a.get("value", "on")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def opened_form(client, problem) -> dict[str, str]:
    response = client.get(reverse("ledger:edit", args=[problem.pk]))
    assert response.status_code == 200
    parser = FormValues()
    parser.feed(response.content.decode())
    assert parser.values.get("updated_at"), "the edit form carries the version it shows"
    return parser.values


def updates(problem) -> int:
    return AuditEvent.objects.filter(
        object_type="ledger.problem", object_id=str(problem.pk), action="problem.update"
    ).count()


def test_the_second_of_two_page_edits_gets_a_conflict_not_an_overwrite(world, client, make_problem):
    problem = make_problem(world, status="in_progress")
    client.force_login(world["secretary"])
    first = opened_form(client, problem)
    client.force_login(world["liaison"])
    second = opened_form(client, problem)

    client.force_login(world["secretary"])
    first["measures"] = "书记：分管领导牵头，每周调度一次"
    response = client.post(reverse("ledger:edit", args=[problem.pk]), first)
    assert response.status_code == 302

    client.force_login(world["liaison"])
    second["goal"] = "联络员：审批时限压缩至 5 个工作日"
    response = client.post(reverse("ledger:edit", args=[problem.pk]), second)
    assert response.status_code == 409
    page = response.content.decode()
    assert "已被他人修改" in page and "本次未保存" in page
    # The liaison's typing is still on the page, to copy over after reloading.
    assert "联络员：审批时限压缩至 5 个工作日" in page

    problem.refresh_from_db()
    assert problem.measures == "书记：分管领导牵头，每周调度一次"
    assert problem.goal != "联络员：审批时限压缩至 5 个工作日"
    assert updates(problem) == 1

    # Reopened, the form shows the secretary's change and saves.
    again = opened_form(client, problem)
    assert again["measures"] == "书记：分管领导牵头，每周调度一次"
    again["goal"] = "联络员：审批时限压缩至 5 个工作日"
    assert client.post(reverse("ledger:edit", args=[problem.pk]), again).status_code == 302
    problem.refresh_from_db()
    assert problem.measures == "书记：分管领导牵头，每周调度一次"
    assert problem.goal == "联络员：审批时限压缩至 5 个工作日"


def test_the_second_of_two_api_patches_with_the_version_read_is_409(world, make_problem, api):
    problem = make_problem(world, status="in_progress")
    secretary, liaison = api(world["secretary"]), api(world["liaison"])
    read_first = secretary.get(f"{URL}/{problem.pk}").json()["updated_at"]
    read_second = liaison.get(f"{URL}/{problem.pk}").json()["updated_at"]

    response = secretary.patch(
        f"{URL}/{problem.pk}", {"measures": "每周调度", "updated_at": read_first}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["updated_at"] != read_first  # the next version to send

    response = liaison.patch(f"{URL}/{problem.pk}", {"goal": "五日办结", "updated_at": read_second})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "已被他人修改" in response.json()["detail"]
    problem.refresh_from_db()
    assert (problem.measures, problem.goal) != ("每周调度", "五日办结")
    assert problem.measures == "每周调度"
    assert updates(problem) == 1


def test_a_version_from_another_save_of_the_service_is_a_conflict(world, make_problem):
    problem = make_problem(world, status="in_progress")
    read_at = problem.updated_at
    # A move saves the problem too: the version the editor read is stale.
    services.problem_add_progress(actor=world["secretary"], problem=problem, text="已调度一次")
    with pytest.raises(Conflict):
        services.problem_update(
            actor=world["liaison"], problem=problem, expected_updated_at=read_at, goal="改"
        )
    problem.refresh_from_db()
    updated = services.problem_update(
        actor=world["liaison"],
        problem=problem,
        expected_updated_at=problem.updated_at.isoformat(),
        goal="改",
    )
    assert updated.goal == "改"


@pytest.mark.parametrize("version", ["昨天", "2026-03-01T10:00:00"])
def test_a_version_that_is_no_timestamp_is_invalid(world, make_problem, version):
    problem = make_problem(world)
    with pytest.raises(Invalid) as refused:
        services.problem_update(
            actor=world["secretary"], problem=problem, expected_updated_at=version, goal="改"
        )
    assert "updated_at" in refused.value.fields
