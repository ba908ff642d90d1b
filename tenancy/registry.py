"""One way for a higher floor to plug into a lower one.

A lower app must not import a higher one, yet it sometimes needs what the higher one knows: the LMS
reacts to a membership changing role, tiers count certifications, onboarding reads the "first deal"
milestone from deal registration. The lower app declares a `Registry`; the higher app registers
into it from its `AppConfig.ready()`:

    # enablement/lms/services.py (lower)
    quiz_passed = Registry("lms.quiz_passed", required=True)
    ...
    quiz_passed.run(attempt)

    # enablement/certs/apps.py (higher)
    from enablement.lms.services import quiz_passed
    quiz_passed.register(services.on_quiz_passed)

A registration that went missing (an app renamed its function, forgot its `ready()`) is a
start-up error, not a feature that quietly stops: `required=True` (at least one entry) and
`required_keys` (these keys) are verified by the system check `tenancy.E002`, which runs with
every `manage.py` command (`check`, `migrate`, `runserver`) and in the test suite; `get()` and
`one()` raise with the registry's name when asked for what nobody registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_all: list[Registry] = []


def _default_key(item: Any) -> str:
    module = getattr(item, "__module__", "") or ""
    name = getattr(item, "__qualname__", None) or repr(item)
    return f"{module}.{name}"


class Registry(Generic[T]):
    """Named entries (hooks, providers, sources) registered by higher apps, in registration
    order. Registering the same key again replaces the entry (idempotent `ready()`)."""

    def __init__(
        self,
        name: str,
        *,
        required: bool = False,
        required_keys: Iterable[str] = (),
        single: bool = False,
    ) -> None:
        self.name = name
        self.required = required
        self.required_keys = tuple(required_keys)
        # A single-entry registry (a provider): a new registration replaces the previous one.
        self.single = single
        self._entries: dict[str, T] = {}
        _all.append(self)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(self._entries) or 'empty'}>"

    def register(self, item: T, *, key: str | None = None) -> T:
        """Add `item` under `key` (default: the function's dotted name); returns `item`, so it
        also works as a decorator."""
        key = key or _default_key(item)
        if self.required_keys and key not in self.required_keys:
            raise ImproperlyConfigured(
                f"{self.name}: unknown key {key!r}; expected one of {', '.join(self.required_keys)}"
            )
        if self.single:
            self._entries.clear()
        self._entries[key] = item
        return item

    def unregister(self, item_or_key: T | str) -> None:
        """Remove an entry by key or by the registered object (tests restoring state)."""
        for key, item in list(self._entries.items()):
            if key == item_or_key or item is item_or_key:
                del self._entries[key]

    @contextmanager
    def registered(self, item: T, *, key: str | None = None) -> Iterator[T]:
        """Register `item` for the duration of a `with` block, then restore what was there
        (tests that swap a provider or listen to a hook)."""
        saved = dict(self._entries)
        self.register(item, key=key)
        try:
            yield item
        finally:
            self._entries = saved

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))

    def __contains__(self, item: object) -> bool:
        return item in self._entries.values() or item in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def get(self, key: str) -> T:
        try:
            return self._entries[key]
        except KeyError:
            raise ImproperlyConfigured(f"{self.name}: nothing registered for {key!r}") from None

    def one(self) -> T:
        """The entry of a single-entry registry; raises when nobody registered it."""
        if not self._entries:
            raise ImproperlyConfigured(f"{self.name}: nothing is registered")
        return next(iter(self._entries.values()))

    def run(self, *args: Any, **kwargs: Any) -> list[Any]:
        """Call every entry with the same arguments, in registration order."""
        return [entry(*args, **kwargs) for entry in self]  # type: ignore[operator]

    def problems(self) -> list[str]:
        """What a finished start-up should have registered but did not."""
        found: list[str] = []
        if self.required and not self._entries:
            found.append(f"{self.name}: nothing is registered")
        missing = [key for key in self.required_keys if key not in self._entries]
        if missing:
            found.append(f"{self.name}: nothing registered for {', '.join(missing)}")
        return found


def all_registries() -> list[Registry]:
    return list(_all)


def registration_problems() -> list[str]:
    return [problem for registry in _all for problem in registry.problems()]
