"""The role × action table against a literal matrix written here: every
action for every role of the fixture world, inside and outside each user's
scope, and the scoped querysets that lists, the API and exports read through."""

from __future__ import annotations

import pytest

from shiji.orgs import policy, selectors
from shiji.orgs.models import Person, Role, User

# The role × action matrix, written out by hand: the specification the
# policy table must match. A change of who may do what changes this table
# too, on purpose (a test computed from the policy table would pass whatever
# the table said).
#
#   SA system admin   VW viewer (national or provincial)   ZA zone admin
#   LD leader         SE secretary   LI liaison              SU supervisor
MATRIX = """
action              SA VW ZA LD SE LI SU
zone.view           x  x  x  x  x  x  x
zone.manage         x  .  .  .  .  .  .
org.view            x  x  x  x  x  x  x
org.manage          x  .  x  .  .  .  .
person.view         x  x  x  x  x  x  x
person.manage       x  .  x  .  x  .  .
roster.import       x  .  x  .  .  .  .
user.view           x  .  x  .  .  .  .
user.manage         x  .  x  .  .  .  .
audit.view          x  .  x  .  .  .  x
campaign.manage     x  .  .  .  .  .  .
campaign.adopt      x  .  x  .  .  .  .
campaign.view       x  x  x  x  x  x  x
category.manage     x  .  x  .  .  .  .
problem.view        x  x  x  x  x  x  x
problem.create      x  .  x  x  x  x  x
problem.edit        x  .  x  .  x  x  .
problem.review      x  .  x  .  .  .  x
problem.progress    x  .  x  x  x  x  .
problem.evidence    x  .  x  .  x  x  .
problem.start       x  .  x  .  x  x  .
problem.submit      x  .  x  x  x  .  .
problem.verify      x  .  x  .  .  .  x
problem.return      x  .  x  .  .  .  x
problem.reopen      x  .  x  .  .  .  x
problem.cancel      x  .  x  .  .  .  .
problem.extend      x  .  x  x  .  .  .
problem.rectify     .  .  .  x  x  x  .
ledger.export       x  x  x  x  x  x  x
ledger.import       x  .  x  .  .  .  .
study.view          x  x  x  x  x  x  x
study.manage        x  .  x  .  x  x  .
study.export        x  x  x  x  x  x  x
task.view           x  x  x  x  x  x  x
task.manage         x  .  x  .  .  .  .
task.report         .  .  .  .  x  x  .
task.review         x  .  x  .  .  .  .
task.export         x  x  x  x  x  x  x
regulation.view     x  x  x  x  x  x  x
regulation.edit     x  .  x  .  x  x  .
regulation.submit   x  .  x  .  x  x  .
regulation.issue    x  .  x  .  x  .  .
regulation.return   x  .  x  .  x  .  .
regulation.export   x  x  x  x  x  x  x
report.view         x  x  x  x  x  x  x
report.export       x  x  x  x  x  x  x
update.submit       x  .  x  .  x  x  .
update.approve      x  .  x  .  .  .  .
bulletin.view       x  x  x  x  x  x  x
bulletin.manage     x  .  x  .  .  .  .
feedback.view       x  x  x  x  x  x  x
feedback.handle     x  .  x  .  .  .  .
feedback.answer     x  .  x  .  x  x  .
feedback.publish    x  .  x  .  .  .  .
feedback.settings   x  .  x  .  .  .  .
feedback.contact    .  .  x  .  .  .  .
feedback.restricted .  .  x  .  .  .  x
enterprise.view     x  x  x  x  x  x  x
enterprise.manage   x  .  x  .  x  x  .
roundtable.view     x  x  x  x  x  x  x
roundtable.manage   x  .  x  .  x  x  .
project.view        x  x  x  x  x  x  x
project.manage      x  .  x  .  .  .  .
project.progress    x  .  x  x  x  x  .
assessment.view     x  x  x  x  x  x  x
indicator.manage    x  .  .  .  .  .  .
target.manage       x  .  x  .  .  .  .
measurement.enter   x  .  x  .  x  x  .
measurement.confirm x  .  x  .  .  .  .
measurement.correct x  .  x  .  .  .  .
assessment.export   x  x  x  x  x  x  x
"""
COLUMNS = {
    "SA": "system_admin",
    "VW": "viewer",
    "ZA": "zone_admin",
    "LD": "leader",
    "SE": "secretary",
    "LI": "liaison",
    "SU": "supervisor",
}


def _matrix() -> dict[str, set[str]]:
    header, *rows = MATRIX.strip().splitlines()
    codes = header.split()[1:]
    out = {}
    for row in rows:
        action, *marks = row.split()
        assert len(marks) == len(codes), action
        out[action] = {COLUMNS[c] for c, m in zip(codes, marks, strict=True) if m == "x"}
    return out


ALLOWED = _matrix()

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


def _org(world, ref: str):
    zone, name = ref.split(".")
    return getattr(getattr(world, zone), name)


def _out_of_scope(world, who: str):
    return world.a.dept if who == "outsider" else world.b.dept


def test_the_matrix_names_every_action_of_the_policy_and_every_role():
    assert set(ALLOWED) == set(policy.TABLE)
    assert set(COLUMNS.values()) == set(Role.values)


def test_the_viewer_role_only_reads():
    writes = [a for a, roles in ALLOWED.items() if "viewer" in roles]
    assert all(a.endswith((".view", ".export")) for a in writes), writes


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_each_role_may_act_inside_its_scope_exactly_as_the_matrix_says(world, action):
    for who, (role, ref) in IN_SCOPE.items():
        expected = role in ALLOWED[action]
        assert policy.can(world[who], action, _org(world, ref)) is expected, (who, action)
        assert policy.can(world[who], action) is expected, (who, action)


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_nothing_outside_the_scope(world, action):
    for who, (role, _ref) in IN_SCOPE.items():
        outside = _out_of_scope(world, who)
        expected = who in ALL_ZONES and role in ALLOWED[action]
        assert policy.can(world[who], action, outside) is expected, (who, action)
        assert policy.can(world[who], action, outside.zone) is expected, (who, action)


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_an_account_without_grants_may_do_nothing(world, action):
    assert not policy.can(world["nobody"], action)
    assert not policy.can(world["nobody"], action, world.a.dept)


def test_national_viewer_reads_every_zone_and_writes_nowhere(world):
    national = world["national"]
    for action, roles in ALLOWED.items():
        for obj in (world.a.dept, world.b.firm, world.b.zone):
            assert policy.can(national, action, obj) is ("viewer" in roles), action
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


# Four eyes and the authority to grant ------------------------------------------------------


def test_four_eyes_names_the_step_that_took_part(world):
    me, other = world["supervisor"], world["supervisor2"]
    did = policy.did_steps(
        [(me.pk, "evidence"), (me.pk, "submitter"), (other.pk, "owner"), (None, "progress")]
    )
    assert did == {me.pk: {"evidence", "submitter"}, other.pk: {"owner"}}
    # The first step of the rule's order is the one named.
    assert policy.four_eyes_refusal(me, did, policy.VERIFY_PROBLEM) == (
        "提交人不能审核销号自己提交的问题"
    )
    assert policy.four_eyes_refusal(other, did, policy.VERIFY_PROBLEM) == (
        "责任人不能审核销号自己负责的问题"
    )
    assert policy.four_eyes_refusal(world["zone_admin"], did, policy.VERIFY_PROBLEM) == ""
    assert policy.four_eyes_refusal(policy.system("x"), did, policy.VERIFY_PROBLEM) == ""


def test_the_rules_of_the_second_step():
    assert policy.ACCEPT_TASK_REPORT == {"reporter": "报送人不能审核自己报送的任务"}
    assert set(policy.ISSUE_REGULATION) == {"drafter", "submitter"}
    assert list(policy.VERIFY_PROBLEM) == ["owner", "submitter", "evidence", "progress", "measures"]


def test_verification_by_someone_close_to_the_workers_needs_a_reason(world):
    worker, admin = world["secretary"], world["zone_admin"]
    did = {worker.pk: {"evidence", "submitter"}}
    close = policy.verify_independence(admin, did=did, sponsored_by_actor={worker.pk})
    assert (close.refusal, close.sponsored, close.needs_reason) == ("", (worker.pk,), True)
    apart = policy.verify_independence(admin, did=did, sponsored_by_actor=set())
    assert (apart.refusal, apart.needs_reason) == ("", False)
    part = policy.verify_independence(worker, did=did, sponsored_by_actor={worker.pk})
    assert part.refusal and not part.needs_reason


# Who may give which role: a literal table too.
GRANTABLE = {
    "sysadmin": [
        "system_admin",
        "viewer",
        "zone_admin",
        "leader",
        "secretary",
        "liaison",
        "supervisor",
    ],
    "zone_admin": ["zone_admin", "leader", "secretary", "liaison", "supervisor"],
    "outsider": ["zone_admin", "leader", "secretary", "liaison", "supervisor"],
    "secretary": [],
    "supervisor": [],
    "national": [],
    "nobody": [],
}


@pytest.mark.parametrize("who", sorted(GRANTABLE))
def test_who_may_give_which_role(world, who):
    assert policy.grantable_roles(world[who]) == GRANTABLE[who]


def test_where_roles_may_be_granted_and_taken_back(world):
    admin = world["zone_admin"]
    assert policy.may_grant_in(admin, world.a.zone) and policy.may_grant_in(admin, world.a.firm)
    assert not policy.may_grant_in(admin, world.b.zone)
    assert not policy.may_grant_in(admin, None)  # all zones or a province
    assert policy.may_grant_in(world["sysadmin"], None)
    national_grant = world["national"].grants.get()
    assert not policy.may_revoke(admin, national_grant)
    assert policy.may_revoke(world["sysadmin"], national_grant)
    assert policy.may_revoke(admin, world["secretary"].grants.get())
    assert not policy.may_revoke(admin, world["outsider"].grants.get())
    assert policy.account_edit_refusal(admin, world["secretary"]) == ""
    assert "只能由系统管理员修改" in policy.account_edit_refusal(admin, world["national"])
