"""Records of the enterprise register, roundtables, visits and 为民实事 made
through the services, for the register's tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shiji.outreach.services import enterprises, projects, roundtables
from tests.conftest import SYSTEM

CODES = ["914403001922038216", "91440300708461136T", "91330100716105852F"]


def enterprise(world, *, zone=None, code=CODES[0], name="华为技术有限公司", **kw):
    return enterprises.enterprise_create(
        actor=SYSTEM,
        zone=zone or world.a.zone,
        name=name,
        credit_code=code,
        industry=kw.pop("industry", "电子信息"),
        contact_name=kw.pop("contact_name", "陈经理"),
        contact_phone=kw.pop("contact_phone", "0755-28780808"),
        **kw,
    )


def roundtable(world, *, present=(), **kw):
    return roundtables.roundtable_create(
        actor=SYSTEM,
        zone=kw.pop("zone", world.a.zone),
        title=kw.pop("title", "第一期政企圆桌会"),
        held_on=kw.pop("held_on", timezone.localdate() - dt.timedelta(days=3)),
        hosts=kw.pop("hosts", "管委会主任"),
        enterprises=present,
        minutes=kw.pop("minutes", "企业反映用地、用工问题"),
        **kw,
    )


def visit(world, company, **kw):
    return roundtables.visit_create(
        actor=SYSTEM,
        zone=kw.pop("zone", world.a.zone),
        enterprise=company,
        visited_on=kw.pop("visited_on", timezone.localdate() - dt.timedelta(days=1)),
        visitors=kw.pop("visitors", "张三、李四"),
        org=kw.pop("org", world.a.dept),
        summary=kw.pop("summary", "了解企业用工需求"),
        **kw,
    )


def project(world, **kw):
    return projects.project_create(
        actor=SYSTEM,
        zone=kw.pop("zone", world.a.zone),
        title=kw.pop("title", "园区东门路灯改造"),
        org=kw.pop("org", world.a.dept),
        target=kw.pop("target", "年底前更换全部路灯"),
        deadline=kw.pop("deadline", timezone.localdate() + dt.timedelta(days=60)),
        **kw,
    )
