"""Every tenant record tells the policy its zone, province and (where it has
one) its org path, through the mixins in shiji/orgs/scope.py."""

from shiji.assessment.models import Comparator, Dimension, Indicator, IndicatorKind, Target
from shiji.campaigns.models import ZoneCampaign
from shiji.orgs import policy
from tests.ledger.conftest import create_categories, problem_maker


def test_zone_records_are_covered_by_the_grants_of_their_zone_and_province(world):
    categories = create_categories(world)
    indicator = Indicator.objects.create(
        code="output",
        name="规上工业总产值",
        kind=IndicatorKind.VISIBLE,
        dimension=Dimension.QUALITY,
        unit="亿元",
    )
    for key in ("a", "b"):
        zone = getattr(world, key).zone
        ZoneCampaign.objects.create(zone=zone, campaign=categories[key][0].campaign)
        Target.objects.create(
            zone=zone, indicator=indicator, period="十五五", comparator=Comparator.GT, value=1000
        )
    records = {
        "category": lambda k: categories[k][0],
        "adoption": lambda k: ZoneCampaign.objects.get(zone=getattr(world, k).zone),
        "target": lambda k: Target.objects.get(zone=getattr(world, k).zone),
    }
    for name, get in records.items():
        a, b = get("a"), get("b")
        # 江苏 (zone a) is the provincial viewer's province; 广东 (zone b) is not.
        assert policy.can(world["provincial"], "zone.view", a), name
        assert not policy.can(world["provincial"], "zone.view", b), name
        assert policy.can(world["zone_admin"], "zone.view", a), name
        assert not policy.can(world["zone_admin"], "zone.view", b), name
        assert policy.can(world["national"], "zone.view", b), name


def test_org_records_are_covered_only_inside_the_grants_subtree(world):
    make_problem = problem_maker(create_categories(world))
    in_dept = make_problem(world, org=world.a.dept)
    in_firm = make_problem(world, org=world.a.firm)
    assert (in_dept.scope_zone_id, in_dept.scope_org_path) == (world.a.zone.pk, world.a.dept.path)
    assert in_dept.scope_province == "江苏"
    assert policy.can(world["secretary"], "problem.view", in_dept)
    assert not policy.can(world["secretary"], "problem.view", in_firm)
    assert policy.can(world["leader"], "problem.view", in_dept)  # 机关党委 subtree
    assert not policy.can(world["leader"], "problem.view", in_firm)
