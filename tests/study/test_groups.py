"""Saved attendee groups (常用参会名单): who may define, edit, use and stop
them, what they may contain, and the audit trail of every change; through
the services, the pages and the API alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shiji.audit.models import AuditEvent
from shiji.core.errors import Conflict, Forbidden, Invalid
from shiji.study import services
from shiji.study.models import AttendeeGroup, StudySession
from tests.study.conftest import DAY, person

GROUPS = "/api/v1/study/groups"


@pytest.fixture
def branch_group(world):
    """The 经济发展局 branch's group, made by its liaison: 张三 and 李四."""
    dept = world.a.dept
    return services.group_create(
        actor=world["liaison"],
        org=dept,
        name="支部委员",
        members=[person(dept, "张三"), person(dept, "李四")],
    )


@pytest.fixture
def zone_group(world):
    """A group of the whole zone A, made by its task force: 张三 and 赵六."""
    return services.group_create(
        actor=world["zone_admin"],
        org=world.a.root,
        name="中心组",
        members=[person(world.a.dept, "张三"), person(world.a.firm, "赵六")],
    )


@pytest.fixture
def other_zone_group(world):
    return services.group_create(
        actor=world["outsider"],
        org=world.b.root,
        name="中心组",
        members=[person(world.b.dept, "张三")],
    )


def group_events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# Services --------------------------------------------------------------------


def test_a_liaison_saves_a_group_of_their_branch_and_it_is_audited(world, branch_group):
    assert branch_group.org == world.a.dept and branch_group.zone == world.a.zone
    assert sorted(branch_group.members.values_list("name", flat=True)) == ["张三", "李四"]
    (event,) = group_events("study.group.create")
    assert event.actor == world["liaison"]
    assert event.object_id == str(branch_group.pk)
    dept = world.a.dept.name
    assert event.changes == {
        "org": [None, dept],
        "name": [None, "支部委员"],
        "members": [None, [f"张三（{dept}）", f"李四（{dept}）"]],
    }


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([], "请至少选择一名成员"),
        (["赵六"], "不属于"),
        (["张三", "张三"], "同一人不能重复加入名单"),
        ([-1], "成员应为花名册中的人员"),
        (["乙张三"], "成员不在本区花名册中"),
    ],
)
def test_members_come_from_the_groups_subtree_once_each(world, members, message):
    people = []
    for m in members:
        if m == "赵六":
            people.append(person(world.a.firm, "赵六").pk)
        elif m == "乙张三":
            people.append(person(world.b.dept, "张三").pk)
        elif isinstance(m, str):
            people.append(person(world.a.dept, m).pk)
        else:
            people.append(m)
    with pytest.raises(Invalid) as exc:
        services.group_create(actor=world["liaison"], org=world.a.dept, name="名单", members=people)
    assert message in exc.value.fields["members"]
    assert not AttendeeGroup.objects.exists()
    assert not group_events("study.group.create")


def test_a_departed_person_cannot_join_and_names_are_unique_per_org(world, branch_group):
    wang = person(world.a.dept, "王五")
    wang.is_active = False
    wang.save(update_fields=["is_active"])
    with pytest.raises(Invalid) as exc:
        services.group_create(actor=world["liaison"], org=world.a.dept, name="新", members=[wang])
    assert "已不在册" in exc.value.fields["members"]
    with pytest.raises(Invalid) as exc:
        services.group_create(
            actor=world["liaison"],
            org=world.a.dept,
            name="支部委员",
            members=[person(world.a.dept, "张三")],
        )
    assert "已有名为“支部委员”的参会名单" in exc.value.fields["name"]
    assert AttendeeGroup.objects.count() == 1


@pytest.mark.parametrize("role", ["leader", "supervisor", "national", "firm_secretary", "outsider"])
def test_roles_that_cannot_record_for_the_org_cannot_define_its_groups(world, role):
    with pytest.raises(Forbidden):
        services.group_create(
            actor=world[role],
            org=world.a.dept,
            name="名单",
            members=[person(world.a.dept, "张三")],
        )
    assert not AttendeeGroup.objects.exists()


def test_update_and_stop_and_restart_are_audited_with_before_and_after(world, branch_group):
    dept = world.a.dept
    services.group_update(
        actor=world["secretary"],
        group=branch_group,
        name="支部委员会",
        members=[person(dept, "王五"), person(dept, "张三")],
    )
    branch_group.refresh_from_db()
    assert branch_group.name == "支部委员会"
    assert sorted(branch_group.members.values_list("name", flat=True)) == ["张三", "王五"]
    (event,) = group_events("study.group.update")
    assert event.actor == world["secretary"]
    assert event.changes == {
        "name": ["支部委员", "支部委员会"],
        "members": [[f"张三（{dept.name}）", f"李四（{dept.name}）"],
                    [f"张三（{dept.name}）", f"王五（{dept.name}）"]],
    }  # fmt: skip
    # Saving the same again changes nothing and records nothing.
    services.group_update(
        actor=world["secretary"], group=branch_group, name="支部委员会", members=[
            person(dept, "张三"), person(dept, "王五")]
    )  # fmt: skip
    assert len(group_events("study.group.update")) == 1

    services.group_set_active(actor=world["liaison"], group=branch_group, active=False)
    with pytest.raises(Conflict):
        services.group_set_active(actor=world["liaison"], group=branch_group, active=False)
    services.group_set_active(actor=world["liaison"], group=branch_group, active=True)
    assert [e.changes for e in group_events("study.group.deactivate")] == [
        {"is_active": [True, False]}
    ]
    assert [e.changes for e in group_events("study.group.reactivate")] == [
        {"is_active": [False, True]}
    ]


# Scope -----------------------------------------------------------------------


def test_a_branch_liaison_cannot_use_or_edit_a_group_outside_their_subtree(
    world, kinds, zone_group, login, api
):
    liaison = world["liaison"]
    # Not usable for the branch's sessions (the form would not offer it).
    with pytest.raises(Invalid) as exc:
        services.session_create(
            actor=liaison,
            zone=world.a.zone,
            org=world.a.dept,
            kind=kinds["支部学习"],
            date=DAY,
            topic="学习",
            duration_hours=1,
            attendees="group",
            group=zone_group.pk,
        )
    assert "参会名单不存在" in exc.value.fields["group"]
    assert not StudySession.objects.exists()
    with pytest.raises(Forbidden):
        services.group_update(actor=liaison, group=zone_group, name="改名")
    with pytest.raises(Forbidden):
        services.group_set_active(actor=liaison, group=zone_group, active=False)

    client = login(liaison)
    form = client.get(reverse("study:create")).content.decode()
    assert f"group-{zone_group.pk}" not in form
    assert (
        f'data-group="{zone_group.pk}"' not in client.get(reverse("study:groups")).content.decode()
    )
    for name in ("study:group_edit", "study:group_deactivate"):
        response = client.post(reverse(name, args=[zone_group.pk]), {"name": "改名"})
        assert response.status_code == 404
    response = client.post(
        reverse("study:create"),
        {
            "org": world.a.dept.pk,
            "attendees": f"group-{zone_group.pk}",
            "kind": kinds["支部学习"].pk,
            "date": DAY.isoformat(),
            "topic": "学习",
            "duration_hours": "1",
        },
    )
    assert response.status_code == 422
    assert "参会名单不存在" in response.content.decode()
    assert api(liaison).patch(f"{GROUPS}/{zone_group.pk}", {"name": "改名"}).status_code == 404
    assert api(liaison).get(f"{GROUPS}/{zone_group.pk}").status_code == 404
    zone_group.refresh_from_db()
    assert (zone_group.name, zone_group.is_active) == ("中心组", True)
    assert not group_events("study.group.update")


def test_another_zones_group_is_not_found(world, kinds, other_zone_group, login, api):
    client = login(world["zone_admin"])
    for name in ("study:group_edit", "study:group_deactivate", "study:group_reactivate"):
        assert client.post(reverse(name, args=[other_zone_group.pk])).status_code == 404
    assert client.get(reverse("study:group_edit", args=[other_zone_group.pk])).status_code == 404
    assert api(world["zone_admin"]).get(f"{GROUPS}/{other_zone_group.pk}").status_code == 404
    response = api(world["zone_admin"]).post(
        "/api/v1/study/sessions",
        {
            "org": world.a.root.pk,
            "kind": kinds["理论学习中心组"].pk,
            "date": DAY.isoformat(),
            "topic": "学习",
            "duration_hours": "2",
            "attendees": "group",
            "group": other_zone_group.pk,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "group"
    assert not StudySession.objects.filter(zone=world.a.zone).exists()


@pytest.mark.parametrize("role", ["leader", "supervisor", "national"])
def test_read_only_roles_get_403_on_the_group_pages(world, role, login, zone_group):
    client = login(world[role])
    assert client.get(reverse("study:groups")).status_code == 403
    assert client.get(reverse("study:group_create")).status_code == 403
    assert client.post(reverse("study:group_deactivate", args=[zone_group.pk])).status_code in (
        403,
        404,
    )
    zone_group.refresh_from_db()
    assert zone_group.is_active


def test_group_pages_refuse_the_wrong_method_and_anonymous(client, world, zone_group):
    assert client.get(reverse("study:groups")).status_code == 302
    client.force_login(world["zone_admin"])
    assert client.get(reverse("study:group_deactivate", args=[zone_group.pk])).status_code == 405
    assert client.put(reverse("study:groups")).status_code == 405


# Pages -----------------------------------------------------------------------


def test_the_task_force_creates_a_group_on_the_page(world, login):
    client = login(world["zone_admin"])
    page = client.get(reverse("study:group_create"), {"org": world.a.root.pk}).content.decode()
    for name in ("张三", "李四", "王五", "赵六", "钱七"):
        assert f"<strong>{name}</strong>" in page
    zhang, zhao = person(world.a.dept, "张三"), person(world.a.firm, "赵六")
    response = client.post(
        reverse("study:group_create"),
        {"org": world.a.root.pk, "name": "理论学习中心组", "members": [zhang.pk, zhao.pk]},
    )
    assert response.status_code == 302
    group = AttendeeGroup.objects.get()
    assert (group.org, group.name) == (world.a.root, "理论学习中心组")
    assert set(group.members.all()) == {zhang, zhao}
    listing = client.get(reverse("study:groups")).content.decode()
    assert "理论学习中心组" in listing and "2 人" in listing
    assert f"attendees=group-{group.pk}" in listing


def test_a_group_without_members_shows_the_error_and_writes_nothing(world, login):
    response = login(world["secretary"]).post(
        reverse("study:group_create"), {"org": world.a.dept.pk, "name": "支部委员"}
    )
    assert response.status_code == 422
    assert "请至少选择一名成员" in response.content.decode()
    assert 'value="支部委员"' in response.content.decode()
    assert not AttendeeGroup.objects.exists()


def test_editing_on_the_page_shows_current_members_and_saves(world, login, branch_group):
    client = login(world["secretary"])
    page = client.get(reverse("study:group_edit", args=[branch_group.pk])).content.decode()
    zhang, wang = person(world.a.dept, "张三"), person(world.a.dept, "王五")
    assert f'value="{zhang.pk}" id="member_{zhang.pk}" checked' in page
    assert f'value="{wang.pk}" id="member_{wang.pk}">' in page
    response = client.post(
        reverse("study:group_edit", args=[branch_group.pk]),
        {"name": "支部委员", "members": [zhang.pk, wang.pk]},
    )
    assert response.status_code == 302
    assert set(branch_group.members.all()) == {zhang, wang}
    response = client.post(reverse("study:group_deactivate", args=[branch_group.pk]))
    assert response.status_code == 302
    branch_group.refresh_from_db()
    assert not branch_group.is_active
    form = client.get(reverse("study:create")).content.decode()
    assert f"group-{branch_group.pk}" not in form  # a stopped group is not offered


# API -------------------------------------------------------------------------


def test_the_api_manages_groups_with_the_same_rules(world, api):
    client = api(world["liaison"])
    zhang, li = person(world.a.dept, "张三").pk, person(world.a.dept, "李四").pk
    response = client.post(GROUPS, {"org": world.a.dept.pk, "name": "支部委员", "members": [zhang]})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["name"], data["member_count"], data["is_active"]) == ("支部委员", 1, True)
    group_id = data["id"]
    response = client.patch(f"{GROUPS}/{group_id}", {"members": [zhang, li]})
    assert response.status_code == 200
    assert [m["name"] for m in response.json()["members"]] == ["张三", "李四"]
    assert client.post(f"{GROUPS}/{group_id}/deactivate").json()["is_active"] is False
    assert client.post(f"{GROUPS}/{group_id}/deactivate").status_code == 409
    assert client.post(f"{GROUPS}/{group_id}/reactivate").status_code == 200
    listed = client.get(f"{GROUPS}?org={world.a.dept.pk}&active=true").json()
    assert [g["id"] for g in listed["items"]] == [group_id]
    events = AuditEvent.objects.filter(object_type="study.attendeegroup", object_id=str(group_id))
    actions = set(events.values_list("action", flat=True))
    assert actions == {
        "study.group.create",
        "study.group.update",
        "study.group.deactivate",
        "study.group.reactivate",
    }


def test_the_api_refuses_bad_groups_with_field_errors(world, api):
    client = api(world["liaison"])
    zhao = person(world.a.firm, "赵六").pk
    response = client.post(GROUPS, {"org": world.a.dept.pk, "name": "名单", "members": [zhao]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "members"
    response = client.post(GROUPS, {"org": world.a.dept.pk, "name": "名单", "members": []})
    assert response.status_code == 422
    assert (
        api(world["leader"])
        .post(GROUPS, {"org": world.a.dept.pk, "name": "名单", "members": [zhao]})
        .status_code
        == 403
    )
    assert api(world["outsider"]).get(f"{GROUPS}?org={world.a.dept.pk}").status_code == 404
    assert not AttendeeGroup.objects.exists()


def test_the_group_list_query_count_does_not_grow_with_groups(
    world, login, zone_group, django_assert_num_queries
):
    client = login(world["zone_admin"])
    client.get(reverse("study:groups"))
    # session, user, grants, the groups with their member counts.
    with django_assert_num_queries(4):
        client.get(reverse("study:groups"))
    for i in range(5):
        services.group_create(
            actor=world["zone_admin"],
            org=world.a.root,
            name=f"名单{i}",
            members=[person(world.a.dept, "李四")],
        )
    with django_assert_num_queries(4):
        body = client.get(reverse("study:groups")).content.decode()
    assert body.count('data-group="') == 6
