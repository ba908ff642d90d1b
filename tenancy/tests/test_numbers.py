"""One rounding rule for every figure: halves up, shares that add up to 100."""

from decimal import Decimal

import pytest

from tenancy.common.numbers import hours_from_seconds, percent, round_half_up, shares_summing_to_100


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (0.25, 1, "0.3"),
        (2.5, 0, "3"),
        (Decimal("1.005"), 2, "1.01"),
        (-2.5, 0, "-3"),
        (0.24, 1, "0.2"),
        ("614500", 2, "614500.00"),
    ],
)
def test_halves_round_up(value, places, expected):
    assert round_half_up(value, places) == Decimal(expected)


def test_900_seconds_are_a_quarter_hour_shown_as_0_3():
    assert hours_from_seconds(900) == Decimal("0.3")
    assert hours_from_seconds(5400) == Decimal("1.5")
    assert hours_from_seconds(None) == Decimal("0.0")


def test_percent_is_half_up_and_none_for_an_empty_whole():
    assert percent(1, 8) == Decimal("13")  # 12.5
    assert percent(1, 3, 1) == Decimal("33.3")
    assert percent(3, 0) is None


def test_shares_add_up_to_100():
    # 1/3 each: 33.33 floored three times = 99; the missing point goes to the first.
    assert shares_summing_to_100([1, 1, 1]) == [34, 33, 33]
    # 12.5 / 37.5 / 50: plain half-up gives 13 + 38 + 50 = 101; the total stays 100.
    assert sum(shares_summing_to_100([1, 3, 4])) == 100
    assert shares_summing_to_100({"a": 1, "b": 1}) == {"a": 50, "b": 50}
    assert shares_summing_to_100({"a": 0, "b": 0}) == {"a": 0, "b": 0}
    assert shares_summing_to_100([5, 0, 0]) == [100, 0, 0]


def test_template_filters_group_thousands_and_round_half_up():
    from django.template import Context, Template

    out = Template(
        "{% load ui %}{{ a|money:'USD' }}|{{ n|number }}|{{ s|hours }}|{{ x|number:1 }}"
        "|{{ none|money }}"
    ).render(Context({"a": Decimal("614500"), "n": 1027247, "s": 900, "x": 0.25, "none": None}))
    assert out == "614,500.00 USD|1,027,247|0.3|0.3|—"


def test_grouped_numbers_are_what_djangos_number_format_gives():
    """The number and money filters write "1,234.5" with Python's own grouping where the
    formats say so (prm/formats): the same text as Django's number_format, sign and zero too."""
    import random

    from django.utils.formats import number_format
    from django.utils.translation import get_language

    from tenancy.templatetags.ui import _PLAIN_GROUPING, _grouped

    rng = random.Random(14)
    values = [0, -0.001, 0.004, -0.005, 0.5, -1, 999, 1000, -1000, 1234567.891, -987654321.5]
    values += [Decimal("-0.00"), Decimal("1E+3"), Decimal("12345678901234567890.125"), "614500"]
    values += [rng.uniform(-1e7, 1e7) for _ in range(300)] + [
        rng.randint(-(10**9), 10**9) for _ in range(100)
    ]
    for value in values:
        for places in (0, 1, 2):
            rounded = round_half_up(value, places)
            expected = number_format(
                rounded, decimal_pos=places, use_l10n=True, force_grouping=True
            )
            assert _grouped(value, places) == expected, (value, places)
    assert _PLAIN_GROUPING[get_language()] is True  # the English formats took the fast path
