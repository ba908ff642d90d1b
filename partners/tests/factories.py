"""Partner-program factories (shared by every partner area's tests).

Profile fields the IPP scores on (regions, industries, bands, types, skills, ...) stay empty by
default so scoring tests start from a blank profile; pass them explicitly.
"""

import factory

from partners.models import (
    Application,
    ContactRole,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerType,
)
from tenancy.tests.factories import TenantFactory, TenantOwnedFactory


class PartnerOrganizationFactory(TenantOwnedFactory):
    class Meta:
        model = PartnerOrganization

    class Params:
        # PartnerOrganizationFactory(active=True): a partner in the program (state "active").
        active = factory.Trait(state=LifecycleState.ACTIVE)

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Partner {n}")
    partner_type = PartnerType.RESELLER
    domain = factory.Sequence(lambda n: f"partner-{n}.example")
    website = factory.LazyAttribute(lambda o: f"https://www.{o.domain}/" if o.domain else "")


class PartnerContactFactory(TenantOwnedFactory):
    class Meta:
        model = PartnerContact

    partner = factory.SubFactory(PartnerOrganizationFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@partner.example")
    title = "Alliance manager"
    role = ContactRole.SALES  # one primary per partner: say role=PRIMARY when a test needs it


class ApplicationFactory(TenantOwnedFactory):
    class Meta:
        model = Application

    partner = factory.SubFactory(PartnerOrganizationFactory, state=LifecycleState.APPLIED)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    contact_name = factory.Faker("name")
    contact_email = factory.Sequence(lambda n: f"applicant{n}@partner.example")
    contact_title = "CEO"
    message = "We would like to resell your platform."


class LifecycleEventFactory(TenantOwnedFactory):
    class Meta:
        model = LifecycleEvent

    partner = factory.SubFactory(PartnerOrganizationFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    from_state = LifecycleState.PROSPECT
    to_state = LifecycleState.APPLIED
    by_label = "system"
