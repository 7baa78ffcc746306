"""Work updates and bulletins on the shared fixture world: helpers that make
an approved update and a draft bulletin through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from shiji.reports import services

DAY = dt.date(2026, 3, 3)


def submit(world, *, zone="a", actor="secretary", org=None, **kw):
    tree = getattr(world, zone)
    values = {
        "org": org or (tree.dept if zone == "a" else tree.root),
        "title": "经济发展局党支部开展专题学习",
        "happened_on": DAY,
        "body": "第一段。\n第二段。",
        "author": "张三",
        **kw,
    }
    return services.update_submit(actor=world[actor], zone=tree.zone, **values)


def approved(world, *, zone="a", **kw):
    update = submit(world, zone=zone, **kw)
    approver = world["zone_admin"] if zone == "a" else world["outsider"]
    return services.update_review(actor=approver, update=update, action="approve")


@pytest.fixture
def series(world):
    return services.series_create(
        actor=world["zone_admin"],
        zone=world.a.zone,
        title="学习教育工作简报",
        issuer="甲高新区学习教育工作专班",
        report_to="市学习教育领导小组办公室",
        copy_to="区各部门",
    )


def draft(world, series, *updates, actor="zone_admin", title="甲高新区学查改一体推进"):
    return services.bulletin_create(
        actor=world[actor], series=series, title=title, updates=list(updates)
    )
