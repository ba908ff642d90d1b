"""Onboarding's mail kinds. The mail itself lives in the tenant-wide outbox
(tenancy.models.OutboundEmail, delivered by tenancy.emails): a row of onboarding mail carries the
partner's UUID (`partner_uuid`) and, for cadence mail, the step's UUID (`source_uuid`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tenancy.emails import mail_kind
from tenancy.outbox import DeliveryStatus as EmailStatus


class EmailKind:
    WELCOME_KIT = mail_kind("onboarding.welcome_kit", _("Welcome kit"))
    CADENCE = mail_kind("onboarding.cadence", _("30-day cadence"))


__all__ = ["EmailKind", "EmailStatus"]
