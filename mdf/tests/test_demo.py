"""The MDF demo: a funded program with requests in every state, two partners' co-branded campaigns
with leads (one a won deal, so the ROI page has a return), and an email list waiting to go."""

from __future__ import annotations

import pytest

from mdf import roi
from mdf.models import Campaign, CampaignRecipient, CampaignTemplate, FundRequest, Lead
from prm.demo import seed_demo
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import Membership, Tenant
from tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_demo_funds_campaigns_and_leads():
    seed_demo()
    seed_demo()  # idempotent
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        statuses = set(FundRequest.objects.values_list("status", flat=True))
        assert {"manager_review", "approved", "claimed", "completed", "rejected"} <= statuses
        assert CampaignTemplate.objects.count() == 3
        live = Campaign.objects.filter(status="live")
        assert live.count() == 2
        assert len({c.partner_id for c in live}) == 2
        assert all(c.fund_request_id for c in live)
        assert Lead.objects.count() == 10
        assert {lead.channel for lead in Lead.objects.all()} >= {"landing", "linkedin", "email"}
        assert Lead.objects.filter(registration__status="won").count() == 1
        assert CampaignRecipient.objects.filter(status="pending").count() == 8
        admin = Membership.objects.filter(role=Role.PROGRAM_ADMIN).first().user
        report = roi.roi_report(roi.funded_activities(actor_for_user(admin, acme)))
        assert report.total.won > 0 and report.total.leads > 0
