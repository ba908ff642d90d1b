"""Cells written to CSV or Excel that a spreadsheet will not run as a formula ("CSV injection").

Text starting with one of FORMULA_PREFIXES is prefixed with an apostrophe, the spreadsheet
convention for "this is text"; the partner import strips it again, so the round trip holds."""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """The cell text for `value`, neutralised when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
