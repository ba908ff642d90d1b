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
    rollups.refresh(full=True)
    _board_report(tenant, staff)


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
