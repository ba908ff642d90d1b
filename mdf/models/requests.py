"""Fund requests (a planned marketing activity), their claims with proof of performance, and
payouts.

A request's life: submitted (funds held) → awaiting the channel manager → (above the fund's
marketing threshold) awaiting marketing → approved (funds committed) → claimed → claim approved →
paid. Any reviewer may reject (funds released) or ask for changes (funds stay held until the
partner resubmits or withdraws). A claim may be for less than the approved amount (the rest is
released when the claim is approved) but never for more."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel
from tenancy.uploads import tenant_path

from .funds import money


class ActivityType(models.TextChoices):
    EVENT = "event", _("Event")
    TRADE_SHOW = "trade_show", _("Trade show")
    WEBINAR = "webinar", _("Webinar")
    DIGITAL = "digital", _("Digital campaign")
    EMAIL = "email", _("Email campaign")
    CONTENT = "content", _("Content")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class RequestStatus(models.TextChoices):
    MANAGER_REVIEW = "manager_review", _("Awaiting the channel manager")
    MARKETING_REVIEW = "marketing_review", _("Awaiting marketing")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    CLAIMED = "claimed", _("Claim submitted")
    COMPLETED = "completed", _("Paid")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed without a claim")


OPEN_REVIEW = (RequestStatus.MANAGER_REVIEW, RequestStatus.MARKETING_REVIEW)
HOLDING = (*OPEN_REVIEW, RequestStatus.CHANGES_REQUESTED)


class FundRequest(TenantOwnedModel):
    allocation = models.ForeignKey(
        "mdf.Allocation", on_delete=models.PROTECT, related_name="requests"
    )
    # The allocation's partner, kept on the row: every list scopes and filters by it.
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="mdf_requests"
    )
    title = models.CharField(_("activity"), max_length=200)
    activity_type = models.CharField(_("type"), max_length=12, choices=ActivityType.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    amount = money(_("amount requested"))
    currency = models.CharField(_("currency"), max_length=3)
    expected_leads = models.PositiveIntegerField(_("expected leads"), default=0)
    expected_pipeline = money(_("expected pipeline"), default=0)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices)
    approved_amount = money(_("amount approved"), null=True, blank=True)
    claim_deadline = models.DateField(_("claim by"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="mdf_request_amount_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="mdf_request_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__gt=0, approved_amount__lte=F("amount")),
                name="mdf_request_approved_within_requested",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "submitted_at"], name="mdf_request_queue"),
            models.Index(fields=["tenant", "partner", "-submitted_at"], name="mdf_request_partner"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open_for_review(self) -> bool:
        return self.status in OPEN_REVIEW


class RequestEvent(TenantOwnedModel):
    """The request's (and its claim's) timeline: who did what, with their comment."""

    request = models.ForeignKey(FundRequest, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    comment = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_label = models.CharField(max_length=254, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action.replace("_", " ")))


EVENT_LABELS = {
    "submitted": _("requested the funds"),
    "resubmitted": _("changed the request and sent it again"),
    "forwarded": _("approved and sent it to marketing"),
    "approved": _("approved the request"),
    "rejected": _("rejected the request"),
    "changes_requested": _("asked for changes"),
    "withdrawn": _("withdrew the request"),
    "closed": _("closed the request without a claim"),
    "claim_submitted": _("claimed the funds"),
    "claim_resubmitted": _("changed the claim and sent it again"),
    "claim_approved": _("approved the claim"),
    "claim_rejected": _("rejected the claim"),
    "claim_changes_requested": _("asked for changes to the claim"),
    "paid": _("recorded the payment"),
}


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved, awaiting payment")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class Claim(TenantOwnedModel):
    request = models.OneToOneField(FundRequest, on_delete=models.CASCADE, related_name="claim")
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="mdf_claims"
    )
    # What the partner spent, in the currency it spent in, and that amount in the fund's
    # currency (converted with the program's exchange rates when the claim was submitted).
    spent = money(_("amount spent"))
    spent_currency = models.CharField(_("currency spent"), max_length=3)
    amount = money(_("amount claimed"))
    leads = models.PositiveIntegerField(_("leads"), default=0)
    pipeline = money(_("pipeline"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ClaimStatus.choices)
    is_late = models.BooleanField(_("late"), default=False)
    approved_amount = money(_("amount approved"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="mdf_claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__gt=0, approved_amount__lte=F("amount")),
                name="mdf_claim_approved_within_claimed",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "submitted_at"], name="mdf_claim_queue"),
        ]

    def __str__(self) -> str:
        return f"Claim for {self.request}"


class ClaimFileKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    PHOTO = "photo", _("Photo")
    ATTENDEES = "attendees", _("Attendee list")
    LEADS = "leads", _("Lead file")
    OTHER = "other", _("Other proof")


def proof_upload_to(proof: ClaimFile, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return tenant_path("mdf-proof", proof.tenant_id, f"{proof.uuid}.{ext}")


class ClaimFile(TenantOwnedModel):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("kind"), max_length=12, choices=ClaimFileKind.choices)
    file = models.FileField(upload_to=proof_upload_to, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class PayoutMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CREDIT_NOTE = "credit_note", _("Credit note")
    CHECK = "check", _("Check")
    OTHER = "other", _("Other")


def remittance_upload_to(payout: Payout, filename: str) -> str:
    return tenant_path("mdf-remittances", payout.tenant_id, f"{payout.uuid}.pdf")


class Payout(TenantOwnedModel):
    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="payout")
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="mdf_payouts"
    )
    amount = money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=16, choices=PayoutMethod.choices)
    reference = models.CharField(_("reference"), max_length=120)
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # The remittance advice, rendered once (tenancy.uploads.store_document_once).
    remittance_file = models.FileField(upload_to=remittance_upload_to, blank=True, max_length=200)
    remittance_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="mdf_payout_amount_positive"),
        ]
        indexes = [models.Index(fields=["tenant", "-paid_on"], name="mdf_payout_recent")]

    def __str__(self) -> str:
        return f"Payout {self.reference}"
