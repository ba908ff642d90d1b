"""Console: a partner's people and invitations, where its channel manager (or a program admin)
invites them -- through the one invitation mechanism (tenancy.services.invitation_create), so a
manager onboards a partner without a program admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access, services
from tenancy.access import Perm
from tenancy.forms import InvitationForm
from tenancy.models import Invitation, Membership
from tenancy.roles import PARTNER_ROLES
from tenancy.views import apply_errors, require_console

from ..models import PartnerOrganization
from ..selectors.organization import partner_for_actor


def _invite_form(actor, data=None) -> InvitationForm:
    form = InvitationForm(data, actor=actor)
    del form.fields["partner_organization"]  # this page's partner
    form.fields["role"].choices = [c for c in form.fields["role"].choices if c[0] in PARTNER_ROLES]
    return form


@login_required
def console_partner_users(request, partner_uuid):
    actor = require_console(request, Perm.PARTNERS_VIEW)
    try:
        partner = partner_for_actor(actor, partner_uuid)
    except PartnerOrganization.DoesNotExist:
        raise Http404 from None
    can_invite = access.may_invite_partner_users(actor, partner)
    form = _invite_form(actor) if can_invite else None
    status = 200
    if request.method == "POST":
        if not can_invite:
            raise PermissionDenied(_("Only this partner's channel manager or an admin may."))
        form = _invite_form(actor, request.POST)
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    actor=actor, partner_organization=partner, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
                return redirect("console_partner_users", partner_uuid=partner.uuid)
        status = 400
    members = (
        Membership.objects.filter(partner_organization=partner)
        .select_related("user")
        .order_by("user__email")
    )
    invitations = (
        Invitation.objects.filter(
            partner_organization=partner,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )
    context = {
        "partner": partner,
        "members": members,
        "invitations": invitations,
        "form": form,
        "can_invite": can_invite,
    }
    return render(request, "partners/partner_users.html", context, status=status)
