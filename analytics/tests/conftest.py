"""The hand-computed reference data set with its rollups computed, the clock held at its day."""

from __future__ import annotations

import pytest
import time_machine

from analytics import rollups
from tenancy.context import tenant_context

from . import reference


@pytest.fixture
def data(acme):
    with time_machine.travel(reference.TODAY, tick=False):
        partners = reference.build(acme)
        with tenant_context(acme.tenant):
            rollups.refresh(full=True)
    with time_machine.travel(reference.TODAY, tick=True):
        yield partners
