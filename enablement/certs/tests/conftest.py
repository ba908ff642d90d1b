import pytest

from enablement.certs import services
from partners.services.tiers import register_certification_provider


@pytest.fixture(autouse=True)
def _certs_provider():
    """Our provider answers tier questions in these tests (other tests may swap it)."""
    previous = register_certification_provider(services.certification_facts)
    yield
    register_certification_provider(previous)
