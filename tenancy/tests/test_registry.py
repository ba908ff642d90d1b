"""Cross-app registries (tenancy/registry.py): one pattern, and a missing registration fails
start-up (system check tenancy.E002) instead of silently switching a feature off."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from dealreg.selectors.registration import first_deal_at
from enablement.certs import services as certs_services
from enablement.lms import services as lms_services
from onboarding import signals as onboarding_signals
from onboarding.models import MilestoneKey
from onboarding.services.progress import milestone_sources
from partners.models import PartnerOrganization
from partners.services.tiers import certification_provider
from tenancy import registry as registry_module
from tenancy.models import member_organization
from tenancy.registry import Registry, registration_problems
from tenancy.services import membership_changed


@pytest.fixture
def scratch():
    """A registry that is forgotten again after the test."""
    made = []

    def make(*args, **kwargs):
        reg = Registry(*args, **kwargs)
        made.append(reg)
        return reg

    yield make
    for reg in made:
        registry_module._all.remove(reg)


def _e002():
    return [m for m in run_checks() if m.id == "tenancy.E002"]


def test_every_required_registration_happened_at_start_up():
    assert registration_problems() == []
    assert _e002() == []


def test_the_apps_registered_their_hooks_providers_and_sources():
    assert lms_services.membership_role_changed in membership_changed
    assert onboarding_signals.enrol_new_member_in_101 in membership_changed
    assert certs_services.on_quiz_passed in lms_services.quiz_passed
    assert certification_provider.one() is certs_services.certification_facts
    assert milestone_sources.get(MilestoneKey.FIRST_DEAL) is first_deal_at


@pytest.mark.parametrize(
    "registry, entry",
    [
        (membership_changed, lms_services.membership_role_changed),
        (lms_services.quiz_passed, certs_services.on_quiz_passed),
        (certification_provider, certs_services.certification_facts),
        (milestone_sources, first_deal_at),
        (member_organization, PartnerOrganization),
    ],
    ids=[
        "membership_changed",
        "quiz_passed",
        "certification_provider",
        "milestone_sources",
        "member_organization",
    ],
)
def test_a_missing_registration_fails_the_system_check(registry, entry):
    saved = dict(registry._entries)
    if registry in (membership_changed, lms_services.quiz_passed):
        registry._entries.clear()  # required: at least one
    else:
        registry.unregister(entry)
    try:
        errors = _e002()
    finally:
        registry._entries = saved
    assert len(errors) == 1 and registry.name in errors[0].msg


def test_a_missing_provider_or_source_raises_with_the_registry_name(scratch):
    provider = scratch("test.provider", required=True, single=True)
    with pytest.raises(ImproperlyConfigured, match="test.provider"):
        provider.one()
    sources = scratch("test.sources", required_keys=["a", "b"])
    sources.register(len, key="a")
    with pytest.raises(ImproperlyConfigured, match="nothing registered for 'b'"):
        sources.get("b")
    with pytest.raises(ImproperlyConfigured, match="unknown key"):
        sources.register(len, key="c")
    assert sources.problems() == ["test.sources: nothing registered for b"]


def test_registering_again_is_idempotent_and_single_replaces(scratch):
    hooks = scratch("test.hooks", required=True)
    calls = []

    def hook(value):
        calls.append(value)

    hooks.register(hook)
    hooks.register(hook)  # a second ready() (tests, autoreload) adds nothing
    assert hooks.run(1) == [None] and calls == [1]
    provider = scratch("test.one", single=True)
    provider.register(len)
    provider.register(str)
    assert provider.one() is str and len(provider) == 1
    with provider.registered(repr):
        assert provider.one() is repr
    assert provider.one() is str
