"""Benefit gates: the console page (program admins write, other console readers read), the
audited save service, and their effect on what a partner may do."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dealreg.tests.helpers import activate
from onboarding.models import Benefit, BenefitGate, GateScope, MilestoneKey, OnboardingSettings
from onboarding.services.progress import benefit_gates_save, benefit_status
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/console/onboarding/gates/"


def post_data(**overrides):
    data = {
        "deal_registration_requirements": ["training_101", "profile_complete"],
        "mdf_requirements": ["training_101"],
        "training_gate_scope": GateScope.USER,
        "activate_on_signature": "",
    }
    data.update(overrides)
    return data


def test_url_name():
    assert reverse("console_onboarding_gates") == URL


def test_defaults_show_the_101_course_for_every_benefit(acme):
    response = acme.client(acme.admin).get(URL)
    assert response.status_code == 200 and response.context["can_manage"] is True
    form = response.context["form"]
    assert form["deal_registration_requirements"].initial == [MilestoneKey.TRAINING_101]
    assert form["mdf_requirements"].initial == [MilestoneKey.TRAINING_101]
    assert form["training_gate_scope"].initial == GateScope.ORGANIZATION
    assert form["activate_on_signature"].initial is True


def test_program_admin_saves_gates_and_settings_audited(acme):
    response = acme.client(acme.admin).post(URL, post_data())
    assert response.status_code == 302 and response["Location"] == URL
    with tenant_context(acme.tenant):
        gate = BenefitGate.objects.get(benefit=Benefit.DEAL_REGISTRATION)
        # Stored in checklist order.
        assert gate.requirements == ["profile_complete", "training_101"]
        settings_row = OnboardingSettings.objects.get()
        assert settings_row.training_gate_scope == GateScope.USER
        assert settings_row.activate_on_signature is False
        event = AuditEvent.objects.get(action="onboarding.benefit_gates_saved")
        assert event.changes["deal_registration"] == [
            ["training_101"],
            ["profile_complete", "training_101"],
        ]
        assert event.changes["training_gate_scope"] == ["organization", "user"]
    response = acme.client(acme.admin).get(URL)
    assert response.context["form"]["deal_registration_requirements"].initial == [
        "profile_complete",
        "training_101",
    ]


def test_gate_changes_what_the_partner_must_do(acme):
    activate(acme)
    acme.client(acme.admin).post(
        URL, post_data(deal_registration_requirements=["agreement_signed"])
    )
    with tenant_context(acme.tenant):
        status = benefit_status(
            actor_for_user(acme.partner_sales, acme.tenant), Benefit.DEAL_REGISTRATION
        )
    assert [m.key for m in status.missing] == [MilestoneKey.AGREEMENT_SIGNED]


def test_unknown_step_is_a_form_error(acme):
    response = acme.client(acme.admin).post(
        URL, post_data(deal_registration_requirements=["nonsense"])
    )
    assert response.status_code == 400
    assert "deal_registration_requirements" in response.context["form"].errors
    with tenant_context(acme.tenant):
        assert not BenefitGate.objects.exists()


def test_readers_see_the_gates_read_only_and_cannot_post(acme):
    for user in (acme.executive, acme.manager, acme.marketing):
        client = acme.client(user)
        response = client.get(URL)
        assert response.status_code == 200 and response.context["can_manage"] is False
        assert client.post(URL, post_data()).status_code == 403
    with tenant_context(acme.tenant):
        assert not BenefitGate.objects.exists()


def test_gates_page_is_403_for_sales_and_partners(acme):
    for user in (acme.sales, acme.partner_admin):
        assert acme.client(user).get(URL).status_code == 403


def test_gates_of_one_tenant_do_not_touch_another(acme, globex):
    acme.client(acme.admin).post(URL, post_data(deal_registration_requirements=[]))
    response = globex.client(globex.admin).get(URL)
    assert response.context["form"]["deal_registration_requirements"].initial == ["training_101"]
    with tenant_context(globex.tenant):
        assert not BenefitGate.objects.exists()


def test_service_refuses_non_managers_and_bad_values(acme):
    with tenant_context(acme.tenant):
        with pytest.raises(PermissionDenied):
            benefit_gates_save(
                actor=actor_for_user(acme.executive, acme.tenant),
                requirements={},
                training_gate_scope=GateScope.USER,
                activate_on_signature=True,
            )
        with pytest.raises(ValidationError) as error:
            benefit_gates_save(
                actor=actor_for_user(acme.admin, acme.tenant),
                requirements={"mdf": ["bogus"]},
                training_gate_scope="everyone",
                activate_on_signature=True,
            )
        assert {"mdf_requirements", "training_gate_scope"} <= set(error.value.message_dict)
