"""MDF pages over HTTP: the whole money trail (request, approval, claim with a file, approval,
payout, remittance PDF) and the owner / member / outsider trio on every page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mdf.models import Claim, ClaimStatus, FundRequest, RequestStatus
from mdf.services import requests as mdf
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail

from .helpers import PNG, actor, funded, proof, request_data

pytestmark = pytest.mark.django_db


def _submit(world, allocation, **overrides):
    with tenant_context(world.tenant):
        return mdf.request_submit(
            actor=actor(world, world.partner_admin),
            allocation=allocation,
            **request_data(**overrides),
        )


def test_request_approve_claim_pay_through_the_pages(acme):
    fund, allocation = funded(acme, amount="10000")
    partner = acme.client(acme.partner_marketing)
    data = request_data()
    response = partner.post(
        reverse("portal_mdf_request_new"),
        {
            "allocation": str(allocation.uuid),
            **{k: str(v) for k, v in data.items()},
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme.tenant):
        fund_request = FundRequest.objects.get()
    assert fund_request.status == RequestStatus.MANAGER_REVIEW
    # The channel manager was told, and approves from the console.
    with tenant_context(acme.tenant):
        told = OutboundEmail.objects.filter(recipient=acme.manager, kind="mdf.request_submitted")
        assert told.count() == 1 and "MDF request from" in told.get().subject
    manager = acme.client(acme.manager)
    url = reverse("console_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    page = manager.get(url)
    assert page.status_code == 200 and "Decide the request" in page.content.decode()
    assert manager.post(url, {"action": "decide", "decision": "approve"}).status_code == 302
    # The partner claims with an invoice; a claim above the approved amount is refused first.
    portal_url = reverse("portal_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    too_much = partner.post(
        portal_url,
        {
            "action": "claim",
            "spent": "4000.01",
            "spent_currency": "USD",
            "leads": "3",
            "invoice": proof(),
        },
    )
    assert too_much.status_code == 400
    assert "is more than the 4,000.00 USD approved" in too_much.content.decode()
    ok = partner.post(
        portal_url,
        {
            "action": "claim",
            "spent": "3800",
            "spent_currency": "USD",
            "leads": "31",
            "pipeline": "150000",
            "invoice": proof(),
            "photo": proof("stand.png", PNG),
        },
    )
    assert ok.status_code == 302
    with tenant_context(acme.tenant):
        claim = Claim.objects.get()
        assert claim.files.count() == 2 and not claim.is_late
    assert manager.post(url, {"action": "claim", "decision": "approve"}).status_code == 302
    # A program admin records the payment; the partner downloads the remittance advice.
    admin = acme.client(acme.admin)
    paid = admin.post(
        url,
        {
            "action": "pay",
            "method": "bank_transfer",
            "reference": "TRX-77",
            "paid_on": timezone.localdate().isoformat(),
        },
    )
    assert paid.status_code == 302
    with tenant_context(acme.tenant):
        claim.refresh_from_db()
        fund_request.refresh_from_db()
        payout = claim.payout
    assert claim.status == ClaimStatus.PAID and fund_request.status == RequestStatus.COMPLETED
    pdf = partner.get(reverse("mdf_remittance_download", kwargs={"payout_uuid": payout.uuid}))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    balance = partner.get(reverse("portal_mdf")).content.decode()
    assert "6,200.00 USD" in balance  # 10,000.00 allocated, 3,800.00 paid
    csv = admin.get(reverse("console_mdf_payouts") + "?format=csv")
    body = b"".join(csv.streaming_content).decode()
    assert "TRX-77" in body and "3800.00" in body


def test_late_claims_are_flagged(acme):
    _fund, allocation = funded(acme)
    fund_request = _submit(acme, allocation)
    with tenant_context(acme.tenant):
        mdf.request_decide(
            actor=actor(acme, acme.manager), fund_request=fund_request, decision="approve"
        )
        FundRequest.objects.filter(pk=fund_request.pk).update(
            claim_deadline=timezone.localdate() - timezone.timedelta(days=1)
        )
        fund_request.refresh_from_db()
        claim = mdf.claim_submit(
            actor=actor(acme, acme.partner_admin),
            fund_request=fund_request,
            spent="100",
            spent_currency="USD",
            files=[("invoice", proof())],
        )
    assert claim.is_late
    page = acme.client(acme.manager).get(
        reverse("console_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    )
    assert 'data-late="1"' in page.content.decode()


def test_proof_uploads_are_sniffed(acme):
    _fund, allocation = funded(acme)
    fund_request = _submit(acme, allocation)
    with tenant_context(acme.tenant):
        mdf.request_decide(
            actor=actor(acme, acme.manager), fund_request=fund_request, decision="approve"
        )
    response = acme.client(acme.partner_admin).post(
        reverse("portal_mdf_request", kwargs={"request_uuid": fund_request.uuid}),
        {
            "action": "claim",
            "spent": "100",
            "spent_currency": "USD",
            "leads": "0",
            "invoice": proof("invoice.pdf", b"MZ\x90\x00 not a pdf at all"),
        },
    )
    assert response.status_code == 400
    assert "Attach PDF, PNG, JPEG, Word, Excel or CSV files." in response.content.decode()
    with tenant_context(acme.tenant):
        assert not Claim.objects.exists()


def test_proof_files_are_visible_to_the_partner_and_its_manager_only(acme, globex):
    _fund, allocation = funded(acme)
    fund_request = _submit(acme, allocation)
    with tenant_context(acme.tenant):
        mdf.request_decide(
            actor=actor(acme, acme.manager), fund_request=fund_request, decision="approve"
        )
        claim = mdf.claim_submit(
            actor=actor(acme, acme.partner_admin),
            fund_request=fund_request,
            spent="100",
            spent_currency="USD",
            files=[("invoice", proof())],
        )
        proof_file = claim.files.get()
    url = reverse("mdf_proof_download", kwargs={"file_uuid": proof_file.uuid})
    assert acme.client(acme.partner_marketing).get(url).status_code == 200
    assert acme.client(acme.manager).get(url).status_code == 200
    assert acme.client(acme.other_partner_admin).get(url).status_code == 404
    assert acme.client(acme.executive).get(url).status_code == 403
    assert acme.client(acme.partner_sales).get(url).status_code == 403
    assert globex.client(globex.admin).get(url.replace("acme", "globex")).status_code in (403, 404)
    other_tenant = acme.client(globex.partner_admin)
    assert other_tenant.get(url).status_code in (403, 404)


PAGES_PORTAL = ["portal_mdf", "portal_mdf_request_new"]
PAGES_CONSOLE = ["console_mdf", "console_mdf_requests", "console_mdf_funds", "console_mdf_payouts"]


@pytest.mark.parametrize("name", PAGES_PORTAL)
def test_portal_pages_trio(acme, globex, name):
    funded(acme)
    assert acme.client(acme.partner_admin).get(reverse(name)).status_code == 200
    assert acme.client(acme.partner_sales).get(reverse(name)).status_code == 403
    # A member of another tenant is nobody here.
    assert acme.client(globex.partner_admin).get(reverse(name)).status_code in (302, 403, 404)


@pytest.mark.parametrize("name", PAGES_CONSOLE)
def test_console_pages_trio(acme, globex, name):
    funded(acme)
    for user in (acme.admin, acme.manager, acme.marketing, acme.executive):
        assert acme.client(user).get(reverse(name)).status_code == 200, user
    assert acme.client(acme.sales).get(reverse(name)).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse(name)).status_code == 403
    assert acme.client(globex.admin).get(reverse(name)).status_code in (302, 403, 404)


def test_request_pages_of_another_partner_or_tenant_are_404(acme, globex):
    _fund, allocation = funded(acme)
    fund_request = _submit(acme, allocation)
    portal = reverse("portal_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    console = reverse("console_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    assert acme.client(acme.partner_marketing).get(portal).status_code == 200
    assert acme.client(acme.other_partner_admin).get(portal).status_code == 404
    assert acme.client(acme.manager).get(console).status_code == 200
    globex_client = globex.client(globex.admin)
    assert globex_client.get(console).status_code == 404


def test_only_the_partners_manager_decides_and_marketing_approves_above_the_threshold(acme):
    from tenancy.tests.factories import MembershipFactory, UserFactory

    other_manager = UserFactory(email="manager2@acme.test")
    MembershipFactory(tenant=acme.tenant, user=other_manager, role="channel_manager")
    _fund, allocation = funded(acme, marketing_threshold="3000")
    fund_request = _submit(acme, allocation)
    url = reverse("console_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    # Another channel manager does not even see the request.
    assert acme.client(other_manager).get(url).status_code == 404
    refused = acme.client(acme.marketing).post(url, {"action": "decide", "decision": "approve"})
    assert refused.status_code == 403  # it awaits the channel manager first
    with tenant_context(acme.tenant):
        fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.MANAGER_REVIEW
    acme.client(acme.manager).post(url, {"action": "decide", "decision": "approve"})
    with tenant_context(acme.tenant):
        fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.MARKETING_REVIEW
    acme.client(acme.marketing).post(url, {"action": "decide", "decision": "approve"})
    with tenant_context(acme.tenant):
        fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.APPROVED
    assert fund_request.approved_amount == Decimal("4000.00")


def test_the_mdf_benefit_gate_refuses_requests_until_onboarding_is_done(acme):
    from onboarding.models import Benefit, BenefitGate

    _fund, allocation = funded(acme)
    with tenant_context(acme.tenant):
        BenefitGate.objects.filter(benefit=Benefit.MDF).update(requirements=["training_101"])
        with pytest.raises(Exception) as locked:
            mdf.request_submit(
                actor=actor(acme, acme.partner_admin), allocation=allocation, **request_data()
            )
    assert "locked until you finish onboarding" in str(locked.value)
    with tenant_context(acme.tenant):
        assert not FundRequest.objects.exists()
        allocation.refresh_from_db()
        assert (allocation.held, allocation.available) == (Decimal("0"), Decimal("10000"))


def test_a_claimed_request_cannot_be_withdrawn(acme):
    _fund, allocation = funded(acme)
    fund_request = _submit(acme, allocation)
    with tenant_context(acme.tenant):
        mdf.request_decide(
            actor=actor(acme, acme.manager), fund_request=fund_request, decision="approve"
        )
        claim = mdf.claim_submit(
            actor=actor(acme, acme.partner_admin),
            fund_request=fund_request,
            spent="100",
            spent_currency="USD",
            files=[("invoice", proof())],
        )
        mdf.claim_decide(
            actor=actor(acme, acme.manager), claim=claim, decision="changes", comment="Add photos"
        )
        fund_request.refresh_from_db()
        with pytest.raises(Exception) as refused:
            mdf.request_withdraw(actor=actor(acme, acme.partner_admin), fund_request=fund_request)
    assert "can no longer be withdrawn" in str(refused.value)
    page = acme.client(acme.partner_admin).get(
        reverse("portal_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    )
    html = page.content.decode()
    assert "Withdraw the request" not in html and "Claim the funds" in html


def test_an_activity_longer_than_a_year_is_a_field_error(acme):
    from datetime import timedelta

    from django.core.exceptions import ValidationError

    _fund, allocation = funded(acme)
    starts = request_data()["starts_on"]
    with pytest.raises(ValidationError) as error:
        _submit(acme, allocation, ends_on=starts + timedelta(days=400))
    assert "at most a year" in error.value.message_dict["ends_on"][0]
    with tenant_context(acme.tenant):
        assert not FundRequest.objects.exists()


def test_a_bad_proof_file_among_good_ones_stores_none_of_them(acme, settings):
    from pathlib import Path

    from django.core.exceptions import ValidationError

    from tenancy.tests.files import stored_files

    _fund, allocation = funded(acme)
    fund_request = _submit(acme, allocation)
    with tenant_context(acme.tenant):
        mdf.request_decide(
            actor=actor(acme, acme.manager), fund_request=fund_request, decision="approve"
        )
        with pytest.raises(ValidationError):
            mdf.claim_submit(
                actor=actor(acme, acme.partner_admin),
                fund_request=fund_request,
                spent="100",
                spent_currency="USD",
                files=[
                    ("invoice", proof()),
                    ("photo", proof("stand.png", PNG)),
                    ("other", proof("tool.pdf", b"MZ\x90\x00" + b"\x00" * 64)),
                ],
            )
        assert not Claim.objects.exists()
    assert not list(stored_files(Path(settings.MEDIA_ROOT)))
