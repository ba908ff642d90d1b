import factory

from partners.models import PartnerOrganization, PartnerType
from tenancy.tests.factories import TenantFactory, TenantOwnedFactory


class PartnerOrganizationFactory(TenantOwnedFactory):
    class Meta:
        model = PartnerOrganization

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Partner {n}")
    partner_type = PartnerType.RESELLER
