"""Demo data for analytics: the program's measurement settings (what a channel manager and the
program cost a month), a few partner touches on won deals beyond the registering partner (a
referral, a co-sell, an influencing webinar), then a full refresh so the KPI dashboard opens on
figures. Idempotent: settings and touches are created only when missing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from dealreg.models import DealRegistration, DealStatus
from partners.models import PartnerOrganization
from tenancy.access import actor_for_user

from . import rollups, services
from .models import CostRule, DealTouch, TouchKind
from .settings import analytics_settings

# (tenant slug) -> (manager cost / month, other program cost / month)
COSTS = {"acme": (Decimal("9500"), Decimal("4000")), "globex": (Decimal("8200"), Decimal("2500"))}
TOUCHES = (
    (TouchKind.REFERRAL, 40, "Introduced the customer's CIO at a partner breakfast."),
    (TouchKind.CO_SELL, 20, "Joined the technical deep dive and the pricing call."),
    (TouchKind.INFLUENCE, 10, "The customer attended the partner's security webinar."),
)


def seed(tenant, *, staff) -> None:
    """Inside tenant_context(tenant). staff: role name -> User."""
    admin = actor_for_user(staff["admin"], tenant)
    current = analytics_settings()
    if not current.manager_monthly_cost:
        manager_cost, program_cost = COSTS.get(tenant.slug, COSTS["acme"])
        services.settings_update(
            actor=admin,
            cost_rule=CostRule.MANAGED,
            manager_monthly_cost=manager_cost,
            program_monthly_cost=program_cost,
        )
    if not DealTouch.objects.exists():
        partners = list(PartnerOrganization.objects.order_by("name"))
        won = list(
            DealRegistration.objects.filter(status=DealStatus.WON)
            .select_related("partner")
            .order_by("closed_at", "pk")
        )
        for index, deal in enumerate(won[: len(TOUCHES)]):
            kind, days_before, note = TOUCHES[index]
            other = next((p for p in partners[index:] + partners if p.pk != deal.partner_id), None)
            if other is None:
                break
            services.touch_record(
                actor=admin,
                registration=deal,
                partner=other,
                kind=kind,
                touched_on=(deal.submitted_at or deal.created_at).date()
                - timedelta(days=days_before),
                note=note,
            )
    _customer_value(tenant, admin)
    _surveys(admin)
    services.refresh_run(full=True)
    _board_report(tenant, staff)
    _churn_scores()


# Customers the direct sales team won (name, months ago first bought, monthly amount, months
# bought; a few stop buying).
DIRECT_CUSTOMERS = (
    ("Northwind Logistics", 23, "42000", 23),
    ("Bluefin Analytics", 20, "26000", 8),
    ("Harbor Health Group", 17, "51000", 17),
    ("Kestrel Manufacturing", 14, "18000", 14),
    ("Orchid Retail", 12, "9500", 5),
    ("Summit Legal Partners", 9, "33000", 9),
    ("Tidewater Energy", 6, "61000", 6),
    ("Lumen Schools", 4, "12000", 4),
    ("Cobalt Insurance", 2, "39000", 2),
    ("Juniper Foods", 1, "22000", 1),
)


def _customer_value(tenant, admin) -> None:
    """What customers cost to win (channel marketing, direct marketing and sales) and two years
    of the direct team's revenue, so the customer-value page compares the two channels."""
    from django.utils import timezone

    from partners.services.tiers import program_settings

    from .models import DirectRevenue

    current = analytics_settings()
    if not current.direct_sales_monthly_cost:
        services.settings_update(
            actor=admin,
            channel_marketing_monthly_cost=Decimal("3500"),
            direct_marketing_monthly_cost=Decimal("6000"),
            direct_sales_monthly_cost=Decimal("18000"),
        )
    if DirectRevenue.objects.exists():
        return
    currency = program_settings().currency
    this_month = rollups.month_of(timezone.localdate())
    rows = []
    for name, first, amount, months in DIRECT_CUSTOMERS:
        for offset in range(months):
            month = rollups.add_months(this_month, -(first - offset))
            rows.append(
                DirectRevenue(
                    tenant=tenant,
                    customer=name,
                    amount=Decimal(amount),
                    currency=currency,
                    booked_on=month.replace(day=15),
                    external_ref=f"DIR-{name[:3].upper()}-{month:%Y%m}",
                )
            )
    DirectRevenue.objects.bulk_create(rows)


SURVEY_COMMENTS = (
    "Deal registration approvals got much faster this half.",
    "The certification path is clear, but the labs need more capacity.",
    "MDF claims still take too long to be paid.",
    "Our channel manager is responsive and knows our market.",
    "",
    "Would like co-branded assets in more languages.",
    "",
    "Pricing desk support during quarter end was excellent.",
)


def _surveys(admin) -> None:
    """Two past partner satisfaction surveys (a year ago with names, six months ago
    anonymous) answered by most partner users, so the results page shows a trend, breakdowns
    and comments."""
    import random

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from tenancy.access import actor_for_user

    from . import psat
    from .models import PsatInvitation, PsatResponse, PsatSurvey

    if PsatSurvey.objects.exists():
        return
    rng = random.Random(14)
    now = timezone.now()
    current = analytics_settings()
    for months_ago, anonymous in ((12, False), (6, True)):
        opened = now - timedelta(days=30 * months_ago)
        title = f"Partner satisfaction survey, {timezone.localtime(opened):%B %Y}"
        current.psat_anonymous = anonymous
        current.save(update_fields=["psat_anonymous"])
        try:
            survey = psat.survey_open(actor=admin, title=title, send=False)
        except ValidationError:
            return  # no partner users
        PsatSurvey.objects.filter(pk=survey.pk).update(
            opened_at=opened, closes_on=(opened + timedelta(days=21)).date()
        )
        survey.refresh_from_db()
        lift = 0 if months_ago == 12 else 1  # satisfaction improved
        for number, invitation in enumerate(
            PsatInvitation.objects.filter(survey=survey).select_related("user").order_by("pk")
        ):
            if rng.random() < 0.2:
                continue  # did not answer
            scores = [max(1, min(5, rng.choice((2, 3, 4, 4, 5)) + lift - (q == 2)))
                      for q in range(len(survey.questions))]  # fmt: skip
            response = psat.survey_answer(
                actor=actor_for_user(invitation.user, admin.tenant),
                survey=survey,
                scores=scores,
                recommend=max(0, min(10, rng.choice((5, 7, 8, 9, 10)) + lift)),
                comment=SURVEY_COMMENTS[number % len(SURVEY_COMMENTS)],
            )
            answered = opened + timedelta(days=1 + number % 10, hours=number % 7)
            if anonymous:
                answered = answered.replace(hour=0, minute=0, second=0, microsecond=0)
            PsatResponse.objects.filter(pk=response.pk).update(submitted_at=answered)
        psat.survey_close(actor=admin, survey=survey)
        PsatSurvey.objects.filter(pk=survey.pk).update(closed_at=opened + timedelta(days=21))
    current.psat_anonymous = True
    current.save(update_fields=["psat_anonymous"])


def _board_report(tenant, staff) -> None:
    """Last quarter's board pack, ready to download, for the executive."""
    from django.utils import timezone

    from . import report as builder
    from .dashboard import parse_filters, period_label
    from .models import BoardReport

    executive = staff.get("exec")
    if executive is None or BoardReport.objects.filter(requested_by=executive).exists():
        return
    month = rollups.add_months(rollups.month_of(timezone.localdate()), -3)
    filters = {"period": f"{month.year}-Q{(month.month - 1) // 3 + 1}", "model": "linear"}
    f, _key, _chosen = parse_filters(filters, timezone.localdate())
    report = BoardReport.objects.create(
        requested_by=executive,
        filters=filters,
        period_label=period_label(f),
        title="Partner program board report",
        summary=(
            "Partner-sourced revenue kept growing this quarter while the cost of the channel "
            "held flat; Gold partners carry most of it. Certifications rose after the new "
            "learning path."
        ),
        outlook="Fund two more EMEA partner events and review the Silver tier's MDF share.",
    )
    builder.build(report)


def _churn_scores() -> None:
    """Churn-risk scores for the console page and the managers' homes (analytics/churn.py),
    trained once on the demo's history. The demo program is small: it has too few partners who
    left for a model, so its scores are the rule-based ones, labelled as such."""
    from . import churn

    if churn.latest_model() is None:
        churn.churn_train()
