"""Through-partner marketing pages. Console: campaign templates (marketing builds, previews and
publishes them), every partner's campaigns, MDF ROI. Portal: the campaign gallery, co-branding
with a live preview, a campaign's page (launch, links, email list, leads), leads and their
registration as deals. Public (the tenant's host, no login): the landing page with its lead form,
tracked links, the logo, unsubscribe."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealreg.forms.registration import DealRegistrationForm
from dealreg.services.rules import deal_rules
from onboarding.models import Benefit
from onboarding.services.progress import BenefitLocked, benefit_status
from partners.forms.organization import HONEYPOT_FIELD
from tenancy import access, ratelimit
from tenancy import unsubscribe as unsubscribe_links
from tenancy.access import Perm
from tenancy.common.currencies import currency_choices
from tenancy.common.lists import Column, csv_response, list_page
from tenancy.network import client_ip
from tenancy.ratelimit import parse_rate
from tenancy.uploads import stored_file_response
from tenancy.views import apply_errors

from . import campaign_selectors as selectors
from . import roi
from .campaign_forms import (
    BrandingForm,
    CampaignFilter,
    LeadFilter,
    LeadForm,
    RecipientsForm,
    TemplateFilter,
    TemplateForm,
)
from .models import Campaign, CampaignOptOut, CampaignTemplate, TemplateStatus
from .services import campaigns as services

LEAD_RATE = "20/h"  # lead-form posts per address and campaign (bots, not people, reach it)

CAMPAIGN_SORTS = {
    "created": ("created_at", "id"),
    "name": ("name", "id"),
    "partner": ("partner__name", "name"),
    "status": ("status", "name"),
    "leads": ("lead_count", "id"),
}
CAMPAIGN_COLUMNS = [
    Column(_lazy("Campaign"), "name"),
    Column(_lazy("Partner"), "partner.name"),
    Column(_lazy("Template"), "template.name"),
    Column(_lazy("Status"), "get_status_display"),
    Column(_lazy("Launched"), "launched_at"),
    Column(_lazy("Leads"), "lead_count"),
    Column(_lazy("Link clicks"), "click_count"),
]
LEAD_SORTS = {
    "created": ("created_at", "id"),
    "company": ("company", "id"),
    "name": ("last_name", "first_name"),
}
LEAD_COLUMNS = [
    Column(_lazy("First name"), "first_name"),
    Column(_lazy("Last name"), "last_name"),
    Column(_lazy("Email"), "email"),
    Column(_lazy("Company"), "company"),
    Column(_lazy("Job title"), "job_title"),
    Column(_lazy("Phone"), "phone"),
    Column(_lazy("Campaign"), "campaign.name"),
    Column(_lazy("Partner"), "partner.name"),
    Column(_lazy("Came from"), "get_channel_display"),
    Column(_lazy("Agreed to marketing"), "marketing_consent"),
    Column(_lazy("Received"), "created_at"),
    Column(_lazy("Registered as a deal"), lambda lead: bool(lead.registration_id)),
]


def _preview_context(copy, branding: services.Branding, *, url: str = "") -> dict:
    rendered = services.render_landing(copy, branding, landing_url=url)
    return {"copy": copy, "branding": branding, "rendered": rendered}


# --- Console: templates ------------------------------------------------------------------------


@login_required
def console_campaign_templates(request):
    actor = access.require_console(request, Perm.CAMPAIGNS_VIEW)
    listing = list_page(
        request,
        selectors.templates_with_use(actor),
        filterset_class=TemplateFilter,
        sorts={"name": ("name", "id"), "updated": ("updated_at", "id")},
        default_sort="name",
        page_size=24,
    )
    context = {"listing": listing, "may_manage": services.may_manage_templates(actor)}
    return render(request, "mdf/campaigns/console_templates.html", context)


@login_required
def console_campaign_template_new(request):
    actor = access.require_console(request, Perm.CAMPAIGNS_MANAGE)
    form = TemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                template = services.template_save(actor=actor, **form.service_fields())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Template saved as a draft. Preview it, then publish."))
                return redirect("console_campaign_template", campaign_template_uuid=template.uuid)
    context = {"form": form, "placeholders": _placeholders()}
    return render(request, "mdf/campaigns/console_template_edit.html", context, status=status)


def _placeholders() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in services.PLACEHOLDER_LABELS.items()]


@login_required
def console_campaign_template(request, campaign_template_uuid):
    actor = access.require_console(request, Perm.CAMPAIGNS_VIEW)
    template = selectors.templates_for(actor).filter(uuid=campaign_template_uuid).first()
    if template is None:
        raise Http404
    may_manage = services.may_manage_templates(actor)
    form = TemplateForm.for_template(template) if may_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.CAMPAIGNS_MANAGE)
        action = request.POST.get("action")
        try:
            if action in (TemplateStatus.PUBLISHED, TemplateStatus.RETIRED):
                services.template_set_status(actor=actor, template=template, status=action)
                messages.success(
                    request,
                    _("Published: partners can co-brand it now.")
                    if action == TemplateStatus.PUBLISHED
                    else _("Retired: no new campaigns; live ones run on."),
                )
                return redirect("console_campaign_template", campaign_template_uuid=template.uuid)
            form = TemplateForm.for_template(template, request.POST)
            status = 400
            if form.is_valid():
                services.template_save(actor=actor, template=template, **form.service_fields())
                messages.success(request, _("Template saved."))
                return redirect("console_campaign_template", campaign_template_uuid=template.uuid)
        except ValidationError as error:
            if form is None or action in (TemplateStatus.PUBLISHED, TemplateStatus.RETIRED):
                messages.error(request, " ".join(error.messages))
                return redirect("console_campaign_template", campaign_template_uuid=template.uuid)
            apply_errors(form, error)
    sample = services.template_sample_branding()
    subject, _text, email_html = services.render_email(template, sample, landing_url="#")
    context = {
        "template": template,
        "form": form,
        "may_manage": may_manage,
        "placeholders": _placeholders(),
        "email_subject": subject,
        "email_html": email_html,
        "posts": services.render_posts(template, sample, {}),
        **_preview_context(template, sample),
    }
    return render(request, "mdf/campaigns/console_template.html", context, status=status)


# --- Console: partners' campaigns and ROI ------------------------------------------------------


@login_required
def console_campaigns(request):
    actor = access.require_console(request, Perm.CAMPAIGNS_VIEW)
    listing = list_page(
        request,
        selectors.campaigns_listed(actor),
        filterset_class=CampaignFilter,
        sorts=CAMPAIGN_SORTS,
        default_sort="-created",
        columns=CAMPAIGN_COLUMNS,
        filename="campaigns",
        page_size=25,
    )
    if listing.export is not None:
        return listing.export
    return render(request, "mdf/campaigns/console_campaigns.html", {"listing": listing})


@login_required
@require_GET
def console_campaign(request, campaign_uuid):
    """A partner's campaign as the vendor sees it: status, results by channel, the copy as sent,
    the latest leads. Read-only (the partner runs it)."""
    actor = access.require_console(request, Perm.CAMPAIGNS_VIEW)
    campaign = selectors.campaign_detail(actor, campaign_uuid)
    if campaign is None:
        raise Http404
    branding = services.branding_of(campaign)
    url = services.landing_url(campaign)
    subject, _text, email_html = services.render_email(campaign, branding, landing_url=url)
    leads = selectors.leads_for(actor).filter(campaign=campaign)
    context = {
        "campaign": campaign,
        "landing_url": url,
        "links": list(campaign.links.all()),
        "recipients": selectors.recipient_counts(campaign),
        "leads": list(leads[:25]),
        "lead_total": leads.count(),
        "email_subject": subject,
        "email_html": email_html,
        **_preview_context(campaign, branding, url=url),
    }
    return render(request, "mdf/campaigns/console_campaign.html", context)


ROI_ROWS = 50  # per table on the page; the CSV has every activity
ROI_COLUMNS = [
    Column(_lazy("Activity"), "label"),
    Column(_lazy("Partner"), lambda r: r.key.partner.name),
    Column(_lazy("Type"), lambda r: r.key.get_activity_type_display()),
    Column(_lazy("Starts on"), lambda r: r.key.starts_on),
    Column(_lazy("Spend"), "spend"),
    Column(_lazy("Leads"), "leads"),
    Column(_lazy("Cost per lead"), "cost_per_lead"),
    Column(_lazy("Pipeline"), "pipeline"),
    Column(_lazy("Won revenue"), "won"),
    Column(_lazy("ROI %"), "roi"),
]


@login_required
def console_mdf_roi(request):
    actor = access.require_console(request, Perm.MDF_VIEW)
    report = roi.roi_report(roi.funded_activities(actor))
    if request.GET.get("format") == "csv":
        return csv_response(report.by_activity, ROI_COLUMNS, "mdf-roi")
    context = {
        "report": report,
        "activities": report.by_activity[:ROI_ROWS],
        "partners": report.by_partner[:ROI_ROWS],
        "rows_cap": ROI_ROWS,
        "currency": roi.program_currency(),
        "chart": roi.roi_chart(report),
    }
    return render(request, "mdf/campaigns/console_roi.html", context)


# --- Portal ------------------------------------------------------------------------------------


@login_required
def portal_campaigns(request):
    actor = access.require_portal(request, Perm.CAMPAIGNS_VIEW)
    sample = services.template_sample_branding()
    templates = [
        (template, services.render_landing(template, sample))
        for template in selectors.templates_for(actor).order_by("name")[:48]
    ]
    campaigns = list(selectors.campaigns_listed(actor).order_by("-created_at")[:50])
    context = {
        "templates": templates,
        "campaigns": campaigns,
        "may_run": actor.has(Perm.CAMPAIGNS_RUN),
    }
    return render(request, "mdf/campaigns/portal_gallery.html", context)


def _branding_from(data, actor, campaign: Campaign | None) -> services.Branding:
    """The branding as typed (for the live preview); the saved logo, if any."""

    def typed(name, fallback=""):
        return str(data.get(name, fallback) or fallback)[:300]

    return services.Branding(
        partner_name=campaign.partner.name if campaign else _partner_name(actor),
        contact_name=typed("contact_name"),
        contact_email=typed("contact_email"),
        contact_phone=typed("contact_phone"),
        offer=typed("offer"),
        brand_color=typed("brand_color", "#1f4e79"),
        accent_color=typed("accent_color", "#f2a900"),
        logo_url=services.logo_url(campaign) if campaign and campaign.logo else "",
    )


def _partner_name(actor) -> str:
    from partners.models import PartnerOrganization

    return (
        PartnerOrganization.objects.filter(pk=actor.partner_organization_id)
        .values_list("name", flat=True)
        .first()
        or ""
    )


def _uuid_or_404(value) -> UUID:
    """A UUID sent in a form field; anything else names nothing here (404, not a 500)."""
    try:
        return UUID(str(value))
    except ValueError:
        raise Http404 from None


def _published_template(actor, campaign_template_uuid) -> CampaignTemplate:
    template = (
        selectors.templates_for(actor)
        .filter(uuid=campaign_template_uuid, status=TemplateStatus.PUBLISHED)
        .first()
    )
    if template is None:
        raise Http404
    return template


@login_required
def portal_campaign_new(request, campaign_template_uuid):
    actor = access.require_portal(request, Perm.CAMPAIGNS_RUN)
    template = _published_template(actor, campaign_template_uuid)
    fundable = services.fundable_requests(actor)
    user = request.user
    initial = {
        "name": template.name,
        "brand_color": "#1f4e79",
        "accent_color": "#f2a900",
        "contact_name": user.full_name or "",
        "contact_email": user.email,
        "offer": template.default_offer,
    }
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES, fund_requests=fundable)
    else:
        form = BrandingForm(initial=initial, fund_requests=fundable)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                campaign = services.campaign_create(
                    actor=actor, template=template, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, _("Campaign saved. Check the preview, then launch it when ready.")
                )
                return redirect("portal_campaign", campaign_uuid=campaign.uuid)
    context = {
        "template": template,
        "form": form,
        # The preview shows what was sent back, or the starting values.
        **_preview_context(
            template, _branding_from(request.POST if form.is_bound else initial, actor, None)
        ),
    }
    return render(request, "mdf/campaigns/portal_cobrand.html", context, status=status)


@login_required
@require_POST
def portal_campaign_preview(request):
    """The live preview (htmx): the landing page with the branding as typed, nothing saved."""
    actor = access.require_portal(request, Perm.CAMPAIGNS_RUN)
    campaign = None
    if request.POST.get("campaign"):
        campaign = selectors.campaign_detail(actor, _uuid_or_404(request.POST["campaign"]))
        if campaign is None:
            raise Http404
        copy = campaign
    else:
        copy = _published_template(actor, _uuid_or_404(request.POST.get("template")))
    context = _preview_context(copy, _branding_from(request.POST, actor, campaign))
    return render(request, "mdf/campaigns/_landing_preview.html", context)


@login_required
def portal_campaign(request, campaign_uuid):
    actor = access.require_portal(request, Perm.CAMPAIGNS_VIEW)
    campaign = selectors.campaign_detail(actor, campaign_uuid)
    if campaign is None:
        raise Http404
    may_run = services.may_run(actor, campaign)
    fundable = services.fundable_requests(actor)
    branding_form = (
        BrandingForm(initial=BrandingForm.initial_for(campaign), fund_requests=fundable)
        if may_run
        else None
    )
    list_form = RecipientsForm() if may_run else None
    status = 200
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied(_("Your role does not allow this."))
        action = request.POST.get("action")
        status = 400
        try:
            if action == "brand":
                branding_form = BrandingForm(request.POST, request.FILES, fund_requests=fundable)
                if branding_form.is_valid():
                    services.campaign_update(
                        actor=actor, campaign=campaign, **branding_form.cleaned_data
                    )
                    messages.success(request, _("Campaign saved."))
                    return redirect("portal_campaign", campaign_uuid=campaign.uuid)
            elif action == "list":
                list_form = RecipientsForm(request.POST, request.FILES)
                if list_form.is_valid():
                    counts = services.recipients_upload(
                        actor=actor,
                        campaign=campaign,
                        upload=list_form.cleaned_data["file"],
                        consent_confirmed=list_form.cleaned_data["consent"],
                    )
                    messages.success(
                        request,
                        _("%(added)s addresses added; %(skipped)s already on the list.") % counts,
                    )
                    return redirect("portal_campaign", campaign_uuid=campaign.uuid)
            elif action == "send":
                count = services.campaign_send(actor=actor, campaign=campaign)
                messages.success(
                    request,
                    _("The email goes to %(count)s people over the next minutes.")
                    % {"count": count},
                )
                return redirect("portal_campaign", campaign_uuid=campaign.uuid)
            elif action in ("launch", "pause", "end"):
                services.campaign_move(actor=actor, campaign=campaign, move=action)
                messages.success(
                    request,
                    {
                        "launch": _("Your campaign is live."),
                        "pause": _("Campaign paused: the page and links say it is unavailable."),
                        "end": _("Campaign ended."),
                    }[action],
                )
                return redirect("portal_campaign", campaign_uuid=campaign.uuid)
            else:
                raise ValidationError(_("This action is not available for this campaign."))
        except ValidationError as error:
            target = {"brand": branding_form, "list": list_form}.get(action)
            if target is None:
                messages.error(request, " ".join(error.messages))
                return redirect("portal_campaign", campaign_uuid=campaign.uuid)
            apply_errors(target, error)
    branding = services.branding_of(campaign)
    links = services.links_of(campaign)
    # The preview links to the page itself, not the tracked link: opening it is not a click.
    subject, _text, email_html = services.render_email(
        campaign, branding, landing_url=services.landing_url(campaign)
    )
    context = {
        "campaign": campaign,
        "may_run": may_run,
        "branding_form": branding_form,
        "list_form": list_form,
        "landing_url": services.landing_url(campaign),
        "links": [(link, links[link.channel]) for link in campaign.links.all()],
        "posts": services.render_posts(campaign, branding, links),
        "email_subject": subject,
        "email_html": email_html,
        "recipients": selectors.recipient_counts(campaign),
        "sees_mdf": actor.has(Perm.MDF_VIEW),
        "leads": list(selectors.leads_for(actor).filter(campaign=campaign)[:10]),
        "lead_total": selectors.leads_for(actor).filter(campaign=campaign).count(),
        **_preview_context(campaign, branding, url=services.landing_url(campaign)),
    }
    return render(request, "mdf/campaigns/portal_campaign.html", context, status=status)


@login_required
def portal_leads(request):
    actor = access.require_portal(request, Perm.CAMPAIGNS_VIEW)
    listing = list_page(
        request,
        selectors.leads_for(actor),
        filterset_class=LeadFilter,
        filterset_kwargs={"campaigns": selectors.campaigns_for(actor).order_by("name")},
        sorts=LEAD_SORTS,
        default_sort="-created",
        columns=LEAD_COLUMNS,
        filename="leads",
        page_size=25,
    )
    if listing.export is not None:
        return listing.export
    context = {"listing": listing, "sees_deals": actor.has(Perm.DEALS_VIEW)}
    return render(request, "mdf/campaigns/portal_leads.html", context)


@login_required
def portal_lead(request, lead_uuid):
    actor = access.require_portal(request, Perm.CAMPAIGNS_VIEW)
    lead = selectors.lead_detail(actor, lead_uuid)
    if lead is None:
        raise Http404
    may_register = lead.registration_id is None and actor.has(Perm.DEALS_REGISTER)
    gate = benefit_status(actor, Benefit.DEAL_REGISTRATION) if may_register else None
    form = None
    status = 200
    if may_register and gate.unlocked:
        rules = deal_rules()
        form = DealRegistrationForm(
            request.POST or None, rules=rules, initial=services.lead_deal_initial(lead)
        )
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    deal = services.lead_register_deal(actor=actor, lead=lead, **form.cleaned_data)
                except BenefitLocked:
                    raise PermissionDenied(_("Deal registration is locked.")) from None
                except ValidationError as error:
                    apply_errors(form, error)
                else:
                    messages.success(
                        request,
                        _("Lead registered as a deal. Your channel manager will review it."),
                    )
                    return redirect("portal_deal_detail", deal_uuid=deal.uuid)
    elif request.method == "POST":
        raise PermissionDenied(_("This lead cannot be registered as a deal."))
    opted_out = (
        CampaignOptOut.objects.filter(partner_id=lead.partner_id, email=lead.email)
        .values_list("opted_out_at", flat=True)
        .first()
    )
    context = {
        "lead": lead,
        "opted_out_at": opted_out,
        "form": form,
        "gate": gate,
        "sees_deals": actor.has(Perm.DEALS_VIEW),
        "currencies": currency_choices(),
    }
    return render(request, "mdf/campaigns/portal_lead.html", context, status=status)


# --- Public ------------------------------------------------------------------------------------


def _public_campaign(request, key) -> Campaign:
    access.require_tenant(request)
    campaign = selectors.live_campaign(key)
    if campaign is None:
        raise Http404
    return campaign


def _lead_rate_key(request, campaign) -> str:
    return f"mdf.lead:{campaign.pk}:{client_ip(request) or ''}"


@require_http_methods(["GET", "POST"])
def campaign_landing(request, key):
    """The partner's co-branded landing page with its lead form: no login, CSRF on, honeypot and
    a rate limit per address. Not live: a page that says so (410), nothing else."""
    campaign = _public_campaign(request, key)
    if not selectors.is_live(campaign):
        return render(
            request, "mdf/campaigns/landing_closed.html", {"campaign": campaign}, status=410
        )
    branding = services.branding_of(campaign)
    via = request.GET.get("via", "")[:24]
    form = LeadForm(request.POST or None, initial={"via": via})
    status = 200
    if request.method == "POST":
        limit, window = parse_rate(LEAD_RATE)
        key_ = _lead_rate_key(request, campaign)
        if not ratelimit.hit(key_, limit=limit, window=window):
            return render(
                request,
                "mdf/campaigns/landing_closed.html",
                {"campaign": campaign, "limited": True},
                status=429,
            )
        if request.POST.get(HONEYPOT_FIELD):
            return redirect(reverse("campaign_thanks", kwargs={"key": campaign.key}))
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.lead_capture(campaign=campaign, data=data, via=data.pop("via", ""))
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect(reverse("campaign_thanks", kwargs={"key": campaign.key}))
    context = {
        "campaign": campaign,
        "form": form,
        "honeypot": HONEYPOT_FIELD,
        **_preview_context(campaign, branding, url=services.landing_url(campaign)),
    }
    return render(request, "mdf/campaigns/landing.html", context, status=status)


@require_GET
def campaign_thanks(request, key):
    campaign = _public_campaign(request, key)
    context = _preview_context(campaign, services.branding_of(campaign))
    return render(request, "mdf/campaigns/landing_thanks.html", {"campaign": campaign, **context})


@require_GET
def campaign_link(request, link_key):
    """A tracked link: count the click, open the landing page (remembering the channel)."""
    access.require_tenant(request)
    link = services.link_follow(link_key)
    if link is None:
        raise Http404
    url = reverse("campaign_landing", kwargs={"key": link.campaign.key})
    return redirect(f"{url}?{urlencode({'via': link.key})}")


@require_GET
def campaign_logo(request, key):
    campaign = _public_campaign(request, key)
    if not campaign.logo:
        raise Http404
    ext = campaign.logo.name.rsplit(".", 1)[-1].lower()
    return stored_file_response(
        campaign.logo,
        filename=f"logo.{ext}",
        content_type="image/png" if ext == "png" else "image/jpeg",
        inline=True,
    )


# csrf_exempt: mail clients answer RFC 8058 one-click unsubscribe with a plain POST; the signed
# token is the credential, and the only effect is to stop that partner's campaign mail.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def campaign_unsubscribe(request, campaign_unsubscribe_token):
    access.require_tenant(request)
    try:
        email, partner = services.unsubscribe_read(campaign_unsubscribe_token)
    except unsubscribe_links.UnsubscribeTokenOfAnotherTenant as exc:
        raise Http404 from exc
    except ValidationError as error:
        return render(
            request,
            "mdf/campaigns/unsubscribe.html",
            {"error": " ".join(error.messages)},
            status=400,
        )
    done = False
    if request.method == "POST":
        with transaction.atomic():
            services.campaign_opt_out(partner=partner, email=email)
        done = True
    context = {"email": email, "partner": partner, "done": done}
    return render(request, "mdf/campaigns/unsubscribe.html", context)
