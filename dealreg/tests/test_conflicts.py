"""Account matching and conflict detection: normalised names, find-or-create by domain, the
conflict kinds stored at submission, and the partner seeing that a conflict exists — never who."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dealreg.models import CustomerAccount, DealRegistration, DirectOpportunity
from dealreg.selectors.locks import active_lock
from dealreg.services.accounts import account_for, normalize_account_name
from dealreg.services.conflicts import detect_conflicts, partner_conflict_summary
from dealreg.services.decisions import deal_approve
from dealreg.services.registration import deal_register
from onboarding.models import Benefit, BenefitGate
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from .helpers import activate, deal_data

pytestmark = pytest.mark.django_db


def ready(world) -> None:
    """Both partners of the world may register (active; the benefit gate is empty)."""
    activate(world)
    activate(world, world.other_partner)
    with tenant_context(world.tenant):
        BenefitGate.objects.get_or_create(
            tenant=world.tenant, benefit=Benefit.DEAL_REGISTRATION, defaults={"requirements": []}
        )


def register(world, user, **overrides) -> DealRegistration:
    with tenant_context(world.tenant):
        return deal_register(actor=actor_for_user(user, world.tenant), **deal_data(**overrides))


def approve(world, deal, user=None) -> DealRegistration:
    with tenant_context(world.tenant):
        actor = actor_for_user(user or world.admin, world.tenant)
        return deal_approve(actor=actor, registration=deal, reason="ok")


def kinds(deal) -> set[str]:
    return {entry["kind"] for entry in deal.conflicts}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme Corp", "acme"),
        ("ACME Corporation Inc.", "acme"),
        ("Acme, Inc", "acme"),
        ("Globex GmbH", "globex"),
        ("Initech Holdings Ltd.", "initech"),
        ("  Soylent   S.A. ", "soylent"),
        ("Müller Bau AG", "muller bau"),
        ("Wayne Enterprises", "wayne enterprises"),
    ],
)
def test_account_names_are_normalised(name, expected):
    assert normalize_account_name(name) == expected


def test_account_for_finds_by_normalised_domain_else_creates(acme):
    with tenant_context(acme.tenant):
        first = account_for(name="Acme Corp", domain="https://www.acme.com/x", region="NA")
        assert first.domain == "acme.com" and first.normalized_name == "acme"
        assert account_for(name="Whatever", domain="ACME.com").pk == first.pk
        other = account_for(name="Acme Corp", domain="acme.de")
        assert other.pk != first.pk
        assert CustomerAccount.objects.count() == 2


def test_similar_name_same_domain_flagged_unrelated_not(acme):
    ready(acme)
    first = register(
        acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com"
    )
    assert first.conflicts == [] and first.conflicts_checked_at is not None
    assert first.account.domain == "acme.com"

    similar = register(
        acme,
        acme.other_partner_admin,
        customer_name="ACME Corporation Inc.",
        customer_domain="acme.io",
    )
    entry = next(e for e in similar.conflicts if e["kind"] == "similar_name")
    assert entry["account"] == str(first.account.uuid) and entry["score"] >= 0.45

    same = register(
        acme, acme.other_partner_admin, customer_name="Roadrunner", customer_domain="acme.com"
    )
    entry = next(e for e in same.conflicts if e["kind"] == "same_domain")
    assert entry["registration"] == str(first.uuid) and entry["partner"] == acme.partner.name
    assert same.account_id == first.account_id

    unrelated = register(
        acme,
        acme.other_partner_admin,
        customer_name="Globex Industries",
        customer_domain="globex.com",
    )
    assert unrelated.conflicts == []


def test_a_slightly_different_name_is_similar_a_different_one_is_not(acme):
    ready(acme)
    register(
        acme, acme.partner_sales, customer_name="Initrode Systems", customer_domain="initrode.com"
    )
    close = register(
        acme, acme.other_partner_admin, customer_name="Initrode System", customer_domain=""
    )
    assert "similar_name" in kinds(close)
    far = register(acme, acme.other_partner_admin, customer_name="Umbrella", customer_domain="")
    assert far.conflicts == []


def test_approved_elsewhere_direct_owner_and_opportunity(acme):
    ready(acme)
    first = register(
        acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com"
    )
    approve(acme, first)
    with tenant_context(acme.tenant):
        assert active_lock(first.account).pk == first.pk
    later = register(
        acme, acme.other_partner_admin, customer_name="Acme Corporation", customer_domain="acme.com"
    )
    assert {"same_domain", "approved_elsewhere"} <= kinds(later)
    # The same partner's own lock is a duplicate, not "approved elsewhere".
    again = register(acme, acme.partner_sales, customer_name="Acme", customer_domain="acme.com")
    assert "approved_elsewhere" not in kinds(again)

    with tenant_context(acme.tenant):
        account = account_for(name="Hooli", domain="hooli.com")
        account.owner = acme.sales
        account.save()
        DirectOpportunity.objects.create(
            tenant=acme.tenant, account=account, name="Hooli renewal", owner=acme.sales
        )
    direct = register(acme, acme.partner_sales, customer_name="Hooli", customer_domain="hooli.com")
    assert {"direct_owned", "direct_opportunity"} <= kinds(direct)
    assert any(e.get("owner") == acme.sales.email for e in direct.conflicts)
    with tenant_context(acme.tenant):
        DirectOpportunity.objects.update(is_open=False)
        account.owner = None
        account.save()
        assert "direct_opportunity" not in {e["kind"] for e in detect_conflicts(direct)}


def test_partner_summary_api_and_page_never_name_the_other_partner(acme):
    ready(acme)
    first = register(
        acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com"
    )
    approve(acme, first)
    mine = register(
        acme,
        acme.other_partner_admin,
        customer_name="ACME Corporation Inc.",
        customer_domain="acme.com",
    )
    summary = partner_conflict_summary(mine)
    assert summary["possible_conflict"] is True and "approved_elsewhere" in summary["kinds"]
    secrets = [acme.partner.name, str(acme.partner.uuid), str(first.uuid), acme.partner_sales.email]
    assert not any(secret in str(summary) for secret in secrets)

    page = acme.client(acme.other_partner_admin).get(
        reverse("portal_deal_detail", kwargs={"deal_uuid": mine.uuid})
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="deal-conflict-warning"' in body
    assert not any(secret in body for secret in secrets)

    response = acme.api(acme.other_partner_admin).get(f"/api/v1/deal-registrations/{mine.uuid}/")
    assert response.status_code == 200
    data = response.json()
    assert data["possible_conflict"] is True and "approved_elsewhere" in data["conflict_kinds"]
    assert "conflicts" not in data
    assert not any(secret in response.content.decode() for secret in secrets)

    vendor = acme.api(acme.admin).get(f"/api/v1/deal-registrations/{mine.uuid}/").json()
    assert any(e.get("partner") == acme.partner.name for e in vendor["conflicts"])


def test_submission_redirects_to_the_detail_with_a_warning(acme):
    ready(acme)
    register(acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com")
    response = acme.client(acme.other_partner_admin).post(
        reverse("portal_deal_register"),
        deal_data(customer_name="Acme Corporation", customer_domain="acme.com"),
        follow=True,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="deal-conflict-warning"' in body and acme.partner.name not in body
    # Once: the detail page's panel, not also a flash message above it.
    assert body.count("A possible conflict exists") == 1
