"""An OpenAPI-driven property test over the whole /api/v1/ (issue 15): schemathesis generates
requests from the published schema for every operation, with a program admin's key and with a
partner admin's key, and checks that nothing answers 5xx and every answer matches the schema
(status code documented, body shaped as documented, JSON everywhere)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dealreg.tests.test_conflicts import approve, ready, register
from tenancy import services
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the WSGI handler, which closes old database connections when a
    request finishes (the test's own, inside its transaction): not here, as Django's test
    client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def keys(acme):
    ready(acme)
    approve(acme, register(acme, acme.partner_sales))
    made = {}
    with tenant_context(acme.tenant):
        for name, user, role in (
            ("program", acme.admin, "program_admin"),
            ("partner", acme.partner_admin, "partner_admin"),
        ):
            _key, plaintext = services.api_key_create(
                actor=acme.actor(user), name=f"fuzz {name}", role=role
            )
            made[name] = plaintext
    acme.warm_host_cache()
    return made


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Loaded once, at collection, through the WSGI handler (the schema is public: no tenant data).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error_and_every_answer_matches_the_schema(case, keys, acme):
    for key in keys.values():  # a program admin's key, then a partner admin's
        case.call_and_validate(
            headers={"Host": acme.host(), "Authorization": f"Bearer {key}"}, checks=CHECKS
        )
