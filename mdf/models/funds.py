"""Funds, allocations and the ledger.

A fund is a program budget for one period. Each partner's allocation from it keeps running
totals that are the sums of its ledger entries, written in the same transaction as the entry:

    available = allocated - held - committed - paid - carried_out

`held` is what submitted requests ask for (a partner cannot ask for more than it has),
`committed` what approved requests may still claim, `paid` what approved claims paid out,
`carried_out` what moved to the next period's fund. Every column has a CHECK (>= 0) in the
database, so no interleaving of requests, approvals or claims can take a balance below zero: the
second of two requests that together exceed the balance fails its UPDATE and is refused. The
fund's `unallocated` (budget not yet given to partners) is guarded the same way.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel

ZERO = Decimal("0.00")


def money(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class FundPeriod(models.TextChoices):
    QUARTER = "quarter", _("Quarter")
    HALF = "half", _("Half year")
    YEAR = "year", _("Year")


class CarryOver(models.TextChoices):
    NONE = "none", _("Unspent funds lapse")
    ALL = "all", _("Carry over everything unspent")
    SHARE = "share", _("Carry over a share of what is unspent")


class AllocationBasis(models.TextChoices):
    TIER_RULE = "tier_rule", _("Tier rule")
    MANUAL = "manual", _("Set by hand")


class Fund(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=120)
    period = models.CharField(_("period"), max_length=8, choices=FundPeriod.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    currency = models.CharField(_("currency"), max_length=3)
    budget = money(_("budget"))
    # The part of the budget not allocated to any partner yet (never below zero).
    unallocated = money(_("not yet allocated"))
    # Tier rules: a partner of an MDF-eligible tier gets its tier's MDF share % of its trailing
    # revenue, at most this much (empty: no cap).
    allocation_cap = money(_("most per partner"), null=True, blank=True)
    carry_over = models.CharField(
        _("at the end of the period"), max_length=8, choices=CarryOver.choices
    )
    carry_over_pct = models.DecimalField(
        _("share carried over %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    claim_days = models.PositiveSmallIntegerField(
        _("days to claim after an activity ends"), default=30
    )
    # Requests above this amount also need marketing's approval after the channel manager's.
    marketing_threshold = money(_("marketing approves requests above"), null=True, blank=True)
    carried_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_to",
        verbose_name=_("carried over from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="mdf_fund_unique_name"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="mdf_fund_budget_positive"),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0), name="mdf_fund_unallocated_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="mdf_fund_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(carry_over_pct__gte=0, carry_over_pct__lte=100),
                name="mdf_fund_carry_pct_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Allocation(TenantOwnedModel):
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="allocations")
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="mdf_allocations"
    )
    basis = models.CharField(_("basis"), max_length=12, choices=AllocationBasis.choices)
    # How a tier rule computed it, in words ("3% of trailing revenue of 412,000.00 USD").
    basis_note = models.CharField(_("how it was computed"), max_length=300, blank=True)
    allocated = money(_("allocated"), default=ZERO)
    held = money(_("requested"), default=ZERO)
    committed = money(_("committed"), default=ZERO)
    paid = money(_("paid"), default=ZERO)
    carried_out = money(_("carried over"), default=ZERO)
    available = money(_("available"), default=ZERO)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["fund", "partner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "fund", "partner"], name="mdf_allocation_once_per_fund"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{column}__gte": 0}),
                    name=f"mdf_allocation_{column}_not_negative",
                )
                for column in ("allocated", "held", "committed", "paid", "carried_out", "available")
            ),
        ]
        indexes = [models.Index(fields=["tenant", "partner"], name="mdf_allocation_partner")]

    def __str__(self) -> str:
        return f"{self.fund} · {self.partner}"


class EntryKind(models.TextChoices):
    ALLOCATED = "allocated", _("Allocated")
    ADJUSTED = "adjusted", _("Allocation changed")
    CARRIED_IN = "carried_in", _("Carried over from the last period")
    CARRIED_OUT = "carried_out", _("Carried over to the next period")
    HELD = "held", _("Requested")
    COMMITTED = "committed", _("Approved")
    PAID = "paid", _("Paid")
    RELEASED = "released", _("Released")


# What one entry of each kind does to the allocation's columns, per unit of its amount
# (ADJUSTED amounts may be negative: a lowered allocation). RELEASED returns money to
# `available` from the column named by the entry's `released_from`.
EFFECTS: dict[str, dict[str, int]] = {
    EntryKind.ALLOCATED: {"allocated": 1, "available": 1},
    EntryKind.ADJUSTED: {"allocated": 1, "available": 1},
    EntryKind.CARRIED_IN: {"allocated": 1, "available": 1},
    EntryKind.CARRIED_OUT: {"carried_out": 1, "available": -1},
    EntryKind.HELD: {"held": 1, "available": -1},
    EntryKind.COMMITTED: {"held": -1, "committed": 1},
    EntryKind.PAID: {"committed": -1, "paid": 1},
}


def entry_effects(kind: str, released_from: str = "") -> dict[str, int]:
    """What one unit of an entry moves: {column: +1 or -1}."""
    if kind == EntryKind.RELEASED:
        return {released_from: -1, "available": 1}
    return EFFECTS[kind]


class LedgerEntry(TenantOwnedModel):
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("entry"), max_length=12, choices=EntryKind.choices)
    amount = money(_("amount"))
    # RELEASED only: "held" (a request rejected, withdrawn or approved for less) or "committed"
    # (a claim for less than approved, a rejected claim, a request closed without a claim).
    released_from = models.CharField(max_length=10, blank=True)
    request = models.ForeignKey(
        "mdf.FundRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    claim = models.ForeignKey(
        "mdf.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="adjusted") | Q(amount__gt=0), name="mdf_entry_amount_positive"
            ),
            models.CheckConstraint(
                condition=(Q(kind="released") & Q(released_from__in=["held", "committed"]))
                | (~Q(kind="released") & Q(released_from="")),
                name="mdf_entry_release_source",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "allocation", "created_at"], name="mdf_entry_timeline")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
