"""The browser walk of tests/browser/test_walk.py for the second demo tenant (its own file so it
runs on another test worker beside the first)."""

from __future__ import annotations

import pytest

from tests import walk_support as ws
from tests.browser.test_walk import walk_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_of_every_role_of_the_second_tenant_fits_1366_and_speaks_human(
    live_server, browser
):
    walk_tenant(ws.DEMO_TENANTS[1], live_server, browser)
