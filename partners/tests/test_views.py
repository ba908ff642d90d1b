"""Partner directory (console) and own organisation (portal): who sees which partner."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.tests.factories import PartnerOrganizationFactory
from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent
from tenancy.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def listed(client) -> set[str]:
    response = client.get(reverse("console_partner_list"))
    assert response.status_code == 200
    return {p.name for p in response.context["partners"]}


def detail_url(partner) -> str:
    return reverse("console_partner_detail", kwargs={"partner_uuid": partner.uuid})


def test_program_admin_executive_and_marketing_see_every_partner(acme):
    for user in (acme.admin, acme.executive, acme.marketing):
        assert listed(acme.client(user)) == {acme.partner.name, acme.other_partner.name}


def test_channel_manager_sees_only_assigned_partners(acme):
    client = acme.client(acme.manager)
    assert listed(client) == {acme.partner.name}
    assert client.get(detail_url(acme.partner)).status_code == 200
    assert client.get(detail_url(acme.other_partner)).status_code == 404


def test_direct_sales_has_no_partner_directory(acme):
    assert acme.client(acme.sales).get(reverse("console_partner_list")).status_code == 403


def test_object_grant_lets_one_user_see_one_partner_and_is_audited(acme):
    with tenant_context(acme.tenant):
        services.object_permission_grant(
            actor=actor_for_user(acme.admin, acme.tenant),
            user=acme.manager,
            perm="partners.view_partnerorganization",
            obj=acme.other_partner,
        )
        assert AuditEvent.objects.filter(
            action="object_permission.granted", target_id=str(acme.other_partner.uuid)
        ).exists()
    client = acme.client(acme.manager)
    assert listed(client) == {acme.partner.name, acme.other_partner.name}
    assert client.get(detail_url(acme.other_partner)).status_code == 200


def test_only_program_admins_grant_object_access(acme):
    from django.core.exceptions import PermissionDenied

    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        services.object_permission_grant(
            actor=actor_for_user(acme.manager, acme.tenant),
            user=acme.manager,
            perm="partners.view_partnerorganization",
            obj=acme.other_partner,
        )


def test_partner_user_sees_own_organization_in_portal(acme):
    response = acme.client(acme.partner_sales).get(reverse("portal_organization"))
    assert response.status_code == 200
    assert response.context["partner"] == acme.partner
    assert acme.other_partner_admin not in {m.user for m in response.context["members"]}


def test_vendor_staff_have_no_portal_organization_page(acme):
    assert acme.client(acme.admin).get(reverse("portal_organization")).status_code == 403


def test_other_tenant_partner_detail_is_404(acme, globex):
    assert acme.client(acme.admin).get(detail_url(globex.partner)).status_code == 404


def test_directory_query_count_does_not_grow_with_partners(acme):
    client = acme.client(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("console_partner_list"))
        return len(ctx.captured_queries)

    before = count()
    for _ in range(10):
        org = PartnerOrganizationFactory(tenant=acme.tenant, channel_manager=acme.manager)
        MembershipFactory(tenant=acme.tenant, role="partner_admin", partner_organization=org)
    assert count() == before


def test_partner_api_respects_the_same_visibility(acme):
    response = acme.api(acme.manager).get("/api/v1/partner-organizations/")
    assert [p["name"] for p in response.json()["results"]] == [acme.partner.name]
    assert acme.api(acme.sales).get("/api/v1/partner-organizations/").status_code == 403
