"""The console's program hub lists the program sections the role may open."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def sections(client) -> list[str]:
    response = client.get(reverse("console_program"))
    assert response.status_code == 200
    return [item.url_name for item in response.context["sections"]]


def test_program_admin_sees_every_section(acme):
    assert sections(acme.client(acme.admin)) == [
        "console_ipp",
        "console_tiers",
        "console_exchange_rates",
        "console_tier_proposals",
        "console_roe",
        "console_strategy",
        "console_financial_model",
    ]


def test_executive_sees_sections_but_no_tier_decisions(acme):
    assert "console_tier_proposals" not in sections(acme.client(acme.executive))


def test_partner_and_direct_sales_are_refused(acme):
    assert acme.client(acme.partner_admin).get(reverse("console_program")).status_code == 403
    assert acme.client(acme.sales).get(reverse("console_program")).status_code == 403


def test_other_tenant_member_is_refused(acme, globex):
    assert acme.client(globex.admin).get(reverse("console_program")).status_code == 403
