from __future__ import annotations

import pytest

from .receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def no_waiting(monkeypatch):
    """The sync's in-place retry pauses (integrations.crm.pause), recorded instead of slept."""
    from integrations import crm

    waits: list[float] = []
    monkeypatch.setattr(crm, "pause", waits.append)
    return waits


@pytest.fixture
def sleeps():
    """The waits a connector asked for (429 Retry-After, backoff), recorded instead of slept."""
    return []
