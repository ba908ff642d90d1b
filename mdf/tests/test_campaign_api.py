"""The campaigns and leads API (read): each caller sees its own scope (owner), roles without
campaign access get 403 JSON (member), other partners' and tenants' rows are 404 (outsider); a CRM
pulls new leads with `?created_after=`, and a bad moment is a 400 with the field named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mdf.models import Lead
from mdf.services import campaigns
from tenancy.context import tenant_context

from .helpers import lead_data, make_campaign, make_template

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/api/v1/campaigns/"
LEADS = "/api/v1/leads/"


def _rows(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


@pytest.fixture
def leads(acme):
    template = make_template(acme)
    own = make_campaign(acme, template=template)
    other = make_campaign(acme, template=template, user=acme.other_partner_admin, name="Other")
    with tenant_context(acme.tenant):
        mine, _ = campaigns.lead_capture(campaign=own, data=lead_data())
        theirs, _ = campaigns.lead_capture(campaign=other, data=lead_data(email="b@x.test"))
    return {"own": own, "other": other, "mine": mine, "theirs": theirs}


def test_owner_sees_its_campaigns_and_leads_with_labels(acme, leads):
    api = acme.api(acme.partner_marketing)
    rows = _rows(api.get(CAMPAIGNS))
    assert [row["id"] for row in rows] == [str(leads["own"].uuid)]
    row = rows[0]
    assert row["status"] == "live" and row["status_label"] == "Live"
    assert row["lead_count"] == 1 and row["landing_url"].endswith(f"/lp/{leads['own'].key}/")
    lead = _rows(api.get(LEADS))
    assert [r["email"] for r in lead] == ["ada@analytical.test"]
    assert lead[0]["channel_label"] == "Landing page" and lead[0]["deal_registration"] is None
    detail = api.get(f"{LEADS}{leads['mine'].uuid}/")
    assert detail.status_code == 200 and detail.json()["company"] == "Analytical Engines"
    # Partner sales work the leads too.
    assert len(_rows(acme.api(acme.partner_sales).get(LEADS))) == 1


def test_vendor_staff_see_every_partners_and_direct_sales_are_refused(acme, leads):
    assert len(_rows(acme.api(acme.executive).get(LEADS))) == 2
    assert len(_rows(acme.api(acme.manager).get(CAMPAIGNS))) >= 1
    for user in (acme.sales, acme.partner_presales):
        for url in (CAMPAIGNS, LEADS):
            response = acme.api(user).get(url)
            assert response.status_code == 403 and response.json()["detail"]


def test_other_partners_and_tenants_rows_are_404(acme, globex, leads):
    api = acme.api(acme.partner_marketing)
    assert api.get(f"{LEADS}{leads['theirs'].uuid}/").status_code == 404
    assert api.get(f"{CAMPAIGNS}{leads['other'].uuid}/").status_code == 404
    outsider = globex.api(globex.admin)
    assert outsider.get(f"{LEADS}{leads['mine'].uuid}/").status_code == 404
    assert outsider.get(f"{CAMPAIGNS}{leads['own'].uuid}/").status_code == 404
    assert _rows(outsider.get(LEADS)) == []


def test_new_leads_since_a_moment_and_a_bad_moment_is_400(acme, leads):
    api = acme.api(acme.executive)
    with tenant_context(acme.tenant):
        Lead.objects.filter(pk=leads["theirs"].pk).update(
            created_at=timezone.now() - timedelta(days=3)
        )
    since = (timezone.now() - timedelta(days=1)).isoformat()
    rows = _rows(api.get(LEADS, {"created_after": since}))
    assert [r["id"] for r in rows] == [str(leads["mine"].uuid)]
    for bad in ("yesterday", "2026-13-01T00:00:00"):
        response = api.get(LEADS, {"created_after": bad})
        assert response.status_code == 400 and "created_after" in response.json()
