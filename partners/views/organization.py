from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from tenancy import access
from tenancy import selectors as tenancy_selectors
from tenancy.access import Perm
from tenancy.views import require_tenant

from ..selectors import organization as selectors


@login_required
def console_partner_list(request):
    actor = require_tenant(request)
    access.require(actor, Perm.CONSOLE_VIEW)
    access.require(actor, Perm.PARTNERS_VIEW)
    return render(
        request, "partners/console_list.html", {"partners": selectors.partner_directory(actor)}
    )


@login_required
def console_partner_detail(request, partner_uuid):
    actor = require_tenant(request)
    access.require(actor, Perm.CONSOLE_VIEW)
    partner = get_object_or_404(
        selectors.partner_organizations_for(actor).select_related("channel_manager"),
        uuid=partner_uuid,
    )
    members = tenancy_selectors.team_members(actor, partner_organization_id=partner.pk)
    return render(request, "partners/console_detail.html", {"partner": partner, "members": members})


@login_required
def portal_organization(request):
    actor = require_tenant(request)
    access.require(actor, Perm.PORTAL_VIEW)
    partner = get_object_or_404(
        selectors.partner_organizations_for(actor).select_related("channel_manager")
    )
    members = tenancy_selectors.team_members(actor, partner_organization_id=partner.pk)
    return render(
        request, "partners/portal_organization.html", {"partner": partner, "members": members}
    )
