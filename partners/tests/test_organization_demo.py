"""Demo partners: ~40 per tenant, every state and type, histories, idempotent, and the tenancy
demo's partners become full, active profiles."""

import pytest

from partners.demo import organization as demo
from partners.models import (
    Application,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerType,
)
from partners.services.organization import allowed_transitions
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import SYSTEM
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff_of(tenant) -> dict:
    staff = {}
    for key, role in [
        ("admin", Role.PROGRAM_ADMIN),
        ("manager", Role.CHANNEL_MANAGER),
        ("manager2", Role.CHANNEL_MANAGER),
        ("sales", Role.DIRECT_SALES),
        ("marketing", Role.MARKETING),
        ("exec", Role.EXECUTIVE),
    ]:
        user = UserFactory(email=f"{key}@{tenant.slug}.example")
        MembershipFactory(tenant=tenant, user=user, role=role)
        staff[key] = user
    return staff


def snapshot():
    return (
        sorted(PartnerOrganization.objects.values_list("name", "state", "domain", "ipp_score")),
        LifecycleEvent.objects.count(),
        PartnerContact.objects.count(),
        Application.objects.count(),
    )


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_demo_partners_cover_every_state_and_type_and_seeding_twice_changes_nothing(slug):
    from partners.services.organization import partner_organization_create

    tenant = TenantFactory(slug=slug)
    staff = staff_of(tenant)
    existing = list(demo.PROGRAMS[slug]["existing"])
    with tenant_context(tenant):
        # What prm/demo.py creates before the partner program is seeded.
        for name in existing:
            partner_organization_create(
                actor=SYSTEM,
                name=name,
                partner_type=PartnerType.RESELLER,
                website=f"https://{name.split()[0].lower()}.example",
                channel_manager=staff["manager"],
            )
        demo.seed(tenant, staff=staff)
        first = snapshot()
        demo.seed(tenant, staff=staff)
        assert snapshot() == first

        partners = list(PartnerOrganization.objects.all())
        assert len(partners) == 40
        assert {p.state for p in partners} == set(LifecycleState.values)
        assert {p.partner_type for p in partners} == set(PartnerType.values)
        managed = {p.channel_manager for p in partners if p.state != LifecycleState.APPLIED}
        assert managed == {staff["manager"], staff["manager2"]}
        # Open applications sit where the demo's routing rules (by region) put them.
        for application in Application.objects.filter(
            decided_at__isnull=True, held_for_review=False
        ).select_related("partner", "routing_rule"):
            regions = set(application.regions)
            if "EMEA" in regions or "NA" in regions:
                assert application.assigned_via == "rule"
                assert (
                    application.partner.channel_manager == application.routing_rule.channel_manager
                )
            else:
                assert application.partner.channel_manager is None  # the unassigned queue
        assert len({p.domain for p in partners}) == 40
        assert all(p.regions and p.industries and p.skills and p.hq_country for p in partners)
        for name in existing:
            seeded = PartnerOrganization.objects.get(name=name)
            assert seeded.state == LifecycleState.ACTIVE and seeded.legal_name
        applied = Application.objects.filter(decision="", held_for_review=False)
        assert applied.count() == 6  # the applied ones
        # One submission naming a known prospect waits for review; it changed nothing of it.
        held = Application.objects.get(held_for_review=True)
        assert held.partner.state == LifecycleState.PROSPECT
        assert held.company_name != held.partner.name
        assert Application.objects.filter(decision="rejected").exists()
        assert PartnerContact.objects.count() >= 40

        # Every partner's history is a walk along the transitions table ending in its state.
        for partner in partners:
            events = list(partner.lifecycle_events.order_by("created_at", "id"))
            assert events[0].from_state == ""
            for before, after in zip(events, events[1:], strict=False):
                assert after.from_state == before.to_state
                assert after.to_state in allowed_transitions(after.from_state)
                assert after.created_at >= before.created_at
            assert events[-1].to_state == partner.state
            if partner.state in (LifecycleState.SUSPENDED, LifecycleState.RETIRED):
                assert events[-1].reason and partner.is_active is False


def test_demo_does_not_touch_partners_it_did_not_create(db):
    tenant = TenantFactory(slug="acme")
    staff = staff_of(tenant)
    mine = PartnerOrganizationFactory(
        tenant=tenant, name="Northwind Solutions", state=LifecycleState.SUSPENDED
    )
    with tenant_context(tenant):
        demo.seed(tenant, staff=staff)
        mine.refresh_from_db()
    assert mine.state == LifecycleState.SUSPENDED and mine.legal_name == ""
