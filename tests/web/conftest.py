"""Tests here switch the language (the English pages): put the default back
after each, since Django keeps the active language per thread and a later
test in the same thread would otherwise run in English."""

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    yield
    translation.activate(settings.LANGUAGE_CODE)
