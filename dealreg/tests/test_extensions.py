"""Extensions of an approved registration: request, approve/reject, limits; pages and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from ..models import DealEvent, DealRegistration, DealStatus, ExtensionRequest, ExtensionStatus
from ..services import extensions as services
from .lifecycle import make_deal, set_rules

pytestmark = pytest.mark.django_db


def approved(world, **fields) -> DealRegistration:
    return make_deal(world, status=DealStatus.APPROVED, **fields)


def ask(world, deal, user=None, reason="Procurement needs another month."):
    with tenant_context(world.tenant):
        actor = actor_for_user(user or world.partner_sales, world.tenant)
        return services.extension_request(actor=actor, registration=deal, reason=reason)


def decide(world, extension, user, approve=True, reason=""):
    with tenant_context(world.tenant):
        actor = actor_for_user(user, world.tenant)
        fn = services.extension_approve if approve else services.extension_reject
        return fn(actor=actor, extension=extension, reason=reason)


# --- Services ------------------------------------------------------------------------------------


def test_approval_extends_the_lock_and_tells_the_partner(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    set_rules(acme, extension_days=30, max_extensions=2)
    expires = timezone.now() + timedelta(days=5)
    deal = approved(acme, expires_at=expires, expiry_warned_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        extension = ask(acme, deal)
    assert [m.to for m in mailoutbox] == [[acme.manager.email]]  # no routing: the CM decides
    with django_capture_on_commit_callbacks(execute=True):
        decide(acme, extension, acme.manager)
    with tenant_context(acme.tenant):
        deal.refresh_from_db()
        extension.refresh_from_db()
        assert deal.expires_at == expires + timedelta(days=30)
        assert (deal.extensions_used, deal.expiry_warned_at) == (1, None)
        assert (extension.status, extension.decided_by) == (ExtensionStatus.APPROVED, acme.manager)
        assert list(DealEvent.objects.values_list("action", flat=True)) == [
            "extension_requested",
            "extended",
        ]
        assert AuditEvent.objects.filter(action="deal.extended").exists()
    assert {m.to[0] for m in mailoutbox[1:]} == {acme.partner_sales.email, acme.partner_admin.email}
    assert all("approved" in m.subject for m in mailoutbox[1:])


def test_max_extensions_is_enforced(acme):
    set_rules(acme, max_extensions=1)
    deal = approved(acme)
    decide(acme, ask(acme, deal), acme.admin)
    with pytest.raises(ValidationError, match="used all 1"):
        ask(acme, deal)


def test_max_extensions_checked_again_at_approval(acme):
    set_rules(acme, max_extensions=1)
    deal = approved(acme)
    extension = ask(acme, deal)
    set_rules(acme, max_extensions=0)  # the program tightened the rules meanwhile
    with pytest.raises(ValidationError):
        decide(acme, extension, acme.admin)


def test_one_pending_request_at_a_time(acme):
    deal = approved(acme)
    ask(acme, deal)
    with pytest.raises(ValidationError, match="already waiting"):
        ask(acme, deal, user=acme.partner_admin)
    # The database constraint is the backstop for two racing requests.
    with tenant_context(acme.tenant), pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(tenant=acme.tenant, registration=deal, reason="again")


def test_only_approved_registrations_of_ones_own_org_can_be_extended(acme):
    with pytest.raises(ValidationError):
        ask(acme, make_deal(acme, status=DealStatus.SUBMITTED))
    with pytest.raises(PermissionDenied):
        ask(acme, approved(acme, partner=acme.other_partner))
    with pytest.raises(PermissionDenied):
        ask(acme, approved(acme), user=acme.partner_marketing)


def test_rejection_needs_a_reason_and_keeps_the_lock(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    deal = approved(acme)
    extension = ask(acme, deal)
    with pytest.raises(ValidationError):
        decide(acme, extension, acme.manager, approve=False)
    with django_capture_on_commit_callbacks(execute=True):
        decide(acme, extension, acme.manager, approve=False, reason="Close date slipped twice.")
    with tenant_context(acme.tenant):
        after = DealRegistration.objects.get(pk=deal.pk)
        assert (after.expires_at, after.extensions_used) == (deal.expires_at, 0)
    assert all("declined" in m.subject for m in mailoutbox) and mailoutbox
    assert "Close date slipped twice." in mailoutbox[0].body
    with pytest.raises(ValidationError, match="already been decided"):
        decide(acme, extension, acme.admin)


def test_only_the_partners_manager_or_an_admin_decides(acme):
    deal = approved(acme)
    extension = ask(acme, deal)
    other = approved(acme, partner=acme.other_partner, submitted_by=acme.other_partner_admin)
    other_extension = ask(acme, other, user=acme.other_partner_admin)
    with pytest.raises(PermissionDenied):
        decide(acme, extension, acme.marketing)
    with pytest.raises(PermissionDenied):
        decide(acme, other_extension, acme.manager)  # not their partner
    decide(acme, other_extension, acme.admin)


# --- Pages ---------------------------------------------------------------------------------------


def test_partner_requests_from_the_portal(acme):
    deal = approved(acme)
    client = acme.client(acme.partner_sales)
    url = f"/portal/deals/{deal.uuid}/extension/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Board meets next month."}).status_code == 302
    response = client.post(url, {"reason": "Again"})
    assert response.status_code == 400 and "already waiting" in response.content.decode()
    with tenant_context(acme.tenant):
        assert ExtensionRequest.objects.filter(registration=deal).count() == 1


def test_portal_wrong_role_and_other_org_and_other_tenant(acme, globex):
    deal = approved(acme)
    url = f"/portal/deals/{deal.uuid}/extension/"
    assert acme.client(acme.partner_marketing).post(url, {"reason": "x"}).status_code == 403
    assert acme.client(acme.manager).post(url, {"reason": "x"}).status_code == 403
    assert acme.client(acme.other_partner_admin).post(url, {"reason": "x"}).status_code == 404
    assert globex.client(globex.partner_admin).post(url, {"reason": "x"}).status_code == 404
    with tenant_context(acme.tenant):
        assert not ExtensionRequest.objects.exists()


def test_console_lists_and_decides(acme):
    extension = ask(acme, approved(acme, customer_name="Globochem"))
    client = acme.client(acme.manager)
    page = client.get("/console/deals/extensions/")
    assert page.status_code == 200 and "Globochem" in page.content.decode()
    url = f"/console/deals/extensions/{extension.uuid}/decide/"
    assert client.post(url, {"decision": "reject", "reason": ""}).status_code == 400
    assert client.post(url, {"decision": "approve"}).status_code == 302
    with tenant_context(acme.tenant):
        extension.refresh_from_db()
        assert extension.status == ExtensionStatus.APPROVED
    assert "Globochem" not in client.get("/console/deals/extensions/").content.decode()


def test_console_wrong_roles_get_403_and_other_tenant_404(acme, globex):
    extension = ask(acme, approved(acme))
    url = f"/console/deals/extensions/{extension.uuid}/decide/"
    assert acme.client(acme.executive).post(url, {"decision": "approve"}).status_code == 403
    assert acme.client(acme.sales).get("/console/deals/extensions/").status_code == 403
    assert acme.client(acme.partner_admin).get("/console/deals/extensions/").status_code == 403
    assert globex.client(globex.admin).post(url, {"decision": "approve"}).status_code == 404
    with tenant_context(acme.tenant):
        extension.refresh_from_db()
        assert extension.status == ExtensionStatus.PENDING


# --- API -----------------------------------------------------------------------------------------

API = "/api/v1/deal-extension-requests/"


def test_api_request_and_decide(acme):
    set_rules(acme, max_extensions=1)
    deal = approved(acme)
    partner = acme.api(acme.partner_sales)
    response = partner.post(API, {"registration": str(deal.uuid), "reason": "Q3"}, format="json")
    assert response.status_code == 201, response.content
    extension_id = response.json()["id"]
    assert partner.get(API).json()["results"][0]["status"] == "pending"
    assert partner.post(f"{API}{extension_id}/approve/", {}, format="json").status_code == 403
    manager = acme.api(acme.manager)
    response = manager.post(f"{API}{extension_id}/reject/", {"reason": ""}, format="json")
    assert response.status_code == 400
    response = manager.post(f"{API}{extension_id}/approve/", {}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["extensions_used"]) == ("approved", 1)
    response = partner.post(API, {"registration": str(deal.uuid), "reason": "Q4"}, format="json")
    assert response.status_code == 400  # max_extensions reached


def test_api_scoping(acme, globex):
    extension = ask(acme, approved(acme))
    other = approved(acme, partner=acme.other_partner)
    assert acme.api(acme.other_partner_admin).get(API).json()["results"] == []
    assert acme.api(acme.other_partner_admin).get(f"{API}{extension.uuid}/").status_code == 404
    response = acme.api(acme.partner_admin).post(
        API, {"registration": str(other.uuid), "reason": "mine?"}, format="json"
    )
    assert response.status_code == 404
    assert acme.api(acme.manager).post(API, {}, format="json").status_code == 403
    assert acme.api(acme.sales).get(API).status_code == 403
    response = globex.api(globex.admin).post(f"{API}{extension.uuid}/approve/", {}, format="json")
    assert response.status_code == 404


def test_console_list_queries_do_not_grow_with_requests(acme):
    ask(acme, approved(acme))
    client = acme.client(acme.manager)
    client.get("/console/deals/extensions/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get("/console/deals/extensions/")
    for _ in range(4):
        ask(acme, approved(acme))
    with CaptureQueriesContext(connection) as five:
        response = client.get("/console/deals/extensions/")
    assert response.content.decode().count('name="decision" value="approve"') == 5
    assert len(five) == len(one)
