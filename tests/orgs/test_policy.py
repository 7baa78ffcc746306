"""The role × action table, enumerated: every action for every role of the
fixture world, inside and outside each user's scope, and the scoped
querysets that lists, the API and exports read through."""

from __future__ import annotations

import pytest

from shiji.orgs import policy, selectors
from shiji.orgs.models import Person, Role, User

# Each user of the world, with its one role and an org inside its scope.
IN_SCOPE = {
    "sysadmin": ("system_admin", "a.dept"),
    "national": ("viewer", "a.dept"),
    "provincial": ("viewer", "a.dept"),
    "zone_admin": ("zone_admin", "a.dept"),
    "leader": ("leader", "a.dept"),
    "secretary": ("secretary", "a.dept"),
    "liaison": ("liaison", "a.dept"),
    "supervisor": ("supervisor", "a.firm"),
    "firm_secretary": ("secretary", "a.firm"),
    "outsider": ("zone_admin", "b.dept"),
}
ALL_ZONES = {"sysadmin", "national"}
READ_SUFFIXES = (".view", ".export")


def _org(world, ref: str):
    zone, name = ref.split(".")
    return getattr(getattr(world, zone), name)


def _out_of_scope(world, who: str):
    return world.a.dept if who == "outsider" else world.b.dept


def test_every_role_of_the_table_is_a_known_role():
    for action, roles in policy.TABLE.items():
        assert roles <= set(Role.values), action


def test_the_viewer_role_only_reads():
    for action, roles in policy.TABLE.items():
        if Role.VIEWER in roles:
            assert action.endswith(READ_SUFFIXES), action


@pytest.mark.parametrize("action", sorted(policy.TABLE))
def test_each_role_may_act_inside_its_scope_exactly_as_the_table_says(world, action):
    for who, (role, ref) in IN_SCOPE.items():
        expected = role in policy.TABLE[action]
        assert policy.can(world[who], action, _org(world, ref)) is expected, (who, action)
        assert policy.can(world[who], action) is expected, (who, action)


@pytest.mark.parametrize("action", sorted(policy.TABLE))
def test_nothing_outside_the_scope(world, action):
    for who, (role, _ref) in IN_SCOPE.items():
        outside = _out_of_scope(world, who)
        expected = who in ALL_ZONES and role in policy.TABLE[action]
        assert policy.can(world[who], action, outside) is expected, (who, action)
        assert policy.can(world[who], action, outside.zone) is expected, (who, action)


@pytest.mark.parametrize("action", sorted(policy.TABLE))
def test_an_account_without_grants_may_do_nothing(world, action):
    assert not policy.can(world["nobody"], action)
    assert not policy.can(world["nobody"], action, world.a.dept)


def test_national_viewer_reads_every_zone_and_writes_nowhere(world):
    national = world["national"]
    for action, roles in policy.TABLE.items():
        reads = Role.VIEWER in roles
        assert not reads or action.endswith(READ_SUFFIXES), action
        for obj in (world.a.dept, world.b.firm, world.b.zone):
            assert policy.can(national, action, obj) is reads, action
    assert policy.can(national, "problem.view", world.b.firm)
    assert not policy.can(national, "problem.create", world.b.firm)


def test_provincial_viewer_sees_zones_of_their_province_only(world):
    provincial = world["provincial"]
    assert policy.can(provincial, "zone.view", world.a.zone)  # 江苏
    assert not policy.can(provincial, "zone.view", world.b.zone)  # 广东
    assert policy.can(provincial, "problem.view", world.a.firm)
    assert not policy.can(provincial, "problem.view", world.b.firm)


def test_org_grants_cover_their_subtree_only(world):
    secretary, leader = world["secretary"], world["leader"]
    assert policy.can(secretary, "person.manage", world.a.dept)
    for outside in (world.a.firm, world.a.organ, world.a.root, world.a.soe):
        assert not policy.can(secretary, "person.manage", outside), outside
    # The leader's grant on 机关党委 reaches the branch below it.
    assert policy.can(leader, "problem.progress", world.a.organ)
    assert policy.can(leader, "problem.progress", world.a.dept)
    assert not policy.can(leader, "problem.progress", world.a.firm)


def test_people_outside_the_subtree_are_out_of_scope(world):
    zhang = Person.objects.get(org=world.a.dept, name="张三")
    zhao = Person.objects.get(org=world.a.firm, name="赵六")
    assert policy.can(world["secretary"], "person.manage", zhang)
    assert not policy.can(world["secretary"], "person.manage", zhao)
    assert policy.can(world["firm_secretary"], "person.manage", zhao)


# Scoped querysets ---------------------------------------------------------------------

ORGS = {
    "sysadmin": ["a.*", "b.*"],
    "national": ["a.*", "b.*"],
    "provincial": ["a.*"],
    "zone_admin": ["a.*"],
    "supervisor": ["a.*"],
    "leader": ["a.organ", "a.dept"],
    "secretary": ["a.dept"],
    "liaison": ["a.dept"],
    "firm_secretary": ["a.firm"],
    "outsider": ["b.*"],
    "nobody": [],
}
TREE = ("root", "organ", "dept", "econ", "firm", "soe")


def _expected_orgs(world, refs):
    out = set()
    for ref in refs:
        zone, name = ref.split(".")
        names = TREE if name == "*" else (name,)
        out |= {getattr(getattr(world, zone), n).pk for n in names}
    return out


@pytest.mark.parametrize("who", sorted(ORGS))
def test_orgs_visible_to(world, who):
    found = set(selectors.orgs_visible_to(user=world[who]).values_list("pk", flat=True))
    assert found == _expected_orgs(world, ORGS[who])


@pytest.mark.parametrize("who", sorted(ORGS))
def test_zones_visible_to(world, who):
    zones = {ref.split(".")[0] for ref in ORGS[who]}
    expected = {getattr(world, z).zone.pk for z in zones}
    assert set(selectors.zones_visible_to(user=world[who]).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("who", sorted(ORGS))
def test_people_visible_to(world, who):
    orgs = _expected_orgs(world, ORGS[who])
    expected = set(Person.objects.filter(org__in=orgs).values_list("name", "org"))
    found = set(selectors.people_visible_to(user=world[who]).values_list("name", "org"))
    assert found == expected
    if who == "secretary":
        assert {name for name, _org in found} == {"张三", "李四", "王五"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("sysadmin", "all"),
        ("zone_admin", "a"),
        ("outsider", "b"),
        ("national", "none"),
        ("provincial", "none"),
        ("secretary", "none"),
        ("supervisor", "none"),
        ("nobody", "none"),
    ],
)
def test_users_visible_to(world, who, expected):
    found = set(selectors.users_visible_to(user=world[who]).values_list("pk", flat=True))
    users = User.objects.all()
    want = {
        "all": set(users.values_list("pk", flat=True)),
        "a": set(users.filter(zone=world.a.zone).values_list("pk", flat=True)),
        "b": set(users.filter(zone=world.b.zone).values_list("pk", flat=True)),
        "none": set(),
    }[expected]
    assert found == want


def test_get_for_user_of_another_zones_record_is_not_found(world):
    from shiji.core.errors import NotFound

    admin = world["zone_admin"]
    for getter, pk in (
        (selectors.zone_get_for_user, world.b.zone.pk),
        (selectors.org_get_for_user, world.b.dept.pk),
        (selectors.user_get_for_user, world["outsider"].pk),
        (selectors.person_get_for_user, Person.objects.filter(zone=world.b.zone).first().pk),
    ):
        with pytest.raises(NotFound):
            getter(user=admin, pk=pk)


# Pages ---------------------------------------------------------------------------------


def test_org_page_of_another_zone_is_404(world, login):
    client = login(world["zone_admin"])
    b = world.b
    assert client.get(f"/orgs/?zone={b.zone.pk}&org={b.dept.pk}").status_code == 404
    assert client.get(f"/orgs/?zone={b.zone.pk}").status_code == 404
    assert client.get(f"/orgs/?org={b.dept.pk}").status_code == 404
    assert client.get(f"/orgs/?zone={world.a.zone.pk}&org={world.a.dept.pk}").status_code == 200


@pytest.mark.parametrize("junk", ["abc", "0", "-1", str(10**30), "1\x00"])
def test_org_page_with_junk_ids_is_404(world, login, junk):
    client = login(world["zone_admin"])
    assert client.get("/orgs/", {"zone": junk}).status_code == 404
    assert client.get("/orgs/", {"org": junk}).status_code == 404
