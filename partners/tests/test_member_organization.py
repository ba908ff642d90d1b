"""The organisation of partner memberships, invitations and API keys: tenancy stores the id,
partners registers the relation and owns the database foreign keys (docs/architecture.md)."""

import pytest
from django.db import IntegrityError, connection, transaction

from partners.models import PartnerOrganization
from partners.tests.factories import PartnerOrganizationFactory
from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import (
    ApiKey,
    Invitation,
    Membership,
    member_organization_model,
)
from tenancy.roles import Role
from tenancy.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_partners_is_the_registered_member_organization():
    assert member_organization_model() is PartnerOrganization
    for model in (Membership, Invitation, ApiKey):
        relation = model._meta.get_field("partner_organization")
        assert relation.related_model is PartnerOrganization
        assert not relation.concrete  # no column, no migration: the column is the plain id


def test_the_relation_reads_filters_joins_and_assigns_like_a_foreign_key(
    acme, django_assert_num_queries
):
    with tenant_context(acme.tenant):
        admin = Membership.objects.get(user=acme.partner_admin)
        assert admin.partner_organization == acme.partner
        assert admin.partner_organization_id == acme.partner.pk
        assert set(acme.partner.memberships.values_list("user__email", flat=True)) >= {
            acme.partner_admin.email
        }
        by_instance = Membership.objects.filter(partner_organization=acme.partner)
        by_queryset = Membership.objects.filter(
            partner_organization__in=PartnerOrganization.objects.filter(pk=acme.partner.pk)
        )
        assert set(by_instance) == set(by_queryset) and admin in by_instance
        assert Membership.objects.filter(partner_organization__name=acme.partner.name).exists()
        with django_assert_num_queries(1):
            loaded = Membership.objects.select_related("partner_organization").get(pk=admin.pk)
            assert loaded.partner_organization.name == acme.partner.name
        other = Membership(partner_organization=acme.other_partner)
        assert other.partner_organization_id == acme.other_partner.pk


def test_services_store_the_organisation_of_a_partner_membership(acme):
    with tenant_context(acme.tenant):
        partner = PartnerOrganizationFactory(tenant=acme.tenant)
        membership = services.membership_create(
            user=UserFactory(), role=Role.PARTNER_SALES, partner_organization=partner
        )
        membership.refresh_from_db()
        assert membership.partner_organization == partner


def test_deleting_a_partner_deletes_its_memberships_invitations_and_keys(acme):
    with tenant_context(acme.tenant):
        partner = PartnerOrganizationFactory(tenant=acme.tenant)
        user = UserFactory()
        membership = services.membership_create(
            user=user, role=Role.PARTNER_ADMIN, partner_organization=partner
        )
        Invitation.objects.create(
            email="new@partner.test",
            role=Role.PARTNER_SALES,
            partner_organization=partner,
            expires_at=membership.created_at,
        )
        ApiKey.objects.create(
            name="k",
            prefix="cascade1",
            key_hash="x",
            role=Role.PARTNER_ADMIN,
            partner_organization=partner,
            created_by=user,
        )
        partner.delete()
        assert not Membership.objects.filter(pk=membership.pk).exists()
        assert not Invitation.objects.filter(email="new@partner.test").exists()
        assert not ApiKey.objects.filter(prefix="cascade1").exists()
        assert Membership.objects.filter(user=acme.partner_admin).exists()  # others stay


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the constraints are PostgreSQL's")
def test_the_database_refuses_an_organisation_that_does_not_exist(acme):
    missing = PartnerOrganization.objects.unscoped().order_by("-pk").first().pk + 1000
    with tenant_context(acme.tenant):
        rows = {
            Membership: Membership.objects.get(user=acme.partner_admin).pk,
            Invitation: Invitation.objects.create(
                email="x@partner.test",
                role=Role.PARTNER_SALES,
                partner_organization=acme.partner,
                expires_at=acme.tenant.created_at,
            ).pk,
            ApiKey: ApiKey.objects.create(
                name="k",
                prefix="fkcheck1",
                key_hash="x",
                role=Role.PARTNER_ADMIN,
                partner_organization=acme.partner,
            ).pk,
        }
        for model, pk in rows.items():
            with connection.cursor() as cursor:
                constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert any(
                c["foreign_key"] == ("partners_partnerorganization", "id")
                and c["columns"] == ["partner_organization_id"]
                for c in constraints.values()
            ), model
            with pytest.raises(IntegrityError), transaction.atomic():
                model.objects.filter(pk=pk).update(partner_organization_id=missing)
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
