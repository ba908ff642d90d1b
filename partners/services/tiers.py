"""Tiers: writes. Program settings, tier definitions, evaluation (proposals), decisions, manual
changes and the tier history.

Certifications are pluggable
----------------------------
Tier requirements count "currently certified people" and "named certifications held", which the
enablement area (a floor above) knows about. It registers the one provider from its
AppConfig.ready() (enablement/certs/apps.py)::

    from partners.services.tiers import certification_provider

    certification_provider.register(certification_facts)

A provider takes a PartnerOrganization and returns CertificationFacts. Without a provider the
system check tenancy.E002 fails start-up and `certification_facts` raises (tenancy/registry.py).

Evaluation rules
----------------
- Only partners in state contracted or active are evaluated.
- The qualifying tier is the highest-ranked tier whose requirements are all met; the entry tier
  (rank 1) is the floor: a partner is never proposed for "no tier".
- A partner without a tier is placed at the entry tier directly (no approval: it is the default
  tier of every contracted/active partner), recorded in the history; evaluation then goes on.
- Qualifying above the current tier: an upgrade is proposed (reasons: the target tier's
  requirements, have/need each). Below: `below_tier_since` is set when unset and a downgrade is
  proposed only once the program's grace period has run from it (reasons: the current tier's
  requirements, unmet ones flagged). Meeting the current tier again clears `below_tier_since` and
  supersedes any pending proposal.
- One pending proposal per partner: a proposal with a different target supersedes the pending one;
  the same target keeps it (running the evaluation twice creates nothing new).
- A rejected move is not proposed again for one grace period after the rejection.
- With ProgramSettings.auto_apply_tier_changes, a new proposal is applied at once by the system.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import SYSTEM, Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.currencies import is_currency
from tenancy.common.reading import read_once
from tenancy.context import require_current_tenant
from tenancy.events import emit
from tenancy.registry import Registry

from ..models import (
    PartnerOrganization,
    ProgramSettings,
    ProposalStatus,
    RevenueRecord,
    Tier,
    TierChange,
    TierProposal,
)
from ..selectors import tiers as selectors

logger = logging.getLogger(__name__)

MAX_TIERS = 3
EVALUATED_STATES = selectors.EVALUATED_STATES
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


# --- Certification provider registry ---------------------------------------------------------


@dataclass(frozen=True)
class CertificationFacts:
    certified_people: int = 0
    certifications: frozenset[str] | set[str] = field(default_factory=frozenset)


CertificationProvider = Callable[[PartnerOrganization], CertificationFacts]


# Enablement (certifications) registers the one provider from its AppConfig.ready().
certification_provider: Registry[CertificationProvider] = Registry(
    "partners.certification_provider", required=True, single=True
)


def certification_facts(partner: PartnerOrganization) -> CertificationFacts:
    return certification_provider.one()(partner)


# Training time of a partner's people in seconds (courses + attended live sessions): enablement
# registers the one provider (enablement/live/apps.py → enablement.training); missing fails loudly.
TrainingSecondsProvider = Callable[[PartnerOrganization], int]
training_hours_provider: Registry[TrainingSecondsProvider] = Registry(
    "partners.training_hours_provider", required=True, single=True
)


def training_seconds(partner: PartnerOrganization) -> int:
    return int(training_hours_provider.one()(partner))


# --- Program settings -------------------------------------------------------------------------


def program_settings() -> ProgramSettings:
    """The current tenant's program settings, created with defaults on first use. Read once per
    `one_reading()` (a page's panels), shared with `selectors.tiers.program_settings_or_default`:
    the same values either way, defaults until an admin saves them."""
    tenant = require_current_tenant()
    settings = read_once(
        ("program_settings", tenant.pk),
        lambda: ProgramSettings.objects.get_or_create(tenant=tenant)[0],
    )
    if settings.pk is None:  # the selector's unsaved defaults, read earlier in this reading
        settings = ProgramSettings.objects.get_or_create(tenant=tenant)[0]
    return settings


SETTINGS_FIELDS = (
    "currency",
    "tier_grace_period_days",
    "auto_apply_tier_changes",
    "revenue_window_months",
)


@transaction.atomic
def program_settings_update(*, actor: Actor, **fields) -> ProgramSettings:
    if actor is not SYSTEM:
        access.require(actor, Perm.PROGRAM_MANAGE)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown settings: %(names)s") % {"names": ", ".join(unknown)})
    settings = ProgramSettings.objects.select_for_update().filter(pk=program_settings().pk).get()
    errors: dict[str, str] = {}
    if "currency" in fields:
        fields["currency"] = (fields["currency"] or "").strip().upper()
        if not is_currency(fields["currency"]):
            errors["currency"] = _("Enter an ISO 4217 currency code such as USD, EUR or GBP.")
        elif (
            fields["currency"] != settings.currency
            and RevenueRecord.objects.exclude(currency=fields["currency"]).exists()
        ):
            errors["currency"] = _(
                "The revenue ledger already holds amounts in %(currency)s; the program "
                "currency cannot change while it does."
            ) % {"currency": settings.currency}
    window = fields.get("revenue_window_months")
    if window is not None and not 1 <= int(window) <= 36:
        errors["revenue_window_months"] = _("Choose a window between 1 and 36 months.")
    if errors:
        raise ValidationError(errors)
    if "currency" in fields and fields["currency"] != settings.currency:
        from .currency import rates_rebase

        # The exchange rates are values in the program currency: re-express them in the new one.
        rates_rebase(actor=actor, old=settings.currency, new=fields["currency"])
    changes = {}
    for name, value in fields.items():
        old = getattr(settings, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(settings, name, value)
    if changes:
        settings.full_clean(exclude=["tenant"])
        settings.save()
        audit_record(
            actor=actor, action="program_settings.updated", target=settings, changes=changes
        )
    return settings


# --- Tier definitions -------------------------------------------------------------------------

TIER_FIELDS = (
    "name",
    "rank",
    "color",
    "min_trailing_revenue",
    "min_certified_people",
    "required_certifications",
    "discount_margin_pct",
    "mdf_eligible",
    "mdf_share_pct",
    "lead_priority",
    "perks",
)


def _clean_certifications(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    seen: list[str] = []
    for name in value or []:
        name = str(name).strip()
        if name and name not in seen:
            seen.append(name[:120])
    return seen


def _validate_ladder(tier: Tier) -> None:
    """Ranks 1..MAX_TIERS, unique, and every requirement of a higher tier at least the lower's."""
    if not 1 <= tier.rank <= MAX_TIERS:
        raise ValidationError(
            {"rank": _("Rank must be between 1 and %(max)s.") % {"max": MAX_TIERS}}
        )
    others = list(Tier.objects.exclude(pk=tier.pk).order_by("rank"))
    if any(other.rank == tier.rank for other in others):
        raise ValidationError({"rank": _("Another tier already has this rank.")})
    if any(other.name.lower() == tier.name.strip().lower() for other in others):
        raise ValidationError({"name": _("Another tier already has this name.")})
    if tier.pk is None and len(others) >= MAX_TIERS:
        raise ValidationError(
            _("A program has at most %(max)s tiers; edit an existing one.") % {"max": MAX_TIERS}
        )
    errors: dict[str, list[str]] = {}
    certs = set(tier.required_certifications)
    for other in others:
        lower, higher = (other, tier) if other.rank < tier.rank else (tier, other)
        where = {"lower": lower.name, "higher": higher.name}
        if higher.min_trailing_revenue < lower.min_trailing_revenue:
            errors.setdefault("min_trailing_revenue", []).append(
                _("%(higher)s cannot require less revenue than %(lower)s.") % where
            )
        if higher.min_certified_people < lower.min_certified_people:
            errors.setdefault("min_certified_people", []).append(
                _("%(higher)s cannot require fewer certified people than %(lower)s.") % where
            )
        lower_certs = certs if lower is tier else set(other.required_certifications)
        higher_certs = certs if higher is tier else set(other.required_certifications)
        if not lower_certs <= higher_certs:
            errors.setdefault("required_certifications", []).append(
                _("%(higher)s must require every certification %(lower)s requires.") % where
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def tier_save(*, actor: Actor, tier: Tier | None = None, **fields) -> Tier:
    """Create a tier (tier=None) or update one; validates the whole ladder."""
    if actor is not SYSTEM:
        access.require(actor, Perm.PROGRAM_MANAGE)
    unknown = set(fields) - set(TIER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown tier fields: %(names)s") % {"names": ", ".join(unknown)})
    # Serialise ladder edits so two admins cannot both take the last free rank.
    program_settings()
    ProgramSettings.objects.select_for_update().filter(tenant=require_current_tenant()).get()
    creating = tier is None
    if creating:
        tier = Tier(tenant=require_current_tenant())
    before = {name: getattr(tier, name) for name in fields}
    if "required_certifications" in fields:
        fields["required_certifications"] = _clean_certifications(fields["required_certifications"])
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    for name, value in fields.items():
        setattr(tier, name, value)
    # The colour lands in a style attribute: only a plain hex colour is allowed.
    if not COLOR_RE.match(tier.color or ""):
        raise ValidationError({"color": _("Use a hex colour such as #b08d57.")})
    if not tier.mdf_eligible and tier.mdf_share_pct:
        raise ValidationError({"mdf_share_pct": _("Only an MDF-eligible tier has an MDF share.")})
    tier.full_clean(exclude=["tenant"], validate_constraints=False)
    _validate_ladder(tier)
    tier.save()
    changes = {
        name: [str(before[name]), str(getattr(tier, name))]
        for name in fields
        if creating or before[name] != getattr(tier, name)
    }
    audit_record(
        actor=actor,
        action="tier.created" if creating else "tier.updated",
        target=tier,
        changes=changes,
    )
    return tier


# --- Changing a partner's tier ----------------------------------------------------------------


def _change_tier(
    *,
    partner: PartnerOrganization,
    to_tier: Tier,
    by: Actor,
    reason: str,
    now: datetime,
    proposal: TierProposal | None = None,
) -> TierChange:
    from_tier = partner.tier
    partner.tier = to_tier
    partner.tier_since = now
    partner.below_tier_since = None
    partner.save(update_fields=["tier", "tier_since", "below_tier_since"])
    change = TierChange.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        from_tier=from_tier,
        to_tier=to_tier,
        proposal=proposal,
        reason=reason,
        by_label=by.label,
        changed_at=now,
    )
    audit_record(
        actor=by,
        action="partner.tier_changed",
        target=partner,
        changes={
            "tier": [from_tier.name if from_tier else None, to_tier.name],
            "reason": reason,
            **({"proposal": str(proposal.uuid)} if proposal else {}),
        },
    )
    emit(
        "partner.tier_changed",
        aggregate="partner",
        aggregate_uuid=partner.uuid,
        partner_uuid=partner.uuid,
        data={
            "partner": str(partner.uuid),
            "partner_name": partner.name,
            "from_tier": from_tier.name if from_tier else None,
            "to_tier": to_tier.name,
            "reason": reason,
            "changed_at": now.isoformat(),
        },
    )
    return change


def _supersede_pending(partner: PartnerOrganization, *, now: datetime, keep_to=None) -> None:
    qs = TierProposal.objects.filter(partner=partner, status=ProposalStatus.PENDING)
    if keep_to is not None:
        qs = qs.exclude(to_tier=keep_to)
    qs.update(status=ProposalStatus.SUPERSEDED, decided_at=now)


@transaction.atomic
def tier_set(
    *, actor: Actor, partner: PartnerOrganization, tier: Tier, reason: str, now=None
) -> TierChange | None:
    """A program admin puts a partner on a tier by hand (recorded in the history)."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    if not access.may_manage_partner(actor, partner):
        raise PermissionDenied(_("You may not manage this partner."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the tier changes.")})
    now = now or timezone.now()
    partner = PartnerOrganization.objects.select_for_update().get(pk=partner.pk)
    if partner.tier_id == tier.pk:
        raise ValidationError({"tier": _("The partner is already at this tier.")})
    _supersede_pending(partner, now=now)
    return _change_tier(partner=partner, to_tier=tier, by=actor, reason=reason.strip(), now=now)


def _apply(*, proposal: TierProposal, by: Actor, note: str, now: datetime) -> TierProposal:
    partner = proposal.partner
    if partner.tier_id != proposal.from_tier_id:
        raise ValidationError(
            _("The partner's tier changed since this proposal was made; it is out of date.")
        )
    proposal.status = ProposalStatus.APPLIED
    proposal.decided_at = now
    proposal.decided_by = by.user
    proposal.decision_note = note
    proposal.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    reason = note or (
        _("Meets the requirements of %(tier)s.") % {"tier": proposal.to_tier.name}
        if proposal.is_upgrade
        else _("Below the requirements of %(tier)s after the grace period.")
        % {"tier": proposal.from_tier.name if proposal.from_tier else "—"}
    )
    _change_tier(
        partner=partner, to_tier=proposal.to_tier, by=by, reason=reason, now=now, proposal=proposal
    )
    return proposal


@transaction.atomic
def tier_proposal_decide(
    *, actor: Actor, proposal: TierProposal, approve: bool, note: str = "", now=None
) -> TierProposal:
    """Approve (apply) or reject a pending proposal. Managers decide for their own partners."""
    access.require(actor, Perm.TIERS_DECIDE)
    if not access.may_manage_partner(actor, proposal.partner):
        raise PermissionDenied(_("You may not decide for this partner."))
    now = now or timezone.now()
    note = (note or "").strip()
    # Lock the partner first (evaluation locks in the same order), then re-read the proposal.
    partner = PartnerOrganization.objects.select_for_update().get(pk=proposal.partner_id)
    proposal = (
        TierProposal.objects.select_related("from_tier", "to_tier")
        .select_for_update(of=("self",))
        .get(pk=proposal.pk)
    )
    proposal.partner = partner
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError(
            _("This proposal is already %(status)s.") % {"status": proposal.get_status_display()}
        )
    if approve:
        proposal = _apply(proposal=proposal, by=actor, note=note, now=now)
        action = "tier_proposal.approved"
    else:
        if not note:
            raise ValidationError({"note": _("Say why you reject the proposal.")})
        proposal.status = ProposalStatus.REJECTED
        proposal.decided_at = now
        proposal.decided_by = actor.user
        proposal.decision_note = note
        proposal.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        action = "tier_proposal.rejected"
    audit_record(
        actor=actor,
        action=action,
        target=proposal,
        changes={
            "partner": partner.name,
            "tier": [
                proposal.from_tier.name if proposal.from_tier else None,
                proposal.to_tier.name if proposal.to_tier else None,
            ],
            "note": note,
        },
    )
    return proposal


# --- Evaluation -------------------------------------------------------------------------------


def _recently_rejected(
    partner: PartnerOrganization, from_tier: Tier, to_tier: Tier, *, since: datetime
) -> bool:
    return TierProposal.objects.filter(
        partner=partner,
        from_tier=from_tier,
        to_tier=to_tier,
        status=ProposalStatus.REJECTED,
        decided_at__gte=since,
    ).exists()


def _propose(
    *,
    partner: PartnerOrganization,
    to_tier: Tier,
    reasons: list[dict],
    settings: ProgramSettings,
    now: datetime,
) -> TierProposal | None:
    pending = TierProposal.objects.filter(partner=partner, status=ProposalStatus.PENDING).first()
    if pending is not None and pending.to_tier_id == to_tier.pk:
        return pending  # same finding as last time: nothing new
    snooze_since = now - timedelta(days=settings.tier_grace_period_days)
    if _recently_rejected(partner, partner.tier, to_tier, since=snooze_since):
        _supersede_pending(partner, now=now)
        return None
    _supersede_pending(partner, now=now)
    proposal = TierProposal.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        from_tier=partner.tier,
        to_tier=to_tier,
        reasons=reasons,
        created_at=now,
    )
    if settings.auto_apply_tier_changes:
        _apply(proposal=proposal, by=SYSTEM, note=_("Applied automatically."), now=now)
    return proposal


def _reasons(tier: Tier, facts: selectors.PartnerFacts) -> list[dict]:
    return [
        {**row.as_reason(), "tier": tier.name} for row in selectors.requirement_rows(tier, facts)
    ]


@transaction.atomic
def evaluate_partner(
    *,
    partner: PartnerOrganization,
    now: datetime | None = None,
    tiers: list[Tier] | None = None,
    settings: ProgramSettings | None = None,
) -> TierProposal | None:
    """Compare the partner with the tier ladder; propose (or apply) a move. See module docstring.

    Returns the pending (or, with auto-apply, applied) proposal, or None when no move is due.
    """
    now = now or timezone.now()
    settings = settings or program_settings()
    tiers = sorted(tiers if tiers is not None else selectors.tier_list(), key=lambda t: t.rank)
    if not tiers:
        return None
    partner = (
        PartnerOrganization.objects.select_for_update(of=("self",))
        .select_related("tier")
        .get(pk=partner.pk)
    )
    if partner.state not in EVALUATED_STATES:
        return None
    entry = tiers[0]
    if partner.tier is None:
        _change_tier(
            partner=partner,
            to_tier=entry,
            by=SYSTEM,
            reason=_("Entered the program at the entry tier."),
            now=now,
        )
    facts = selectors.partner_facts(partner, settings=settings, today=timezone.localdate(now))
    qualifying = entry
    for tier in tiers:
        if selectors.qualifies(tier, facts):
            qualifying = tier
    current = partner.tier
    if qualifying.rank >= current.rank and partner.below_tier_since is not None:
        partner.below_tier_since = None
        partner.save(update_fields=["below_tier_since"])
    if qualifying.rank == current.rank:
        _supersede_pending(partner, now=now)
        return None
    if qualifying.rank > current.rank:
        return _propose(
            partner=partner,
            to_tier=qualifying,
            reasons=_reasons(qualifying, facts),
            settings=settings,
            now=now,
        )
    # Below the current tier: start (or continue) the grace period.
    if partner.below_tier_since is None:
        partner.below_tier_since = now
        partner.save(update_fields=["below_tier_since"])
    if now - partner.below_tier_since < timedelta(days=settings.tier_grace_period_days):
        # Still in grace: an upgrade proposed earlier is no longer true; nothing else to do.
        _supersede_pending(partner, now=now)
        return None
    return _propose(
        partner=partner,
        to_tier=qualifying,
        reasons=_reasons(current, facts),
        settings=settings,
        now=now,
    )


def evaluate_tenant(*, now: datetime | None = None) -> list[TierProposal]:
    """Evaluate every contracted/active partner of the current tenant; idempotent.

    Each partner is evaluated in its own transaction, so one failure does not undo the others.
    """
    now = now or timezone.now()
    settings = program_settings()
    tiers = list(selectors.tier_list())
    if not tiers:
        return []
    found = []
    partner_ids = PartnerOrganization.objects.filter(state__in=EVALUATED_STATES).values_list(
        "pk", flat=True
    )
    for partner_id in list(partner_ids):
        try:
            proposal = evaluate_partner(
                partner=PartnerOrganization(pk=partner_id), now=now, tiers=tiers, settings=settings
            )
        except Exception:
            # Its savepoint rolled back: log it and go on with the other partners.
            logger.exception("Tier evaluation failed for partner %s", partner_id)
            continue
        if proposal is not None:
            found.append(proposal)
    return found
