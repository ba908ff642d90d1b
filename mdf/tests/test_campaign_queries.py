"""Query counts of the through-partner marketing pages: the same with 2 campaigns / leads as with
10 (no per-row queries), and the ROI page flat in activities. A count that grows with rows is an
N+1."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mdf.models import Campaign, FundRequest, Lead
from mdf.services import campaigns
from mdf.services import requests as mdf
from tenancy.context import tenant_context

from .helpers import actor, funded, lead_data, make_campaign, make_template, request_data

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content.decode()[:2000])
    return len(queries)


def _add(world, template, n: int, start: int) -> None:
    for i in range(start, start + n):
        campaign = make_campaign(world, template=template, name=f"Campaign {i}")
        with tenant_context(world.tenant):
            for j in range(2):
                campaigns.lead_capture(campaign=campaign, data=lead_data(email=f"l{i}-{j}@x.test"))


def test_campaign_pages_are_flat_in_campaigns_and_leads(acme):
    template = make_template(acme)
    _add(acme, template, 2, 0)
    partner = acme.client(acme.partner_marketing)
    vendor = acme.client(acme.marketing)
    with tenant_context(acme.tenant):
        first = Campaign.objects.order_by("id").first()
        lead = Lead.objects.filter(campaign=first).first()
    pages = [
        (partner, reverse("portal_campaigns")),
        (partner, reverse("portal_leads")),
        (partner, reverse("portal_campaign", kwargs={"campaign_uuid": first.uuid})),
        (partner, reverse("portal_lead", kwargs={"lead_uuid": lead.uuid})),
        (vendor, reverse("console_campaigns")),
        (vendor, reverse("console_campaign_templates")),
        (
            vendor,
            reverse("console_campaign_template", kwargs={"campaign_template_uuid": template.uuid}),
        ),
    ]
    few = [_count(client, url) for client, url in pages]
    _add(acme, template, 8, 2)
    with tenant_context(acme.tenant):
        for i in range(4):
            make_template(acme, posts=(f"Post {i}",))
        first_leads = Lead.objects.filter(campaign=first).count()
        for j in range(8):
            campaigns.lead_capture(campaign=first, data=lead_data(email=f"more{j}@x.test"))
    assert first_leads == 2
    many = [_count(client, url) for client, url in pages]
    assert few == many


def test_the_roi_page_is_flat_in_activities(acme):
    _fund, allocation = funded(acme, amount="100000")
    template = make_template(acme)
    client = acme.client(acme.executive)

    def add(n: int, start: int) -> None:
        with tenant_context(acme.tenant):
            for i in range(start, start + n):
                fund_request = mdf.request_submit(
                    actor=actor(acme, acme.partner_marketing),
                    allocation=allocation,
                    **request_data(title=f"Activity {i}", amount="100"),
                )
                mdf.request_decide(
                    actor=actor(acme, acme.manager), fund_request=fund_request, decision="approve"
                )
        for i in range(start, start + n):
            with tenant_context(acme.tenant):
                fund_request = FundRequest.objects.get(title=f"Activity {i}")
            campaign = make_campaign(acme, template=template, fund_request=fund_request)
            with tenant_context(acme.tenant):
                campaigns.lead_capture(campaign=campaign, data=lead_data(email=f"r{i}@x.test"))

    add(2, 0)
    few = _count(client, reverse("console_mdf_roi"))
    add(8, 2)
    assert _count(client, reverse("console_mdf_roi")) == few
