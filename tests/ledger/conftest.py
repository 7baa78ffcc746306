"""Ledger fixtures: problem categories for both zones and ``make_problem``,
which creates a problem through the services and, if asked, walks it along
the lifecycle the way real users would (start, evidence, submit, verify)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shiji.campaigns.models import Campaign, ProblemCategory
from shiji.ledger import services
from shiji.ledger.models import Problem, Status

CATEGORY_NAMES = [
    ("old-accounts", "新官不理旧账"),
    ("image-projects", "形象工程"),
    ("vanity-projects", "政绩工程"),
]

_UNSET: Any = object()


def png_bytes(seed: str = "") -> bytes:
    """A valid 2×2 PNG. ``seed`` goes into a text chunk so that different
    seeds give different SHA-256s (identical files are flagged as reused
    evidence, which most tests do not want)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)  # 2×2, 8-bit RGB
    rows = b"".join(b"\x00" + b"\xb7\x1c\x1c" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + seed.encode())
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def png_upload(name: str = "整改后现场照片.png", seed: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(seed or name), content_type="image/png")


def create_categories(world) -> dict[str, list[ProblemCategory]]:
    """``{"a": [...], "b": [...]}``: three active categories per zone, all of
    one campaign (``categories["a"][0].campaign``). A plain function, so that
    tests outside tests/ledger (the browser journeys) can use it too."""
    campaign = Campaign.objects.create(
        code="test-zhengjiguan-2026",
        name="树立和践行正确政绩观学习教育",
        year=2026,
        general_requirement="立党为公、为民造福、科学决策、真抓实干",
        starts_on=dt.date(2026, 2, 24),
        ends_on=dt.date(2026, 7, 31),
    )
    out = {}
    for key in ("a", "b"):
        zone = getattr(world, key).zone
        out[key] = [
            ProblemCategory.objects.create(
                zone=zone, campaign=campaign, code=code, name=name, order=i
            )
            for i, (code, name) in enumerate(CATEGORY_NAMES)
        ]
    return out


@pytest.fixture
def categories(world) -> dict[str, list[ProblemCategory]]:
    return create_categories(world)


def _workers(world, zone_key: str, problem: Problem):
    """Who rectifies, and who verifies, a problem in the fixture world."""
    if zone_key == "a":
        secretary = world["secretary"]
        from shiji.orgs import policy

        worker = (
            secretary if policy.can(secretary, "problem.submit", problem) else world["zone_admin"]
        )
        return worker, world["supervisor"], world["zone_admin"]
    # Zone B has only its zone admin; the system admin verifies there.
    return world["outsider"], world["sysadmin"], world["outsider"]


def problem_maker(categories):
    """The ``make_problem`` fixture, as a plain function for tests outside
    tests/ledger: ``make_problem(world, zone="a", org=None, owner=None, status=None,
    deadline=..., **kw)``.

    Defaults: org = the zone's 经济发展局党支部 (where zone A's secretary and
    liaison work); owner = the org's first roster person (pass ``owner=None``
    explicitly for none); deadline = 30 days from today (``deadline=None``
    makes a 长期坚持 problem); found_on = today, or the deadline if that is
    earlier. ``kw`` goes to ``services.problem_create`` (source, kind,
    category, description, measures, goal, leader, found_on, ...).

    ``status`` walks the lifecycle through the services: in_progress (start),
    submitted (+ a PNG evidence file and a completion note, by the org's
    secretary in zone A or the zone admin), closed (+ verify by a supervisor;
    the system admin in zone B), cancelled (by the zone admin, with a reason).
    """
    counter = {"n": 0}

    def _make(
        world,
        zone: str = "a",
        org=None,
        owner=_UNSET,
        status: str | None = None,
        deadline=_UNSET,
        **kw,
    ) -> Problem:
        tree = getattr(world, zone)
        org = org or tree.dept
        if owner is _UNSET:
            owner = org.people.order_by("pk").first()
        today = timezone.localdate()
        if deadline is _UNSET:
            deadline = today + dt.timedelta(days=30)
        counter["n"] += 1
        values = {
            "source": "self_check",
            "category": categories[zone][0],
            "description": f"测试问题{counter['n']}：项目审批久拖不决，企业反映强烈",
            "measures": "梳理审批事项，压缩办理时限",
            "goal": "审批时限压缩一半",
            "kind": "deadline" if deadline else "long_term",
            "found_on": min(today, deadline) if deadline else today,
        }
        values.update(kw)
        creator = world["zone_admin"] if zone == "a" else world["outsider"]
        problem = services.problem_create(
            actor=creator, zone=tree.zone, org=org, owner=owner, deadline=deadline, **values
        )
        if status in (None, Status.OPEN):
            return problem
        worker, verifier, admin = _workers(world, zone, problem)
        if status == Status.CANCELLED:
            return services.problem_transition(
                actor=admin, problem=problem, action="cancel", note="经核实不属于本次整改范围"
            )
        problem = services.problem_transition(actor=worker, problem=problem, action="start")
        if status == Status.IN_PROGRESS:
            return problem
        services.problem_add_evidence(
            actor=worker,
            problem=problem,
            file=png_upload(seed=f"{problem.code}"),
            stage="after",
            note="整改后现场",
        )
        problem = services.problem_transition(
            actor=worker,
            problem=problem,
            action="submit",
            note="已完成整改，审批时限压缩至 5 个工作日",
        )
        if status == Status.SUBMITTED:
            return problem
        problem = services.problem_transition(actor=verifier, problem=problem, action="verify")
        if status == Status.CLOSED:
            return problem
        raise ValueError(f"make_problem: unknown status {status!r}")

    return _make


@pytest.fixture
def make_problem(categories):
    return problem_maker(categories)
