"""Telling direct sales about partner registrations on the accounts they own: when a partner
registers on an account a direct rep owns, and when a lock on it is approved (by a person or
automatically). Through `tenancy.notifications.notify`, so the rep's channel choice applies."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from tenancy.context import require_current_tenant
from tenancy.hosts import tenant_base_url
from tenancy.notifications import notify

from ..models import DealRegistration
from .routing import DEAL_MAIL_KINDS

EVENTS = ("registered", "locked")


def direct_owner_notify(*, deal: DealRegistration, event: str) -> bool:
    """Tell the direct owner of `deal`'s account that a partner registered on it (`registered`)
    or now holds it (`locked`), in the current transaction; once per registration and event.
    False when the account has no (active) direct owner."""
    if event not in EVENTS:
        raise ValueError(f"Unknown event {event!r}")
    account = deal.account
    owner = account.owner if account is not None else None
    if owner is None or not owner.is_active:
        return False
    tenant = require_current_tenant()
    url = tenant_base_url(tenant) + reverse(
        "console_account_detail", kwargs={"account_uuid": account.uuid}
    )
    context = {"tenant": tenant, "deal": deal, "account": account, "owner": owner, "url": url}
    names = {"account": account.name, "partner": deal.partner.name}
    if event == "registered":
        subject = _("%(partner)s registered a deal on your account %(account)s") % names
    else:
        subject = _("%(partner)s now holds your account %(account)s") % names
    notify(
        user=owner,
        kind=DEAL_MAIL_KINDS[f"direct_{event}"],
        subject=subject,
        body_text=render_to_string(f"emails/dealreg/direct_{event}.txt", context),
        body_html=render_to_string(f"emails/dealreg/direct_{event}.html", context),
        url=url,
        idempotency_key=f"deal-direct-{event}-{deal.uuid}",
        partner_uuid=deal.partner.uuid,
        source_uuid=deal.uuid,
    )
    return True
