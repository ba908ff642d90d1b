"""Through-partner marketing: templates (marketing builds them), co-branded campaigns (partners
launch them), their emails, tracked links and leads (mdf/models/campaigns.py explains the model).

Partner-supplied text (offer, contact, names) is never trusted: placeholders put it into the
Markdown copy escaped (`placeholders.substitute(for_markdown=True)`), the Markdown is sanitised
by nh3, and templates autoescape it; colours must be #RRGGBB; a logo must sniff as PNG or JPEG.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealreg.services.registration import deal_register
from partners.models import PartnerOrganization
from tenancy import access
from tenancy import unsubscribe as unsubscribe_links
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common import placeholders
from tenancy.common.markdown import markdown_to_safe_html
from tenancy.context import require_current_tenant
from tenancy.emails import email_enqueue, mail_kind
from tenancy.events import emit
from tenancy.hosts import tenant_base_url
from tenancy.models import Membership
from tenancy.notifications import notify
from tenancy.outbox import DeliveryStatus
from tenancy.uploads import sniff_upload

from ..models import (
    SOCIAL_CHANNELS,
    ActivityType,
    Campaign,
    CampaignOptOut,
    CampaignRecipient,
    CampaignStatus,
    CampaignTemplate,
    Channel,
    FundRequest,
    Lead,
    RecipientStatus,
    RequestStatus,
    TemplateStatus,
    TrackedLink,
)

CAMPAIGN_MAIL = mail_kind("mdf.campaign_mail", gettext_lazy("Partner campaign email"), in_app=False)
NEW_LEAD = mail_kind("mdf.campaign_lead", gettext_lazy("New lead from a campaign"))

UNSUBSCRIBE_SALT = "prm.mdf.campaign.unsubscribe"
PLACEHOLDERS = (
    "partner_name",
    "contact_name",
    "contact_email",
    "contact_phone",
    "offer",
    "landing_url",
    "first_name",
    "company",
    "program_name",
)
PLACEHOLDER_LABELS = {
    "partner_name": gettext_lazy("Partner name"),
    "contact_name": gettext_lazy("Partner contact"),
    "contact_email": gettext_lazy("Partner contact's email"),
    "contact_phone": gettext_lazy("Partner contact's phone"),
    "offer": gettext_lazy("Partner's offer"),
    "landing_url": gettext_lazy("Landing page link"),
    "first_name": gettext_lazy("Recipient's first name"),
    "company": gettext_lazy("Recipient's company"),
    "program_name": gettext_lazy("Program name"),
}
# Ours (a link we build, an address we validated): inserted as they are so they stay clickable.
RAW_PLACEHOLDERS = frozenset({"landing_url", "contact_email"})
MAX_SOCIAL_POSTS = 3
MAX_POST_CHARS = 600
LOGO_KINDS = frozenset({"png", "jpg"})
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LIST_ROWS = 5000
MAX_LIST_BYTES = 2 * 1024 * 1024
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# Statuses a campaign may be funded from (the activity is approved, or further along).
FUNDABLE = (RequestStatus.APPROVED, RequestStatus.CLAIMED, RequestStatus.COMPLETED)


KEEP = object()  # an argument not given: the field stays as it is

# --- Who may -----------------------------------------------------------------------------------


def may_manage_templates(actor: Actor) -> bool:
    return actor.has(Perm.CAMPAIGNS_MANAGE)


def may_run(actor: Actor, campaign: Campaign) -> bool:
    return actor.has(Perm.CAMPAIGNS_RUN) and actor.partner_organization_id == campaign.partner_id


def _require_run(actor: Actor, campaign: Campaign) -> None:
    if not may_run(actor, campaign):
        raise PermissionDenied(_("Only the partner's own marketing team may change a campaign."))


# --- Templates ---------------------------------------------------------------------------------

TEMPLATE_FIELDS = (
    "name",
    "summary",
    "activity_type",
    "email_subject",
    "email_body",
    "landing_headline",
    "landing_body",
    "cta_label",
    "default_offer",
)


def _clean_posts(posts) -> list[str]:
    cleaned = [str(p).strip() for p in (posts or []) if str(p or "").strip()]
    if len(cleaned) > MAX_SOCIAL_POSTS:
        raise ValidationError({"social_posts": _("Write at most three social posts.")})
    if any(len(p) > MAX_POST_CHARS for p in cleaned):
        raise ValidationError(
            {"social_posts": _("Keep each social post under %(n)d characters.") % {"n": 600}}
        )
    return cleaned


def _check_placeholders(texts: dict[str, str]) -> None:
    errors = {}
    for field, text in texts.items():
        unknown = placeholders.unknown_placeholders([text], PLACEHOLDERS)
        if unknown:
            errors[field] = _("Unknown placeholder(s): %(names)s. Use: %(known)s.") % {
                "names": ", ".join(unknown),
                "known": ", ".join("{{ " + p + " }}" for p in PLACEHOLDERS),
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def template_save(
    *, actor: Actor, template: CampaignTemplate | None = None, social_posts=(), **fields
) -> CampaignTemplate:
    """Create (template=None) or change a campaign template. Unknown placeholders are refused."""
    if not may_manage_templates(actor):
        raise PermissionDenied(_("Only marketing may build campaign templates."))
    creating = template is None
    if creating:
        template = CampaignTemplate(tenant=require_current_tenant(), created_by=actor.user)
    else:
        template = CampaignTemplate.objects.select_for_update().get(pk=template.pk)
    for name in TEMPLATE_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(template, name, value.strip() if isinstance(value, str) else value)
    if not template.cta_label:
        template.cta_label = _("Contact me")
    template.social_posts = _clean_posts(social_posts)
    _check_placeholders(
        {
            "email_subject": template.email_subject,
            "email_body": template.email_body,
            "landing_headline": template.landing_headline,
            "landing_body": template.landing_body,
            "social_posts": "\n".join(template.social_posts),
        }
    )
    template.updated_at = timezone.now()
    template.full_clean(exclude=["tenant", "uuid", "created_by"])
    template.save()
    audit_record(
        actor=actor,
        action="campaign_template.created" if creating else "campaign_template.changed",
        target=template,
        changes={"name": template.name},
    )
    return template


@transaction.atomic
def template_set_status(*, actor: Actor, template: CampaignTemplate, status: str):
    """Publish (partners see it in the gallery) or retire (no new campaigns; live ones run on)."""
    if not may_manage_templates(actor):
        raise PermissionDenied(_("Only marketing may publish campaign templates."))
    if status not in (TemplateStatus.PUBLISHED, TemplateStatus.RETIRED):
        raise ValidationError({"status": _("Publish or retire the template.")})
    template = CampaignTemplate.objects.select_for_update().get(pk=template.pk)
    before = template.status
    template.status = status
    template.updated_at = timezone.now()
    template.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=f"campaign_template.{status}",
        target=template,
        changes={"status": [before, status]},
    )
    return template


# --- Rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Branding:
    """What a campaign page shows of the partner (saved or, in the live preview, as typed)."""

    partner_name: str
    contact_name: str
    contact_email: str
    contact_phone: str
    offer: str
    brand_color: str
    accent_color: str
    logo_url: str = ""


def branding_of(campaign: Campaign) -> Branding:
    return Branding(
        partner_name=campaign.partner.name,
        contact_name=campaign.contact_name,
        contact_email=campaign.contact_email,
        contact_phone=campaign.contact_phone,
        offer=campaign.offer,
        brand_color=campaign.brand_color,
        accent_color=campaign.accent_color,
        logo_url=logo_url(campaign) if campaign.logo else "",
    )


def safe_color(value: str, default: str) -> str:
    """A colour for a style attribute: #RRGGBB as typed, anything else the default."""
    return value if COLOR_RE.match(value or "") else default


def _values(branding: Branding, *, landing_url: str, first_name: str = "", company: str = ""):
    tenant = require_current_tenant()
    return {
        "partner_name": branding.partner_name,
        "contact_name": branding.contact_name,
        "contact_email": branding.contact_email,
        "contact_phone": branding.contact_phone,
        "offer": branding.offer,
        "landing_url": landing_url,
        "first_name": first_name or _("there"),
        "company": company or _("your company"),
        "program_name": tenant.name,
    }


@dataclass(frozen=True)
class Rendered:
    headline: str
    body_html: SafeString
    brand_color: str
    accent_color: str


def render_landing(copy, branding: Branding, *, landing_url: str = "") -> Rendered:
    """The landing page's copy with the partner's branding: the headline as text (the template
    escapes it), the body as sanitised HTML with every value escaped."""
    values = _values(branding, landing_url=landing_url or "#")
    return Rendered(
        headline=" ".join(placeholders.substitute(copy.landing_headline, values).split()),
        body_html=markdown_to_safe_html(
            placeholders.substitute(
                copy.landing_body, values, for_markdown=True, raw=RAW_PLACEHOLDERS
            )
        ),
        brand_color=safe_color(branding.brand_color, "#1f4e79"),
        accent_color=safe_color(branding.accent_color, "#f2a900"),
    )


def render_email(copy, branding: Branding, *, landing_url: str, first_name="", company=""):
    """(subject, text, html fragment) of the campaign's email for one recipient."""
    values = _values(branding, landing_url=landing_url, first_name=first_name, company=company)
    subject = " ".join(placeholders.substitute(copy.email_subject, values).split())
    text = placeholders.substitute(copy.email_body, values)
    fragment = markdown_to_safe_html(
        placeholders.substitute(copy.email_body, values, for_markdown=True, raw=RAW_PLACEHOLDERS)
    )
    return subject, text, fragment


def render_posts(copy, branding: Branding, links: dict[str, str]) -> list[tuple[str, str]]:
    """Each social post once per network, with that network's tracked link: [(channel, text)].
    A post without {{ landing_url }} gets the link at its end."""
    posts = []
    for channel in SOCIAL_CHANNELS:
        url = links.get(channel, "")
        values = _values(branding, landing_url=url)
        for post in copy.social_posts or []:
            text = placeholders.substitute(post, values)
            if url and url not in text:
                text = f"{text} {url}"
            posts.append((channel, text))
    return posts


def template_sample_branding() -> Branding:
    """Stand-in partner details for previewing a template before any partner co-brands it."""
    return Branding(
        partner_name=_("Your company"),
        contact_name=_("Your name"),
        contact_email="you@example.com",
        contact_phone="+1 555 0100",
        offer=_("Your offer appears here"),
        brand_color="#1f4e79",
        accent_color="#f2a900",
    )


# --- Addresses ---------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return tenant_base_url(require_current_tenant()) + path


def landing_url(campaign: Campaign) -> str:
    return _absolute(reverse("campaign_landing", kwargs={"key": campaign.key}))


def tracked_url(link: TrackedLink) -> str:
    return _absolute(reverse("campaign_link", kwargs={"link_key": link.key}))


def logo_url(campaign: Campaign) -> str:
    return reverse("campaign_logo", kwargs={"key": campaign.key})


def links_of(campaign: Campaign) -> dict[str, str]:
    """{channel: tracked URL} of a campaign's links."""
    return {link.channel: tracked_url(link) for link in campaign.links.all()}


# --- Campaigns ---------------------------------------------------------------------------------

BRANDING_FIELDS = (
    "name",
    "brand_color",
    "accent_color",
    "contact_name",
    "contact_email",
    "contact_phone",
    "offer",
)


def _clean_branding(campaign: Campaign, fields: dict) -> None:
    errors = {}
    for name in BRANDING_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(campaign, name, (value or "").strip() if isinstance(value, str) else value)
    for name in ("brand_color", "accent_color"):
        if not COLOR_RE.match(getattr(campaign, name) or ""):
            errors[name] = _("Enter a colour like #1F4E79.")
    if errors:
        raise ValidationError(errors)


def _clean_fund_request(actor: Actor, campaign: Campaign, fund_request) -> None:
    if fund_request is KEEP:
        return
    if fund_request is None:
        campaign.fund_request = None
        return
    if fund_request.partner_id != campaign.partner_id or fund_request.status not in FUNDABLE:
        raise ValidationError(
            {"fund_request": _("Choose one of your approved MDF activities, or none.")}
        )
    campaign.fund_request = fund_request


def _check_logo(upload):
    """The logo's sniffed type (PNG or JPEG, at most 2 MB), checked before anything is stored."""
    if not upload:
        return None
    return sniff_upload(
        upload,
        allowed=LOGO_KINDS,
        max_bytes=MAX_LOGO_BYTES,
        field="logo",
        message=_("Upload the logo as a PNG or JPEG image."),
    )


def _store_logo(campaign: Campaign, upload, sniffed) -> None:
    """Store a checked logo once the campaign is valid; a replaced file is removed after the
    commit (never before: a rolled-back change keeps the old logo)."""
    if sniffed is None:
        return
    replaced = campaign.logo.name if campaign.logo else ""
    campaign.logo.save(f"logo.{sniffed.ext}", upload, save=False)
    if replaced and replaced != campaign.logo.name:
        storage = campaign.logo.storage
        transaction.on_commit(lambda: storage.delete(replaced))


def fundable_requests(actor: Actor):
    """The actor's organisation's approved MDF activities a campaign may be funded from."""
    return FundRequest.objects.filter(
        partner_id=actor.partner_organization_id, status__in=FUNDABLE
    ).order_by("-starts_on", "title")


@transaction.atomic
def campaign_create(
    *, actor: Actor, template: CampaignTemplate, logo=None, fund_request=None, **fields
) -> Campaign:
    """Co-brand a published template for the actor's organisation (a draft until launched)."""
    if not actor.has(Perm.CAMPAIGNS_RUN) or actor.partner_organization_id is None:
        raise PermissionDenied(_("Only a partner's marketing team may co-brand a campaign."))
    if template.status != TemplateStatus.PUBLISHED:
        raise ValidationError(_("This template is not available for new campaigns."))
    partner = PartnerOrganization.objects.get(pk=actor.partner_organization_id)
    campaign = Campaign(
        tenant=require_current_tenant(),
        template=template,
        partner=partner,
        created_by=actor.user,
        name=template.name,
        offer=template.default_offer,
        email_subject=template.email_subject,
        email_body=template.email_body,
        landing_headline=template.landing_headline,
        landing_body=template.landing_body,
        cta_label=template.cta_label,
        social_posts=list(template.social_posts or []),
    )
    _clean_branding(campaign, fields)
    _clean_fund_request(actor, campaign, fund_request)
    sniffed = _check_logo(logo)
    campaign.full_clean(exclude=["tenant", "uuid", "template", "partner", "created_by", "logo"])
    _store_logo(campaign, logo, sniffed)
    campaign.save()
    audit_record(
        actor=actor,
        action="campaign.created",
        target=campaign,
        changes={"template": template.name, "offer": campaign.offer},
    )
    return campaign


@transaction.atomic
def campaign_update(
    *, actor: Actor, campaign: Campaign, logo=None, fund_request=KEEP, **fields
) -> Campaign:
    """Change a campaign's branding (the fields given), its logo and what funds it (None: no
    MDF activity; not given: unchanged)."""
    _require_run(actor, campaign)
    campaign = Campaign.objects.select_for_update().select_related("partner").get(pk=campaign.pk)
    if campaign.status == CampaignStatus.ENDED:
        raise ValidationError(_("This campaign has ended; co-brand the template again."))
    before = {name: getattr(campaign, name) for name in BRANDING_FIELDS}
    _clean_branding(campaign, fields)
    _clean_fund_request(actor, campaign, fund_request)
    sniffed = _check_logo(logo)
    campaign.full_clean(exclude=["tenant", "uuid", "template", "partner", "created_by", "logo"])
    _store_logo(campaign, logo, sniffed)
    campaign.save()
    changes = {
        name: [before[name], getattr(campaign, name)]
        for name in BRANDING_FIELDS
        if before[name] != getattr(campaign, name)
    }
    audit_record(actor=actor, action="campaign.changed", target=campaign, changes=changes)
    return campaign


_MOVES = {
    "launch": ((CampaignStatus.DRAFT, CampaignStatus.PAUSED), CampaignStatus.LIVE),
    "pause": ((CampaignStatus.LIVE,), CampaignStatus.PAUSED),
    "end": (
        (CampaignStatus.DRAFT, CampaignStatus.LIVE, CampaignStatus.PAUSED),
        CampaignStatus.ENDED,
    ),
}


@transaction.atomic
def campaign_move(*, actor: Actor, campaign: Campaign, move: str) -> Campaign:
    """Launch (the landing page and links go live), pause (they answer "not available") or end
    (for good; pending campaign mail is not sent)."""
    _require_run(actor, campaign)
    if move not in _MOVES:
        raise ValidationError(_("Launch, pause or end the campaign."))
    sources, target = _MOVES[move]
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in sources:
        raise ValidationError(
            _("A campaign that is %(status)s cannot be changed that way.")
            % {"status": campaign.get_status_display().lower()}
        )
    before = campaign.status
    campaign.status = target
    fields = ["status"]
    if target == CampaignStatus.LIVE and campaign.launched_at is None:
        campaign.launched_at = timezone.now()
        fields.append("launched_at")
        TrackedLink.objects.bulk_create(
            [
                TrackedLink(tenant=campaign.tenant, campaign=campaign, channel=channel)
                for channel in (Channel.EMAIL, *SOCIAL_CHANNELS)
            ],
            ignore_conflicts=True,
        )
    campaign.save(update_fields=fields)
    if target == CampaignStatus.ENDED:
        CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING).update(
            send_requested_at=None
        )
    audit_record(
        actor=actor,
        action=f"campaign.{move}",
        target=campaign,
        changes={"status": [before, target]},
    )
    return campaign


# --- The email list and sending ------------------------------------------------------------------


def _read_rows(upload) -> list[dict[str, str]]:
    sniff_upload(
        upload,
        allowed={"csv"},
        max_bytes=MAX_LIST_BYTES,
        field="file",
        message=_("Upload the list as a CSV file."),
    )
    raw = upload.read()
    upload.seek(0)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = csv.DictReader(io.StringIO(text))
    headers = {(h or "").strip().lower().replace(" ", "_"): h for h in reader.fieldnames or []}
    if "email" not in headers:
        raise ValidationError({"file": _("The list needs an “email” column.")})
    rows = []
    for row in reader:
        rows.append(
            {
                key: (row.get(headers[key]) or "").strip() if key in headers else ""
                for key in ("email", "first_name", "company")
            }
        )
    return rows


@transaction.atomic
def recipients_upload(
    *, actor: Actor, campaign: Campaign, upload, consent_confirmed: bool
) -> dict[str, int]:
    """Add a CSV list (columns: email, first_name, company) to the campaign's email. The partner
    must confirm that everyone on it agreed to hear from them. All or nothing: any bad row and
    nothing is added (the message names the rows). Addresses already on the list are skipped."""
    _require_run(actor, campaign)
    if campaign.status == CampaignStatus.ENDED:
        raise ValidationError(_("This campaign has ended."))
    if not consent_confirmed:
        raise ValidationError(
            {"consent": _("Confirm that everyone on the list agreed to receive your email.")}
        )
    rows = _read_rows(upload)
    if not rows:
        raise ValidationError({"file": _("The list has no addresses.")})
    if len(rows) > MAX_LIST_ROWS:
        raise ValidationError(
            {"file": _("Upload at most %(n)s addresses at a time.") % {"n": "5,000"}}
        )
    bad = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            validate_email(row["email"])
        except ValidationError:
            bad.append(number)
    if bad:
        shown = ", ".join(str(n) for n in bad[:10]) + ("…" if len(bad) > 10 else "")
        raise ValidationError(
            {"file": _("These rows have no valid email address: %(rows)s.") % {"rows": shown}}
        )
    seen, fresh = set(), []
    existing = set(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("email", flat=True)
    )
    now = timezone.now()
    for row in rows:
        email = row["email"].lower()
        if email in seen or email in existing:
            continue
        seen.add(email)
        fresh.append(
            CampaignRecipient(
                tenant=campaign.tenant,
                campaign=campaign,
                email=email,
                first_name=row["first_name"][:100],
                company=row["company"][:200],
                consent_confirmed_by=actor.user,
                consent_confirmed_at=now,
            )
        )
    CampaignRecipient.objects.bulk_create(fresh, ignore_conflicts=True)
    audit_record(
        actor=actor,
        action="campaign.list_uploaded",
        target=campaign,
        changes={"added": len(fresh), "skipped": len(rows) - len(fresh)},
    )
    return {"added": len(fresh), "skipped": len(rows) - len(fresh)}


@transaction.atomic
def campaign_send(*, actor: Actor, campaign: Campaign) -> int:
    """Send the campaign's email to everyone on its list not yet sent: the sweep hands them to the
    mail queue a few per minute (CAMPAIGN_MAILS_PER_MINUTE). Returns how many will go."""
    _require_run(actor, campaign)
    if campaign.status != CampaignStatus.LIVE:
        raise ValidationError(_("Launch the campaign before sending its email."))
    count = CampaignRecipient.objects.filter(
        campaign=campaign, status=RecipientStatus.PENDING, send_requested_at__isnull=True
    ).update(send_requested_at=timezone.now())
    if count == 0:
        raise ValidationError(_("Everyone on the list has already been sent the email."))
    audit_record(
        actor=actor, action="campaign.sent", target=campaign, changes={"recipients": count}
    )
    return count


def mails_per_minute() -> int:
    return int(getattr(settings, "CAMPAIGN_MAILS_PER_MINUTE", 60))


def campaign_mail_sweep(*, now=None) -> int:
    """The throttled sender (every minute, per tenant): for each live campaign, hand at most
    `mails_per_minute()` of its due recipients to the outbox, oldest request first. An address
    that opted out of the partner's campaign mail is logged as not sent. Returns how many rows
    were handled."""
    limit = mails_per_minute()
    handled = 0
    campaign_ids = (
        CampaignRecipient.objects.filter(
            status=RecipientStatus.PENDING,
            send_requested_at__isnull=False,
            campaign__status=CampaignStatus.LIVE,
        )
        .order_by()
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    for campaign_id in sorted(set(campaign_ids)):
        with transaction.atomic():
            handled += _send_batch(campaign_id, limit)
    return handled


def _send_batch(campaign_id: int, limit: int) -> int:
    campaign = Campaign.objects.select_related("partner").get(pk=campaign_id)
    due = list(
        CampaignRecipient.objects.select_for_update(skip_locked=True)
        .filter(campaign_id=campaign_id, status=RecipientStatus.PENDING)
        .exclude(send_requested_at=None)
        .order_by("send_requested_at", "id")[:limit]
    )
    if not due:
        return 0
    opted_out = set(
        CampaignOptOut.objects.filter(
            partner_id=campaign.partner_id, email__in=[r.email for r in due]
        ).values_list("email", flat=True)
    )
    branding = branding_of(campaign)
    email_link = TrackedLink.objects.filter(campaign=campaign, channel=Channel.EMAIL).first()
    link = tracked_url(email_link) if email_link else landing_url(campaign)
    now = timezone.now()
    for recipient in due:
        unsubscribed = recipient.email in opted_out
        unsubscribe = campaign_unsubscribe_url(campaign.partner, recipient.email)
        subject, text, fragment = render_email(
            campaign,
            branding,
            landing_url=link,
            first_name=recipient.first_name,
            company=recipient.company,
        )
        context = {
            "campaign": campaign,
            "branding": branding,
            "brand_color": safe_color(branding.brand_color, "#1f4e79"),
            "body_html": fragment,
            "body_text": text,
            "logo_src": _absolute(branding.logo_url) if branding.logo_url else "",
            "unsubscribe_url": unsubscribe,
        }
        email_enqueue(
            kind=CAMPAIGN_MAIL,
            to=recipient.email,
            subject=subject,
            body_text=render_to_string("emails/mdf/campaign.txt", context),
            body_html=render_to_string("emails/mdf/campaign.html", context),
            reply_to=branding.contact_email,
            idempotency_key=f"mdf.campaign:{campaign.uuid}:{recipient.email}",
            partner_uuid=campaign.partner.uuid,
            source_uuid=campaign.uuid,
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            status=DeliveryStatus.UNSUBSCRIBED if unsubscribed else DeliveryStatus.QUEUED,
            reason=_("The recipient unsubscribed.") if unsubscribed else "",
        )
        recipient.status = RecipientStatus.UNSUBSCRIBED if unsubscribed else RecipientStatus.QUEUED
        recipient.sent_at = now
    CampaignRecipient.objects.bulk_update(due, ["status", "sent_at"])
    return len(due)


def tenants_with_campaign_mail_due() -> list[int]:
    """Which active tenants have campaign mail waiting (one query over all tenants)."""
    return list(
        CampaignRecipient.objects.unscoped()
        .filter(
            status=RecipientStatus.PENDING,
            send_requested_at__isnull=False,
            campaign__status=CampaignStatus.LIVE,
            tenant__is_active=True,
        )
        .order_by()
        .values_list("tenant_id", flat=True)
        .distinct()
    )


# --- Unsubscribing -------------------------------------------------------------------------------


def campaign_unsubscribe_url(partner, email: str) -> str:
    token = unsubscribe_links.unsubscribe_token(
        tenant=require_current_tenant(), email=email, salt=UNSUBSCRIBE_SALT, scope=partner.pk
    )
    return _absolute(reverse("campaign_unsubscribe", kwargs={"campaign_unsubscribe_token": token}))


def unsubscribe_read(token: str) -> tuple[str, PartnerOrganization]:
    """(address, partner) of a campaign unsubscribe token of this tenant (see tenancy.unsubscribe
    for the errors)."""
    email, partner_id = unsubscribe_links.unsubscribe_read(token, salt=UNSUBSCRIBE_SALT)
    partner = PartnerOrganization.objects.filter(pk=partner_id).first()
    if partner is None:
        raise ValidationError(_("This unsubscribe link is not valid."))
    return email, partner


def campaign_opt_out(*, partner, email: str) -> CampaignOptOut:
    """No more campaign mail from this partner to this address (idempotent): the sender checks
    the opt-outs of every batch before it queues a mail."""
    email = email.lower()
    try:
        with transaction.atomic():
            row, _created = CampaignOptOut.objects.get_or_create(
                tenant=require_current_tenant(), partner=partner, email=email
            )
    except IntegrityError:
        row = CampaignOptOut.objects.get(partner=partner, email=email)
    return row


# --- Tracked links and leads ---------------------------------------------------------------------


def link_follow(key: str) -> TrackedLink | None:
    """Count a click on a tracked link of a live campaign; None when there is no such link or
    the campaign is not live."""
    link = (
        TrackedLink.objects.select_related("campaign")
        .filter(key=key, campaign__status=CampaignStatus.LIVE)
        .first()
    )
    if link is not None:
        TrackedLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    return link


def channel_of(campaign: Campaign, via: str) -> str:
    """The channel a visitor came from: the tracked link key they followed, if it is this
    campaign's; else the landing page itself."""
    if via:
        channel = (
            TrackedLink.objects.filter(campaign=campaign, key=via)
            .values_list("channel", flat=True)
            .first()
        )
        if channel:
            return channel
    return Channel.LANDING


LEAD_FIELDS = ("first_name", "last_name", "company", "job_title", "phone", "message")


def lead_capture(*, campaign: Campaign, data: dict, via: str = "") -> tuple[Lead, bool]:
    """A lead from the campaign's public form: the partner's and the campaign's, one per email
    address (a second submission of the same address adds to the first, it is not a new lead).
    Returns (lead, created). The partner's marketing people hear of a new lead."""
    if campaign.status != CampaignStatus.LIVE:
        raise ValidationError(_("This offer is no longer available."))
    email = (data.get("email") or "").strip().lower()
    now = timezone.now()
    with transaction.atomic():
        existing = Lead.objects.select_for_update().filter(campaign=campaign, email=email).first()
        if existing is not None:
            existing.submissions += 1
            existing.last_submitted_at = now
            if data.get("message"):
                existing.message = str(data["message"])[:5000]
            existing.marketing_consent = existing.marketing_consent or bool(
                data.get("marketing_consent")
            )
            existing.save(
                update_fields=["submissions", "last_submitted_at", "message", "marketing_consent"]
            )
            return existing, False
        lead = Lead(
            tenant=campaign.tenant,
            campaign=campaign,
            partner_id=campaign.partner_id,
            email=email,
            marketing_consent=bool(data.get("marketing_consent")),
            channel=channel_of(campaign, via),
            created_at=now,
            last_submitted_at=now,
            **{name: (data.get(name) or "").strip() for name in LEAD_FIELDS},
        )
        lead.full_clean(exclude=["tenant", "uuid", "campaign", "partner", "registration"])
        try:
            with transaction.atomic():
                lead.save()
        except IntegrityError:  # the same address at the same moment: the first one stands
            return Lead.objects.get(campaign=campaign, email=email), False
        emit(
            "lead.created",
            aggregate="lead",
            aggregate_uuid=lead.uuid,
            partner_uuid=campaign.partner.uuid,
            data={
                "lead": str(lead.uuid),
                "campaign": campaign.name,
                "partner": str(campaign.partner.uuid),
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "email": lead.email,
                "company": lead.company,
                "job_title": lead.job_title,
                "marketing_consent": lead.marketing_consent,
                "created_at": lead.created_at.isoformat(),
            },
        )
        _tell_partner_of_lead(campaign, lead)
    return lead, True


def _tell_partner_of_lead(campaign: Campaign, lead: Lead) -> None:
    people = [
        m.user
        for m in Membership.objects.filter(
            partner_organization_id=campaign.partner_id,
            is_active=True,
            user__is_active=True,
            role__in=access.roles_with(Perm.CAMPAIGNS_RUN),
        )
        .select_related("user")
        .order_by("user__email")
    ]
    url = _absolute(reverse("portal_lead", kwargs={"lead_uuid": lead.uuid}))
    for user in people:
        context = {"tenant": campaign.tenant, "lead": lead, "campaign": campaign, "url": url}
        notify(
            user=user,
            kind=NEW_LEAD,
            subject=_("New lead: %(name)s at %(company)s")
            % {"name": lead.full_name, "company": lead.company},
            body_text=render_to_string("emails/mdf/lead.txt", {**context, "recipient": user}),
            body_html=render_to_string("emails/mdf/lead.html", {**context, "recipient": user}),
            url=url,
            partner_uuid=campaign.partner.uuid,
            source_uuid=lead.uuid,
        )


@transaction.atomic
def lead_register_deal(*, actor: Actor, lead: Lead, **deal_fields):
    """Register a lead as a deal for the actor's organisation (dealreg's rules apply: the
    benefit gate, conflicts, routing); the lead keeps the link. A lead becomes one deal."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.partner_id != actor.partner_organization_id or not actor.has(Perm.DEALS_REGISTER):
        raise PermissionDenied(_("You may not register this lead as a deal."))
    if lead.registration_id is not None:
        raise ValidationError(_("This lead is already registered as a deal."))
    deal = deal_register(actor=actor, **deal_fields)
    lead.registration = deal
    lead.save(update_fields=["registration"])
    audit_record(
        actor=actor,
        action="lead.registered",
        target=lead,
        changes={"deal": str(deal.uuid), "campaign": lead.campaign.name},
    )
    return deal


def lead_deal_initial(lead: Lead) -> dict:
    """What the deal form starts with for a lead."""
    domain = lead.email.rsplit("@", 1)[-1] if "@" in lead.email else ""
    return {
        "customer_name": lead.company,
        "customer_domain": domain,
        "contact_name": lead.full_name,
        "contact_email": lead.email,
        "partner_notes": _("From the campaign “%(campaign)s”.") % {"campaign": lead.campaign.name}
        + (f"\n{lead.message}" if lead.message else ""),
        "expected_close_date": timezone.localdate() + timedelta(days=90),
    }


def activity_types() -> list[tuple[str, str]]:
    return list(ActivityType.choices)
