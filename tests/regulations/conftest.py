import pytest

from tests.ledger.conftest import create_categories, problem_maker


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_problem(world):
    return problem_maker(create_categories(world))
