"""The MDF ledger: every movement of money is a LedgerEntry, and the allocation's running totals
move with it in the same transaction, through one guarded UPDATE (see mdf/models/funds.py).
Funds and allocations (by hand, by tier rules, carried over) are written here too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.selectors.tiers import program_settings_or_default, trailing_revenue_by_partner
from partners.services.tiers import program_settings
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.templatetags.ui import money as money_text

from ..models import (
    Allocation,
    AllocationBasis,
    CarryOver,
    EntryKind,
    Fund,
    FundPeriod,
    LedgerEntry,
)
from ..models.funds import ZERO, entry_effects

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1e12")
COLUMNS = ("allocated", "held", "committed", "paid", "carried_out", "available")


def to_money(value, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """A positive amount to the cent (half up), or a ValidationError on `field`."""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter an amount such as 2500 or 2500.50.")}) from None
    if not amount.is_finite() or amount >= MAX_AMOUNT:
        raise ValidationError({field: _("Enter an amount below 1,000,000,000,000.")})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError({field: _("Enter an amount above zero.")})
    return amount


class NotEnoughFunds(ValidationError):
    """A movement that would take a balance below zero (refused by the database's CHECK)."""


def ledger_post(
    *,
    allocation: Allocation,
    kind: str,
    amount: Decimal,
    actor: Actor,
    released_from: str = "",
    request=None,
    claim=None,
    note: str = "",
    field: str = "amount",
) -> LedgerEntry:
    """Write one ledger entry and move the allocation's totals by it, or raise NotEnoughFunds
    (on `field`) when a total would go below zero; the caller's transaction stays usable."""
    effects = entry_effects(kind, released_from)
    changes = {column: F(column) + sign * amount for column, sign in effects.items()}
    try:
        # A savepoint: a refused UPDATE must not poison the caller's transaction (PostgreSQL).
        with transaction.atomic():
            Allocation.objects.filter(pk=allocation.pk).update(**changes, updated_at=timezone.now())
    except IntegrityError:
        allocation.refresh_from_db(fields=COLUMNS)
        raise NotEnoughFunds(
            {
                field: _("Not enough funds: %(available)s is available in %(fund)s.")
                % {
                    "available": money_text(allocation.available, allocation.fund.currency),
                    "fund": allocation.fund.name,
                }
            }
        ) from None
    allocation.refresh_from_db(fields=COLUMNS)
    return LedgerEntry.objects.create(
        allocation=allocation,
        kind=kind,
        amount=amount,
        released_from=released_from,
        request=request,
        claim=claim,
        note=note[:300],
        created_by=actor.responsible_user,
    )


def _take_from_budget(fund: Fund, amount: Decimal, *, field: str = "amount") -> None:
    """Move `amount` of the fund's budget to partners (negative: back), never below zero."""
    try:
        with transaction.atomic():
            Fund.objects.filter(pk=fund.pk).update(unallocated=F("unallocated") - amount)
    except IntegrityError:
        fund.refresh_from_db(fields=["unallocated"])
        raise NotEnoughFunds(
            {
                field: _("Only %(left)s of %(fund)s is left to allocate.")
                % {"left": money_text(fund.unallocated, fund.currency), "fund": fund.name}
            }
        ) from None
    fund.refresh_from_db(fields=["unallocated"])


def ledger_totals(allocation: Allocation) -> dict[str, Decimal]:
    """The allocation's totals recomputed from its ledger (what the stored columns must equal)."""
    totals = dict.fromkeys(COLUMNS, ZERO)
    for kind, released_from, amount in allocation.entries.values_list(
        "kind", "released_from", "amount"
    ):
        for column, sign in entry_effects(kind, released_from).items():
            totals[column] += sign * amount
    return totals


# --- Funds ---------------------------------------------------------------------------------


def _clean_fund(fields: dict) -> dict:
    errors: dict[str, str] = {}
    if fields.get("period") not in FundPeriod.values:
        errors["period"] = _("Choose a period.")
    if fields.get("carry_over") not in CarryOver.values:
        errors["carry_over"] = _("Choose what happens to unspent funds.")
    starts, ends = fields.get("starts_on"), fields.get("ends_on")
    if isinstance(starts, date) and isinstance(ends, date) and ends < starts:
        errors["ends_on"] = _("The period ends before it starts.")
    pct = fields.get("carry_over_pct") or Decimal("0")
    if fields.get("carry_over") == CarryOver.SHARE and not (Decimal("0") < pct <= 100):
        errors["carry_over_pct"] = _("Enter a share between 1 and 100 %.")
    if errors:
        raise ValidationError(errors)
    if fields.get("carry_over") != CarryOver.SHARE:
        fields["carry_over_pct"] = Decimal("0")
    return fields


@transaction.atomic
def fund_create(
    *,
    actor: Actor,
    name: str,
    period: str,
    starts_on: date,
    ends_on: date,
    budget,
    carry_over: str = CarryOver.NONE,
    carry_over_pct=Decimal("0"),
    allocation_cap=None,
    claim_days: int = 30,
    marketing_threshold=None,
) -> Fund:
    access.require(actor, Perm.MDF_MANAGE)
    budget = to_money(budget, field="budget", allow_zero=True)
    fields = _clean_fund(
        {
            "name": (name or "").strip(),
            "period": period,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "carry_over": carry_over,
            "carry_over_pct": carry_over_pct,
        }
    )
    fund = Fund(
        **fields,
        budget=budget,
        unallocated=budget,
        currency=program_settings().currency,
        allocation_cap=None
        if allocation_cap in (None, "")
        else to_money(allocation_cap, field="allocation_cap"),
        claim_days=claim_days,
        marketing_threshold=None
        if marketing_threshold in (None, "")
        else to_money(marketing_threshold, field="marketing_threshold"),
        created_by=actor.responsible_user,
    )
    if Fund.objects.filter(name=fund.name).exists():
        raise ValidationError({"name": _("A fund with this name exists already.")})
    fund.full_clean(exclude=["tenant", "carried_from"])
    fund.save()
    audit_record(
        actor=actor,
        action="mdf.fund_created",
        target=fund,
        changes={"budget": f"{budget} {fund.currency}", "period": period},
    )
    return fund


@transaction.atomic
def fund_update(*, actor: Actor, fund: Fund, **fields) -> Fund:
    """Change a fund's rules; a new budget moves `unallocated` by the difference (it cannot drop
    below what is allocated already)."""
    access.require(actor, Perm.MDF_MANAGE)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    allowed = {
        "name",
        "starts_on",
        "ends_on",
        "budget",
        "carry_over",
        "carry_over_pct",
        "allocation_cap",
        "claim_days",
        "marketing_threshold",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Unknown field %(name)s.") % {"name": ", ".join(sorted(unknown))})
    before = {"budget": f"{fund.budget} {fund.currency}"}
    if "budget" in fields:
        budget = to_money(fields.pop("budget"), field="budget", allow_zero=True)
        given = fund.budget - fund.unallocated
        if budget < given:
            raise ValidationError(
                {
                    "budget": _("%(given)s is allocated already; the budget cannot be lower.")
                    % {"given": money_text(given, fund.currency)}
                }
            )
        fund.unallocated += budget - fund.budget
        fund.budget = budget
    for money_field in ("allocation_cap", "marketing_threshold"):
        if money_field in fields:
            value = fields.pop(money_field)
            fields[money_field] = (
                None if value in (None, "") else to_money(value, field=money_field)
            )
    for name, value in fields.items():
        setattr(fund, name, value)
    # full_clean() skips the (tenant, name) constraint (the tenant is excluded): checked here,
    # as in fund_create, so a taken name is a field error and not an IntegrityError.
    if Fund.objects.filter(name=fund.name).exclude(pk=fund.pk).exists():
        raise ValidationError({"name": _("A fund with this name exists already.")})
    _clean_fund(
        {
            "period": fund.period,
            "carry_over": fund.carry_over,
            "starts_on": fund.starts_on,
            "ends_on": fund.ends_on,
            "carry_over_pct": fund.carry_over_pct,
        }
    )
    if fund.carry_over != CarryOver.SHARE:
        fund.carry_over_pct = Decimal("0")
    fund.full_clean(exclude=["tenant", "carried_from"])
    fund.save()
    audit_record(
        actor=actor,
        action="mdf.fund_changed",
        target=fund,
        changes={"before": before, "after": {"budget": f"{fund.budget} {fund.currency}"}},
    )
    return fund


# --- Allocations ------------------------------------------------------------------------------


def _require_open(fund: Fund) -> None:
    if hasattr(fund, "carried_to"):
        raise ValidationError(_("This fund's period is closed: its balances were carried over."))


@transaction.atomic
def allocation_set(*, actor: Actor, fund: Fund, partner, amount, note: str = "") -> Allocation:
    """Set a partner's allocation by hand to `amount` (an ALLOCATED entry the first time, then an
    ADJUSTED one for the difference). Lowering it below what is already requested, committed or
    paid is refused; the budget must hold what is added."""
    access.require(actor, Perm.MDF_MANAGE)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    _require_open(fund)
    amount = to_money(amount, allow_zero=True)
    allocation, created = Allocation.objects.select_for_update().get_or_create(
        fund=fund, partner=partner, defaults={"basis": AllocationBasis.MANUAL}
    )
    current = allocation.allocated - allocation.carried_out
    delta = amount - current
    if delta == 0 and not created:
        return allocation
    if delta > 0:
        _take_from_budget(fund, delta)
    kind = EntryKind.ALLOCATED if created else EntryKind.ADJUSTED
    try:
        ledger_post(
            allocation=allocation,
            kind=kind,
            amount=delta,
            actor=actor,
            note=note or _("Set by hand"),
        )
    except NotEnoughFunds:
        raise ValidationError(
            {
                "amount": _(
                    "%(partner)s has requested, been approved or paid %(used)s; the allocation "
                    "cannot be lower."
                )
                % {
                    "partner": partner.name,
                    "used": money_text(
                        allocation.held + allocation.committed + allocation.paid, fund.currency
                    ),
                }
            }
        ) from None
    if delta < 0:
        _take_from_budget(fund, delta)
    Allocation.objects.filter(pk=allocation.pk).update(
        basis=AllocationBasis.MANUAL, basis_note=note[:300]
    )
    audit_record(
        actor=actor,
        action="mdf.allocation_set",
        target=allocation,
        changes={"allocated": [f"{current} {fund.currency}", f"{amount} {fund.currency}"]},
    )
    allocation.refresh_from_db()
    return allocation


@dataclass
class AllocationRun:
    fund: Fund
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped_manual: int = 0
    total: Decimal = ZERO
    lines: list[tuple] = field(default_factory=list)  # (partner name, amount, how)


def _rule_amount(share_pct: Decimal, revenue: Decimal, cap: Decimal | None) -> Decimal:
    amount = (revenue * share_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(amount, cap) if cap is not None else amount


def tier_rule_amounts(fund: Fund, *, today: date | None = None) -> dict[int, tuple]:
    """{partner id: (partner, amount, words)} for every active partner of an MDF-eligible tier:
    its tier's MDF share of its trailing revenue, at most the fund's cap (a few queries, however
    many partners)."""
    from partners.selectors.organization import mdf_eligible_partners

    settings = program_settings_or_default()
    partners = list(mdf_eligible_partners())
    revenue = trailing_revenue_by_partner([p.pk for p in partners], settings=settings, today=today)
    result = {}
    for partner in partners:
        earned = revenue.get(partner.pk, ZERO)
        share = partner.tier.mdf_share_pct
        amount = _rule_amount(share, earned, fund.allocation_cap)
        words = _("%(share)s %% of trailing revenue of %(revenue)s") % {
            "share": format(share.normalize(), "f"),
            "revenue": money_text(earned, settings.currency),
        }
        if fund.allocation_cap is not None and amount == fund.allocation_cap:
            words += ", " + _("capped at %(cap)s") % {
                "cap": money_text(fund.allocation_cap, fund.currency)
            }
        result[partner.pk] = (partner, amount, words)
    return result


@transaction.atomic
def allocations_run(*, actor: Actor, fund: Fund, today: date | None = None) -> AllocationRun:
    """Allocate the fund by the tier rules: a new allocation for each eligible partner, an
    adjustment where the rule now gives a different amount; allocations set by hand are kept.
    All or nothing: when the rules need more than is unallocated, nothing changes and the error
    says by how much. Set-based: the same few queries for 10 partners or 5,000."""
    access.require(actor, Perm.MDF_MANAGE)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    _require_open(fund)
    run = AllocationRun(fund=fund)
    amounts = tier_rule_amounts(fund, today=today)
    existing = {
        a.partner_id: a
        for a in Allocation.objects.select_for_update().filter(fund=fund).order_by("pk")
    }
    now = timezone.now()
    new_rows, changed_rows, entries_for = [], [], []
    for partner_id, (partner, amount, words) in sorted(
        amounts.items(), key=lambda item: item[1][0].name
    ):
        allocation = existing.get(partner_id)
        if allocation is not None and allocation.basis == AllocationBasis.MANUAL:
            run.skipped_manual += 1
            continue
        if allocation is None:
            if amount <= 0:
                continue
            allocation = Allocation(
                tenant=fund.tenant,
                fund=fund,
                partner=partner,
                basis=AllocationBasis.TIER_RULE,
                basis_note=words[:300],
                allocated=amount,
                available=amount,
                updated_at=now,
            )
            new_rows.append(allocation)
            entries_for.append((allocation, EntryKind.ALLOCATED, amount, words))
            run.created += 1
            run.total += amount
            run.lines.append((partner.name, amount, words))
            continue
        delta = amount - (allocation.allocated - allocation.carried_out)
        if delta == 0:
            run.unchanged += 1
            continue
        if allocation.available + delta < 0:
            raise ValidationError(
                _(
                    "The rules now give %(partner)s %(amount)s, less than it has requested, "
                    "been approved or paid. Set its allocation by hand instead."
                )
                % {"partner": partner.name, "amount": money_text(amount, fund.currency)}
            )
        allocation.allocated += delta
        allocation.available += delta
        allocation.basis_note = words[:300]
        allocation.updated_at = now
        changed_rows.append(allocation)
        entries_for.append((allocation, EntryKind.ADJUSTED, delta, words))
        run.changed += 1
        run.total += delta
        run.lines.append((partner.name, amount, words))
    if run.total > fund.unallocated:
        raise ValidationError(
            _(
                "The tier rules allocate %(total)s, but only %(left)s of the budget is "
                "unallocated. Raise the budget or set a cap per partner."
            )
            % {
                "total": money_text(run.total, fund.currency),
                "left": money_text(fund.unallocated, fund.currency),
            }
        )
    Allocation.objects.bulk_create(new_rows, batch_size=1000)
    Allocation.objects.bulk_update(
        changed_rows, ["allocated", "available", "basis_note", "updated_at"], batch_size=1000
    )
    who = actor.responsible_user
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                tenant=fund.tenant,
                allocation=allocation,
                kind=kind,
                amount=amount,
                note=words[:300],
                created_by=who,
                created_at=now,
            )
            for allocation, kind, amount, words in entries_for
        ],
        batch_size=1000,
    )
    if run.total:
        _take_from_budget(fund, run.total)
    audit_record(
        actor=actor,
        action="mdf.allocations_run",
        target=fund,
        changes={
            "created": run.created,
            "changed": run.changed,
            "total": f"{run.total} {fund.currency}",
        },
    )
    return run


# --- Carry-over ------------------------------------------------------------------------------


@transaction.atomic
def fund_carry_over(*, actor: Actor, fund: Fund, into: Fund) -> int:
    """Close `fund`'s period: what each partner has available (unrequested, unspent) moves to
    `into` by the fund's rule (all, a share, or nothing: it lapses). Requests still in review or
    approved keep their money in the old fund until they are decided or claimed. Returns the
    number of partners that carried something over."""
    access.require(actor, Perm.MDF_MANAGE)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    into = Fund.objects.select_for_update().get(pk=into.pk)
    if fund.pk == into.pk or into.starts_on <= fund.ends_on:
        raise ValidationError({"into": _("Choose a fund whose period starts after this one.")})
    if into.currency != fund.currency:
        raise ValidationError({"into": _("Choose a fund in the same currency.")})
    _require_open(fund)
    if Fund.objects.filter(carried_from=into).exists() or into.carried_from_id:
        raise ValidationError({"into": _("That fund already received a carry-over.")})
    share = {CarryOver.ALL: Decimal("100"), CarryOver.SHARE: fund.carry_over_pct}.get(
        fund.carry_over, Decimal("0")
    )
    moved = 0
    if share > 0:
        for allocation in (
            Allocation.objects.select_for_update()
            .filter(fund=fund, available__gt=0)
            .select_related("partner", "fund")
        ):
            amount = (allocation.available * share / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            if amount <= 0:
                continue
            note = _("From %(fund)s") % {"fund": fund.name}
            ledger_post(
                allocation=allocation,
                kind=EntryKind.CARRIED_OUT,
                amount=amount,
                actor=actor,
                note=_("To %(fund)s") % {"fund": into.name},
            )
            target, _created = Allocation.objects.select_for_update().get_or_create(
                fund=into,
                partner=allocation.partner,
                defaults={"basis": AllocationBasis.MANUAL, "basis_note": note},
            )
            ledger_post(
                allocation=target, kind=EntryKind.CARRIED_IN, amount=amount, actor=actor, note=note
            )
            moved += 1
    Fund.objects.filter(pk=into.pk).update(carried_from=fund)
    audit_record(
        actor=actor,
        action="mdf.carried_over",
        target=fund,
        changes={"into": into.name, "partners": moved},
    )
    return moved


def may_manage(actor: Actor) -> bool:
    return actor.has(Perm.MDF_MANAGE)


def require_manage(actor: Actor) -> None:
    if not may_manage(actor):
        raise PermissionDenied(_("Your role does not allow this."))
