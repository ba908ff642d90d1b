"""MDF mail: each step of a request or claim told to the people who act next, through the one
outbox (tenancy.notifications.notify: mail and/or the bell, in the caller's transaction)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy

from tenancy.context import require_current_tenant
from tenancy.emails import mail_kind, person_address
from tenancy.hosts import tenant_base_url
from tenancy.models import Membership
from tenancy.notifications import notify
from tenancy.roles import Role

REQUEST_SUBMITTED = mail_kind("mdf.request_submitted", gettext_lazy("MDF request to review"))
REQUEST_DECIDED = mail_kind("mdf.request_decided", gettext_lazy("MDF request decided"))
CLAIM_SUBMITTED = mail_kind("mdf.claim_submitted", gettext_lazy("MDF claim to review"))
CLAIM_DECIDED = mail_kind("mdf.claim_decided", gettext_lazy("MDF claim decided"))
PAYOUT_SENT = mail_kind("mdf.payout", gettext_lazy("MDF payout"))

KINDS = {
    "request_submitted": REQUEST_SUBMITTED,
    "request_decided": REQUEST_DECIDED,
    "claim_submitted": CLAIM_SUBMITTED,
    "claim_decided": CLAIM_DECIDED,
    "payout": PAYOUT_SENT,
}


def request_url(fund_request, *, console: bool) -> str:
    name = "console_mdf_request" if console else "portal_mdf_request"
    return tenant_base_url(require_current_tenant()) + reverse(
        name, kwargs={"request_uuid": fund_request.uuid}
    )


def reviewers_of(fund_request, *, marketing: bool) -> list:
    """Who decides the request's current step: marketing managers for the second approval;
    else the partner's channel manager (without one: the program admins)."""
    if not marketing and fund_request.partner.channel_manager_id:
        manager = fund_request.partner.channel_manager
        return [manager] if manager.is_active else []
    roles = [Role.MARKETING] if marketing else [Role.PROGRAM_ADMIN]
    return [
        m.user
        for m in Membership.objects.filter(role__in=roles, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    ]


def partner_people(fund_request) -> list:
    """The partner user who submitted the request (still a member), else its partner admins."""
    submitter = fund_request.submitted_by
    members = Membership.objects.filter(
        partner_organization_id=fund_request.partner_id, is_active=True, user__is_active=True
    ).select_related("user")
    if submitter is not None and members.filter(user=submitter).exists():
        return [submitter]
    return [m.user for m in members.filter(role=Role.PARTNER_ADMIN).order_by("user__email")]


def mdf_notify(*, template: str, subject: str, users, fund_request, console: bool, **context):
    """Render the step's mail once per recipient and hand it to notify()."""
    url = request_url(fund_request, console=console)
    manager = fund_request.partner.channel_manager
    for user in users:
        body_context = {
            "tenant": require_current_tenant(),
            "request": fund_request,
            "recipient": user,
            "url": url,
            **context,
        }
        notify(
            user=user,
            kind=KINDS[template],
            subject=subject,
            body_text=render_to_string(f"emails/mdf/{template}.txt", body_context),
            body_html=render_to_string(f"emails/mdf/{template}.html", body_context),
            url=url,
            reply_to=person_address(manager) if not console and manager else "",
            partner_uuid=fund_request.partner.uuid,
            source_uuid=fund_request.uuid,
        )
