"""One reading of a page's shared facts: inside `one_reading()`, `read_once(key, load)` loads
each key once, so the panels of a page that all need the program's settings, tiers or the
rollups' state ask the database once, not once each.

A reading is for read-only work (a page's panels, a report): nothing outlives it (the next page
asks again), and outside one `read_once` simply loads. Never wrap code that changes what it
reads: inside a reading it would see the value loaded before its change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_READING: ContextVar[dict | None] = ContextVar("tenancy_reading", default=None)


@contextmanager
def one_reading() -> Iterator[None]:
    """A decorator or a `with`: within it each `read_once` key is loaded once. Nested readings
    share the outermost one."""
    if _READING.get() is not None:  # already inside one
        yield
        return
    token = _READING.set({})
    try:
        yield
    finally:
        _READING.reset(token)


def read_once(key: tuple, load: Callable[[], Any], keep: Any = None) -> Any:
    """`load()`, asked once per `one_reading()` (every time outside one). `keep`: an object the
    key names by its id(), kept alive with the answer so the id cannot be reused meanwhile."""
    memo = _READING.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = (load(), keep)
    return memo[key][0]
