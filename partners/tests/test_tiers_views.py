"""Console tiers, settings and proposals pages; a partner's tier page; the portal tier page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.models import PartnerOrganization, ProgramSettings, ProposalStatus, Tier, TierProposal
from partners.services import tiers as services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context

from .test_tiers_support import activate, add_revenue, make_ladder

pytestmark = pytest.mark.django_db

TIERS = reverse("console_tiers")
PROPOSALS = reverse("console_tier_proposals")
PORTAL = reverse("portal_tier")


def decide_url(proposal):
    return reverse("console_tier_proposal_decide", kwargs={"proposal_uuid": proposal.uuid})


def gold_proposal(world, partner):
    _registered, silver, gold = make_ladder(world)
    activate(world, partner, tier=silver)
    add_revenue(world, partner, "1200000", timezone.localdate() - timedelta(days=10))
    with tenant_context(world.tenant):
        return services.evaluate_partner(partner=partner)


# --- Tiers and settings -----------------------------------------------------------------------


def test_admin_sees_tiers_and_saves_settings(acme):
    make_ladder(acme)
    client = acme.client(acme.admin)
    page = client.get(TIERS)
    assert page.status_code == 200
    assert [t.name for t in page.context["tiers"]] == ["Registered", "Silver", "Gold"]
    response = client.post(
        TIERS,
        {
            "settings-currency": "usd",
            "settings-tier_grace_period_days": "45",
            "settings-auto_apply_tier_changes": "on",
            "settings-revenue_window_months": "6",
        },
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        settings = ProgramSettings.objects.get()
    assert settings.tier_grace_period_days == 45 and settings.auto_apply_tier_changes
    assert settings.revenue_window_months == 6 and settings.currency == "USD"


def test_invalid_settings_show_errors(acme):
    response = acme.client(acme.admin).post(
        TIERS,
        {
            "settings-currency": "US",
            "settings-tier_grace_period_days": "30",
            "settings-revenue_window_months": "60",
        },
    )
    assert response.status_code == 400
    errors = response.context["settings_form"].errors
    assert "currency" in errors and "revenue_window_months" in errors


def test_executive_reads_tiers_but_cannot_edit(acme):
    make_ladder(acme)
    client = acme.client(acme.executive)
    page = client.get(TIERS)
    assert page.status_code == 200 and not page.context["can_manage"]
    assert b'name="settings-currency"' not in page.content
    assert client.post(TIERS, {"settings-currency": "EUR"}).status_code == 403
    assert client.get(reverse("console_tier_create")).status_code == 403


def test_direct_sales_and_partner_users_cannot_open_tiers(acme):
    assert acme.client(acme.sales).get(TIERS).status_code == 403
    assert acme.client(acme.partner_admin).get(TIERS).status_code == 403


def test_admin_creates_and_edits_a_tier(acme):
    client = acme.client(acme.admin)
    data = {
        "name": "Registered",
        "rank": "1",
        "color": "#6c757d",
        "min_trailing_revenue": "0",
        "min_certified_people": "0",
        "required_certifications": "",
        "discount_margin_pct": "10",
        "mdf_share_pct": "0",
        "lead_priority": "1",
        "perks": "Portal",
    }
    assert client.post(reverse("console_tier_create"), data).status_code == 302
    with tenant_context(acme.tenant):
        tier = Tier.objects.get()
    edit = reverse("console_tier_edit", kwargs={"tier_uuid": tier.uuid})
    assert client.get(edit).context["form"]["name"].value() == "Registered"
    data.update(name="Member", required_certifications="Sales Basics\nSales Basics, Pre-sales")
    assert client.post(edit, data).status_code == 302
    with tenant_context(acme.tenant):
        tier.refresh_from_db()
    assert tier.name == "Member"
    assert tier.required_certifications == ["Sales Basics", "Pre-sales"]


def test_tier_with_a_taken_rank_is_refused_with_the_input_kept(acme):
    make_ladder(acme)
    data = {
        "name": "Platinum",
        "rank": "2",
        "color": "#000000",
        "min_trailing_revenue": "5000000",
        "min_certified_people": "0",
        "discount_margin_pct": "40",
        "mdf_share_pct": "0",
        "lead_priority": "3",
    }
    response = acme.client(acme.admin).post(reverse("console_tier_create"), data)
    assert response.status_code == 400
    assert "rank" in response.context["form"].errors
    assert b"Platinum" in response.content
    with tenant_context(acme.tenant):
        assert Tier.objects.count() == 3


def test_tier_of_another_tenant_is_404(acme, globex):
    _r, silver, _g = make_ladder(globex)
    url = reverse("console_tier_edit", kwargs={"tier_uuid": silver.uuid})
    assert acme.client(acme.admin).get(url).status_code == 404


# --- Proposals --------------------------------------------------------------------------------


def test_proposals_page_lists_pending_with_reasons_scoped_for_managers(acme):
    mine = gold_proposal(acme, acme.partner)
    with tenant_context(acme.tenant):
        activate(acme, acme.other_partner, tier=Tier.objects.get(rank=2))
        add_revenue(acme, acme.other_partner, "1500000", timezone.localdate())
        other = services.evaluate_partner(partner=acme.other_partner)
    admin_page = acme.client(acme.admin).get(PROPOSALS)
    assert {p.pk for p in admin_page.context["page"]} == {mine.pk, other.pk}
    assert b"Revenue in the last 12 months" in admin_page.content
    manager_page = acme.client(acme.manager).get(PROPOSALS)
    assert [p.pk for p in manager_page.context["page"]] == [mine.pk]


def test_admin_approves_a_proposal(acme):
    proposal = gold_proposal(acme, acme.partner)
    response = acme.client(acme.admin).post(decide_url(proposal), {"decision": "approve"})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        proposal.refresh_from_db()
        partner = PartnerOrganization.objects.select_related("tier").get(pk=acme.partner.pk)
    assert proposal.status == ProposalStatus.APPLIED and partner.tier.name == "Gold"


def test_manager_rejects_with_htmx_and_gets_the_row_back(acme):
    proposal = gold_proposal(acme, acme.partner)
    client = acme.client(acme.manager)
    missing_note = client.post(decide_url(proposal), {"decision": "reject"}, HTTP_HX_REQUEST="true")
    assert missing_note.status_code == 400 and b"reject" in missing_note.content
    response = client.post(
        decide_url(proposal), {"decision": "reject", "note": "Next quarter"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b'data-status="rejected"' in response.content and b"Next quarter" in response.content


def test_manager_of_another_partner_gets_404(acme):
    proposal = gold_proposal(acme, acme.other_partner)
    response = acme.client(acme.manager).post(decide_url(proposal), {"decision": "approve"})
    assert response.status_code == 404


def test_executive_cannot_decide(acme):
    proposal = gold_proposal(acme, acme.partner)
    client = acme.client(acme.executive)
    assert client.get(PROPOSALS).status_code == 200
    assert client.post(decide_url(proposal), {"decision": "approve"}).status_code == 403
    with tenant_context(acme.tenant):
        assert TierProposal.objects.get(pk=proposal.pk).status == ProposalStatus.PENDING


def test_proposal_of_another_tenant_is_404(acme, globex):
    proposal = gold_proposal(globex, globex.partner)
    response = acme.client(acme.admin).post(decide_url(proposal), {"decision": "approve"})
    assert response.status_code == 404


def test_proposals_page_query_count_is_flat(acme):
    make_ladder(acme)
    with tenant_context(acme.tenant):
        silver = Tier.objects.get(rank=2)

    def add_proposals(n):
        for _ in range(n):
            partner = PartnerOrganizationFactory(tenant=acme.tenant, channel_manager=acme.manager)
            activate(acme, partner, tier=silver)
            add_revenue(acme, partner, "2000000", timezone.localdate())
            with tenant_context(acme.tenant):
                services.evaluate_partner(partner=partner)

    client = acme.client(acme.admin)
    add_proposals(2)
    client.get(PROPOSALS)
    with CaptureQueriesContext(connection) as few:
        client.get(PROPOSALS)
    add_proposals(8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(PROPOSALS)
    assert len(response.context["page"]) == 10
    assert len(many) == len(few)


# --- A partner's tier page --------------------------------------------------------------------


def test_admin_sets_a_tier_by_hand_and_it_shows_in_history(acme):
    registered, _silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=registered)
    url = reverse("console_partner_tier", kwargs={"partner_uuid": acme.partner.uuid})
    client = acme.client(acme.admin)
    response = client.post(url, {"tier": gold.pk, "reason": "Strategic account"})
    assert response.status_code == 302
    page = client.get(url)
    assert page.status_code == 200 and b"Strategic account" in page.content
    assert page.context["tier_progress"].current_tier == gold


def test_manager_sees_their_partner_tier_page_but_cannot_set_it(acme, globex):
    registered, _silver, gold = make_ladder(acme)
    url = reverse("console_partner_tier", kwargs={"partner_uuid": acme.partner.uuid})
    client = acme.client(acme.manager)
    assert client.get(url).status_code == 200
    assert client.post(url, {"tier": gold.pk, "reason": "x"}).status_code == 403
    other = reverse("console_partner_tier", kwargs={"partner_uuid": acme.other_partner.uuid})
    assert client.get(other).status_code == 404
    foreign = reverse("console_partner_tier", kwargs={"partner_uuid": globex.partner.uuid})
    assert acme.client(acme.admin).get(foreign).status_code == 404


def test_progress_fragment_for_staff_and_own_partner_only(acme):
    make_ladder(acme)
    activate(acme, acme.partner)
    mine = reverse("tier_progress_fragment", kwargs={"partner_uuid": acme.partner.uuid})
    other = reverse("tier_progress_fragment", kwargs={"partner_uuid": acme.other_partner.uuid})
    assert acme.client(acme.admin).get(mine).status_code == 200
    assert acme.client(acme.partner_sales).get(mine).status_code == 200
    assert acme.client(acme.partner_sales).get(other).status_code == 404
    assert acme.client(acme.sales).get(mine).status_code == 403


# --- Portal -----------------------------------------------------------------------------------


def test_portal_shows_tier_benefits_progress_bars_and_history(acme):
    _registered, silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, "600000", timezone.localdate() - timedelta(days=3))
    response = acme.client(acme.partner_sales).get(PORTAL)
    assert response.status_code == 200
    progress = response.context["tier_progress"]
    assert progress.current_tier == silver and progress.next_tier == gold
    revenue = progress.rows[0]
    assert (revenue.have, revenue.need, revenue.pct) == (Decimal("600000.00"), Decimal("1E6"), 60)
    html = response.content.decode()
    assert "What you need for Gold" in html
    assert 'aria-valuenow="60"' in html and "width: 60%" in html
    assert "20% discount margin" in html  # Silver's benefits


def _admin(world):
    from tenancy.access import actor_for_user

    return actor_for_user(world.admin, world.tenant)


def test_every_partner_user_sees_the_tier_page_and_staff_do_not(acme):
    make_ladder(acme)
    for who in ("partner_admin", "partner_sales", "partner_presales", "partner_marketing"):
        assert acme.client(getattr(acme, who)).get(PORTAL).status_code == 200
    assert acme.client(acme.admin).get(PORTAL).status_code == 403


def test_partner_user_of_another_tenant_does_not_get_in(acme, globex):
    make_ladder(acme)
    client = acme.client(globex.partner_admin)
    response = client.get(PORTAL)
    assert response.status_code in (302, 403, 404)
    assert b"What you need" not in response.content


def test_portal_page_query_count_is_flat(acme):
    _registered, silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    client = acme.client(acme.partner_admin)
    add_revenue(acme, acme.partner, "1000", timezone.localdate())
    client.get(PORTAL)
    with CaptureQueriesContext(connection) as few:
        client.get(PORTAL)
    for days in range(20):
        add_revenue(acme, acme.partner, "1000", timezone.localdate() - timedelta(days=days))
    with tenant_context(acme.tenant):
        for tier in (gold, silver, gold):
            services.tier_set(actor=_admin(acme), partner=acme.partner, tier=tier, reason="QBR")
    with CaptureQueriesContext(connection) as many:
        response = client.get(PORTAL)
    assert len(response.context["history"]) == 3
    assert len(many) == len(few)


def test_include_renders_inline_with_progress_or_loads_itself(acme):
    from django.template.loader import render_to_string

    _registered, silver, _gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    with tenant_context(acme.tenant):
        partner = PartnerOrganization.objects.select_related("tier").get(pk=acme.partner.pk)
        lazy = render_to_string("partners/_tier_progress.html", {"partner": partner})
        inline = render_to_string(
            "partners/_tier_progress.html",
            {"partner": partner, "tier_progress": services.selectors.tier_progress(partner)},
        )
    fragment = reverse("tier_progress_fragment", kwargs={"partner_uuid": partner.uuid})
    assert f'hx-get="{fragment}"' in lazy and "Silver" in lazy
    assert "What you need for Gold" in inline and 'role="progressbar"' in inline
