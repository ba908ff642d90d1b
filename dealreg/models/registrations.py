"""Deal registrations, their status history and extension requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from partners.models import Region
from tenancy.scoping import TenantOwnedModel


class DealStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    EXPIRED = "expired", _("Expired")


# Registrations waiting for an approver's decision (the SLA clock runs).
PENDING_STATUSES = (DealStatus.SUBMITTED, DealStatus.UNDER_REVIEW)


class SlaState(models.TextChoices):
    ON_TIME = "on_time", _("On time")
    DUE_SOON = "due_soon", _("Due soon")
    BREACHED = "breached", _("SLA breached")
    DECIDED_ON_TIME = "decided_on_time", _("Decided on time")
    DECIDED_LATE = "decided_late", _("Decided late")
    NONE = "none", _("No SLA")


class SalesStage(models.TextChoices):
    QUALIFICATION = "qualification", _("Qualification")
    DISCOVERY = "discovery", _("Discovery")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    CLOSING = "closing", _("Closing")


# What dealreg.selectors.reports aggregates and scopes by, besides the submission time.
REPORT_COLUMNS = [
    "status",
    "partner",
    "assigned_to",
    "decided_at",
    "approved_at",
    "sla_due_at",
    "region",
    "currency",
    "estimated_value",
]


class DealRegistration(TenantOwnedModel):
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.PROTECT, related_name="deal_registrations"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The account the registration claims; found or created at submission.
    account = models.ForeignKey(
        "dealreg.CustomerAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
    )
    customer_name = models.CharField(_("customer account"), max_length=200)
    customer_domain = models.CharField(_("customer domain"), max_length=253, blank=True)
    customer_country = CountryField(_("customer country"), blank=True)
    region = models.CharField(_("region"), max_length=8, choices=Region.choices, blank=True)
    contact_name = models.CharField(_("customer contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    estimated_value = models.DecimalField(_("estimated value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    expected_close_date = models.DateField(_("expected close date"))
    partner_notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        max_length=16, choices=DealStatus.choices, default=DealStatus.SUBMITTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    # Conflicts found at submission and again at approval: [{"kind", "score", "registration",
    # "partner", "account", ...}] — the approver sees all of it; the partner only that one exists.
    conflicts = models.JSONField(default=list, blank=True)
    conflicts_checked_at = models.DateTimeField(null=True, blank=True)

    # Routing and the approval SLA (business hours).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver (empty = program queue)"),
    )
    routing_rule = models.ForeignKey(
        "dealreg.RoutingRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_reminded_at = models.DateTimeField(null=True, blank=True)
    sla_escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    auto_approved = models.BooleanField(default=False)

    # The lock: an approved registration holds its account until expires_at.
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    extensions_used = models.PositiveSmallIntegerField(default=0)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # won / lost / expired

    # The partner's pipeline view (the CRM sync fills these later; managers may edit).
    sales_stage = models.CharField(
        _("stage"), max_length=16, choices=SalesStage.choices, default=SalesStage.QUALIFICATION
    )
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    manager_notes = models.TextField(_("manager notes"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # THE lock, enforced by the database: at most one approved registration per account,
            # so two approvals racing for one account cannot both commit.
            models.UniqueConstraint(
                fields=["tenant", "account"],
                condition=Q(status="approved"),
                name="deal_one_lock_per_account",
            ),
        ]
        indexes = [
            # Newest first, as the API lists them (keyset pages: a page is the next rows of
            # the index after the cursor): the tenant's, and one partner's.
            models.Index(fields=["tenant", "-created_at", "-uuid"], name="deal_recent"),
            models.Index(
                fields=["tenant", "partner", "-created_at", "-uuid"], name="deal_partner_recent"
            ),
            models.Index(fields=["tenant", "status"], name="deal_status"),
            models.Index(fields=["tenant", "customer_domain"], name="deal_domain"),
            models.Index(fields=["tenant", "account", "status"], name="deal_account_status"),
            models.Index(fields=["tenant", "assigned_to", "status"], name="deal_approver_queue"),
            models.Index(fields=["tenant", "status", "sla_due_at"], name="deal_sla_due"),
            # The approval queue in its order (most urgent first), over pending rows only: a
            # page is the first rows of this index whatever the number of registrations. Its
            # partner and approver (PostgreSQL: in the index) make a manager's "awaiting you"
            # count an index-only scan (1.7 ms instead of 9 at a million registrations).
            models.Index(
                fields=["tenant", "sla_due_at", "submitted_at", "id"],
                condition=models.Q(status__in=PENDING_STATUSES),
                include=["partner", "assigned_to"],
                name="deal_pending_queue",
            ),
            # The approval queue sorted by submission (its "Submitted" column), pending rows only.
            models.Index(
                fields=["tenant", "submitted_at", "id"],
                condition=models.Q(status__in=PENDING_STATUSES),
                name="deal_submitted",
            ),
            models.Index(fields=["tenant", "status", "expires_at"], name="deal_expiry"),
            # The console list's default order (newest submission first) and the reports' period
            # (a range of submission times): the columns the reports aggregate are included, so
            # their scans read this index only, not the table (PostgreSQL; products excepted, a
            # list too long for an index entry).
            models.Index(
                fields=["tenant", "-submitted_at", "-created_at", "-id"],
                include=REPORT_COLUMNS,
                name="deal_submitted_desc",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} ({self.partner})"


# What each history action reads as (DealEvent.action holds the code).
EVENT_LABELS = {
    "drafted": _("Draft saved"),
    "submitted": _("Submitted"),
    "under_review": _("Taken under review"),
    "approved": _("Approved"),
    "auto_approved": _("Approved automatically"),
    "rejected": _("Rejected"),
    "won": _("Reported won"),
    "lost": _("Reported lost"),
    "expired": _("Expired"),
    "extension_requested": _("Extension requested"),
    "extended": _("Lock extended"),
    "extension_rejected": _("Extension refused"),
    "expiry_warning": _("Expiry warning sent"),
    "lock_released": _("Lock released after a dispute"),
    "sla_reminder": _("Approver reminded"),
    "sla_escalated": _("Escalated: no decision in time"),
    "revenue_converted": _("Revenue recorded"),
    "revenue_not_posted": _("Revenue not recorded"),
}
# Actions whose label already says the status they lead to: no "→ status" after them.
_STATUS_IN_LABEL = frozenset(DealStatus.values) | {"auto_approved"}


class DealEvent(TenantOwnedModel):
    """One move of a registration (and other notable events: extension, reminder, escalation)."""

    registration = models.ForeignKey(
        DealRegistration, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=32)  # "submitted", "approved", "extended", "escalated"…
    from_status = models.CharField(max_length=16, choices=DealStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=DealStatus.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_label = models.CharField(max_length=254, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["tenant", "registration", "at"], name="dealevent_deal")]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.action}"

    @property
    def label(self) -> str:
        """The action in words ("Approved automatically"), never its code."""
        label = EVENT_LABELS.get(self.action)
        return str(label) if label else self.action.replace("_", " ").capitalize()

    @property
    def status_label(self) -> str:
        """The status the event led to, when the action's label does not already say it."""
        if not self.to_status or self.action in _STATUS_IN_LABEL:
            return ""
        return self.get_to_status_display()


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ExtensionRequest(TenantOwnedModel):
    registration = models.ForeignKey(
        DealRegistration, on_delete=models.CASCADE, related_name="extension_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("why more time"))
    status = models.CharField(
        max_length=8, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open request per registration at a time.
            models.UniqueConstraint(
                fields=["tenant", "registration"],
                condition=Q(status="pending"),
                name="extension_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Extension of {self.registration_id} ({self.status})"
