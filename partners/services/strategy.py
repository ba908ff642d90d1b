"""Channel strategy: GTM plays, the SWOT board and the financial model (planned ROPI).

The financial model is plain arithmetic on Decimals, kept here so the console calculator, the
saved baseline and the API all compute exactly the same numbers:

    revenue = Σ tiers (partners × average revenue per partner)
    cost    = revenue × margin % + revenue × MDF % + total partners × management cost per partner
    ROPI    = revenue / cost          (money quantised to cents, ROPI to 2 decimals)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant

from ..models import FinancialModel, GtmPlay, SwotItem, SwotQuadrant
from ..selectors.strategy import play_owner_choices

CENTS = Decimal("0.01")
HUNDRED = Decimal("100")
MAX_TIERS = 3


# --- GTM plays ----------------------------------------------------------------------------------

PLAY_FIELDS = ("name", "motion", "target_segments", "description", "owner")


def _check_owner(owner) -> None:
    if owner is not None and not play_owner_choices().filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("The owner must be a member of your vendor staff.")})


@transaction.atomic
def gtm_play_create(
    *,
    actor: Actor,
    name: str,
    motion: str,
    target_segments: str,
    description: str = "",
    owner=None,
) -> GtmPlay:
    access.require(actor, Perm.PROGRAM_MANAGE)
    _check_owner(owner)
    play = GtmPlay(
        tenant=require_current_tenant(),
        name=name.strip(),
        motion=motion,
        target_segments=target_segments.strip(),
        description=description.strip(),
        owner=owner,
    )
    play.full_clean()
    play.save()
    audit_record(
        actor=actor, action="gtm_play.created", target=play, changes={"motion": play.motion}
    )
    return play


@transaction.atomic
def gtm_play_update(*, actor: Actor, play: GtmPlay, **fields) -> GtmPlay:
    access.require(actor, Perm.PROGRAM_MANAGE)
    unknown = set(fields) - set(PLAY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(unknown)})
    if "owner" in fields:
        _check_owner(fields["owner"])
    changes = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        old = getattr(play, name)
        if old != value:
            changes[name] = [str(old or ""), str(value or "")]
            setattr(play, name, value)
    if not changes:
        return play
    play.full_clean()
    play.save()
    audit_record(actor=actor, action="gtm_play.updated", target=play, changes=changes)
    return play


@transaction.atomic
def gtm_play_set_active(*, actor: Actor, play: GtmPlay, active: bool) -> GtmPlay:
    access.require(actor, Perm.PROGRAM_MANAGE)
    if play.is_active == active:
        return play
    play.is_active = active
    play.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="gtm_play.activated" if active else "gtm_play.deactivated",
        target=play,
    )
    return play


# --- SWOT ----------------------------------------------------------------------------------------


@transaction.atomic
def swot_item_add(*, actor: Actor, quadrant: str, text: str) -> SwotItem:
    access.require(actor, Perm.PROGRAM_MANAGE)
    if quadrant not in SwotQuadrant.values:
        raise ValidationError(
            {"quadrant": _("Choose strengths, weaknesses, opportunities or threats.")}
        )
    last = SwotItem.objects.filter(quadrant=quadrant).aggregate(top=Max("position"))["top"]
    item = SwotItem(
        tenant=require_current_tenant(),
        quadrant=quadrant,
        text=text.strip(),
        position=0 if last is None else last + 1,
    )
    item.full_clean()
    item.save()
    audit_record(actor=actor, action="swot_item.added", target=item, changes={"quadrant": quadrant})
    return item


@transaction.atomic
def swot_item_remove(*, actor: Actor, item: SwotItem) -> None:
    access.require(actor, Perm.PROGRAM_MANAGE)
    audit_record(
        actor=actor,
        action="swot_item.removed",
        target=item,
        changes={"quadrant": item.quadrant, "text": item.text},
    )
    item.delete()


# --- Financial model --------------------------------------------------------------------------


@dataclass(frozen=True)
class TierInput:
    name: str
    partners: int
    avg_revenue: Decimal


@dataclass(frozen=True)
class FinancialOutputs:
    total_partners: int
    projected_revenue: Decimal
    margin_cost: Decimal
    mdf_cost: Decimal
    management_cost: Decimal
    projected_cost: Decimal
    planned_ropi: Decimal


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def financial_model_compute(
    *,
    tiers: list[TierInput],
    margin_pct: Decimal,
    mdf_pct: Decimal,
    management_cost_per_partner: Decimal,
) -> FinancialOutputs:
    """Projected revenue, cost and planned ROPI. Raises ValidationError for a zero cost."""
    errors: dict[str, str] = {}
    if not 1 <= len(tiers) <= MAX_TIERS:
        errors["tiers"] = _("Enter one to three tiers.")
    for tier in tiers:
        if tier.partners < 0 or tier.avg_revenue < 0:
            errors["tiers"] = _("Partners and average revenue cannot be negative.")
    for field, value in (("margin_pct", margin_pct), ("mdf_pct", mdf_pct)):
        if not Decimal("0") <= value <= HUNDRED:
            errors[field] = _("Enter a percentage between 0 and 100.")
    if management_cost_per_partner < 0:
        errors["management_cost_per_partner"] = _("The cost cannot be negative.")
    if errors:
        raise ValidationError(errors)

    total_partners = sum(tier.partners for tier in tiers)
    revenue = _money(sum((tier.partners * tier.avg_revenue for tier in tiers), Decimal("0")))
    margin_cost = _money(revenue * margin_pct / HUNDRED)
    mdf_cost = _money(revenue * mdf_pct / HUNDRED)
    management_cost = _money(total_partners * management_cost_per_partner)
    cost = margin_cost + mdf_cost + management_cost
    if cost == 0:
        raise ValidationError(
            _(
                "The projected cost is zero, so the ROPI (revenue ÷ cost) cannot be computed. "
                "Enter margins, MDF or a management cost."
            )
        )
    ropi = (revenue / cost).quantize(CENTS, rounding=ROUND_HALF_UP)
    return FinancialOutputs(
        total_partners=total_partners,
        projected_revenue=revenue,
        margin_cost=margin_cost,
        mdf_cost=mdf_cost,
        management_cost=management_cost,
        projected_cost=cost,
        planned_ropi=ropi,
    )


def _inputs_json(
    *, tiers: list[TierInput], margin_pct, mdf_pct, management_cost_per_partner
) -> dict:
    return {
        "tiers": [
            {"name": t.name, "partners": t.partners, "avg_revenue": str(_money(t.avg_revenue))}
            for t in tiers
        ],
        "margin_pct": str(margin_pct),
        "mdf_pct": str(mdf_pct),
        "management_cost_per_partner": str(_money(management_cost_per_partner)),
    }


@transaction.atomic
def financial_model_save(
    *,
    actor: Actor,
    period: str,
    currency: str,
    tiers: list[TierInput],
    margin_pct: Decimal,
    mdf_pct: Decimal,
    management_cost_per_partner: Decimal,
    notes: str = "",
    overwrite: bool = False,
) -> FinancialModel:
    """Save the calculator's numbers as the baseline of `period` (one per period).

    An existing baseline for the period is replaced only with overwrite=True; otherwise the
    caller gets a ValidationError on `period` saying so.
    """
    access.require(actor, Perm.PROGRAM_MANAGE)
    period = period.strip()
    currency = currency.strip().upper()
    if not period:
        raise ValidationError({"period": _("Name the period, e.g. FY2027.")})
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("Use a three-letter currency code such as USD.")})
    arguments = {
        "tiers": tiers,
        "margin_pct": margin_pct,
        "mdf_pct": mdf_pct,
        "management_cost_per_partner": management_cost_per_partner,
    }
    outputs = financial_model_compute(**arguments)
    model = FinancialModel.objects.select_for_update().filter(period__iexact=period).first()
    if model is not None and not overwrite:
        raise ValidationError(
            {
                "period": _(
                    "A baseline for %(period)s already exists. Tick “overwrite” to replace it, "
                    "or choose another period."
                )
                % {"period": model.period}
            }
        )
    action = "financial_model.overwritten" if model is not None else "financial_model.saved"
    if model is None:
        model = FinancialModel(tenant=require_current_tenant(), period=period)
    model.currency = currency
    model.inputs = _inputs_json(**arguments)
    model.projected_revenue = outputs.projected_revenue
    model.projected_cost = outputs.projected_cost
    model.planned_ropi = outputs.planned_ropi
    model.notes = notes.strip()
    model.created_by = actor.user
    model.created_at = timezone.now()
    model.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            model.save()
    except IntegrityError as error:  # a concurrent save of the same period won the race
        raise ValidationError(
            {"period": _("A baseline for %(period)s already exists.") % {"period": period}}
        ) from error
    audit_record(
        actor=actor,
        action=action,
        target=model,
        changes={
            key: str(value)
            for key, value in asdict(outputs).items()
            if key in ("projected_revenue", "projected_cost", "planned_ropi")
        },
    )
    return model
