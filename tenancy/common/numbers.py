"""Rounding and shares, one way for every figure: halves round up (away from zero), never to even.

Python's `round()` and `Decimal.quantize()` without a rounding mode round halves to even
(`round(0.25, 1) == 0.2`); a figure a person recomputes by hand rounds 0.25 to 0.3. Every figure
shown, exported or returned by the API is rounded here (or formatted by the `ui` template filters,
which call these).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

SECONDS_PER_HOUR = Decimal(3600)


def to_decimal(value) -> Decimal:
    """A Decimal from an int, float (through its shortest repr), str or Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_half_up(value, places: int = 0) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero: 0.25 → 0.3, 2.5 → 3."""
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent(part, whole, places: int = 0) -> Decimal | None:
    """`part` as a percentage of `whole`, half up; None when `whole` is 0 (no meaningful share)."""
    if not whole:
        return None
    return round_half_up(to_decimal(part) * 100 / to_decimal(whole), places)


def hours_from_seconds(seconds, places: int = 1) -> Decimal:
    """Seconds as hours, half up: 900 s → 0.3 h (not 0.2), 5400 s → 1.5 h."""
    return round_half_up(to_decimal(seconds or 0) / SECONDS_PER_HOUR, places)


def shares_summing_to_100(counts: Mapping | Sequence[int]) -> dict | list:
    """Whole percentages of each count that add up to exactly 100 (largest remainder method).

    Each share is first floored; the points still missing go to the largest remainders (ties to
    the earlier key). A share whose exact value ends in .5 or more is therefore never shown lower
    than half-up rounding would, unless the total could not reach 100 otherwise. All zeros → all 0.
    """
    keys = list(counts.keys()) if isinstance(counts, Mapping) else list(range(len(counts)))
    values = [int(counts[k]) for k in keys]
    total = sum(values)
    if total <= 0:
        shares = [0] * len(values)
    else:
        exact = [Decimal(v) * 100 / total for v in values]
        shares = [int(e) for e in exact]  # counts are >= 0, so int() floors
        missing = 100 - sum(shares)
        by_remainder = sorted(range(len(values)), key=lambda i: (-(exact[i] - shares[i]), i))
        for i in by_remainder[:missing]:
            shares[i] += 1
    if isinstance(counts, Mapping):
        return dict(zip(keys, shares, strict=True))
    return shares
