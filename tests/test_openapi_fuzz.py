"""Schemathesis over the whole JSON API, signed in as a zone admin: no input
may cause a 500, and every response must match the OpenAPI document."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shiji.orgs import services
from shiji.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# Methods an operation does not declare get django-ninja's plain 405; probing
# every operation with each of them only costs time.
schema.config.phases.coverage.unexpected_methods = set()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]


@pytest.fixture(autouse=True)
def _keep_test_transaction():
    # The WSGI app sends request_started/finished, whose handler would close
    # the connection holding the test transaction (on PostgreSQL it does, as
    # autocommit is off inside it). Django's own test client does the same.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(world) -> dict[str, str]:
    return {"Authorization": "Bearer " + services.token_issue(user=world["zone_admin"])}


@pytest.fixture
def target(world) -> int:
    return world["secretary"].pk


@schema.parametrize()
@settings(
    # The coverage phase already walks every boundary and wrong type; a few
    # random examples per operation on top keep the whole API under ~1 minute.
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_every_input_within_its_contract(case, bearer, target):
    params = case.path_parameters or {}
    if isinstance(params.get("user_id"), int) and params["user_id"] % 2 == 0:
        # Random ids almost never exist; aim half of them at a real account in
        # the admin's zone so that the write paths see the junk too. (Not the
        # admin's own account: a fuzzed password change would end the token.)
        params["user_id"] = target
    case.call_and_validate(headers=bearer, checks=CHECKS)
