"""The demo's task lists and rule-making registers: every assignment state in
every zone, a regulation in each status, all sample data, and a second run of
``load_demo`` adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from shiji.campaigns.models import AssignmentStatus, Task, TaskAssignment
from shiji.demo.zones import ZONES
from shiji.regulations.models import Regulation, Status


@pytest.fixture
def demo(db, tmp_path):
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=tmp_path / "media",
    ):
        call_command("load_demo", stdout=StringIO())
        yield


def test_every_demo_zone_has_tasks_in_every_state_and_regulations_once(demo):
    for spec in ZONES:
        tasks = Task.objects.filter(zone__code=spec.code)
        assert tasks.exists() and not tasks.filter(is_sample=False).exists()
        states = set(
            TaskAssignment.objects.filter(task__zone__code=spec.code).values_list(
                "status", flat=True
            )
        )
        assert states == set(AssignmentStatus.values), spec.code
        regs = Regulation.objects.filter(zone__code=spec.code)
        assert set(regs.values_list("status", flat=True)) == set(Status.values)
        assert not regs.filter(is_sample=False).exists()
        issued = regs.get(status=Status.ISSUED)
        assert issued.issued_on and issued.problems.exists()
    # Loading again (one test: the demo takes a while to build) adds nothing.
    counts = (Task.objects.count(), TaskAssignment.objects.count(), Regulation.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert (
        Task.objects.count(),
        TaskAssignment.objects.count(),
        Regulation.objects.count(),
    ) == counts
