"""Console: the channel manager sends (or sends again) the agreement to the partner's signer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners.models import PartnerOrganization
from partners.selectors.organization import partner_for_actor
from tenancy import access
from tenancy.access import Perm

from ..forms.agreement_send import AgreementSendForm
from ..services import agreement_send as services


def send_context(actor, partner, *, can_send: bool) -> dict:
    """What the partner's agreement page shows of the sends (and the form, for who may send)."""
    signers = services.agreement_signers(partner) if can_send else []
    return {
        "sends": list(services.agreement_sends(partner)),
        "send_form": AgreementSendForm(signers=signers) if can_send else None,
        "has_signers": bool(signers),
    }


@login_required
@require_POST
def console_partner_agreement_send(request, partner_uuid):
    actor = access.require_console(request, Perm.PARTNERS_MANAGE)
    try:
        partner = partner_for_actor(actor, partner_uuid)
    except PartnerOrganization.DoesNotExist:
        raise Http404 from None
    form = AgreementSendForm(request.POST, signers=services.agreement_signers(partner))
    back = redirect("console_partner_agreement", partner_uuid=partner.uuid)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return back
    try:
        record = services.agreement_send(
            actor=actor, partner=partner, to_email=form.cleaned_data["to_email"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return back
    if record.is_resend:
        messages.success(
            request, _("Agreement sent again to %(email)s.") % {"email": record.to_email}
        )
    else:
        messages.success(request, _("Agreement sent to %(email)s.") % {"email": record.to_email})
    return back
