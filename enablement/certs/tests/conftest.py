import pytest

from enablement.certs import services
from partners.services.tiers import certification_provider


@pytest.fixture(autouse=True)
def _certs_provider():
    """Our provider answers tier questions in these tests (other tests may swap it)."""
    with certification_provider.registered(services.certification_facts):
        yield
