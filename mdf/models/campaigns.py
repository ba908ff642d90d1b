"""Through-partner marketing: campaign templates built by the vendor's marketing team, the
co-branded campaigns partners launch from them, and what those campaigns bring back.

A template holds the copy (an email, a landing page, social posts) with {{ placeholders }}. A
partner co-brands it (logo, colours, contact, offer) into a Campaign, whose copy is a snapshot of
the template at that moment: editing the template later never changes a campaign that is live.
A live campaign's landing page is public at /lp/<public key>/ (its key is the partner-specific
part of the address); leads captured there belong to the partner and the campaign, one per email
address. Emails go to a list the partner uploads (each address with the partner's confirmation
of consent), a few per minute, through the one mail outbox; an address that unsubscribed from a
partner's campaign mail gets none of that partner's campaign mail again. Social posts carry a
tracked link (/go/<key>/) that counts clicks and attributes the leads it brings.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel
from tenancy.uploads import tenant_path

from .requests import ActivityType


def public_key() -> str:
    return secrets.token_urlsafe(9)  # 12 URL-safe characters: unguessable, short enough to share


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class CampaignTemplate(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    activity_type = models.CharField(
        _("activity type"), max_length=12, choices=ActivityType.choices, default="digital"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    email_subject = models.CharField(_("email subject"), max_length=200)
    email_body = models.TextField(_("email body"))
    landing_headline = models.CharField(_("landing page headline"), max_length=200)
    landing_body = models.TextField(_("landing page text"))
    cta_label = models.CharField(_("form button"), max_length=60, default="Contact me")
    social_posts = models.JSONField(_("social posts"), default=list, blank=True)
    default_offer = models.CharField(_("suggested offer"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LIVE = "live", _("Live")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


def logo_upload_to(campaign: Campaign, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return tenant_path("campaign-logos", campaign.tenant_id, f"{campaign.uuid}.{ext}")


class Campaign(TenantOwnedModel):
    template = models.ForeignKey(
        CampaignTemplate, on_delete=models.PROTECT, related_name="campaigns"
    )
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="campaigns"
    )
    # The MDF activity that pays for it, if any: its leads and deals count in that activity's ROI.
    fund_request = models.ForeignKey(
        "mdf.FundRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("funded by"),
    )
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    key = models.CharField(max_length=24, default=public_key, unique=True)
    # Co-branding: all partner-supplied, always escaped where shown.
    logo = models.FileField(upload_to=logo_upload_to, max_length=200, blank=True)
    brand_color = models.CharField(_("main colour"), max_length=7, default="#1f4e79")
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#f2a900")
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    offer = models.CharField(_("offer"), max_length=300, blank=True)
    # The template's copy when the campaign was made (placeholders still in it).
    email_subject = models.CharField(max_length=200)
    email_body = models.TextField()
    landing_headline = models.CharField(max_length=200)
    landing_body = models.TextField()
    cta_label = models.CharField(max_length=60)
    social_posts = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "partner", "-created_at"], name="campaign_log")]

    def __str__(self) -> str:
        return self.name


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    QUEUED = "queued", _("Sent to the mail queue")
    UNSUBSCRIBED = "unsubscribed", _("Not sent (unsubscribed)")


class CampaignRecipient(TenantOwnedModel):
    """One address of the list a partner uploaded for a campaign's email."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    email = models.EmailField(_("email"))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    # The partner confirmed, when uploading, that this person agreed to hear from them.
    consent_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    consent_confirmed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        _("status"), max_length=12, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    # Set when "send" was pressed; the throttled sweep takes due rows oldest first.
    send_requested_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "email"], name="campaignrecipient_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_requested_at"],
                condition=models.Q(status="pending", send_requested_at__isnull=False),
                name="campaignrecipient_due",
            )
        ]

    def __str__(self) -> str:
        return self.email


class CampaignOptOut(TenantOwnedModel):
    """An address that wants no more campaign mail from this partner."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField()
    opted_out_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "email"], name="campaignoptout_once"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class Channel(models.TextChoices):
    LANDING = "landing", _("Landing page")
    EMAIL = "email", _("Email")
    LINKEDIN = "linkedin", _("LinkedIn")
    X = "x", _("X (Twitter)")
    FACEBOOK = "facebook", _("Facebook")


SOCIAL_CHANNELS = (Channel.LINKEDIN, Channel.X, Channel.FACEBOOK)


class TrackedLink(TenantOwnedModel):
    """A campaign's short link for one channel: /go/<key>/ counts the click and opens the
    landing page, which then attributes a lead to that channel."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    key = models.CharField(max_length=24, default=public_key, unique=True)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "channel"], name="trackedlink_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.channel}"


class Lead(TenantOwnedModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="leads")
    # The campaign's partner, kept on the row: lists scope and filter by it.
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="leads"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"))  # lower-cased: the de-duplication key
    company = models.CharField(_("company"), max_length=200)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    marketing_consent = models.BooleanField(_("agreed to hear from the partner"), default=False)
    channel = models.CharField(
        _("came from"), max_length=10, choices=Channel.choices, default=Channel.LANDING
    )
    submissions = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    last_submitted_at = models.DateTimeField(default=timezone.now)
    # The deal registration it became (dealreg is below mdf: the link lives here).
    registration = models.OneToOneField(
        "dealreg.DealRegistration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lead",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "email"], name="lead_once_per_campaign"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "partner", "-created_at"], name="lead_log")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.company})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
