"""The enterprise register: who may write, the credit code, one per zone."""

from __future__ import annotations

import pytest

from shiji.audit.models import AuditEvent
from shiji.core.errors import Forbidden, Invalid, NotFound
from shiji.outreach.models import Enterprise
from shiji.outreach.selectors.enterprises import (
    enterprise_filter,
    enterprise_get_for_user,
    enterprises_visible_to,
)
from shiji.outreach.services.enterprises import enterprise_create, enterprise_update
from tests.outreach.register_fixtures import CODES, enterprise


def test_a_liaison_registers_an_enterprise_and_it_is_audited(world):
    made = enterprise_create(
        actor=world["liaison"],
        zone=world.a.zone,
        name="腾讯",
        credit_code="9144 0300 7084 6113 6t",
        industry="软件",
        contact_phone="13800138000",
    )
    assert made.credit_code == "91440300708461136T"
    event = AuditEvent.objects.get(action="enterprise.create")
    assert event.changes["credit_code"] == [None, "91440300708461136T"]


@pytest.mark.parametrize("who", ["national", "supervisor", "leader", "outsider", "nobody"])
def test_roles_without_manage_are_refused(world, who):
    with pytest.raises(Forbidden):
        enterprise_create(actor=world[who], zone=world.a.zone, name="x", credit_code=CODES[0])
    assert not Enterprise.objects.exists()


def test_an_empty_form_names_every_required_field_and_writes_nothing(world):
    with pytest.raises(Invalid) as caught:
        enterprise_create(actor=world["zone_admin"], zone=world.a.zone, name="", credit_code="")
    assert set(caught.value.fields) == {"name", "credit_code"}
    assert (
        not Enterprise.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="enterprise").exists()
    )


def test_a_bad_check_character_and_a_bad_phone_are_field_errors(world):
    with pytest.raises(Invalid) as caught:
        enterprise_create(
            actor=world["zone_admin"],
            zone=world.a.zone,
            name="某公司",
            credit_code="914403001922038217",
            contact_phone="call me",
        )
    assert "校验码" in caught.value.fields["credit_code"]
    assert "contact_phone" in caught.value.fields


def test_a_credit_code_is_unique_in_a_zone_but_not_across_zones(world):
    enterprise(world)
    with pytest.raises(Invalid) as caught:
        enterprise(world, name="华为（重复）")
    assert "华为技术有限公司" in caught.value.fields["credit_code"]
    enterprise(world, zone=world.b.zone)  # another zone's register
    assert Enterprise.objects.count() == 2


def test_update_keeps_the_code_unique_and_records_old_and_new(world):
    first = enterprise(world)
    second = enterprise(world, code=CODES[1], name="腾讯")
    with pytest.raises(Invalid):
        enterprise_update(actor=world["zone_admin"], enterprise=second, credit_code=CODES[0])
    enterprise_update(actor=world["zone_admin"], enterprise=first, industry="通信设备")
    event = AuditEvent.objects.filter(action="enterprise.update").get()
    assert event.changes == {"industry": ["电子信息", "通信设备"]}
    with pytest.raises(Invalid):
        enterprise_update(actor=world["zone_admin"], enterprise=first, zone=world.b.zone)


def test_another_zones_enterprise_is_not_found(world):
    theirs = enterprise(world, zone=world.b.zone)
    with pytest.raises(NotFound):
        enterprise_get_for_user(user=world["zone_admin"], pk=theirs.pk)
    with pytest.raises(Forbidden):
        enterprise_update(actor=world["zone_admin"], enterprise=theirs, name="改名")


def test_search_finds_by_name_code_and_industry(world):
    enterprise(world)
    enterprise(world, code=CODES[1], name="腾讯", industry="软件")
    qs = enterprises_visible_to(user=world["secretary"])
    assert [e.name for e in enterprise_filter(qs, {"q": "腾讯"})] == ["腾讯"]
    assert [e.name for e in enterprise_filter(qs, {"q": "9144030019"})] == ["华为技术有限公司"]
    assert [e.name for e in enterprise_filter(qs, {"industry": "软件"})] == ["腾讯"]
    assert enterprise_filter(qs, {"q": "\x00"}).count() == 2
