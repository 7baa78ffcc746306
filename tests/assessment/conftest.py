import pytest

from shiji.assessment.services import indicators_load, measurement_enter
from tests.conftest import SYSTEM


@pytest.fixture
def library(db):
    """The built-in indicator library."""
    indicators_load(actor=SYSTEM)


@pytest.fixture
def enter(world, library):
    """Enter a figure of zone A (as the liaison unless told)."""

    def _enter(indicator, period, value, *, actor=None, zone=None, **kw):
        return measurement_enter(
            actor=actor or world["liaison"],
            zone=zone or world.a.zone,
            indicator=indicator,
            period=period,
            value=value,
            source=kw.pop("source", "统计局"),
            **kw,
        )

    return _enter
