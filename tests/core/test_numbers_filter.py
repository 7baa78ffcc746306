"""The ``plain`` filter shows decimals as people write them."""

from decimal import Decimal

import pytest

from shiji.core.templatetags.numbers import plain


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("91.5000"), "91.5"),
        (Decimal("520.0000"), "520"),
        (Decimal("1000"), "1000"),
        (Decimal("0.0500"), "0.05"),
        (Decimal("-0.0000"), "0"),
        (Decimal("-12.3400"), "-12.34"),
        (None, ""),
        ("", ""),
        ("not a number", "not a number"),
    ],
)
def test_plain_drops_the_stored_scales_trailing_zeros_and_never_uses_exponents(value, shown):
    assert plain(value) == shown
