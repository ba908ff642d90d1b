"""Sending the partner agreement to the partner's signer, and sending it again.

The partner's channel manager (or a program admin) sends the current version to a partner admin
of the partner -- a member, or someone invited as partner admin who has not joined yet -- with a
link to the portal page where they read and sign it. Each send is recorded (who, to whom, which
version, when; a second send of the same version is a resend), audited, and mailed through the
outbox (notify() for a member, email_enqueue for an invitee) in the same transaction.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import PartnerOrganization
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.emails import email_enqueue, mail_kind, person_address
from tenancy.hosts import tenant_base_url
from tenancy.models import Invitation, Membership
from tenancy.notifications import notify
from tenancy.roles import Role

from ..models import AgreementSend, AgreementSignature
from ..selectors.agreements import current_agreement_for
from .agreements import SIGNABLE_STATES

AGREEMENT_SENT = mail_kind("onboarding.agreement_sent", gettext_lazy("Partner agreement to sign"))


def agreement_signers(partner: PartnerOrganization) -> list[tuple[str, object]]:
    """Who may sign for the partner, as (email, user or None): its active partner admins, then
    people invited as its partner admin who have not joined yet."""
    members = (
        Membership.objects.filter(
            partner_organization=partner, role=Role.PARTNER_ADMIN, is_active=True
        )
        .select_related("user")
        .order_by("user__email")
    )
    signers = [(m.user.email.lower(), m.user) for m in members]
    known = {email for email, _user in signers}
    invited = Invitation.objects.filter(
        partner_organization=partner,
        role=Role.PARTNER_ADMIN,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("email")
    signers += [(i.email.lower(), None) for i in invited if i.email.lower() not in known]
    return signers


def agreement_sends(partner: PartnerOrganization) -> QuerySet[AgreementSend]:
    return AgreementSend.objects.filter(partner=partner).select_related("template", "sent_by")


@transaction.atomic
def agreement_send(*, actor: Actor, partner: PartnerOrganization, to_email: str) -> AgreementSend:
    """Send (or send again) the partner's current agreement to one of its signers."""
    if not access.may_manage_partner(actor, partner):
        access.require(actor, Perm.PARTNERS_MANAGE)
        raise PermissionDenied(_("Only this partner's channel manager or an admin can do this."))
    partner = PartnerOrganization.objects.select_for_update().get(pk=partner.pk)
    if partner.state not in SIGNABLE_STATES:
        raise ValidationError(
            _("Approve %(partner)s first: it can sign once it is in the program.")
            % {"partner": partner.name}
        )
    current = current_agreement_for(partner)
    if current is None:
        raise ValidationError(_("Publish an agreement for this partner's type first."))
    if AgreementSignature.objects.filter(partner=partner, template=current).exists():
        raise ValidationError(
            _("%(partner)s has already signed version %(version)s.")
            % {"partner": partner.name, "version": current.version}
        )
    email = (to_email or "").strip().lower()
    signers = dict(agreement_signers(partner))
    if email not in signers:
        raise ValidationError(
            {"to_email": _("Choose one of the partner's admins (invite them first).")}
        )
    is_resend = AgreementSend.objects.filter(partner=partner, template=current).exists()
    record = AgreementSend.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        template=current,
        to_email=email,
        recipient=signers[email],
        is_resend=is_resend,
        sent_by=actor.user,
        sent_by_label=actor.label[:254],
    )
    _mail(actor, record)
    audit_record(
        actor=actor,
        action="agreement.resent" if is_resend else "agreement.sent",
        target=partner,
        changes={"to": email, "title": current.title, "version": current.version},
    )
    return record


def _mail(actor: Actor, record: AgreementSend) -> None:
    tenant = record.tenant
    path = reverse("portal_agreement")
    context = {
        "record": record,
        "partner": record.partner,
        "template": record.template,
        "tenant": tenant,
        "url": tenant_base_url(tenant) + path,
        "sender": actor.user,
        "is_member": record.recipient is not None,
    }
    values = {"tenant": tenant.name}
    subject = (
        _("Reminder: the %(tenant)s partner agreement is waiting for your signature") % values
        if record.is_resend
        else _("Please sign the %(tenant)s partner agreement") % values
    )
    mail = {
        "kind": AGREEMENT_SENT,
        "subject": subject,
        "body_text": render_to_string("emails/onboarding/agreement_sent.txt", context),
        "body_html": render_to_string("emails/onboarding/agreement_sent.html", context),
        "reply_to": person_address(actor.user),
        "partner_uuid": record.partner.uuid,
        "source_uuid": record.uuid,
    }
    if record.recipient is not None:
        notify(user=record.recipient, url=path, **mail)
    else:
        email_enqueue(to=record.to_email, **mail)
