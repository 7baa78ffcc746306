"""Audit fixtures: problems to write events about (the ledger's own maker),
and helpers that play the database editor."""

from __future__ import annotations

import pytest

from shiji.audit.models import AuditChainHead, AuditEvent, chain_of
from tests.ledger.conftest import create_categories, problem_maker

REAL_KEY = "prod-2026:" + "k" * 48  # what the operator configured
ATTACKER_KEY = "prod-2026:" + "x" * 48  # a guess: same id, another secret


@pytest.fixture(autouse=True)
def _real_key(settings):
    settings.AUDIT_HMAC_KEYS = REAL_KEY


@pytest.fixture
def make_problem(world):
    return problem_maker(create_categories(world))


def chain_a(world) -> str:
    return chain_of(world.a.zone.pk)


def events_of(chain: str):
    return AuditEvent.objects.filter(chain=chain).order_by("seq")


def head_of(chain: str) -> AuditChainHead | None:
    return AuditChainHead.objects.filter(chain=chain).first()
