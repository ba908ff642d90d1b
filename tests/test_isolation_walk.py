"""Tenant isolation, walked over the whole URLconf so new endpoints are covered automatically.

Every URL that takes an object id is requested by a user of tenant A (with the role that may use
that surface) for an object of tenant B: the answer must be 404, for GET and POST alike. An API
key of tenant A used at a platform host (where the key picks the tenant) gets 404 too. A URL
kwarg the walker does not know fails the test: add it to OBJECT_FOR below.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from analytics.models import BoardReport
from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent, Invitation, Membership, Notification

SKIP_PREFIXES = ("admin/", "accounts/", "api/v1/schema", "api/v1/docs", "dev/", "healthz")


def walk(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace + (pattern.namespace + ":" if pattern.namespace else "")
            yield from walk(pattern, route, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield route.lstrip("^"), namespace + pattern.name, pattern


# URL kwargs that name a fixed step of a page, not a tenant's object (the setup wizard's steps).
NON_OBJECT_KWARGS = {"format", "step"}


def id_kwargs(pattern: URLPattern) -> list[str]:
    return [k for k in pattern.pattern.regex.groupindex if k not in NON_OBJECT_KWARGS]


def methods(pattern: URLPattern) -> list[str]:
    """The methods a route answers: a DRF route's action map, else GET and POST."""
    actions = getattr(pattern.callback, "actions", None)
    return sorted(actions) if actions else ["get", "post"]


ROUTES = [
    (route, name, id_kwargs(p), methods(p))
    for route, name, p in walk()
    if id_kwargs(p)
    and not route.startswith(SKIP_PREFIXES)
    and "<format>" not in route
    and "(?P<format>" not in route
]


@pytest.fixture
def victim_objects(globex):
    """One object of each kind in tenant B (globex)."""
    with tenant_context(globex.tenant):
        admin_actor = actor_for_user(globex.admin, globex.tenant)
        invitation = services.invitation_create(
            actor=admin_actor, email="new@globex.test", role="marketing"
        )
        key, _ = services.api_key_create(actor=admin_actor, name="CRM", role="executive")
        membership = Membership.objects.get(user=globex.partner_admin)
        audit = AuditEvent.objects.first()
        invitation = Invitation.objects.get(pk=invitation.pk)
        program = partner_program_objects(globex)
        enablement = enablement_objects(globex)
        onboarding = onboarding_objects(globex)
        money = mdf_objects(globex)
        hooks = integrations_objects(globex)
        report = BoardReport.objects.create(
            requested_by=globex.executive, title="Board pack", period_label="Q4 2026"
        )
        notification = Notification.objects.create(
            tenant=globex.tenant,
            recipient=globex.partner_admin,
            kind="tenancy.invitation",
            title="N",
        )
    return {
        **program,
        **enablement,
        **onboarding,
        **money,
        **hooks,
        "notification_uuid": notification.uuid,
        "notification": notification.uuid,
        "report_uuid": report.uuid,
        "membership_uuid": membership.uuid,
        "membership": membership.uuid,
        "invitation_uuid": invitation.uuid,
        "invitation": invitation.uuid,
        "token": services.invitation_token(invitation),
        "key_uuid": key.uuid,
        "api-key": key.uuid,
        "audit-event": audit.uuid,
        "partner_uuid": globex.partner.uuid,
        "partner-organization": globex.partner.uuid,
    }


def partner_program_objects(world) -> dict:
    """One row of each partner-program model in the world's tenant, by URL kwarg / API basename."""
    from decimal import Decimal

    from django.utils import timezone

    from partners import models as pm

    tenant, partner = world.tenant, world.partner
    profile = pm.IdealPartnerProfile.objects.create(tenant=tenant)
    criterion = pm.IppCriterion.objects.create(
        tenant=tenant,
        profile=profile,
        group="technical",
        label="K8s",
        field="skills",
        operator="any_of",
        value=["Kubernetes"],
        weight=10,
    )
    tier = pm.Tier.objects.create(tenant=tenant, name="Gold", rank=3)
    proposal = pm.TierProposal.objects.create(tenant=tenant, partner=partner, to_tier=tier)
    revenue = pm.RevenueRecord.objects.create(
        tenant=tenant,
        partner=partner,
        kind="sourced",
        customer="C",
        amount=Decimal("10"),
        currency="USD",
        booked_on=timezone.now().date(),
    )
    rules = pm.RulesOfEngagement.objects.create(
        tenant=tenant, version=1, title="R", body="b", published_at=timezone.now()
    )
    play = pm.GtmPlay.objects.create(tenant=tenant, name="P", motion="co_sell", target_segments="s")
    swot = pm.SwotItem.objects.create(tenant=tenant, quadrant="S", text="t")
    model = pm.FinancialModel.objects.create(tenant=tenant, period="FY2099")
    partner_import = pm.PartnerImport.objects.create(tenant=tenant, original_name="x.csv")
    contact = pm.PartnerContact.objects.create(
        tenant=tenant, partner=partner, name="N", email="n@x.test"
    )
    application = pm.Application.objects.create(
        tenant=tenant,
        partner=partner,
        contact_name="N",
        contact_email="n@x.test",
        held_for_review=True,
        partner_types=["reseller"],
    )
    rate = pm.ExchangeRate.objects.create(tenant=tenant, currency="EUR", rate="1.08")
    return {
        "rate_uuid": rate.uuid,
        "exchange-rate": rate.uuid,
        "criterion_uuid": criterion.uuid,
        "ipp-criterion": criterion.uuid,
        "ipp-score": partner.uuid,
        "tier_uuid": tier.uuid,
        "tier-progress": partner.uuid,
        "tier": tier.uuid,
        "proposal_uuid": proposal.uuid,
        "tier-proposal": proposal.uuid,
        "revenue_uuid": revenue.uuid,
        "revenue-record": revenue.uuid,
        "rules_uuid": rules.uuid,
        # Versions are numbered per tenant: tenant A has no version 1, so B's must not show.
        "version": rules.version,
        "rules-of-engagement": rules.uuid,
        "play_uuid": play.uuid,
        "gtm-play": play.uuid,
        "item_uuid": swot.uuid,
        "swot-item": swot.uuid,
        "model_uuid": model.uuid,
        "financial-model": model.uuid,
        "import_uuid": partner_import.uuid,
        "partner-import": partner_import.uuid,
        "contact_uuid": contact.uuid,
        "partner-contact": contact.uuid,
        "application_uuid": application.uuid,
        "application": application.uuid,
        "partner-application": application.uuid,
    }


def enablement_objects(world) -> dict:
    """One row of each enablement model in the world's tenant, by URL kwarg / API basename."""
    from enablement.assets.tests.factories import AssetVersionFactory, PlaybookStageFactory
    from enablement.certs.tests.factories import make_ladder, pass_quiz
    from enablement.live.tests.factories import RegistrationFactory
    from enablement.lms.tests.factories import isolation_objects

    ladder = make_ladder(world)
    award = pass_quiz(world, world.partner_sales, ladder["exam_a"])
    award = award[0] if isinstance(award, list) else award
    version = AssetVersionFactory(tenant=world.tenant)
    stage = PlaybookStageFactory(tenant=world.tenant)
    registration = RegistrationFactory(tenant=world.tenant, user=world.partner_sales)
    return {
        **isolation_objects(world),
        "award_uuid": award.uuid,
        "certification-award": award.uuid,
        "certification_uuid": ladder["pro"].uuid,
        "certification": ladder["pro"].uuid,
        # Codes are global secrets; B's code must not verify at A's host.
        "code": award.verification_code,
        "asset_uuid": version.asset.uuid,
        "asset": version.asset.uuid,
        "version_uuid": version.uuid,
        "stage_uuid": stage.uuid,
        "playbook-stage": stage.uuid,
        "session_uuid": registration.session.uuid,
        "live-sessions": registration.session.uuid,
        "live-registrations": registration.uuid,
    }


def onboarding_objects(world) -> dict:
    """One row of each onboarding and deal-registration model in the world's tenant."""
    from datetime import date, timedelta
    from decimal import Decimal

    from dealreg.models import DealRegistration
    from onboarding import models as om
    from onboarding.services.cadence import unsubscribe_token
    from onboarding.tests.factories import agreement_isolation_objects

    agreements = agreement_isolation_objects(world)
    tenant, partner = world.tenant, world.partner
    signature = om.AgreementSignature.objects.get(uuid=agreements["signature_uuid"])
    run = om.OnboardingRun.objects.create(tenant=tenant, partner=partner, signature=signature)
    step = om.CadenceStep.objects.create(tenant=tenant, day_offset=1, subject="S", body="B")
    from tenancy.models import OutboundEmail

    email = OutboundEmail.objects.create(
        tenant=tenant,
        partner_uuid=partner.uuid,
        kind=om.EmailKind.CADENCE,
        idempotency_key="walk",
        recipient_email="x@globex.test",
        status=om.EmailStatus.SENDING,
    )
    deal = DealRegistration.objects.create(
        tenant=tenant,
        partner=partner,
        customer_name="C",
        estimated_value=Decimal("10"),
        expected_close_date=date.today() + timedelta(days=30),
    )
    from dealreg import models as dm

    account = dm.CustomerAccount.objects.create(
        tenant=tenant, name="Walk Corp", normalized_name="walk", domain="walk.test"
    )
    deal.account = account
    deal.save(update_fields=["account"])
    dispute = dm.Dispute.objects.create(
        tenant=tenant, account=account, registration=deal, reason="r"
    )
    extension = dm.ExtensionRequest.objects.create(tenant=tenant, registration=deal, reason="r")
    rule = dm.RoutingRule.objects.create(tenant=tenant, name="EMEA")
    return {
        **agreements,
        "deal_uuid": deal.uuid,
        "deal-pipeline": deal.uuid,
        "account_uuid": account.uuid,
        "customer-account": account.uuid,
        "dispute_uuid": dispute.uuid,
        "deal-dispute": dispute.uuid,
        "extension_uuid": extension.uuid,
        "deal-extension-request": extension.uuid,
        "rule_uuid": rule.uuid,
        "deal-routing-rule": rule.uuid,
        "run_uuid": run.uuid,
        "onboarding-run": run.uuid,
        "email_uuid": email.uuid,
        "onboarding-email": email.uuid,
        "step_uuid": step.uuid,
        "cadence-step": step.uuid,
        # B's unsubscribe link must not work at A's host.
        "unsubscribe_token": unsubscribe_token(tenant=tenant, email="x@globex.test"),
        "deal-registration": deal.uuid,
        "onboarding-checklist": partner.uuid,
    }


def mdf_objects(world) -> dict:
    """A fund, a request with a claim, its proof file and its payout in the world's tenant."""
    from django.utils import timezone

    from mdf.services import campaigns
    from mdf.services import requests as mdf
    from mdf.tests.helpers import (
        actor,
        funded,
        lead_data,
        make_campaign,
        make_template,
        proof,
        request_data,
    )

    fund, allocation = funded(world)
    partner, manager = actor(world, world.partner_admin), actor(world, world.manager)
    fund_request = mdf.request_submit(actor=partner, allocation=allocation, **request_data())
    mdf.request_decide(actor=manager, fund_request=fund_request, decision="approve")
    claim = mdf.claim_submit(
        actor=partner,
        fund_request=fund_request,
        spent="100",
        spent_currency="USD",
        files=[("invoice", proof())],
    )
    mdf.claim_decide(actor=manager, claim=claim, decision="approve")
    payout = mdf.payout_record(
        actor=actor(world, world.admin),
        claim=claim,
        method="bank_transfer",
        reference="R-1",
        paid_on=timezone.localdate(),
    )
    template = make_template(world)
    campaign = make_campaign(world, template=template)
    lead, _created = campaigns.lead_capture(campaign=campaign, data=lead_data())
    return {
        "fund_uuid": fund.uuid,
        "request_uuid": fund_request.uuid,
        "file_uuid": claim.files.get().uuid,
        "payout_uuid": payout.uuid,
        # The API's routes (basename-id).
        "mdf-fund": fund.uuid,
        "mdf-request": fund_request.uuid,
        "mdf-claim": claim.uuid,
        "mdf-payout": payout.uuid,
        "campaign": campaign.uuid,
        "lead": lead.uuid,
        "campaign_template_uuid": template.uuid,
        "campaign_uuid": campaign.uuid,
        "lead_uuid": lead.uuid,
        "key": campaign.key,
        "link_key": campaign.links.first().key,
        # B's campaign unsubscribe link must not work at A's host.
        "campaign_unsubscribe_token": campaigns.unsubscribe_links.unsubscribe_token(
            tenant=world.tenant,
            email="x@globex.test",
            salt=campaigns.UNSUBSCRIBE_SALT,
            scope=campaign.partner_id,
        ),
    }


def integrations_objects(world) -> dict:
    """A webhook endpoint of the program's and a delivery (its test event); a CRM connection."""
    from integrations import connections, webhooks

    admin = actor_for_user(world.admin, world.tenant)
    endpoint, _secret = webhooks.endpoint_create(
        actor=admin, url="https://hooks.globex.test/prm", event_types=["deal.approved"]
    )
    delivery = webhooks.endpoint_ping(actor=admin, endpoint=endpoint)
    connection = connections.connection_create(
        actor=admin, kind="salesforce", name="Salesforce", settings={}, demo_mode=True
    )
    return {
        "endpoint_uuid": endpoint.uuid,
        "delivery_uuid": delivery.uuid,
        "action": "ping",
        "connection_uuid": connection.uuid,
        "webhook-endpoint": endpoint.uuid,
    }


def object_id_for(name: str, kwarg: str, objects: dict):
    """HTML views name their kwarg after the object; DRF routes use `id` and the route basename."""
    key = name.split(":")[-1].rsplit("-", 1)[0] if kwarg == "id" else kwarg
    assert key in objects, f"{name}: the isolation walk does not know URL kwarg {kwarg!r}; add it"
    return objects[key]


def test_the_walk_finds_the_id_taking_urls():
    names = {name for _, name, _, _ in ROUTES}
    assert {
        "console_team_member",
        "portal_team_member",
        "console_partner_detail",
        "membership-detail",
    } <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name", "kwargs", "verbs"), ROUTES, ids=[r[1] for r in ROUTES])
def test_tenant_a_gets_404_for_tenant_b_objects(route, name, kwargs, verbs, acme, victim_objects):
    url = reverse(name, kwargs={k: object_id_for(name, k, victim_objects) for k in kwargs})
    # Each surface with the role that may use it, so a 404 cannot hide behind a 403.
    users = [acme.partner_admin] if route.startswith("portal/") else [acme.admin]
    if route.startswith("invitations/"):
        users = [acme.admin, acme.partner_admin]
    for user in users:
        client = acme.client(user)
        codes = {method: getattr(client, method)(url).status_code for method in verbs}
        # 405 (method not allowed, e.g. GET on a POST-only action) says nothing about the object.
        assert set(codes.values()) <= {404, 405} and 404 in codes.values(), (
            f"{url} as {user.email}: {codes}"
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "name", "kwargs", "verbs"),
    [r for r in ROUTES if r[0].startswith("api/")],
    ids=[r[1] for r in ROUTES if r[0].startswith("api/")],
)
def test_api_key_of_tenant_a_gets_404_for_tenant_b_objects(
    route, name, kwargs, verbs, acme, victim_objects
):
    from rest_framework.test import APIClient

    with tenant_context(acme.tenant):
        _, plaintext = services.api_key_create(
            actor=actor_for_user(acme.admin, acme.tenant), name="walker", role="program_admin"
        )
    url = reverse(name, kwargs={k: object_id_for(name, k, victim_objects) for k in kwargs})
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    for method in verbs:
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url}: {response.status_code}"
        assert response["Content-Type"].startswith("application/json")
