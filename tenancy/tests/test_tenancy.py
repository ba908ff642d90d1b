"""The tenancy mechanism itself: scoped managers, host resolution, the index rule."""

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from partners.tests.factories import PartnerOrganizationFactory
from tenancy.checks import index_errors, tenant_indexes_lead_with_tenant
from tenancy.context import TenantNotSetError, tenant_context
from tenancy.hosts import UnknownHost, tenant_for_host
from tenancy.models import Membership, User
from tenancy.scoping import TenantOwnedModel
from tenancy.tests.factories import TenantFactory

TENANT_OWNED_MODELS = [m for m in apps.get_models() if issubclass(m, TenantOwnedModel)]


def test_every_app_model_with_tenant_data_is_tenant_owned():
    assert {m._meta.label for m in TENANT_OWNED_MODELS} >= {
        "tenancy.Membership",
        "tenancy.Invitation",
        "tenancy.ApiKey",
        "tenancy.AuditEvent",
        "partners.PartnerOrganization",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", TENANT_OWNED_MODELS, ids=lambda m: m._meta.label)
def test_query_without_tenant_raises(model):
    with pytest.raises(TenantNotSetError):
        list(model.objects.all())
    with pytest.raises(TenantNotSetError):
        model.objects.filter(pk=1).exists()


@pytest.mark.django_db
def test_scoped_manager_sees_only_current_tenant(acme, globex):
    with tenant_context(acme.tenant):
        emails = set(Membership.objects.values_list("user__email", flat=True))
    assert emails and all(
        e.endswith(("acme.test", "acme-partner.test", "acme-other.test")) for e in emails
    )
    with tenant_context(globex.tenant):
        assert not Membership.objects.filter(user=acme.admin).exists()
    assert Membership.objects.unscoped().filter(user=acme.admin).count() == 1


@pytest.mark.django_db
def test_writing_a_row_into_another_tenant_is_refused(acme, globex):
    partner = PartnerOrganizationFactory(tenant=acme.tenant)
    with tenant_context(globex.tenant), pytest.raises(PermissionError):
        partner.name = "Hijacked"
        partner.save()


@pytest.mark.django_db
def test_host_resolves_slug_custom_domain_platform_and_unknown(settings):
    acme = TenantFactory(slug="acme", custom_domain="partners.acme-corp.com")
    assert tenant_for_host("acme.localhost:8000") == acme
    assert tenant_for_host("PARTNERS.acme-corp.com") == acme
    assert tenant_for_host("127.0.0.1:8000") is None
    assert tenant_for_host("localhost") is None
    for host in ("nope.localhost", "a.b.localhost", "evil.example.com"):
        with pytest.raises(UnknownHost):
            tenant_for_host(host)


@pytest.mark.django_db
def test_inactive_tenant_host_is_unknown():
    TenantFactory(slug="gone", is_active=False)
    with pytest.raises(UnknownHost):
        tenant_for_host("gone.localhost")


@pytest.mark.django_db
def test_unknown_host_gets_404_page(client):
    response = client.get("/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404


def test_all_tenant_indexes_start_with_tenant():
    assert tenant_indexes_lead_with_tenant(None) == []


@isolate_apps("tenancy")
def test_index_check_flags_an_index_not_led_by_tenant():
    class Bad(TenantOwnedModel):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "tenancy"
            indexes = [models.Index(fields=["name", "tenant"], name="bad_idx")]

    errors = index_errors([Bad])
    assert errors and errors[0].id == "tenancy.E001"


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Mr. Patrick Martinez", "Patrick"),
        ("Dr Ana Ruiz", "Ana"),
        ("Prof. Dr. Lee Chen", "Lee"),
        ("Miss", "Miss"),
        ("Ana", "Ana"),
        ("", ""),
    ],
)
def test_people_are_greeted_by_their_first_name_past_any_honorific(full_name, expected):
    user = User(email="ana@example.com", full_name=full_name)
    assert user.greeting_name == expected
    assert user.get_short_name() == (expected or "ana")
