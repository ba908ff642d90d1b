"""Ideal Partner Profile: scoring partners against the tenant's weighted criteria, and editing them.

Scoring is a pure function of (criteria, partner): `evaluate` returns the 0–100 score and an
explanation a person can check by hand (which criteria matched, points each, in plain words).
`score_partner` saves it for one partner; `score_tenant` recomputes every partner of the current
tenant (run in the background by `partners.tasks.ipp.ipp_recompute_tenant` after an IPP change).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.numbers import round_half_up
from tenancy.context import require_current_tenant
from tenancy.tasks import enqueue

from ..models import (
    CriterionField,
    CriterionGroup,
    EmployeeBand,
    IdealPartnerProfile,
    IppCriterion,
    Operator,
    PartnerOrganization,
    PartnerType,
    Region,
    RevenueBand,
    SalesMotion,
)

SCORE_BATCH_SIZE = 500
GROUP_ORDER = [group.value for group in CriterionGroup]

# --- What each profile field is, and which rules make sense on it ------------------------------

LIST, CHOICE, BAND, NUMBER, BOOL = "list", "choice", "band", "number", "bool"


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # LIST (many values), CHOICE (one value), BAND (choice keyed by lower bound), ...
    operators: tuple[str, ...]
    # Fixed choices as (key, label); None means free text (industries, skills).
    choices: tuple[tuple[str, str], ...] | None = None
    case_insensitive: bool = False
    # Explanations show the key itself when it is short and well known ("EMEA"), else the label.
    show_keys: bool = False


_SET_OPS = (Operator.ANY_OF, Operator.ALL_OF, Operator.NONE_OF)
_ONE_OPS = (Operator.ANY_OF, Operator.NONE_OF)
_NUM_OPS = (Operator.GTE, Operator.LTE)


def field_spec(field: str) -> FieldSpec:
    """The kind, rules and choices of a criterion field (countries resolved lazily: i18n)."""
    specs = {
        CriterionField.REGIONS: FieldSpec(LIST, _SET_OPS, tuple(Region.choices), show_keys=True),
        CriterionField.HQ_COUNTRY: FieldSpec(
            CHOICE, _ONE_OPS, tuple((code, str(name)) for code, name in countries)
        ),
        CriterionField.INDUSTRIES: FieldSpec(LIST, _SET_OPS, None, case_insensitive=True),
        CriterionField.EMPLOYEE_BAND: FieldSpec(
            BAND, (*_NUM_OPS, *_ONE_OPS), tuple(EmployeeBand.choices)
        ),
        CriterionField.REVENUE_BAND: FieldSpec(
            BAND, (*_NUM_OPS, *_ONE_OPS), tuple(RevenueBand.choices)
        ),
        CriterionField.PARTNER_TYPES: FieldSpec(LIST, _SET_OPS, tuple(PartnerType.choices)),
        CriterionField.SKILLS: FieldSpec(LIST, _SET_OPS, None, case_insensitive=True),
        CriterionField.SALES_MOTION: FieldSpec(CHOICE, _ONE_OPS, tuple(SalesMotion.choices)),
        CriterionField.CO_MARKETING: FieldSpec(BOOL, (Operator.IS_TRUE,)),
        CriterionField.PLANNED_CERTIFIED_STAFF: FieldSpec(NUMBER, _NUM_OPS),
    }
    return specs[CriterionField(field)]


def clean_criterion_value(*, field: str, operator: str, value: Any) -> Any:
    """Validate `value` for the field and rule and return it normalised for storage.

    Raises ValidationError keyed by "field", "operator" or "value" (the form's field names).
    """
    if field not in CriterionField.values:
        raise ValidationError({"field": _("Choose a profile field.")})
    if operator not in Operator.values:
        raise ValidationError({"operator": _("Choose a rule.")})
    spec = field_spec(field)
    if operator not in spec.operators:
        allowed = ", ".join(str(Operator(op).label) for op in spec.operators)
        raise ValidationError(
            {
                "operator": _("“%(field)s” can only use these rules: %(allowed)s.")
                % {"field": CriterionField(field).label, "allowed": allowed}
            }
        )
    if operator == Operator.IS_TRUE:
        return []  # the rule needs no value (the column is NOT NULL: store an empty list)
    if operator in _NUM_OPS:
        return _clean_number(value)
    return _clean_values(spec, value)


def _clean_number(value: Any) -> int | float:
    if isinstance(value, bool) or value in (None, "", []):
        raise ValidationError({"value": _("Enter a number.")})
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": _("Enter a number.")}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({"value": _("Enter a number of zero or more.")})
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_values(spec: FieldSpec, value: Any) -> list[str]:
    if isinstance(value, str):
        value = list(value.split(","))
    if not isinstance(value, list | tuple):
        raise ValidationError({"value": _("Choose at least one value.")})
    cleaned: list[str] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str | int):
            raise ValidationError({"value": _("Values must be text.")})
        text = str(item).strip()
        if not text:
            continue
        if len(text) > 100:
            raise ValidationError({"value": _("Keep each value under 100 characters.")})
        key = text.casefold() if spec.case_insensitive else text
        if key not in seen:
            seen.add(key)
            cleaned.append(text)
    if not cleaned:
        raise ValidationError({"value": _("Choose at least one value.")})
    if spec.choices is not None:
        known = {key for key, _label in spec.choices}
        unknown = [item for item in cleaned if item not in known]
        if unknown:
            raise ValidationError(
                {
                    "value": _("Not a choice for this field: %(values)s.")
                    % {"values": ", ".join(unknown)}
                }
            )
    if len(cleaned) > 300:
        raise ValidationError({"value": _("Choose at most 300 values.")})
    return cleaned


# --- Scoring (pure) --------------------------------------------------------------------------


def describe_rule(criterion) -> str:
    """The rule in words, e.g. "Regions served is / includes any of NA, EMEA"."""
    try:
        spec = field_spec(criterion.field)
        field_label = str(CriterionField(criterion.field).label)
        operator_label = str(Operator(criterion.operator).label)
    except ValueError:
        return f"{criterion.field} {criterion.operator}"
    if criterion.operator == Operator.IS_TRUE:
        return f"{field_label} {operator_label}"
    if criterion.operator in _NUM_OPS:
        return f"{field_label} {operator_label} {criterion.value}"
    values = criterion.value if isinstance(criterion.value, list) else [criterion.value]
    shown = ", ".join(_choice_label(spec, str(item)) for item in values)
    return f"{field_label} {operator_label} {shown}"


def _choice_label(spec: FieldSpec, key: str) -> str:
    if spec.choices and not spec.show_keys:
        for choice_key, label in spec.choices:
            if choice_key == key:
                return str(label)
    return key


def _partner_values(field: str, partner) -> list[str]:
    """The partner's values for a list field; the primary type counts among partner_types."""
    raw = getattr(partner, field, None) or []
    values = [str(item) for item in raw] if isinstance(raw, list | tuple) else [str(raw)]
    primary = partner.partner_type if field == CriterionField.PARTNER_TYPES else ""
    if primary and primary not in values:
        values = [primary, *values]
    return values


def _check(criterion, partner) -> tuple[bool, str]:
    """Whether the partner meets one criterion, and why, in plain words."""
    field, operator, value = criterion.field, criterion.operator, criterion.value
    field_label = str(CriterionField(field).label)
    try:
        spec = field_spec(field)
    except ValueError:
        return False, _("unknown profile field “%(field)s”") % {"field": field}

    if operator == Operator.IS_TRUE:
        has = bool(getattr(partner, field, False))
        return has, (_("%(field)s: yes") if has else _("%(field)s: no")) % {"field": field_label}

    if operator in _NUM_OPS:
        return _check_number(spec, field, field_label, operator, value, partner)

    wanted = [str(item) for item in (value or [])]
    if spec.kind in (CHOICE, BAND):
        raw = getattr(partner, field, "") or ""
        have = [str(raw)] if raw else []
    else:
        have = _partner_values(field, partner)
    fold = (lambda text: text.casefold()) if spec.case_insensitive else (lambda text: text)
    have_keys = {fold(item) for item in have}
    hits = [item for item in wanted if fold(item) in have_keys]
    if operator == Operator.ANY_OF:
        matched = bool(hits)
    elif operator == Operator.ALL_OF:
        matched = bool(wanted) and len(hits) == len(wanted)
    elif operator == Operator.NONE_OF:
        matched = not hits
    else:
        return False, _("rule “%(rule)s” does not apply to %(field)s") % {
            "rule": operator,
            "field": field_label,
        }

    have_text = ", ".join(_choice_label(spec, item) for item in have) or _("none given")
    words = {
        "field": field_label,
        "have": have_text,
        "wanted": ", ".join(_choice_label(spec, item) for item in wanted),
        "hits": ", ".join(_choice_label(spec, item) for item in hits),
    }
    if operator == Operator.ANY_OF:
        detail = (
            _("%(field)s %(have)s include %(hits)s")
            if matched
            else _("%(field)s %(have)s include none of %(wanted)s")
        )
    elif operator == Operator.ALL_OF:
        detail = (
            _("%(field)s %(have)s include all of %(wanted)s")
            if matched
            else _("%(field)s %(have)s do not include all of %(wanted)s (have %(hits)s)")
            if hits
            else _("%(field)s %(have)s include none of %(wanted)s")
        )
    else:
        detail = (
            _("%(field)s %(have)s include none of %(wanted)s")
            if matched
            else _("%(field)s %(have)s include %(hits)s")
        )
    return matched, detail % words


def _check_number(spec, field, field_label, operator, value, partner) -> tuple[bool, str]:
    try:
        threshold = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False, _("%(field)s: the rule has no number") % {"field": field_label}
    if spec.kind == BAND:
        key = getattr(partner, field, "") or ""
        if not key:
            return False, _("%(field)s not given") % {"field": field_label}
        try:
            have = Decimal(key)
        except InvalidOperation:
            return False, _("%(field)s not given") % {"field": field_label}
        shown = _("%(band)s (from %(low)s)") % {"band": _choice_label(spec, key), "low": key}
    else:
        have = Decimal(getattr(partner, field, 0) or 0)
        shown = str(have)
    matched = have >= threshold if operator == Operator.GTE else have <= threshold
    symbol = "≥" if operator == Operator.GTE else "≤"
    words = {"field": field_label, "have": shown, "symbol": symbol, "value": _fmt(threshold)}
    detail = (
        _("%(field)s %(have)s %(symbol)s %(value)s")
        if matched
        else _("%(field)s %(have)s is not %(symbol)s %(value)s")
    )
    return matched, detail % words


def _fmt(number: Decimal) -> str:
    return str(int(number)) if number == number.to_integral_value() else str(number.normalize())


def ordered_criteria(criteria: Iterable) -> list:
    def key(criterion):
        group = GROUP_ORDER.index(criterion.group) if criterion.group in GROUP_ORDER else 99
        return (group, criterion.position, criterion.pk or 0)

    return sorted(criteria, key=key)


def evaluate(profile_criteria: Sequence, partner) -> tuple[int | None, list[dict]]:
    """Score a partner against criteria: (round(100 × matched weight / total weight), explanation).

    No criteria (or only zero weights) → (None, []): there is no IPP to score against.
    """
    criteria = ordered_criteria(profile_criteria)
    total = sum(criterion.weight for criterion in criteria)
    if not criteria or total <= 0:
        return None, []
    earned = 0
    explanation = []
    for criterion in criteria:
        matched, detail = _check(criterion, partner)
        points = criterion.weight if matched else 0
        earned += points
        explanation.append(
            {
                "criterion": str(criterion.uuid),
                "group": criterion.group,
                "label": criterion.label,
                "matched": matched,
                "points": points,
                "weight": criterion.weight,
                "detail": detail,
            }
        )
    score = int(round_half_up(Decimal(100 * earned) / Decimal(total)))  # 62.5 → 63
    return score, explanation


# --- Scoring (saved) ----------------------------------------------------------------------------

SCORE_FIELDS = ("ipp_score", "ipp_explanation", "ipp_scored_at")
PROFILE_FIELDS = (
    "partner_type",
    "regions",
    "hq_country",
    "industries",
    "employee_band",
    "revenue_band",
    "partner_types",
    "skills",
    "sales_motion",
    "co_marketing",
    "planned_certified_staff",
)


def current_criteria() -> list[IppCriterion]:
    """The current tenant's criteria, in display order."""
    return ordered_criteria(IppCriterion.objects.all())


def _check_tenant(partner) -> None:
    tenant = require_current_tenant()
    if partner.tenant_id != tenant.pk:
        raise PermissionError("Refusing to score a partner of another tenant.")


def score_partner(*, partner, criteria: Sequence | None = None) -> None:
    """Compute and save the partner's IPP score, explanation and time from the tenant's IPP.

    Writes only the three score columns with a queryset update, so a profile edit saved at the
    same time is not overwritten. The instance is updated in place too.
    """
    _check_tenant(partner)
    score, explanation = evaluate(current_criteria() if criteria is None else criteria, partner)
    now = timezone.now()
    PartnerOrganization.objects.filter(pk=partner.pk).update(
        ipp_score=score, ipp_explanation=explanation, ipp_scored_at=now
    )
    partner.ipp_score, partner.ipp_explanation, partner.ipp_scored_at = score, explanation, now


def score_tenant() -> int:
    """Recompute every partner of the current tenant, in batches. Returns how many were scored."""
    require_current_tenant()
    criteria = current_criteria()
    now = timezone.now()
    count = 0
    last_pk = 0
    base = PartnerOrganization.objects.only("pk", "tenant_id", *PROFILE_FIELDS).order_by("pk")
    while True:
        batch = list(base.filter(pk__gt=last_pk)[:SCORE_BATCH_SIZE])
        if not batch:
            break
        for partner in batch:
            partner.ipp_score, partner.ipp_explanation = evaluate(criteria, partner)
            partner.ipp_scored_at = now
        with transaction.atomic():
            PartnerOrganization.objects.bulk_update(batch, SCORE_FIELDS)
        count += len(batch)
        last_pk = batch[-1].pk
    return count


# --- Editing the IPP ----------------------------------------------------------------------------


def profile_get_or_create() -> IdealPartnerProfile:
    """The current tenant's IPP (one per tenant), created empty on first use."""
    tenant = require_current_tenant()
    profile, _created = IdealPartnerProfile.objects.get_or_create(tenant=tenant)
    return profile


def _changed(profile: IdealPartnerProfile) -> None:
    """Bump the version, then recompute every partner in the background once this commits."""
    from ..tasks.ipp import ipp_recompute_tenant

    IdealPartnerProfile.objects.filter(pk=profile.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    profile.refresh_from_db(fields=["version", "updated_at"])
    enqueue(ipp_recompute_tenant, tenant=require_current_tenant(), version=profile.version)


def _snapshot(criterion: IppCriterion) -> dict[str, Any]:
    return {
        "group": criterion.group,
        "label": criterion.label,
        "field": criterion.field,
        "operator": criterion.operator,
        "value": criterion.value,
        "weight": criterion.weight,
    }


def _validate(criterion: IppCriterion) -> None:
    criterion.value = clean_criterion_value(
        field=criterion.field, operator=criterion.operator, value=criterion.value
    )
    if criterion.weight is None or criterion.weight < 1 or criterion.weight > 100:
        raise ValidationError({"weight": _("Give a weight from 1 to 100.")})
    criterion.full_clean(exclude=["profile", "tenant", "value", "position"])


@transaction.atomic
def criterion_create(
    *,
    actor: Actor,
    group: str,
    label: str,
    field: str,
    operator: str,
    value: Any = None,
    weight: int = 10,
) -> IppCriterion:
    access.require(actor, Perm.PROGRAM_MANAGE)
    profile = IdealPartnerProfile.objects.select_for_update().get(pk=profile_get_or_create().pk)
    last = (
        IppCriterion.objects.filter(profile=profile, group=group)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    criterion = IppCriterion(
        profile=profile,
        group=group,
        label=(label or "").strip(),
        field=field,
        operator=operator,
        value=value,
        weight=weight,
        position=0 if last is None else last + 1,
    )
    _validate(criterion)
    criterion.save()
    audit_record(
        actor=actor, action="ipp.criterion_created", target=criterion, changes=_snapshot(criterion)
    )
    _changed(profile)
    return criterion


@transaction.atomic
def criterion_update(*, actor: Actor, criterion: IppCriterion, **changes: Any) -> IppCriterion:
    """Change a criterion's group, label, field, operator, value and/or weight."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    allowed = {"group", "label", "field", "operator", "value", "weight"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    criterion = IppCriterion.objects.select_for_update().get(pk=criterion.pk)
    before = _snapshot(criterion)
    old_group = criterion.group
    for name, new in changes.items():
        setattr(criterion, name, new.strip() if name == "label" and new else new)
    _validate(criterion)
    if criterion.group != old_group:
        last = (
            IppCriterion.objects.filter(profile_id=criterion.profile_id, group=criterion.group)
            .exclude(pk=criterion.pk)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        criterion.position = 0 if last is None else last + 1
    after = _snapshot(criterion)
    diff = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not diff:
        return criterion
    criterion.save()
    audit_record(actor=actor, action="ipp.criterion_updated", target=criterion, changes=diff)
    _changed(criterion.profile)
    return criterion


@transaction.atomic
def criterion_delete(*, actor: Actor, criterion: IppCriterion) -> None:
    access.require(actor, Perm.PROGRAM_MANAGE)
    profile = criterion.profile
    audit_record(
        actor=actor, action="ipp.criterion_deleted", target=criterion, changes=_snapshot(criterion)
    )
    criterion.delete()
    _changed(profile)


@transaction.atomic
def criterion_move(*, actor: Actor, criterion: IppCriterion, direction: str) -> IppCriterion:
    """Move a criterion one place "up" or "down" within its group."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a criterion up or down."))
    siblings = list(
        IppCriterion.objects.select_for_update()
        .filter(profile_id=criterion.profile_id, group=criterion.group)
        .order_by("position", "id")
    )
    index = next(i for i, item in enumerate(siblings) if item.pk == criterion.pk)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(siblings):
        return criterion
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, item in enumerate(siblings):
        item.position = position
    IppCriterion.objects.bulk_update(siblings, ["position"])
    moved = siblings[target]
    audit_record(
        actor=actor,
        action="ipp.criterion_moved",
        target=moved,
        changes={"direction": direction, "position": [index, target]},
    )
    _changed(moved.profile)
    return moved
