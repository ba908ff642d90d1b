"""The setup wizard: three steps saving straight into the partner profile, resumable, back/next,
finishing records "profile complete"; partner admins only, their own organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from onboarding.models import Milestone, MilestoneKey, SetupWizardProgress
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db

COMPANY = {"website": "https://www.acme-partner.example/", "hq_country": "DE"}
MARKET = {
    "regions": ["EMEA", "NA"],
    "industries": "Retail, Banking",
    "employee_band": "51",
    "revenue_band": "10",
}
CAPABILITIES = {"skills": "Kubernetes, Terraform", "sales_motion": "solution"}


def step_url(step):
    return reverse("portal_setup_wizard_step", kwargs={"step": step})


def test_wizard_walks_three_steps_and_completes_the_profile(acme):
    client = acme.client(acme.partner_admin)
    response = client.get(reverse("portal_setup_wizard"))
    assert response.status_code == 302 and response["Location"] == step_url("company")
    assert client.get(step_url("company")).status_code == 200

    response = client.post(step_url("company"), COMPANY)
    assert response.status_code == 302 and response["Location"] == step_url("market")
    with tenant_context(acme.tenant):
        acme.partner.refresh_from_db()
        assert (
            acme.partner.hq_country.code == "DE" and acme.partner.domain == "acme-partner.example"
        )
        assert SetupWizardProgress.objects.get(partner=acme.partner).completed_steps == ["company"]

    # Resumable: the wizard's entry goes to the first step not done.
    assert client.get(reverse("portal_setup_wizard"))["Location"] == step_url("market")
    response = client.get(step_url("market"))
    assert response.context["previous"].slug == "company"  # back link
    assert client.post(step_url("market"), MARKET)["Location"] == step_url("capabilities")

    response = client.post(step_url("capabilities"), CAPABILITIES)
    assert response.status_code == 302 and response["Location"] == reverse("portal_onboarding")
    with tenant_context(acme.tenant):
        acme.partner.refresh_from_db()
        assert acme.partner.regions == ["EMEA", "NA"]
        assert acme.partner.industries == ["Retail", "Banking"]
        assert acme.partner.skills == ["Kubernetes", "Terraform"]
        progress = SetupWizardProgress.objects.get(partner=acme.partner)
        assert progress.completed_steps == ["company", "market", "capabilities"]
        assert progress.completed_at is not None
        milestone = Milestone.objects.get(partner=acme.partner, key=MilestoneKey.PROFILE_COMPLETE)
        # Reached when the last step's save filled the last field, just before the wizard closed.
        last_save = AuditEvent.objects.filter(action="partner.profile_updated").latest("pk")
        assert last_save.created_at - timedelta(seconds=1) <= milestone.reached_at
        assert milestone.reached_at <= progress.completed_at
        assert AuditEvent.objects.filter(action="onboarding.setup_wizard_completed").count() == 1
        assert AuditEvent.objects.filter(action="partner.profile_updated").count() == 3
    # Done: the entry opens the last step again (to review), prefilled.
    assert client.get(reverse("portal_setup_wizard"))["Location"] == step_url("capabilities")
    form = client.get(step_url("market")).context["form"]
    assert form.initial["employee_band"] == "51"


def test_every_field_of_a_step_is_required(acme):
    response = acme.client(acme.partner_admin).post(step_url("company"), {"website": ""})
    assert response.status_code == 400
    assert {"website", "hq_country"} <= set(response.context["form"].errors)
    with tenant_context(acme.tenant):
        assert not SetupWizardProgress.objects.exists()


def test_finishing_with_an_earlier_step_missing_says_so(acme):
    client = acme.client(acme.partner_admin)
    client.post(step_url("company"), COMPANY)
    response = client.post(step_url("capabilities"), CAPABILITIES)
    assert response.status_code == 400
    assert "Market" in str(response.context["form"].non_field_errors())
    with tenant_context(acme.tenant):
        assert not Milestone.objects.filter(key=MilestoneKey.PROFILE_COMPLETE).exists()


def test_unknown_step_is_404(acme):
    assert acme.client(acme.partner_admin).get(step_url("payment")).status_code == 404


def test_other_partner_roles_and_vendor_staff_get_403(acme):
    for user in (acme.partner_sales, acme.partner_marketing, acme.admin):
        client = acme.client(user)
        assert client.get(reverse("portal_setup_wizard")).status_code == 403
        assert client.post(step_url("company"), COMPANY).status_code == 403
    with tenant_context(acme.tenant):
        acme.partner.refresh_from_db()
        assert not acme.partner.hq_country


def test_wizard_changes_only_the_callers_organisation(acme, globex):
    acme.client(acme.other_partner_admin).post(step_url("company"), COMPANY)
    with tenant_context(acme.tenant):
        acme.partner.refresh_from_db()
        acme.other_partner.refresh_from_db()
        assert not acme.partner.hq_country and acme.other_partner.hq_country.code == "DE"
    # Another tenant's partner admin resumes their own wizard, not this one.
    response = globex.client(globex.partner_admin).get(reverse("portal_setup_wizard"))
    assert response["Location"] == step_url("company")
