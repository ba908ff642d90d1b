"""Limits in business terms: every number input of the partners area has a sane range and says it
in words (never "Ensure this value is less than or equal to 9223372036854775807"), in the forms
and in the API."""

import pytest
from django import forms
from django.urls import reverse

from partners.forms.filters import PartnerDirectoryFilter
from partners.forms.ipp import CriterionForm
from partners.forms.organization import PartnerProfileForm
from partners.forms.strategy import FinancialModelForm
from partners.forms.tiers import ProgramSettingsForm, RevenueRecordForm, TierForm
from partners.models import Tier
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
RAW = ("Ensure this value", "Ensure that there are no more than", "9223372036854775807", "32767")


class DirectoryRequest:
    """Enough of a request for the directory's filters: who is looking."""

    def __init__(self, user, tenant):
        self._prm_actor = actor_for_user(user, tenant)


def every_number_form(world):
    with tenant_context(world.tenant):
        actor = actor_for_user(world.admin, world.tenant)
        partner = PartnerOrganizationFactory(tenant=world.tenant)
        return [
            TierForm(),
            ProgramSettingsForm(),
            RevenueRecordForm(currency="USD"),
            PartnerProfileForm(partner=partner, actor=actor, can_assign=True),
            PartnerDirectoryFilter(request=DirectoryRequest(world.admin, world.tenant)).form,
            FinancialModelForm(tier_names=["Registered", "Gold"]),
            CriterionForm({"field": "planned_certified_staff", "operator": "gte"}),
        ]


def test_every_number_field_has_a_range_and_a_message_in_words(acme):
    checked = 0
    for form in every_number_form(acme):
        for name, field in form.fields.items():
            if not isinstance(field, forms.IntegerField | forms.DecimalField):
                continue
            checked += 1
            where = f"{type(form).__name__}.{name}"
            assert field.max_value is not None and field.min_value is not None, where
            message = str(field.error_messages["max_value"])
            assert message.startswith(("Enter", "Choose")), (where, message)
            assert not any(raw in message for raw in RAW), (where, message)
    assert checked >= 15  # the fields above, so a renamed form cannot make this pass empty


@pytest.mark.parametrize(
    ("form", "data", "field", "message"),
    [
        (TierForm, {"min_certified_people": HUGE}, "min_certified_people",
         "Enter a number of certified people from 0 to 10,000."),
        (TierForm, {"min_trailing_revenue": HUGE}, "min_trailing_revenue",
         "Enter an amount from 0 to 999,999,999,999.99."),
        (TierForm, {"discount_margin_pct": "250"}, "discount_margin_pct",
         "Enter a percentage from 0 to 100."),
        (TierForm, {"rank": "40000"}, "rank", "Choose a rank from 1 to 3."),
        (ProgramSettingsForm, {"tier_grace_period_days": HUGE}, "tier_grace_period_days",
         "Enter a grace period from 0 to 730 days (two years)."),
        (RevenueRecordForm, {"amount": "12.345"}, "amount", "Enter at most two decimals."),
        (RevenueRecordForm, {"amount": "-5"}, "amount",
         "Enter an amount from 0.01 to 999,999,999,999.99."),
    ],
)  # fmt: skip
def test_out_of_range_input_gets_one_message_in_words(acme, form, data, field, message):
    with tenant_context(acme.tenant):
        bound = form(data)
        bound.is_valid()
    assert bound.errors[field] == [message]


def test_the_tier_page_refuses_a_huge_number_beside_the_field_and_saves_nothing(acme):
    data = {
        "name": "Gold",
        "rank": "1",
        "color": "#b08d57",
        "min_trailing_revenue": "0",
        "min_certified_people": HUGE,
        "discount_margin_pct": "10",
        "mdf_share_pct": "0",
        "lead_priority": "1",
        "perks": "",
    }
    response = acme.client(acme.admin).post(reverse("console_tier_create"), data)
    assert response.status_code in (400, 422)
    html = response.content.decode()
    assert "Enter a number of certified people from 0 to 10,000." in html
    assert f'value="{HUGE}"' in html
    assert not any(raw in html for raw in RAW)
    with tenant_context(acme.tenant):
        assert not Tier.objects.exists()


def test_the_partner_profile_refuses_a_huge_staff_count_in_words(acme):
    url = reverse("console_partner_edit", kwargs={"partner_uuid": acme.partner.uuid})
    response = acme.client(acme.admin).post(
        url,
        {
            "name": "Acme Partner One",
            "partner_type": "reseller",
            "planned_certified_staff": HUGE,
        },  # fmt: skip
    )
    assert response.status_code == 400
    assert response.context["form"].errors["planned_certified_staff"] == [
        "Enter a number of people from 0 to 100,000."
    ]


def test_the_api_states_limits_in_words(acme):
    api = acme.api(acme.admin)
    response = api.post(
        "/api/v1/tiers/",
        {
            "name": "Gold",
            "rank": 1,
            "min_certified_people": int(HUGE),
            "min_trailing_revenue": HUGE,
        },  # fmt: skip
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["min_certified_people"] == ["Enter a number of certified people from 0 to 10,000."]
    assert body["min_trailing_revenue"] == ["Enter an amount from 0 to 999,999,999,999.99."]
    profile = api.patch(
        f"/api/v1/partner-organizations/{acme.partner.uuid}/",
        {"planned_certified_staff": int(HUGE)},
        format="json",
    )
    assert profile.status_code == 400
    assert profile.json()["planned_certified_staff"] == [
        "Enter a number of people from 0 to 100,000."
    ]
    with tenant_context(acme.tenant):
        assert not Tier.objects.exists()
