"""Every page of the platform admin answers: list, add and change of every registered ModelAdmin
of every app, with a row of each so change pages render a real object. Tenant-owned rows are
edited across tenants without a current tenant (which used to be a TenantNotSetError 500)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from partners.tests.factories import PartnerOrganizationFactory
from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import ApiKey, AuditEvent, Invitation, Membership
from tenancy.roles import Role
from tenancy.tests.factories import UserFactory, enable_totp

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def operator():
    user = UserFactory(is_staff=True, is_superuser=True)
    enable_totp(user)  # also an mfa.Authenticator row
    return user


@pytest.fixture
def platform(operator) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(operator)
    return client


@pytest.fixture
def seeded(acme, globex, operator):
    """At least one row of every registered model (acme/globex bring tenants, users, members)."""
    Group.objects.create(name="Operators")
    EmailAddress.objects.get_or_create(
        user=acme.admin, email=acme.admin.email, defaults={"verified": True, "primary": True}
    )
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.admin, acme.tenant)
        services.api_key_create(actor=actor, name="CRM sync", role=Role.CHANNEL_MANAGER)
        Invitation.objects.create(
            email="new@acme.test",
            role=Role.MARKETING,
            invited_by=acme.admin,
            expires_at=timezone.now() + timedelta(days=7),
        )
    return acme


def _admin_request(user):
    request = RequestFactory().get("/admin/", HTTP_HOST="127.0.0.1")
    request.user = user
    request.tenant = None
    return request


@pytest.mark.parametrize(
    "model,model_admin", REGISTERED, ids=[model._meta.label for model, _ in REGISTERED]
)
def test_every_admin_list_add_and_change_page_answers(
    platform, operator, seeded, model, model_admin
):
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"
    assert platform.get(reverse(f"{base}_changelist")).status_code == 200

    row = model._base_manager.order_by("pk").first()
    assert row is not None, f"seed a {opts.label} row in this test's `seeded` fixture"
    assert platform.get(reverse(f"{base}_change", args=[row.pk])).status_code == 200

    may_add = model_admin.has_add_permission(_admin_request(operator))
    assert platform.get(reverse(f"{base}_add")).status_code == (200 if may_add else 403)


def test_membership_add_page_offers_partners_of_every_tenant_labelled(platform, seeded, globex):
    page = platform.get(reverse("admin:tenancy_membership_add")).content.decode()
    assert f"{seeded.partner.name} (Acme)" in page and f"{globex.partner.name} (Globex)" in page


def test_membership_change_page_offers_only_its_own_tenants_partners(platform, seeded, globex):
    membership = Membership.objects.unscoped().get(user=seeded.partner_admin)
    page = platform.get(reverse("admin:tenancy_membership_change", args=[membership.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert seeded.other_partner.name in body and globex.partner.name not in body


def test_operator_adds_a_membership_and_it_is_audited_in_that_tenant(platform, seeded):
    user = UserFactory(email="newcomer@acme.test")
    response = platform.post(
        reverse("admin:tenancy_membership_add"),
        {
            "row_tenant": seeded.tenant.pk,
            "user": user.pk,
            "role": Role.PARTNER_SALES,
            "partner_organization": seeded.partner.pk,
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    membership = Membership.objects.unscoped().get(user=user)
    assert membership.tenant == seeded.tenant and membership.partner_organization == seeded.partner
    event = AuditEvent.objects.unscoped().get(action="admin.membership.added")
    assert event.tenant == seeded.tenant and event.target_id == str(membership.uuid)


def test_membership_with_a_partner_of_another_tenant_is_refused(platform, seeded, globex):
    user = UserFactory(email="crossing@acme.test")
    response = platform.post(
        reverse("admin:tenancy_membership_add"),
        {
            "row_tenant": seeded.tenant.pk,
            "user": user.pk,
            "role": Role.PARTNER_SALES,
            "partner_organization": globex.partner.pk,
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200 and "Choose one of Acme." in response.content.decode()
    assert not Membership.objects.unscoped().filter(user=user).exists()


def test_second_membership_in_the_same_tenant_is_a_form_error_not_a_500(platform, seeded):
    response = platform.post(
        reverse("admin:tenancy_membership_add"),
        {
            "row_tenant": seeded.tenant.pk,
            "user": seeded.marketing.pk,
            "role": Role.EXECUTIVE,
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert Membership.objects.unscoped().filter(user=seeded.marketing).count() == 1


def test_partner_role_without_an_organisation_is_a_field_message(platform, seeded):
    user = UserFactory(email="orgless@acme.test")
    response = platform.post(
        reverse("admin:tenancy_membership_add"),
        {
            "row_tenant": seeded.tenant.pk,
            "user": user.pk,
            "role": Role.PARTNER_ADMIN,
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert "Partner roles need a partner organisation." in response.content.decode()
    assert not Membership.objects.unscoped().filter(user=user).exists()


def test_operator_changes_a_membership_role_on_its_change_page(platform, seeded):
    membership = Membership.objects.unscoped().get(user=seeded.sales)
    response = platform.post(
        reverse("admin:tenancy_membership_change", args=[membership.pk]),
        {
            "user": seeded.sales.pk,
            "role": Role.MARKETING,
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    membership.refresh_from_db()
    assert membership.role == Role.MARKETING and membership.tenant == seeded.tenant


def test_operator_revokes_an_api_key_but_cannot_create_one(platform, seeded):
    key = ApiKey.objects.unscoped().get(name="CRM sync")
    new_org = PartnerOrganizationFactory(tenant=seeded.tenant)
    response = platform.post(
        reverse("admin:tenancy_apikey_change", args=[key.pk]),
        {
            "name": key.name,
            "role": key.role,
            "partner_organization": "",
            "revoked_at_0": "2026-01-02",
            "revoked_at_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    key.refresh_from_db()
    assert key.revoked_at is not None and key.partner_organization_id != new_org.pk
    assert platform.get(reverse("admin:tenancy_apikey_add")).status_code == 403
