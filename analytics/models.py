"""Executive analytics: the tenant's measurement settings, recorded deal touches, and the rollup
tables every dashboard reads (precomputed by `analytics.rollups`, never written by a page)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel

ZERO = Decimal("0")


def money(verbose_name="", **kwargs):
    return models.DecimalField(
        verbose_name, max_digits=16, decimal_places=2, default=ZERO, **kwargs
    )


class AttributionModel(models.TextChoices):
    FIRST = "first_touch", _("First touch")
    LAST = "last_touch", _("Last touch")
    LINEAR = "linear", _("Linear")
    WEIGHTED = "weighted", _("Weighted")


class TouchKind(models.TextChoices):
    REGISTERED = "registered", _("Registered the deal")
    REFERRAL = "referral", _("Referred the customer")
    CAMPAIGN_LEAD = "campaign_lead", _("Brought the lead (campaign)")
    CO_SELL = "co_sell", _("Co-sold")
    INFLUENCE = "influence", _("Influenced (partner activity)")


# A touch that brought the customer makes its credit "sourced"; one that helped an existing
# opportunity makes it "influenced".
SOURCING_TOUCHES = frozenset({TouchKind.REGISTERED, TouchKind.REFERRAL, TouchKind.CAMPAIGN_LEAD})
# The touches staff record by hand (the others come from registrations and campaign leads).
RECORDED_TOUCHES = (TouchKind.REFERRAL, TouchKind.CO_SELL, TouchKind.INFLUENCE)
DEFAULT_WEIGHTS = {
    TouchKind.REGISTERED.value: 40,
    TouchKind.CAMPAIGN_LEAD.value: 20,
    TouchKind.REFERRAL.value: 20,
    TouchKind.CO_SELL.value: 10,
    TouchKind.INFLUENCE.value: 10,
}


PSAT_QUESTIONS = (
    _("How easy is it to do business with us?"),
    _("How useful are our training and certifications?"),
    _("How well do we support your deals (registration, pricing, co-selling)?"),
    _("How helpful is your channel manager?"),
    _("How useful are our marketing funds and campaigns?"),
)


class CostRule(models.TextChoices):
    MANAGED = "managed", _("Each channel manager's cost split across the partners they manage")
    EQUAL = "equal", _("All management cost split equally across active partners")
    REVENUE = "revenue", _("All management cost split by each partner's share of revenue")


class AnalyticsSettings(TenantOwnedModel):
    """How the tenant measures its program (one row per tenant)."""

    attribution_weights = models.JSONField(
        _("weights of the weighted model"), default=dict, blank=True
    )
    cost_rule = models.CharField(
        _("partner-management cost rule"),
        max_length=16,
        choices=CostRule.choices,
        default=CostRule.MANAGED,
    )
    manager_monthly_cost = money(
        _("cost of a channel manager per month"),
        help_text=_("Salary and overheads of one channel manager, in the program currency."),
    )
    program_monthly_cost = money(
        _("other program cost per month"),
        help_text=_("Tools, events and staff not assigned to partners, in the program currency."),
    )
    # Customer lifetime value and acquisition cost, channel vs direct.
    channel_marketing_monthly_cost = money(
        _("channel marketing cost per month"),
        help_text=_(
            "Marketing spent to win customers through partners, besides MDF (MDF paid is "
            "counted from the funds)."
        ),
    )
    direct_marketing_monthly_cost = money(
        _("direct marketing cost per month"),
        help_text=_("Marketing spent to win customers your own sales team closes."),
    )
    direct_sales_monthly_cost = money(
        _("direct sales cost per month"),
        help_text=_("Salary, commission and overheads of your own sales team."),
    )
    gross_margin_percent = models.DecimalField(
        _("gross margin %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("80"),
        help_text=_("What is left of a sale after the cost of delivering it."),
    )
    max_lifetime_years = models.PositiveSmallIntegerField(
        _("longest customer lifetime counted (years)"), default=5
    )
    # Partner satisfaction surveys.
    psat_every_months = models.PositiveSmallIntegerField(
        _("send a satisfaction survey every (months)"),
        default=6,
        help_text=_("0: only when you start one."),
    )
    psat_open_days = models.PositiveSmallIntegerField(_("days a survey stays open"), default=21)
    psat_reminder_days = models.PositiveSmallIntegerField(
        _("remind those who have not answered after (days)"), default=7
    )
    psat_anonymous = models.BooleanField(
        _("anonymous answers"),
        default=True,
        help_text=_("Answers keep the partner's tier and region, never the person or partner."),
    )
    psat_questions = models.JSONField(_("questions scored 1 to 5"), default=list, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="analytics_settings_one_per_tenant")
        ]

    def weights(self) -> dict[str, int]:
        return {**DEFAULT_WEIGHTS, **(self.attribution_weights or {})}

    def questions(self) -> list[str]:
        return [str(q) for q in (self.psat_questions or [])] or [str(q) for q in PSAT_QUESTIONS]


class DealTouch(TenantOwnedModel):
    """A partner's part in a deal that the registration does not show by itself: a referral, a
    co-sell, an influencing activity. Recorded by vendor staff; attribution models read it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registration = models.ForeignKey(
        "dealreg.DealRegistration", on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("what the partner did"), max_length=16, choices=TouchKind.choices)
    touched_on = models.DateField(_("when"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Removed touches are kept (and dated) so the next incremental refresh finds the partners
    # whose credit they took away.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["touched_on", "id"]
        indexes = [
            models.Index(fields=["tenant", "registration"], name="dealtouch_registration"),
            models.Index(fields=["tenant", "partner"], name="dealtouch_partner"),
            models.Index(fields=["tenant", "created_at"], name="dealtouch_recent"),
        ]


class _Rollup(TenantOwnedModel):
    """A rollup row: one partner's figures for one month, with the partner's dimensions as they
    were when it was computed (filters read them without a join)."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()  # the first day of the month
    tier_id = models.BigIntegerField(null=True)
    region = models.CharField(max_length=8, blank=True)
    partner_type = models.CharField(max_length=16, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class PartnerMonth(_Rollup):
    revenue = money()  # the revenue ledger, sourced and influenced, program currency
    margin_given = money()  # revenue × the tier's discount margin %
    mdf_paid = money()
    management_cost = money()
    registrations = models.PositiveIntegerField(default=0)
    won = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)
    logins = models.PositiveIntegerField(default=0)
    mdf_requests = models.PositiveIntegerField(default=0)
    certifications_awarded = models.PositiveIntegerField(default=0)
    certified_people = models.PositiveIntegerField(default=0)  # holding one at the month's end
    training_seconds = models.PositiveBigIntegerField(default=0)
    course_completions = models.PositiveIntegerField(default=0)

    METRICS = (
        "revenue",
        "margin_given",
        "mdf_paid",
        "management_cost",
        "registrations",
        "won",
        "lost",
        "logins",
        "mdf_requests",
        "certifications_awarded",
        "certified_people",
        "training_seconds",
        "course_completions",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "month"], name="partnermonth_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "month"], name="partnermonth_month")]


class AttributionMonth(_Rollup):
    """Revenue credited to a partner in a month under one attribution model, by the revenue's
    region and product. Credits keep four decimals (a linear split of 100 over 3 partners is
    33.3333 each); pages round half up to the cent once, after summing."""

    model = models.CharField(max_length=12, choices=AttributionModel.choices)
    product = models.CharField(max_length=120, blank=True)
    sourced = models.DecimalField(max_digits=20, decimal_places=4, default=ZERO)
    influenced = models.DecimalField(max_digits=20, decimal_places=4, default=ZERO)

    METRICS = ("sourced", "influenced")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner", "month", "model", "region", "product"],
                name="attributionmonth_unique",
            )
        ]
        indexes = [models.Index(fields=["tenant", "model", "month"], name="attributionmonth_month")]


class RefreshStatus(models.TextChoices):
    NEVER = "not_computed", _("Not computed yet")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Refreshing")
    DONE = "done", _("Up to date")
    FAILED = "failed", _("Failed")


class RollupState(TenantOwnedModel):
    """When the tenant's rollups were last refreshed, and up to which change (one per tenant)."""

    status = models.CharField(
        max_length=12, choices=RefreshStatus.choices, default=RefreshStatus.NEVER
    )
    # Changes after this moment (minus a safety margin) are picked up by the next refresh.
    watermark = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    full_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_kind = models.CharField(max_length=12, blank=True)  # "full" / "incremental"
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_partners = models.PositiveIntegerField(default=0)
    last_rows_written = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(null=True, blank=True)
    # Counts the refreshes that changed a row (cached figures are keyed by it).
    version = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    # The products revenue was booked under (the dashboard's product filter), kept here so a
    # page need not scan the rollups for them.
    products = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="rollupstate_one_per_tenant")
        ]


# --- Direct revenue (CLTV and CAC, channel vs direct) ------------------------------------------


class DirectRevenue(TenantOwnedModel):
    """Revenue your own sales team booked, per customer (the channel's is the partners' revenue
    ledger): what customer lifetime value and acquisition cost compare the channel against.
    Loaded from a CSV on the measurement settings page (or by a CRM integration)."""

    customer = models.CharField(_("customer"), max_length=200)
    product = models.CharField(_("product"), max_length=120, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    booked_on = models.DateField(_("booked on"))
    external_ref = models.CharField(_("reference"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-booked_on", "-id"]
        indexes = [
            models.Index(fields=["tenant", "customer", "booked_on"], name="directrevenue_customer")
        ]


class SalesChannel(models.TextChoices):
    CHANNEL = "channel", _("Through partners")
    DIRECT = "direct", _("Direct")


class CustomerMonth(TenantOwnedModel):
    """Customer counts behind lifetime value and acquisition cost, per month and sales channel,
    computed with the rollups (`analytics.cltv`): customers won that month, and over the 12
    months ending with it: customers buying, their revenue (program currency), and of those
    buying in the 12 months before, how many bought nothing since."""

    month = models.DateField()
    channel = models.CharField(max_length=8, choices=SalesChannel.choices)
    new_customers = models.PositiveIntegerField(default=0)
    customers_12m = models.PositiveIntegerField(default=0)
    revenue_12m = money()
    base_12m = models.PositiveIntegerField(default=0)  # buying in months −23 … −12
    lost_12m = models.PositiveIntegerField(default=0)  # of those, none in the last 12 months
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "month", "channel"], name="customermonth_unique"
            )
        ]


# --- Partner satisfaction (PSAT) ---------------------------------------------------------------


class SurveyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class PsatSurvey(TenantOwnedModel):
    """One round of the partner satisfaction survey: questions scored 1 to 5, the likelihood
    to recommend (0 to 10, for the NPS) and a comment, sent to every active partner user."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=120)
    questions = models.JSONField(default=list)  # the texts as sent (settings may change later)
    anonymous = models.BooleanField(_("anonymous answers"), default=True)
    status = models.CharField(max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closes_on = models.DateField(_("closes on"))
    closed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status"], name="psatsurvey_status")]

    def __str__(self) -> str:
        return self.title


class PsatInvitation(TenantOwnedModel):
    """Who was asked, and whether they answered (for anonymous surveys the answer itself does
    not point back here)."""

    survey = models.ForeignKey(PsatSurvey, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    # The partner's tier and region when asked (response rates by tier and region).
    tier_id = models.BigIntegerField(null=True)
    region = models.CharField(max_length=8, blank=True)
    invited_at = models.DateTimeField(default=timezone.now)
    reminders = models.PositiveSmallIntegerField(default=0)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "survey", "user"], name="psatinvitation_once")
        ]
        indexes = [models.Index(fields=["tenant", "user"], name="psatinvitation_user")]


class PsatResponse(TenantOwnedModel):
    """One answer. Anonymous: no partner and no person, only the partner's tier, region and type
    at the time (for the breakdowns)."""

    survey = models.ForeignKey(PsatSurvey, on_delete=models.CASCADE, related_name="responses")
    partner = models.ForeignKey(
        "partners.PartnerOrganization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tier_id = models.BigIntegerField(null=True)
    region = models.CharField(max_length=8, blank=True)
    partner_type = models.CharField(max_length=16, blank=True)
    scores = models.JSONField(default=list)  # 1..5 per question, in the survey's order
    recommend = models.PositiveSmallIntegerField()  # 0..10
    # Kept with the answer so averages are sums in the database.
    score_sum = models.PositiveIntegerField(default=0)
    score_count = models.PositiveSmallIntegerField(default=0)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["tenant", "survey"], name="psatresponse_survey")]


# --- Board report ----------------------------------------------------------------------------


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    BUILDING = "building", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


def report_upload_to(report: BoardReport, filename: str) -> str:
    from tenancy.uploads import tenant_path, unique_name

    return tenant_path("board-reports", report.tenant_id, unique_name(str(report.uuid), "pdf"))


class BoardReport(TenantOwnedModel):
    """A board report: the KPIs, charts and tables of a period as a multi-page PDF, built in the
    background with the requester's view of the figures (a channel manager's covers their
    partners), with the commentary they wrote."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The dashboard filters the report was asked for (the query string's values).
    filters = models.JSONField(default=dict)
    period_label = models.CharField(max_length=60)
    title = models.CharField(_("title"), max_length=120)
    summary = models.TextField(_("executive summary"), max_length=4000, blank=True)
    outlook = models.TextField(_("outlook and asks"), max_length=4000, blank=True)
    email_me = models.BooleanField(_("email it to me when it is ready"), default=False)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    stage = models.CharField(max_length=120, blank=True)
    file = models.FileField(upload_to=report_upload_to, max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "requested_by", "created_at"], name="boardreport_mine")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_label})"

    @property
    def is_working(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.BUILDING)


# --- Churn risk (analytics/churn.py) -----------------------------------------------------------


class ChurnMethod(models.TextChoices):
    MODEL = "model", _("Model trained on the program's own history")
    RULES = "rules", _("Rule-based score — not enough history to train a model")


class ChurnBand(models.TextChoices):
    HIGH = "high", _("High risk")
    MEDIUM = "medium", _("Medium risk")
    LOW = "low", _("Low risk")


CHURN_BAND_TONES = {ChurnBand.HIGH: "danger", ChurnBand.MEDIUM: "warning", ChurnBand.LOW: "success"}


class ChurnModel(TenantOwnedModel):
    """One training of the tenant's churn model (weekly, or "Retrain now"): how it was trained,
    on how much history, how well it ranks held-out partners — or why the transparent rules are
    used instead. The latest row scores the partners every night until the next training."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    method = models.CharField(max_length=8, choices=ChurnMethod.choices)
    trained_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    # ROC AUC on the held-out partners (None: rules, or the held-out part had one class only).
    auc = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    snapshots = models.PositiveIntegerField(default=0)  # labelled partner-months
    churned_snapshots = models.PositiveIntegerField(default=0)
    partners_used = models.PositiveIntegerField(default=0)
    churned_partners = models.PositiveIntegerField(default=0)  # churn cases
    train_size = models.PositiveIntegerField(default=0)
    test_size = models.PositiveIntegerField(default=0)
    # [{"key", "mean", "scale", "coef"}] in standardised units; empty for rules.
    features = models.JSONField(default=list, blank=True)
    intercept = models.FloatField(null=True, blank=True)
    # Why the rules are used (too little history, an unreliable model), in words.
    fallback_reason = models.TextField(blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-trained_at"], name="churnmodel_latest")]

    @property
    def is_rules(self) -> bool:
        return self.method == ChurnMethod.RULES


class ChurnScore(TenantOwnedModel):
    """A partner's current churn risk (one row per partner, replaced at each scoring): the score
    0–100, its band and its top reasons (what pushes the risk up, kept as figures and turned
    into words when shown)."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    model = models.ForeignKey(ChurnModel, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=8, choices=ChurnBand.choices)
    reasons = models.JSONField(default=list)  # [{"key", "weight", **figures}], strongest first
    features = models.JSONField(default=dict)  # the raw figures the score was computed from
    # The partner's tier and home region when scored (the page's filters, without a join).
    tier_id = models.BigIntegerField(null=True)
    region = models.CharField(max_length=8, blank=True)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner"], name="churnscore_one_per_partner")
        ]
        indexes = [
            models.Index(fields=["tenant", "-score"], name="churnscore_rank"),
            models.Index(fields=["tenant", "band", "-score"], name="churnscore_band"),
        ]

    @property
    def band_tone(self) -> str:
        return CHURN_BAND_TONES.get(self.band, "neutral")

    @property
    def reasons_in_words(self) -> list[str]:
        from .churn import reason_text

        return [reason_text(reason) for reason in self.reasons]
