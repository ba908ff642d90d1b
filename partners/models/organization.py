"""Partner organisations: profile, contacts, lifecycle and its history, applications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from tenancy.models import register_member_organization
from tenancy.scoping import TenantOwnedModel


class PartnerType(models.TextChoices):
    RESELLER = "reseller", _("Reseller")
    REFERRAL = "referral", _("Referral")
    ISV = "isv", _("ISV / technology")
    MSP = "msp", _("MSP / services")
    AFFILIATE = "affiliate", _("Affiliate")
    INFLUENCER = "influencer", _("Influencer / ambassador")
    COMMUNITY = "community", _("Open-source community")
    MARKETPLACE = "marketplace", _("Cloud marketplace")


class LifecycleState(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    CONTRACTED = "contracted", _("Contracted")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    RETIRED = "retired", _("Retired")


class Region(models.TextChoices):
    NORTH_AMERICA = "NA", _("North America")
    LATAM = "LATAM", _("Latin America")
    EMEA = "EMEA", _("Europe, Middle East & Africa")
    APAC = "APAC", _("Asia-Pacific")


class EmployeeBand(models.TextChoices):
    # The key's number is the band's lower bound: IPP rules compare on it ("employees >= 50").
    B1 = "1", _("1–10")
    B11 = "11", _("11–50")
    B51 = "51", _("51–200")
    B201 = "201", _("201–1,000")
    B1001 = "1001", _("1,001–5,000")
    B5001 = "5001", _("5,001+")


class RevenueBand(models.TextChoices):
    # Lower bound in millions (USD) per year.
    R0 = "0", _("Under $1M")
    R1 = "1", _("$1M–$10M")
    R10 = "10", _("$10M–$50M")
    R50 = "50", _("$50M–$250M")
    R250 = "250", _("$250M–$1B")
    R1000 = "1000", _("$1B+")


class SalesMotion(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    SOLUTION = "solution", _("Solution selling")
    CONSULTATIVE = "consultative", _("Consultative / advisory")


class PartnerSource(models.TextChoices):
    MANUAL = "manual", _("Added by staff")
    APPLICATION = "application", _("Public application")
    IMPORT = "import", _("Import")


class PartnerOrganization(TenantOwnedModel):
    """A partner company in one tenant's program."""

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=250, blank=True)
    website = models.URLField(_("website"), blank=True)
    # Normalised from the website or an email domain ("acme.com"): de-duplication key.
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    logo_url = models.URLField(_("logo URL"), blank=True)
    description = models.TextField(_("description"), blank=True)
    hq_country = CountryField(_("HQ country"), blank=True)
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    employee_band = models.CharField(
        _("employees"), max_length=8, choices=EmployeeBand.choices, blank=True
    )
    revenue_band = models.CharField(
        _("annual revenue"), max_length=8, choices=RevenueBand.choices, blank=True
    )
    # The primary type drives permissions and content; partner_types lists every type it plays.
    partner_type = models.CharField(
        _("primary partner type"), max_length=32, choices=PartnerType.choices
    )
    partner_types = models.JSONField(_("partner types"), default=list, blank=True)
    skills = models.JSONField(_("specialisations / skills"), default=list, blank=True)
    # Cultural traits used by the Ideal Partner Profile.
    sales_motion = models.CharField(
        _("sales motion"), max_length=16, choices=SalesMotion.choices, blank=True
    )
    co_marketing = models.BooleanField(_("willing to co-market"), default=False)
    planned_certified_staff = models.PositiveIntegerField(
        _("staff they plan to certify"), default=0
    )

    state = models.CharField(
        _("lifecycle state"),
        max_length=16,
        choices=LifecycleState.choices,
        default=LifecycleState.PROSPECT,
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(
        max_length=16, choices=PartnerSource.choices, default=PartnerSource.MANUAL
    )
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel manager"),
    )
    tier = models.ForeignKey(
        "partners.Tier", on_delete=models.PROTECT, null=True, blank=True, related_name="partners"
    )
    tier_since = models.DateTimeField(null=True, blank=True)
    # Set when the partner first falls below its tier's requirements; a downgrade is proposed only
    # after the program's grace period has run from here. Cleared when it meets them again.
    below_tier_since = models.DateTimeField(null=True, blank=True)

    ipp_score = models.PositiveSmallIntegerField(_("IPP fit score"), null=True, blank=True)
    ipp_explanation = models.JSONField(default=list, blank=True)
    ipp_scored_at = models.DateTimeField(null=True, blank=True)

    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="partnerorg_unique_name"),
            # One partner per website domain in a tenant: the public form and imports match on it.
            models.UniqueConstraint(
                "tenant",
                Lower("domain"),
                condition=~Q(domain=""),
                name="partnerorg_unique_domain",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "channel_manager"], name="partnerorg_manager"),
            models.Index(fields=["tenant", "state"], name="partnerorg_state"),
            models.Index(fields=["tenant", "domain"], name="partnerorg_domain"),
            models.Index(fields=["tenant", "tier"], name="partnerorg_tier"),
            models.Index(fields=["tenant", "-ipp_score"], name="partnerorg_ipp"),
        ]

    def __str__(self) -> str:
        return self.name


# Partner users' memberships, invitations to partner roles and partner API keys belong to a
# partner organisation: tenancy stores its id, this gives them `partner_organization` (and
# `partner.memberships`); migration 0004 adds the database foreign keys.
register_member_organization(PartnerOrganization)


class ContactRole(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SALES = "sales", _("Sales")
    TECHNICAL = "technical", _("Technical")
    MARKETING = "marketing", _("Marketing")
    BILLING = "billing", _("Billing")
    EXECUTIVE = "executive", _("Executive sponsor")
    OTHER = "other", _("Other")


class PartnerContact(TenantOwnedModel):
    """A key contact at a partner (not necessarily a portal user). At most one is the primary
    contact (a database constraint; services.organization demotes the old primary to "other")."""

    partner = models.ForeignKey(
        PartnerOrganization, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    role = models.CharField(
        _("role"), max_length=16, choices=ContactRole.choices, default=ContactRole.OTHER
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["tenant", "partner"], name="partnercontact_partner")]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=models.Q(role="primary"),
                name="partnercontact_one_primary",
                violation_error_message=_("This partner already has a primary contact."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class LifecycleEvent(TenantOwnedModel):
    """One move of a partner through the lifecycle: who moved it, when and why."""

    partner = models.ForeignKey(
        PartnerOrganization, on_delete=models.CASCADE, related_name="lifecycle_events"
    )
    from_state = models.CharField(max_length=16, choices=LifecycleState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=LifecycleState.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_label = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "partner", "-created_at"], name="lifecycle_partner")
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_state or '∅'} → {self.to_state}"


class ApplicationDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged into the existing partner")


class Application(TenantOwnedModel):
    """A submission of the public application form, with what the applicant typed.

    A company nobody knew becomes a prospect in "applied" (`partner` is that prospect). A
    submission whose website domain or company name matches an existing partner changes nothing:
    it is held beside that partner (`held_for_review`) until staff merge it, create a new prospect
    from it or reject it — an anonymous form never edits a record staff keep.
    """

    partner = models.ForeignKey(
        PartnerOrganization, on_delete=models.CASCADE, related_name="applications"
    )
    held_for_review = models.BooleanField(default=False)
    # What was submitted (the partner's own fields are staff's; these stay as typed).
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    hq_country = CountryField(_("HQ country"), blank=True)
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    employee_band = models.CharField(
        _("employees"), max_length=8, choices=EmployeeBand.choices, blank=True
    )
    partner_types = models.JSONField(_("partner types"), default=list, blank=True)
    skills = models.JSONField(_("specialisations / skills"), default=list, blank=True)
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contact_title = models.CharField(max_length=120, blank=True)
    message = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=16, choices=ApplicationDecision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["tenant", "-submitted_at"], name="application_recent")]

    def __str__(self) -> str:
        return f"Application of {self.company_name or self.partner}"
