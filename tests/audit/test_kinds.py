"""One registry of event kinds (shiji/audit/kinds.py): every service passes a
kind, never a string it made up; every kind has both names; and what a whole
working day writes is all in the registry."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

from shiji.audit.kinds import ASSIGNMENT_MOVES, PROBLEM_MOVES, REGULATION_MOVES, EventKind
from shiji.audit.models import AuditEvent
from shiji.campaigns import workflow as task_flow
from shiji.ledger import workflow as problem_flow
from shiji.regulations import workflow as regulation_flow

SHIJI = Path(__file__).resolve().parents[2] / "shiji"


def test_every_kind_has_a_code_a_chinese_and_an_english_name():
    codes = [k.value for k in EventKind]
    assert len(codes) == len(set(codes))
    for kind in EventKind:
        assert kind.zh and kind.en and kind.zh != kind.en, kind
        with translation.override("en"):
            assert kind.label == kind.en and kind.note_label == kind.note[1]
        with translation.override("zh-hans"):
            assert kind.label == kind.zh and kind.note_label == kind.note[0]


def test_every_move_of_every_state_machine_has_its_kind():
    assert set(PROBLEM_MOVES) == set(problem_flow.MOVES)
    assert set(REGULATION_MOVES) == set(regulation_flow.MOVES)
    assert set(ASSIGNMENT_MOVES) == set(task_flow.MOVES)


def test_no_call_site_passes_a_string_for_the_kind():
    offenders = []
    for path in SHIJI.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "audit_record"):
                continue
            for kw in node.keywords:
                if kw.arg == "action" and isinstance(kw.value, ast.Constant | ast.JoinedStr):
                    offenders.append(f"{path.relative_to(SHIJI)}:{node.lineno}")
    assert offenders == []


def test_everything_a_working_day_writes_is_a_registered_kind(world, make_problem):
    make_problem(world, status="closed")
    make_problem(world, status="cancelled")
    make_problem(world, zone="b", status="submitted")
    stored = set(AuditEvent.objects.values_list("action", flat=True))
    assert stored <= {k.value for k in EventKind}
    assert {"problem.create", "problem.verify", "problem.cancel", "org.create"} <= stored
