"""The onboarding workflow a signature starts: lifecycle → invites → welcome kit → enrolment.

One OnboardingRun per partner (database-unique), one OnboardingStep per step; each step checks its
own row and does nothing once done, so a re-run after a crash or a duplicate delivery only does
what is left.

A step that raises is rolled back to its savepoint and recorded (the step and the run FAILED, the
error, the next retry with a backoff) and the task returns normally: TenantTask runs the body in
one transaction with its claim, so raising would also roll back the failure record. The sweep
`onboarding_runs_retry_due` re-enqueues failed runs when their retry is due, and runs left pending
by a worker killed mid-run.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import ContactRole, LifecycleState, PartnerContact, PartnerType
from tenancy import access
from tenancy.access import Actor
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.roles import Role
from tenancy.tasks import enqueue

from ..models import (
    AgreementSignature,
    EmailKind,
    MilestoneKey,
    OnboardingRun,
    OnboardingStep,
    RunStatus,
    StepKey,
    StepStatus,
)
from .progress import milestone_reach, onboarding_settings

logger = logging.getLogger(__name__)


@transaction.atomic
def onboarding_start(*, signature: AgreementSignature) -> OnboardingRun:
    """Start the partner's onboarding once (call it in the signing transaction). A partner that
    already has a run (signed an earlier version, or this is a second delivery) keeps it."""
    from ..tasks.workflow import run_onboarding

    milestone_reach(
        partner=signature.partner, key=MilestoneKey.AGREEMENT_SIGNED, at=signature.signed_at
    )
    existing = OnboardingRun.objects.filter(partner=signature.partner).first()
    if existing is not None:
        return existing
    tenant = require_current_tenant()
    try:
        with transaction.atomic():
            run = OnboardingRun.objects.create(
                tenant=tenant, partner=signature.partner, signature=signature
            )
    except IntegrityError:  # a concurrent signature of another version won the race
        return OnboardingRun.objects.get(partner=signature.partner)
    OnboardingStep.objects.bulk_create(
        [
            OnboardingStep(tenant=tenant, run=run, key=key, updated_at=timezone.now())
            for key in StepKey.values
        ]
    )
    enqueue(run_onboarding, tenant=tenant, run_id=run.pk)
    return run


# --- Running the steps ------------------------------------------------------------------------

# Minutes to wait after the 1st, 2nd, ... failed attempt. After MAX_RUN_ATTEMPTS the run stays
# FAILED without a next attempt: visible in the console, retried only by a person.
RUN_BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
MAX_RUN_ATTEMPTS = len(RUN_BACKOFF_MINUTES) + 1
# A run still pending/running this long after its last update lost its worker: run it again.
RUN_STALE_AFTER = timedelta(minutes=10)

# Portal role of a partner contact, by contact role (None: not invited to the portal).
CONTACT_ROLE_TO_PORTAL_ROLE: dict[str, str | None] = {
    ContactRole.PRIMARY: Role.PARTNER_ADMIN,
    ContactRole.EXECUTIVE: Role.PARTNER_ADMIN,
    ContactRole.SALES: Role.PARTNER_SALES,
    ContactRole.TECHNICAL: Role.PARTNER_PRESALES,
    ContactRole.MARKETING: Role.PARTNER_MARKETING,
    ContactRole.BILLING: None,  # invoices go by email; billing has nothing to do in the portal
}
# Partner types whose work differs from a reseller's. Referral partners pass leads and do no
# technical pre-sales: their technical contact registers and follows deals like sales. Affiliates
# and influencers promote the product with content and links: their sales and technical contacts
# need the marketing assets, not deal registration.
PARTNER_TYPE_ROLE_OVERRIDES: dict[str, dict[str, str | None]] = {
    PartnerType.REFERRAL: {ContactRole.TECHNICAL: Role.PARTNER_SALES},
    PartnerType.AFFILIATE: {
        ContactRole.SALES: Role.PARTNER_MARKETING,
        ContactRole.TECHNICAL: Role.PARTNER_MARKETING,
    },
    PartnerType.INFLUENCER: {
        ContactRole.SALES: Role.PARTNER_MARKETING,
        ContactRole.TECHNICAL: Role.PARTNER_MARKETING,
    },
}
# When one address is several contacts, the most capable role wins.
_ROLE_RANK = [Role.PARTNER_ADMIN, Role.PARTNER_SALES, Role.PARTNER_PRESALES, Role.PARTNER_MARKETING]


def portal_role_for_contact(*, partner_type: str, contact_role: str) -> str | None:
    overrides = PARTNER_TYPE_ROLE_OVERRIDES.get(partner_type, {})
    if contact_role in overrides:
        return overrides[contact_role]
    return CONTACT_ROLE_TO_PORTAL_ROLE.get(contact_role)


class StepSkipped(Exception):
    """Raised by a step with nothing to do; carries the detail to record."""

    def __init__(self, detail: dict):
        super().__init__(detail.get("note", ""))
        self.detail = detail


def _backoff(attempts: int):
    if attempts >= MAX_RUN_ATTEMPTS:
        return None
    return timezone.now() + timedelta(minutes=RUN_BACKOFF_MINUTES[attempts - 1])


@transaction.atomic
def onboarding_run_execute(*, run_id: int) -> OnboardingRun | None:
    """Run what is left of one onboarding (the body of the `run_onboarding` task). Never raises
    for a failing step: the failure is recorded on the step and the run, to be retried."""
    run = (
        OnboardingRun.objects.select_for_update(of=("self",))
        .select_related("partner", "signature")
        .filter(pk=run_id)
        .first()
    )
    if run is None or run.status == RunStatus.DONE:
        return run
    now = timezone.now()
    run.status = RunStatus.RUNNING
    run.attempts += 1
    run.started_at = run.started_at or now
    run.updated_at = now
    run.save(update_fields=["status", "attempts", "started_at", "updated_at"])
    steps = {step.key: step for step in OnboardingStep.objects.filter(run=run)}
    for key in StepKey.values:
        step = steps.get(key)
        if step is None:
            step = OnboardingStep.objects.create(tenant=run.tenant, run=run, key=key)
        if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
            continue
        if not _run_step(run, step):
            return run
    return _finish(run, steps.get(StepKey.LIFECYCLE))


def _run_step(run: OnboardingRun, step: OnboardingStep) -> bool:
    step.attempts += 1
    status = StepStatus.DONE
    try:
        with transaction.atomic():
            detail = STEPS[step.key](run)
    except StepSkipped as skipped:
        status, detail = StepStatus.SKIPPED, skipped.detail
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, then retried
        logger.exception("Onboarding step %s of run %s failed", step.key, run.pk)
        _fail(run, step, f"{type(exc).__name__}: {exc}")
        return False
    now = timezone.now()
    step.status = status
    step.detail = detail
    step.last_error = ""
    step.completed_at = now
    step.updated_at = now
    step.save(
        update_fields=["status", "detail", "last_error", "completed_at", "updated_at", "attempts"]
    )
    return True


def _fail(run: OnboardingRun, step: OnboardingStep | None, error: str) -> None:
    now = timezone.now()
    if step is not None:
        step.status = StepStatus.FAILED
        step.last_error = error[:2000]
        step.updated_at = now
        step.save(update_fields=["status", "last_error", "updated_at", "attempts"])
    run.status = RunStatus.FAILED
    run.last_error = (f"{step.key}: {error}" if step is not None else error)[:2000]
    run.next_attempt_at = _backoff(run.attempts)
    run.updated_at = now
    run.save(update_fields=["status", "last_error", "next_attempt_at", "updated_at"])


def _finish(run: OnboardingRun, lifecycle_step: OnboardingStep | None) -> OnboardingRun:
    try:
        with transaction.atomic():
            activated = _activate_if_configured(run)
    except Exception as exc:  # noqa: BLE001
        logger.exception("Activating the partner of run %s failed", run.pk)
        _fail(run, lifecycle_step, f"{type(exc).__name__}: {exc}")
        return run
    if activated and lifecycle_step is not None:
        lifecycle_step.detail = {**lifecycle_step.detail, "activated": True}
        lifecycle_step.save(update_fields=["detail"])
    now = timezone.now()
    run.status = RunStatus.DONE
    run.finished_at = now
    run.updated_at = now
    run.last_error = ""
    run.next_attempt_at = None
    run.save(update_fields=["status", "finished_at", "updated_at", "last_error", "next_attempt_at"])
    return run


def _activate_if_configured(run: OnboardingRun) -> bool:
    from partners.services.organization import partner_transition

    if not onboarding_settings().activate_on_signature:
        return False
    partner = type(run.partner).objects.get(pk=run.partner_id)
    if partner.state != LifecycleState.CONTRACTED:
        return False
    partner_transition(
        actor=access.SYSTEM,
        partner=partner,
        to_state=LifecycleState.ACTIVE,
        reason=_("Onboarding completed."),
    )
    return True


# --- The steps ----------------------------------------------------------------------------------


def _step_lifecycle(run: OnboardingRun) -> dict:
    from partners.services.organization import partner_transition

    partner = type(run.partner).objects.get(pk=run.partner_id)
    if partner.state in (LifecycleState.CONTRACTED, LifecycleState.ACTIVE):
        raise StepSkipped({"note": f"already {partner.state}", "state": partner.state})
    if partner.state != LifecycleState.APPROVED:
        # Signing does not approve a partner nor revive a suspended/retired one: a person decides.
        raise StepSkipped({"note": f"left as {partner.state}", "state": partner.state})
    template = run.signature.template
    partner_transition(
        actor=access.SYSTEM,
        partner=partner,
        to_state=LifecycleState.CONTRACTED,
        reason=_("Signed %(title)s v%(version)s.")
        % {"title": template.title, "version": template.version},
    )
    return {"from": LifecycleState.APPROVED, "to": LifecycleState.CONTRACTED}


def invite_candidates(run: OnboardingRun) -> list[tuple[str, str, str]]:
    """(email, portal role, source) for the signer and the partner's contacts, one per address
    (the most capable role wins); contacts without a portal role are left out."""
    partner = run.partner
    found: dict[str, tuple[str, str]] = {}

    def offer(email: str, role: str | None, source: str) -> None:
        email = (email or "").strip().lower()
        if not email or role is None:
            return
        current = found.get(email)
        if current is None or _ROLE_RANK.index(role) < _ROLE_RANK.index(current[0]):
            found[email] = (role, source)

    offer(run.signature.signer_email, Role.PARTNER_ADMIN, "signer")
    for contact in PartnerContact.objects.filter(partner=partner).order_by("id"):
        role = portal_role_for_contact(partner_type=partner.partner_type, contact_role=contact.role)
        offer(contact.email, role, f"contact:{contact.role}")
    return [(email, role, source) for email, (role, source) in found.items()]


def _step_invites(run: OnboardingRun) -> dict:
    from django.core.exceptions import ValidationError

    from tenancy.models import Invitation, Membership
    from tenancy.services import invitation_create

    candidates = invite_candidates(run)
    emails = [email for email, _role, _source in candidates]
    members = {
        e.lower()
        for e in Membership.objects.filter(user__email__in=emails).values_list(
            "user__email", flat=True
        )
    }
    pending = {
        inv.email.lower(): inv
        for inv in Invitation.objects.filter(
            email__in=emails,
            partner_organization=run.partner,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
    }
    invited, skipped = [], []
    first_invited_at = None
    for email, role, source in candidates:
        if email in members:
            skipped.append({"email": email, "reason": "already a member"})
            continue
        invitation = pending.get(email)
        reused = invitation is not None
        if invitation is None:
            try:
                invitation = invitation_create(
                    actor=access.SYSTEM,
                    email=email,
                    role=role,
                    partner_organization=run.partner,
                    send_email=False,  # the welcome kit carries the link
                )
            except ValidationError as error:
                skipped.append({"email": email, "reason": " ".join(error.messages)})
                continue
        if first_invited_at is None or invitation.created_at < first_invited_at:
            first_invited_at = invitation.created_at
        invited.append(
            {
                "email": email,
                "role": invitation.role,
                "source": source,
                "invitation": str(invitation.uuid),
                "reused": reused,
            }
        )
    if first_invited_at is not None:
        # Dated by the invitation (a reused one was sent earlier), not by this run.
        milestone_reach(partner=run.partner, key=MilestoneKey.TEAM_INVITED, at=first_invited_at)
    return {"invited": invited, "skipped": skipped}


def _step_welcome_kit(run: OnboardingRun) -> dict:
    from tenancy.emails import person_address
    from tenancy.models import Invitation, Membership
    from tenancy.services import invitation_accept_url

    from ..selectors.workflow import partner_links
    from .mail import email_queue

    partner = type(run.partner).objects.select_related("channel_manager").get(pk=run.partner_id)
    tenant = run.tenant
    links = partner_links(tenant)
    invites_step = OnboardingStep.objects.filter(run=run, key=StepKey.INVITES).first()
    invited = (invites_step.detail or {}).get("invited", []) if invites_step else []
    invitations = {
        str(inv.uuid): inv
        for inv in Invitation.objects.filter(uuid__in=[i["invitation"] for i in invited])
    }
    recipients: dict[str, dict] = {}
    for membership in Membership.objects.filter(
        partner_organization=partner, is_active=True
    ).select_related("user"):
        recipients[membership.user.email.lower()] = {"user": membership.user, "invitation": None}
    for item in invited:
        invitation = invitations.get(item["invitation"])
        if item["email"] not in recipients and invitation is not None and invitation.is_pending:
            recipients[item["email"]] = {"user": None, "invitation": invitation}
    manager = partner.channel_manager
    sent = []
    for email, who in recipients.items():
        invitation = who["invitation"]
        user = who["user"]
        first_name = user.greeting_name if user else ""
        context = {
            "tenant": tenant,
            "partner": partner,
            "first_name": first_name,
            "is_invite": invitation is not None,
            "invitation": invitation,
            "action_url": invitation_accept_url(invitation) if invitation else links.portal_url,
            "manager": manager,
            "support_email": tenant.support_email,
            "links": links,
        }
        # Not "Welcome to ...": that reads like the approval mail the applicant already has.
        subject = _("Your %(tenant)s welcome kit: portal access and first steps") % {
            "tenant": tenant.name
        }
        row, _created = email_queue(
            partner=partner,
            kind=EmailKind.WELCOME_KIT,
            idempotency_key=f"welcome:{run.uuid}:{email}",
            to=email,
            recipient=user,
            subject=subject,
            body_text=render_to_string("emails/onboarding/welcome_kit.txt", context),
            body_html=render_to_string("emails/onboarding/welcome_kit.html", context),
            # From is the program's address; the channel manager is who the partner answers.
            reply_to=(person_address(manager) if manager else tenant.support_email) or "",
            # An invitation link is a credential: the mail log does not show the body.
            sensitive=invitation is not None,
            url=reverse("portal_home"),
        )
        sent.append({"email": email, "link": "invitation" if invitation else "login"})
    return {"emails": sent}


def _step_enrolment(run: OnboardingRun) -> dict:
    from enablement.lms.services import assign_path_for, enroll_user_in_foundation
    from tenancy.models import Membership

    enrolled, paths = [], []
    course_title = ""
    for membership in Membership.objects.filter(
        partner_organization=run.partner, is_active=True
    ).select_related("user", "partner_organization", "tenant"):
        enrolment = enroll_user_in_foundation(membership.user)
        if enrolment is not None:
            enrolled.append(membership.user.email)
            course_title = enrolment.course.title
        path = assign_path_for(membership)
        if path is not None:
            paths.append({"email": membership.user.email, "path": path.name})
    detail: dict = {"course": course_title, "enrolled": enrolled, "paths": paths}
    if not course_title:
        detail["note"] = "no published 101 course"
    return detail


STEPS = {
    StepKey.LIFECYCLE: _step_lifecycle,
    StepKey.INVITES: _step_invites,
    StepKey.WELCOME_KIT: _step_welcome_kit,
    StepKey.ENROLMENT: _step_enrolment,
}


def enroll_new_member_in_101(*, membership, **_kwargs) -> None:
    """Membership hook: a partner user who joins an organisation that is onboarding (e.g.
    accepting the welcome kit's invitation) is enrolled in the 101 course too."""
    if not membership.is_active or membership.partner_organization_id is None:
        return
    if not OnboardingRun.objects.filter(partner_id=membership.partner_organization_id).exists():
        return
    from enablement.lms.services import enroll_user_in_foundation

    enroll_user_in_foundation(membership.user)


# --- Retries ------------------------------------------------------------------------------------


def onboarding_runs_retry_due(*, now=None) -> int:
    """Sweep (current tenant): re-enqueue failed runs whose retry is due and runs left pending or
    running by a lost worker. Returns how many were enqueued."""
    from ..tasks.workflow import run_onboarding

    now = now or timezone.now()
    due = OnboardingRun.objects.filter(
        Q(status=RunStatus.FAILED, next_attempt_at__lte=now)
        | Q(status__in=[RunStatus.PENDING, RunStatus.RUNNING], updated_at__lt=now - RUN_STALE_AFTER)
    )
    ids = list(due.values_list("pk", flat=True)[:200])
    # Touch them so the next sweep does not enqueue them again while they wait in the queue.
    OnboardingRun.objects.filter(pk__in=ids).update(updated_at=now)
    tenant = require_current_tenant()
    for run_id in ids:
        enqueue(run_onboarding, tenant=tenant, run_id=run_id)
    return len(ids)


@transaction.atomic
def onboarding_run_retry(*, actor: Actor, run: OnboardingRun) -> OnboardingRun:
    """A person asks for a failed (or stuck) run to be tried again now."""
    from ..tasks.workflow import run_onboarding

    if not access.may_manage_partner(actor, run.partner):
        raise PermissionDenied(_("Only this partner's channel manager or an admin may do this."))
    run = OnboardingRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.DONE:
        return run
    run.next_attempt_at = timezone.now()
    run.save(update_fields=["next_attempt_at"])
    audit_record(actor=actor, action="onboarding.run_retry", target=run)
    enqueue(run_onboarding, tenant=run.tenant, run_id=run.pk)
    return run
