"""Partner profiles: who may edit which organisation (console and portal), domain normalising,
rescoring after a change, channel manager assignment, key contacts."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from partners.models import (
    CriterionGroup,
    IdealPartnerProfile,
    IppCriterion,
    PartnerContact,
    PartnerOrganization,
)
from partners.services import organization as services
from partners.tests.factories import PartnerContactFactory, PartnerOrganizationFactory
from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db


def profile_post(**overrides):
    data = {
        "name": "Acme Partner One",
        "legal_name": "Acme Partner One GmbH",
        "website": "HTTPS://WWW.PartnerOne.example/en/",
        "logo_url": "",
        "description": "Cloud-native MSP.",
        "hq_country": "AT",
        "regions": ["EMEA"],
        "industries": "Manufacturing, Retail",
        "employee_band": "201",
        "revenue_band": "10",
        "partner_type": "msp",
        "partner_types": ["msp", "isv"],
        "skills": "Kubernetes, Observability",
        "sales_motion": "consultative",
        "co_marketing": "on",
        "planned_certified_staff": "12",
    }
    data.update(overrides)
    return data


def edit_url(partner) -> str:
    return reverse("console_partner_edit", kwargs={"partner_uuid": partner.uuid})


def reload(world, partner):
    with tenant_context(world.tenant):
        return PartnerOrganization.objects.get(pk=partner.pk)


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Acme.com/partners?x=1", "acme.com"),
        ("http://acme.com:8080", "acme.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("ACME.io/", "acme.io"),
        ("jane@Sub.Acme.com", "sub.acme.com"),
        ("", ""),
    ],
)
def test_domain_is_normalised(value, domain):
    assert services.normalize_domain(value) == domain


# --- Console -----------------------------------------------------------------------------------


def test_channel_manager_edits_their_partner_profile_in_the_console(acme):
    client = acme.client(acme.manager)
    assert client.get(edit_url(acme.partner)).status_code == 200
    response = client.post(edit_url(acme.partner), profile_post())
    assert response.status_code == 302
    partner = reload(acme, acme.partner)
    assert partner.domain == "partnerone.example"
    assert partner.industries == ["Manufacturing", "Retail"]
    assert partner.skills == ["Kubernetes", "Observability"]
    assert partner.partner_types == ["msp", "isv"] and partner.co_marketing is True
    assert partner.planned_certified_staff == 12 and partner.hq_country.code == "AT"
    with tenant_context(acme.tenant):
        audit = AuditEvent.objects.get(action="partner.profile_updated")
    assert "domain" in audit.changes["fields"] and "skills" in audit.changes["fields"]


def test_profile_change_rescores_the_partner(acme):
    with tenant_context(acme.tenant):
        profile = IdealPartnerProfile.objects.create(tenant=acme.tenant)
        IppCriterion.objects.create(
            tenant=acme.tenant,
            profile=profile,
            group=CriterionGroup.TECHNICAL,
            label="Kubernetes",
            field="skills",
            operator="any_of",
            value=["Kubernetes"],
            weight=5,
        )
    assert reload(acme, acme.partner).ipp_score is None
    acme.client(acme.manager).post(edit_url(acme.partner), profile_post())
    partner = reload(acme, acme.partner)
    assert partner.ipp_score == 100 and partner.ipp_scored_at is not None
    acme.client(acme.manager).post(edit_url(acme.partner), profile_post(skills="Java"))
    assert reload(acme, acme.partner).ipp_score == 0


def test_form_errors_are_shown_and_values_kept(acme):
    response = acme.client(acme.admin).post(
        edit_url(acme.partner), profile_post(name=acme.other_partner.name)
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "name" in form.errors
    assert form["legal_name"].value() == "Acme Partner One GmbH"


def test_another_partners_domain_is_refused(acme):
    response = acme.client(acme.admin).post(
        edit_url(acme.partner), profile_post(website=f"https://{acme.other_partner.domain}")
    )
    assert response.status_code == 400
    assert "website" in response.context["form"].errors


def test_manager_cannot_open_another_managers_partner_profile(acme):
    assert acme.client(acme.manager).get(edit_url(acme.other_partner)).status_code == 404


@pytest.mark.parametrize("role", ["marketing", "executive", "sales"])
def test_read_only_staff_cannot_edit_profiles(acme, role):
    client = acme.client(getattr(acme, role))
    assert client.post(edit_url(acme.partner), profile_post()).status_code == 403
    assert reload(acme, acme.partner).legal_name == ""


def test_editing_another_tenants_partner_is_404(acme, globex):
    assert acme.client(acme.admin).post(edit_url(globex.partner), profile_post()).status_code == 404


def test_only_program_admins_assign_channel_managers(acme):
    form = acme.client(acme.manager).get(edit_url(acme.partner)).context["form"]
    assert "channel_manager" not in form.fields
    response = acme.client(acme.admin).post(
        edit_url(acme.other_partner),
        profile_post(name=acme.other_partner.name, channel_manager=acme.manager.pk),
    )
    assert response.status_code == 302
    assert reload(acme, acme.other_partner).channel_manager == acme.manager
    with tenant_context(acme.tenant):
        assert AuditEvent.objects.filter(action="partner.channel_manager_changed").exists()
        with pytest.raises(PermissionDenied):
            services.partner_update_profile(
                actor=actor_for_user(acme.manager, acme.tenant),
                partner=acme.partner,
                channel_manager=acme.admin,
            )


def test_channel_manager_must_be_staff_of_the_program(acme):
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as refused:
        services.partner_update_profile(
            actor=actor_for_user(acme.admin, acme.tenant),
            partner=acme.partner,
            channel_manager=acme.partner_admin,
        )
    assert "channel_manager" in refused.value.message_dict


# --- Portal ------------------------------------------------------------------------------------

PORTAL_EDIT = "/portal/organization/edit/"


def test_partner_admin_edits_their_own_organization_in_the_portal(acme):
    client = acme.client(acme.partner_admin)
    page = client.get("/portal/organization/")
    assert page.context["can_edit"] is True and PORTAL_EDIT.encode() in page.content
    form = client.get(PORTAL_EDIT).context["form"]
    assert "channel_manager" not in form.fields and "partner_type" not in form.fields
    response = client.post(PORTAL_EDIT, profile_post(description="Now with 24/7 support."))
    assert response.status_code == 302
    partner = reload(acme, acme.partner)
    assert partner.description == "Now with 24/7 support."
    assert partner.channel_manager == acme.manager  # unchanged
    assert reload(acme, acme.other_partner).description == ""


def test_partner_admin_cannot_edit_another_organization_through_the_service(acme):
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        services.partner_update_profile(
            actor=actor_for_user(acme.partner_admin, acme.tenant),
            partner=acme.other_partner,
            description="Hijacked",
        )


def test_partner_admin_cannot_change_their_primary_type(acme):
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.partner_admin, acme.tenant)
        with pytest.raises(PermissionDenied):
            services.partner_update_profile(actor=actor, partner=acme.partner, partner_type="msp")
        # Sending the unchanged value (a full form) is fine.
        services.partner_update_profile(
            actor=actor, partner=acme.partner, partner_type="reseller", description="Same type"
        )
    assert reload(acme, acme.partner).partner_type == "reseller"


def test_partner_admin_cannot_change_their_channel_manager(acme):
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        services.partner_update_profile(
            actor=actor_for_user(acme.partner_admin, acme.tenant),
            partner=acme.partner,
            channel_manager=acme.admin,
        )


@pytest.mark.parametrize("role", ["partner_sales", "partner_presales", "partner_marketing"])
def test_partner_users_other_than_admins_cannot_edit_the_profile(acme, role):
    client = acme.client(getattr(acme, role))
    assert client.get("/portal/organization/").context["can_edit"] is False
    assert client.get(PORTAL_EDIT).status_code == 403
    assert client.post(PORTAL_EDIT, profile_post()).status_code == 403
    assert reload(acme, acme.partner).legal_name == ""


def test_vendor_staff_have_no_portal_profile_editor(acme):
    assert acme.client(acme.admin).get(PORTAL_EDIT).status_code == 403


# --- Contacts ----------------------------------------------------------------------------------


def contacts_url(partner) -> str:
    return reverse("console_partner_contact_add", kwargs={"partner_uuid": partner.uuid})


def remove_url(contact) -> str:
    return reverse(
        "console_partner_contact_remove",
        kwargs={"partner_uuid": contact.partner.uuid, "contact_uuid": contact.uuid},
    )


CONTACT = {"name": "Ola Nordmann", "email": "Ola@PartnerOne.example", "role": "technical"}


def test_manager_adds_and_removes_a_contact_on_the_detail_page(acme):
    client = acme.client(acme.manager)
    response = client.post(contacts_url(acme.partner), CONTACT)
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        contact = PartnerContact.objects.get(partner=acme.partner)
    assert (contact.email, contact.role) == ("ola@partnerone.example", "technical")
    detail = client.get(
        reverse("console_partner_detail", kwargs={"partner_uuid": acme.partner.uuid})
    )
    assert b"Ola Nordmann" in detail.content and remove_url(contact).encode() in detail.content
    assert client.post(remove_url(contact)).status_code == 302
    with tenant_context(acme.tenant):
        assert not PartnerContact.objects.filter(pk=contact.pk).exists()
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"partner.contact_added", "partner.contact_removed"} <= actions


def test_duplicate_contact_email_is_refused(acme):
    PartnerContactFactory(tenant=acme.tenant, partner=acme.partner, email="ola@partnerone.example")
    response = acme.client(acme.admin).post(contacts_url(acme.partner), CONTACT, follow=True)
    assert b"already has a contact with this email" in response.content
    with tenant_context(acme.tenant):
        assert PartnerContact.objects.filter(partner=acme.partner).count() == 1


def test_read_only_staff_cannot_change_contacts(acme):
    contact = PartnerContactFactory(tenant=acme.tenant, partner=acme.partner)
    client = acme.client(acme.executive)
    assert client.post(contacts_url(acme.partner), CONTACT).status_code == 403
    assert client.post(remove_url(contact)).status_code == 403


def test_a_contact_of_another_partner_or_tenant_is_404(acme, globex):
    mine = PartnerContactFactory(tenant=acme.tenant, partner=acme.other_partner)
    theirs = PartnerContactFactory(tenant=globex.tenant, partner=globex.partner)
    client = acme.client(acme.admin)
    wrong_parent = reverse(
        "console_partner_contact_remove",
        kwargs={"partner_uuid": acme.partner.uuid, "contact_uuid": mine.uuid},
    )
    assert client.post(wrong_parent).status_code == 404
    assert client.post(remove_url(theirs)).status_code == 404
    assert acme.client(acme.manager).post(remove_url(mine)).status_code == 404


# --- Creating --------------------------------------------------------------------------------


def test_creating_a_partner_records_its_first_state_and_profile(acme):
    with tenant_context(acme.tenant):
        partner = services.partner_organization_create(
            actor=SYSTEM,
            name="Gamma Systems",
            partner_type="isv",
            website="https://www.gamma.example",
            regions=["APAC", "bogus"],
            skills=["Go"],
        )
        event = partner.lifecycle_events.get()
    assert partner.domain == "gamma.example" and partner.regions == ["APAC"]
    assert partner.partner_types == ["isv"] and partner.state == "prospect"
    assert (event.from_state, event.to_state) == ("", "prospect")


def test_creating_requires_partner_management(acme):
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        services.partner_organization_create(
            actor=actor_for_user(acme.marketing, acme.tenant), name="X", partner_type="isv"
        )


def test_factory_partner_has_a_domain(acme):
    assert PartnerOrganizationFactory(tenant=acme.tenant).domain.endswith(".example")
