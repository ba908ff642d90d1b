"""Onboarding progress: milestones (when each partner first reached each checklist step) and the
benefit gates that read them.

Every milestone stands on an event another record holds, and is dated by that event: the
signature's signed_at, the invitation's created_at, a PortalLogin (recorded at each partner
user's login), the setup wizard's completed_at, the 101 enrolment's completed_at, the first
download event, the first registration's submitted_at. The service that records the event calls
`milestone_reach(at=<the event's time>)`; each event also has a *source* (a function returning,
for a set of partners, the earliest event time) from which `milestones_refresh` fills in what an
event recorded before this code, or outside it, left out. Nothing is dated "now" as a guess.
Areas this app cannot import (deal registration depends on onboarding, not the other way)
register their source from their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enablement.assets import selectors as asset_selectors
from enablement.lms import selectors as lms_selectors
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.registry import Registry

from ..models import (
    AgreementSignature,
    Benefit,
    BenefitGate,
    GateScope,
    Milestone,
    MilestoneKey,
    OnboardingSettings,
    PortalLogin,
    SetupWizardProgress,
    TourState,
)

K = MilestoneKey

# fn(partner_ids) -> {partner_id: earliest event datetime}, one per MilestoneKey. FIRST_DEAL is
# registered by dealreg.
MilestoneSource = Callable[[list[int]], dict[int, datetime]]
milestone_sources: Registry[MilestoneSource] = Registry(
    "onboarding.milestone_sources", required_keys=list(K.values)
)

# The partner profile fields the Ideal Partner Profile scores on: the setup wizard asks for them
# and "profile complete" means all of them are filled.
PROFILE_FIELDS: tuple[str, ...] = (
    "website",
    "hq_country",
    "regions",
    "industries",
    "employee_band",
    "revenue_band",
    "skills",
    "sales_motion",
)

# Benefits with no BenefitGate row need the 101 course (the default).
DEFAULT_REQUIREMENTS: dict[str, list[str]] = {
    Benefit.DEAL_REGISTRATION: [K.TRAINING_101],
    Benefit.MDF: [K.TRAINING_101],
}

# How to reach each step, for a locked benefit's message: (text, URL name or "").
HOW_TO: dict[str, tuple[str, str]] = {
    K.AGREEMENT_SIGNED: (gettext_lazy("Sign the partner agreement."), "portal_agreement"),
    K.TEAM_INVITED: (gettext_lazy("Invite your team to the portal."), "portal_team"),
    K.FIRST_LOGIN: (gettext_lazy("Log in to the partner portal."), "portal_home"),
    K.PROFILE_COMPLETE: (
        gettext_lazy("Complete your company profile in the setup wizard."),
        "portal_setup_wizard",
    ),
    K.TRAINING_101: (gettext_lazy("Complete the 101 course."), "portal_learning"),
    K.FIRST_ASSET: (gettext_lazy("Download an asset from the library."), "portal_assets"),
    K.FIRST_DEAL: (gettext_lazy("Register your first deal."), "portal_deal_register"),
}


def _earliest(qs, partner_field: str, time_field: str, partner_ids: list[int]) -> dict:
    rows = (
        qs.filter(**{f"{partner_field}__in": partner_ids})
        .values(partner_field)
        .annotate(first=Min(time_field))
    )
    return {row[partner_field]: row["first"] for row in rows if row["first"] is not None}


def _agreement_signed(partner_ids: list[int]) -> dict[int, datetime]:
    return _earliest(AgreementSignature.objects.all(), "partner_id", "signed_at", partner_ids)


def _team_invited(partner_ids: list[int]) -> dict[int, datetime]:
    from tenancy.models import Invitation

    return _earliest(Invitation.objects.all(), "partner_organization_id", "created_at", partner_ids)


def _first_login(partner_ids: list[int]) -> dict[int, datetime]:
    return _earliest(PortalLogin.objects.all(), "partner_id", "logged_in_at", partner_ids)


def _profile_complete(partner_ids: list[int]) -> dict[int, datetime]:
    # The setup wizard finished with every profile field filled (wizard_finish refuses
    # otherwise): when that happened, not when someone first looked. A profile completed on the
    # profile page is recorded when it is saved (profile_saved, the partners hook).
    return _earliest(SetupWizardProgress.objects.all(), "partner_id", "completed_at", partner_ids)


def _training_101(partner_ids: list[int]) -> dict[int, datetime]:
    from tenancy.models import Membership

    members = Membership.objects.filter(partner_organization_id__in=partner_ids).values_list(
        "user_id", "partner_organization_id"
    )
    org_of_user: dict[int, list[int]] = {}
    for user_id, org_id in members:
        org_of_user.setdefault(user_id, []).append(org_id)
    if not org_of_user:
        return {}
    result: dict[int, datetime] = {}
    for user_id, completed_at in lms_selectors.foundation_completed_at(org_of_user).items():
        for org_id in org_of_user[user_id]:
            if org_id not in result or completed_at < result[org_id]:
                result[org_id] = completed_at
    return result


def _first_asset(partner_ids: list[int]) -> dict[int, datetime]:
    return asset_selectors.first_download_at(partner_ids)


milestone_sources.register(_agreement_signed, key=K.AGREEMENT_SIGNED)
milestone_sources.register(_team_invited, key=K.TEAM_INVITED)
milestone_sources.register(_first_login, key=K.FIRST_LOGIN)
milestone_sources.register(_profile_complete, key=K.PROFILE_COMPLETE)
milestone_sources.register(_training_101, key=K.TRAINING_101)
milestone_sources.register(_first_asset, key=K.FIRST_ASSET)


def profile_missing_fields(partner) -> list[str]:
    """The IPP profile fields still empty on this partner."""
    return [name for name in PROFILE_FIELDS if not getattr(partner, name)]


def milestone_reach(*, partner, key: str, at: datetime) -> Milestone:
    """Record that a partner reached a step at `at`, the time of the event that made it true
    (keeps the earliest time; idempotent)."""
    if at is None:
        raise ValueError("A milestone is dated by its event: pass the event's time as at=.")
    existing = Milestone.objects.filter(partner=partner, key=key).first()
    if existing is not None:
        if at < existing.reached_at:
            existing.reached_at = at
            existing.save(update_fields=["reached_at"])
        return existing
    try:
        with transaction.atomic():
            return Milestone.objects.create(
                tenant=require_current_tenant(), partner=partner, key=key, reached_at=at
            )
    except IntegrityError:  # reached concurrently: the other writer's row stands
        return Milestone.objects.get(partner=partner, key=key)


def invitation_created(*, invitation) -> None:
    """tenancy hook: someone was invited into a partner organisation, which reached "team
    invited" then (the invitation's time)."""
    from partners.models import PartnerOrganization

    if invitation.partner_organization_id is None:
        return
    partner = PartnerOrganization.objects.filter(pk=invitation.partner_organization_id).first()
    if partner is not None:
        milestone_reach(partner=partner, key=K.TEAM_INVITED, at=invitation.created_at)


def profile_saved(*, partner, at: datetime) -> None:
    """partners hook: a profile was saved at `at`; when every profile field is now filled, the
    partner reached "profile complete" then (whether through the wizard or the profile page)."""
    if not profile_missing_fields(partner):
        milestone_reach(partner=partner, key=K.PROFILE_COMPLETE, at=at)


def milestones_refresh(
    partner_ids: Iterable[int], keys: Iterable[str] | None = None, *, none_stored: bool = False
) -> bool:
    """Bring the stored milestones of these partners up to date with their sources (all of
    them, or only `keys`). True when it wrote something. `none_stored`: the caller has just
    read that none of these is stored (a row written meanwhile is kept: inserts skip it)."""
    partner_ids = list(partner_ids)
    sources = {k: fn for k, fn in milestone_sources.items() if keys is None or k in set(keys)}
    if not partner_ids or not sources:
        return False
    tenant = require_current_tenant()
    stored = {}
    if not none_stored:
        stored = {
            (m.partner_id, m.key): m
            for m in Milestone.objects.filter(partner_id__in=partner_ids, key__in=list(sources))
        }
    new: list[Milestone] = []
    moved = False
    for key, source in sources.items():
        for partner_id, at in source(partner_ids).items():
            row = stored.get((partner_id, key))
            if row is None:
                new.append(Milestone(tenant=tenant, partner_id=partner_id, key=key, reached_at=at))
            elif at < row.reached_at:
                row.reached_at = at
                row.save(update_fields=["reached_at"])
                moved = True
    Milestone.objects.bulk_create(new, ignore_conflicts=True)
    return moved or bool(new)


def partner_milestones(partner, *, recheck_reached: bool = True) -> dict[str, datetime]:
    """{milestone key: reached_at} for one partner, refreshed from the sources first.

    With `recheck_reached=False` only the steps not reached yet are asked of their sources (a
    reached step stays reached; only its date could still move earlier): one query for the
    stored milestones, one per unfinished step's source, and one more only when a step was
    just found —
    for the portal home's card, which shows which steps are done, not when."""
    if recheck_reached:
        milestones_refresh([partner.pk])
        return dict(Milestone.objects.filter(partner=partner).values_list("key", "reached_at"))
    reached = dict(Milestone.objects.filter(partner=partner).values_list("key", "reached_at"))
    missing = [key for key in K.values if key not in reached]
    if missing and milestones_refresh([partner.pk], keys=missing, none_stored=True):
        reached.update(
            Milestone.objects.filter(partner=partner, key__in=missing).values_list(
                "key", "reached_at"
            )
        )
    return reached


@transaction.atomic
def portal_login_record(*, user, at: datetime) -> list[PortalLogin]:
    """A person logged in to this tenant at `at`: one PortalLogin per partner organisation they
    belong to, and that partner's "first portal login" milestone when it is its first. Vendor
    staff logging in record nothing."""
    from tenancy.models import Membership

    tenant = require_current_tenant()
    memberships = Membership.objects.filter(
        user=user, is_active=True, partner_organization__isnull=False
    ).select_related("partner_organization")
    partners = [m.partner_organization for m in memberships]
    logins = PortalLogin.objects.bulk_create(
        [PortalLogin(tenant=tenant, user=user, partner=p, logged_in_at=at) for p in partners]
    )
    for partner in partners:
        milestone_reach(partner=partner, key=K.FIRST_LOGIN, at=at)
    return logins


# --- Benefit gates ------------------------------------------------------------------------------


def onboarding_settings() -> OnboardingSettings:
    """This tenant's settings (an unsaved default row until someone saves the form)."""
    row = OnboardingSettings.objects.first()
    return row or OnboardingSettings(tenant=require_current_tenant())


def benefit_requirements(benefit: str) -> list[str]:
    gate = BenefitGate.objects.filter(benefit=benefit).first()
    if gate is None:
        return list(DEFAULT_REQUIREMENTS.get(benefit, []))
    return [key for key in gate.requirements if key in K.values]


@dataclass
class MissingStep:
    key: str
    label: str
    how: str
    url: str


@dataclass
class GateStatus:
    benefit: str
    unlocked: bool
    missing: list[MissingStep] = field(default_factory=list)

    def as_payload(self) -> dict:
        return {
            "code": "benefit_locked",
            "benefit": self.benefit,
            "missing": [
                {"step": m.key, "label": m.label, "how": m.how, "url": m.url} for m in self.missing
            ],
        }


def _user_completed_101(user) -> bool:
    return bool(lms_selectors.foundation_completed_at([user.pk]))


def _missing(key: str) -> MissingStep:
    how, url_name = HOW_TO[key]
    return MissingStep(key=key, label=str(K(key).label), how=str(how), url=reverse(url_name))


def benefit_status(actor: Actor, benefit: str) -> GateStatus:
    """Whether the actor's organisation has unlocked a benefit, and if not, what is missing.
    Vendor staff are never gated (they act on the partner's behalf)."""
    requirements = benefit_requirements(benefit)
    org_id = actor.partner_organization_id
    if not requirements or org_id is None:
        return GateStatus(benefit=benefit, unlocked=True)

    # A reached milestone stays reached: read the stored ones first (one query, the usual case
    # once a partner is onboarded) and ask the sources only about the missing ones.
    def stored() -> set[str]:
        return set(
            Milestone.objects.filter(partner_id=org_id, key__in=requirements).values_list(
                "key", flat=True
            )
        )

    reached = stored()
    if not set(requirements) <= reached and milestones_refresh(
        [org_id], keys=set(requirements) - reached
    ):
        reached = stored()
    per_user = (
        K.TRAINING_101 in requirements
        and onboarding_settings().training_gate_scope == GateScope.USER
    )
    missing = []
    for key in requirements:
        if key == K.TRAINING_101 and per_user and actor.user is not None:
            done = _user_completed_101(actor.user)
        else:
            done = key in reached
        if not done:
            missing.append(_missing(key))
    return GateStatus(benefit=benefit, unlocked=not missing, missing=missing)


class BenefitLocked(PermissionDenied):
    """A gated action refused; `payload` tells an API client what is missing and where."""

    def __init__(self, status: GateStatus):
        self.status = status
        self.payload = status.as_payload()
        steps = "; ".join(m.how for m in status.missing)
        super().__init__(
            _("%(benefit)s is locked until you finish onboarding: %(steps)s")
            % {"benefit": Benefit(status.benefit).label, "steps": steps}
        )


def require_benefit(actor: Actor, benefit: str) -> None:
    status = benefit_status(actor, benefit)
    if not status.unlocked:
        raise BenefitLocked(status)


@transaction.atomic
def benefit_gates_save(
    *,
    actor: Actor,
    requirements: dict[str, list[str]],
    training_gate_scope: str,
    activate_on_signature: bool,
) -> OnboardingSettings:
    """Save which milestones each benefit needs and the tenant's onboarding settings (audited).
    A benefit missing from `requirements` keeps its current gate."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, list[str]] = {}
    for benefit, keys in requirements.items():
        if benefit not in Benefit.values:
            errors.setdefault("__all__", []).append(_("Unknown benefit %s.") % benefit)
            continue
        unknown = [key for key in keys if key not in K.values]
        if unknown:
            errors[f"{benefit}_requirements"] = [
                _("Unknown steps: %s.") % ", ".join(sorted(unknown))
            ]
        # Stored in checklist order, once each.
        cleaned[benefit] = [key for key in K.values if key in keys]
    if training_gate_scope not in GateScope.values:
        errors["training_gate_scope"] = [_("Choose how the 101 requirement counts.")]
    if errors:
        raise ValidationError(errors)
    tenant = require_current_tenant()
    before = {benefit: benefit_requirements(benefit) for benefit in Benefit.values}
    for benefit, keys in cleaned.items():
        BenefitGate.objects.update_or_create(
            tenant=tenant, benefit=benefit, defaults={"requirements": keys}
        )
    settings_row = onboarding_settings()
    old_settings = (settings_row.training_gate_scope, settings_row.activate_on_signature)
    settings_row.training_gate_scope = training_gate_scope
    settings_row.activate_on_signature = activate_on_signature
    settings_row.save()
    changes: dict = {
        benefit: [before[benefit], keys]
        for benefit, keys in cleaned.items()
        if before[benefit] != keys
    }
    if old_settings[0] != training_gate_scope:
        changes["training_gate_scope"] = [old_settings[0], training_gate_scope]
    if old_settings[1] != activate_on_signature:
        changes["activate_on_signature"] = [old_settings[1], activate_on_signature]
    if changes:
        audit_record(
            actor=actor,
            action="onboarding.benefit_gates_saved",
            target=settings_row,
            changes=changes,
        )
    return settings_row


# --- First-login portal tour --------------------------------------------------------------------


def tour_seen(user) -> bool:
    return TourState.objects.filter(user=user).exists()


def tour_mark_seen(*, actor: Actor) -> TourState:
    """The user finished or closed the tour: don't start it by itself again (idempotent)."""
    access.require(actor, Perm.PORTAL_VIEW)
    if actor.user is None:
        raise PermissionDenied(_("Only people take the tour."))
    state, _created = TourState.objects.get_or_create(
        tenant=require_current_tenant(), user=actor.user
    )
    return state


# --- Setup wizard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WizardStep:
    slug: str
    title: str
    fields: tuple[str, ...]


WIZARD_STEPS: tuple[WizardStep, ...] = (
    WizardStep("company", gettext_lazy("Company"), ("website", "hq_country")),
    WizardStep(
        "market",
        gettext_lazy("Market"),
        ("regions", "industries", "employee_band", "revenue_band"),
    ),
    WizardStep("capabilities", gettext_lazy("Capabilities"), ("skills", "sales_motion")),
)
assert {f for step in WIZARD_STEPS for f in step.fields} == set(PROFILE_FIELDS)


def wizard_step(slug: str) -> WizardStep | None:
    return next((step for step in WIZARD_STEPS if step.slug == slug), None)


def wizard_progress(partner) -> SetupWizardProgress:
    """The partner's wizard state (an unsaved empty one before the first step is saved)."""
    row = SetupWizardProgress.objects.filter(partner=partner).first()
    return row or SetupWizardProgress(tenant=require_current_tenant(), partner=partner)


def wizard_next_step(progress: SetupWizardProgress) -> WizardStep | None:
    """The first step not saved yet (None when every step is)."""
    return next((s for s in WIZARD_STEPS if s.slug not in progress.completed_steps), None)


@transaction.atomic
def wizard_step_save(*, actor: Actor, partner, step: str, **data) -> SetupWizardProgress:
    """Save one wizard step straight into the partner's profile and remember it was done."""
    access.require(actor, Perm.PARTNER_PROFILE_EDIT)
    wizard = wizard_step(step)
    if wizard is None:
        raise ValidationError(_("Unknown setup step."))
    values = {name: data[name] for name in wizard.fields if name in data}
    missing = [name for name in wizard.fields if not values.get(name)]
    if missing:
        raise ValidationError({name: _("This field is required.") for name in missing})
    from partners.services.organization import partner_update_profile

    partner_update_profile(actor=actor, partner=partner, **values)
    progress = SetupWizardProgress.objects.select_for_update().filter(partner=partner).first()
    if progress is None:
        progress = SetupWizardProgress(tenant=require_current_tenant(), partner=partner)
    if wizard.slug not in progress.completed_steps:
        progress.completed_steps = [
            s.slug for s in WIZARD_STEPS if s.slug in {*progress.completed_steps, wizard.slug}
        ]
    progress.updated_at = timezone.now()
    progress.save()
    return progress


@transaction.atomic
def wizard_finish(*, actor: Actor, partner) -> SetupWizardProgress:
    """Close the wizard: every step saved and the profile complete → PROFILE_COMPLETE reached."""
    access.require(actor, Perm.PARTNER_PROFILE_EDIT)
    progress = wizard_progress(partner)
    pending = wizard_next_step(progress)
    if pending is not None:
        raise ValidationError(_("Finish the %(step)s step first.") % {"step": pending.title})
    from partners.models import PartnerOrganization

    partner = PartnerOrganization.objects.get(pk=partner.pk)
    missing = profile_missing_fields(partner)
    if missing:
        raise ValidationError(
            _("Your profile still misses: %s.")
            % ", ".join(str(partner._meta.get_field(f).verbose_name) for f in missing)
        )
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at"])
        audit_record(actor=actor, action="onboarding.setup_wizard_completed", target=partner)
    milestone_reach(partner=partner, key=K.PROFILE_COMPLETE, at=progress.completed_at)
    return progress
