"""Rules of engagement: console (versions, drafts, publish, who accepted), portal (read, accept)
and the public page at the tenant host."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.network import client_ip
from tenancy.views import require_tenant

from ..forms.roe import RulesDraftForm
from ..selectors import roe as selectors
from ..services import roe as services
from . import documents

# --- Console (the pages every versioned document shares) ----------------------------------


def _list_extra(actor, groups) -> dict:
    current = next((group["current"] for group in groups if group["current"]), None)
    extra = {"current": current}
    if current is not None:
        extra["current_count_text"] = _("%(accepted)s of %(total)s partner admins") % {
            "accepted": current.accept_count,
            "total": selectors.active_partner_admin_count(),
        }
    return extra


PAGES = documents.DocumentPages(
    kind=selectors.ROE,
    form_class=RulesDraftForm,
    list_url="console_roe",
    detail_url="console_roe_detail",
    publish_url="console_roe_publish",
    heading=gettext_lazy("Rules of engagement"),
    count_label=gettext_lazy("Accepted by"),
    publish_confirm=gettext_lazy(
        "Publish this draft? Every partner admin will be asked to accept it."
    ),
    published_message=gettext_lazy(
        "Version %(version)s is now current. Partner admins are asked to accept it."
    ),
    versions_for=selectors.rules_for,
    console_list=selectors.rules_console_list,
    create=services.roe_draft_create,
    update=lambda *, actor, document, **data: services.roe_draft_update(
        actor=actor, rules=document, **data
    ),
    publish=lambda *, actor, document: services.roe_publish(actor=actor, rules=document),
    list_extra=_list_extra,
    detail_extra=lambda actor, rules: {"overview": selectors.acceptance_overview(actor, rules)},
    detail_extra_template="partners/roe/_acceptances.html",
    list_links=(("public_roe", gettext_lazy("Public page")),),
)


@login_required
def console_roe(request):
    return documents.console_list(request, PAGES)


@login_required
def console_roe_detail(request, rules_uuid):
    return documents.console_detail(request, PAGES, rules_uuid)


@login_required
@require_POST
def console_roe_publish(request, rules_uuid):
    return documents.console_publish(request, PAGES, rules_uuid)


@login_required
@require_POST
def console_roe_preview(request):
    return documents.console_preview(request)


# --- Portal -------------------------------------------------------------------------------------


@login_required
@require_GET
def portal_roe(request):
    actor = access.require_portal(request)
    rules = selectors.current_rules()
    context = {
        "rules": rules,
        "can_accept": actor.has(Perm.ROE_ACCEPT),
        "accepted_by_me": rules is not None and selectors.has_accepted(actor, rules),
        "organization_acceptances": (
            selectors.organization_acceptances(actor, rules) if rules is not None else []
        ),
    }
    return render(request, "partners/roe/portal.html", context)


@login_required
@require_POST
def portal_roe_accept(request, rules_uuid):
    actor = access.require_portal(request, Perm.ROE_ACCEPT)
    rules = get_object_or_404(selectors.published_rules(), uuid=rules_uuid)
    try:
        _acceptance, created = services.roe_accept(
            actor=actor, rules=rules, ip_address=client_ip(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if created:
            messages.success(
                request,
                _("Thank you: you accepted version %(version)s for %(org)s.")
                % {"version": rules.version, "org": actor.membership.partner_organization},
            )
        else:
            messages.info(request, _("You had already accepted this version."))
    return redirect("portal_roe")


# --- Public (tenant host, no login) ----------------------------------------------------------


@require_GET
def public_roe(request):
    require_tenant(request)
    rules = selectors.current_rules()
    return render(
        request,
        "partners/roe/public.html",
        {"rules": rules, "versions": selectors.published_rules(), "is_current": True},
    )


@require_GET
def public_roe_version(request, version: int):
    require_tenant(request)
    rules = get_object_or_404(selectors.published_rules(), version=version)
    current = selectors.current_rules()
    return render(
        request,
        "partners/roe/public.html",
        {
            "rules": rules,
            "versions": selectors.published_rules(),
            "is_current": current is not None and current.pk == rules.pk,
        },
    )
