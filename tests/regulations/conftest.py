import pytest

from tests.ledger.conftest import create_categories, problem_maker


@pytest.fixture
def make_problem(world):
    return problem_maker(create_categories(world))
