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
