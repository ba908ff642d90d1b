"""Certifications: writes. Tracks and certifications (console), awarding on passed exams,
renewal by the recertification exam, revocation, recertification reminders and expiry sweeps,
the PDF certificate and the tier provider (certified people / named certifications).

Awarding rules
--------------
- A certification is awarded when the user has passed every one of its required exams and, if it
  has a prerequisite, holds a currently valid award of the prerequisite.
- One award per (certification, user): passing again while it is valid does nothing. Passing the
  recertification exam of a held (not revoked) certification renews it: a new expiry, renewed_count
  + 1, and reminders start over for the new cycle. Passing a required exam again after expiry also
  renews it.
- A new award can unlock the next level (Expert after Professional) when its exams are passed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy import access
from tenancy.access import SYSTEM, Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.emails import mail_kind, person_address
from tenancy.events import emit_many
from tenancy.notifications import notify
from tenancy.roles import PARTNER_ROLES
from tenancy.uploads import forget_document, store_document_once

from .models import (
    Certification,
    CertificationAward,
    CertificationExam,
    CertificationTrack,
    ReminderSent,
)

RECERT_REMINDER = mail_kind("certs.recert_reminder", gettext_lazy("Recertification reminder"))
logger = logging.getLogger(__name__)

MAX_OFFSET_DAYS = 365


# --- Console: tracks and certifications -------------------------------------------------------


@transaction.atomic
def track_save(
    *, actor: Actor, track: CertificationTrack | None = None, name: str, description: str = ""
) -> CertificationTrack:
    access.require(actor, Perm.PROGRAM_MANAGE)
    creating = track is None
    track = track or CertificationTrack(tenant=require_current_tenant())
    track.name = (name or "").strip()
    track.description = description or ""
    track.full_clean(exclude=["tenant"])
    track.save()
    audit_record(
        actor=actor,
        action="certification_track.created" if creating else "certification_track.updated",
        target=track,
        changes={"name": track.name},
    )
    return track


def _clean_offsets(value) -> list[int]:
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",") if part.strip()]
    offsets = set()
    for item in value or []:
        try:
            number = int(str(item).strip())
        except ValueError as error:
            raise ValidationError(
                {"reminder_offsets_days": _("Use whole numbers of days, e.g. 60, 30, 7.")}
            ) from error
        if not 1 <= number <= MAX_OFFSET_DAYS:
            raise ValidationError(
                {"reminder_offsets_days": _("Each reminder must be 1 to 365 days before expiry.")}
            )
        offsets.add(number)
    return sorted(offsets, reverse=True)


@transaction.atomic
def certification_save(
    *,
    actor: Actor,
    certification: Certification | None = None,
    track: CertificationTrack,
    name: str,
    level: int = 1,
    description: str = "",
    prerequisite: Certification | None = None,
    validity_months: int = 12,
    exams=(),
    recert_exam=None,
    reminder_offsets_days=(60, 30, 7),
    is_active: bool = True,
) -> Certification:
    """Create or update a certification and its required exams."""
    if actor is not SYSTEM:
        access.require(actor, Perm.PROGRAM_MANAGE)
    creating = certification is None
    cert = certification or Certification(tenant=require_current_tenant())
    cert.track = track
    cert.name = (name or "").strip()
    cert.level = level
    cert.description = description or ""
    cert.prerequisite = prerequisite
    cert.validity_months = validity_months
    cert.recert_exam = recert_exam
    cert.reminder_offsets_days = _clean_offsets(reminder_offsets_days)
    cert.is_active = is_active
    exams = list(exams)
    errors: dict[str, str] = {}
    if prerequisite is not None:
        # Walk up the chain: a certification may not (indirectly) require itself.
        seen, node = set(), prerequisite
        while node is not None:
            if (cert.pk is not None and node.pk == cert.pk) or node.pk in seen:
                errors["prerequisite"] = _("A certification cannot require itself.")
                break
            seen.add(node.pk)
            node = node.prerequisite
    if not exams:
        errors["exams"] = _("Choose at least one exam.")
    if not cert.validity_months or cert.validity_months < 1:
        errors["validity_months"] = _("Validity must be at least one month.")
    if errors:
        raise ValidationError(errors)
    cert.full_clean(exclude=["tenant", "track", "prerequisite", "recert_exam"])
    cert.save()
    wanted = {quiz.pk for quiz in exams}
    CertificationExam.objects.filter(certification=cert).exclude(quiz_id__in=wanted).delete()
    have = set(
        CertificationExam.objects.filter(certification=cert).values_list("quiz_id", flat=True)
    )
    CertificationExam.objects.bulk_create(
        CertificationExam(tenant=cert.tenant, certification=cert, quiz_id=quiz_id)
        for quiz_id in sorted(wanted - have)
    )
    audit_record(
        actor=actor,
        action="certification.created" if creating else "certification.updated",
        target=cert,
        changes={
            "name": cert.name,
            "level": cert.level,
            "prerequisite": prerequisite.name if prerequisite else None,
            "validity_months": cert.validity_months,
            "exams": sorted(wanted),
        },
    )
    return cert


# --- Awarding -------------------------------------------------------------------------------


def _expiry(cert: Certification, now: datetime) -> datetime:
    return now + relativedelta(months=cert.validity_months)


def _partner_of(user):
    from tenancy.models import Membership

    membership = (
        Membership.objects.filter(user=user, is_active=True, role__in=sorted(PARTNER_ROLES))
        .select_related("partner_organization")
        .first()
    )
    return membership.partner_organization if membership else None


def _passed_quiz_ids(user) -> set[int]:
    from enablement.lms.models import QuizAttempt

    return set(QuizAttempt.objects.filter(user=user, passed=True).values_list("quiz_id", flat=True))


def _schedule_tier_evaluation(partner) -> None:
    if partner is None:
        return
    from tenancy.tasks import enqueue

    from .tasks import reevaluate_partner_tier

    enqueue(reevaluate_partner_tier, tenant=require_current_tenant(), partner_id=partner.pk)


def _renew(award: CertificationAward, *, now: datetime, reason: str) -> CertificationAward:
    award.expires_at = _expiry(award.certification, now)
    award.renewed_count += 1
    award.expiry_processed_at = None
    award.save(update_fields=["expires_at", "renewed_count", "expiry_processed_at"])
    # The renewed certificate carries the new dates: render it again, once.
    forget_document(award, file_field="certificate_file", sha_field="certificate_sha256")
    _store_certificate_now(award)
    audit_record(
        actor=SYSTEM,
        action="certification.renewed",
        target=award,
        changes={
            "user": award.user.email,
            "certification": award.certification.name,
            "expires_at": award.expires_at.isoformat(),
            "reason": reason,
        },
    )
    return award


@transaction.atomic
def award_for_passed_quiz(*, attempt, now: datetime | None = None) -> list[CertificationAward]:
    """Award (or renew) every certification the passed attempt completes; idempotent.

    Returns the awards created or renewed by this call.
    """
    if not attempt.passed:
        return []
    now = now or timezone.now()
    user = attempt.user
    quiz_id = attempt.quiz_id
    passed = _passed_quiz_ids(user) | {quiz_id}
    certs = list(
        Certification.objects.filter(is_active=True)
        .select_related("prerequisite")
        .prefetch_related("exam_rows")
    )
    # Lock this user's awards so two concurrent passes cannot both create one.
    held = {
        award.certification_id: award
        for award in CertificationAward.objects.select_for_update()
        .select_related("certification")
        .filter(user=user)
    }
    changed: list[CertificationAward] = []
    partner = None
    partner_loaded = False

    # 1. Renewal by the recertification exam (or by passing a required exam after expiry).
    for cert in certs:
        award = held.get(cert.pk)
        if award is None or award.revoked_at is not None:
            continue
        exam_ids = {row.quiz_id for row in cert.exam_rows.all()}
        if cert.recert_exam_id == quiz_id or (
            quiz_id in exam_ids and award.expires_at <= now and exam_ids <= passed
        ):
            award.user = user
            changed.append(_renew(award, now=now, reason="recertification exam passed"))

    # 2. New awards; repeat so a new Professional can unlock an Expert already passed.
    progress = True
    while progress:
        progress = False
        for cert in certs:
            if cert.pk in held:
                continue
            exam_ids = {row.quiz_id for row in cert.exam_rows.all()}
            if not exam_ids or not exam_ids <= passed:
                continue
            if cert.prerequisite_id is not None:
                pre = held.get(cert.prerequisite_id)
                if pre is None or not pre.is_valid(now):
                    continue
            if not partner_loaded:
                partner, partner_loaded = _partner_of(user), True
            try:
                with transaction.atomic():
                    award = CertificationAward.objects.create(
                        tenant=require_current_tenant(),
                        certification=cert,
                        user=user,
                        partner=partner,
                        issued_at=now,
                        expires_at=_expiry(cert, now),
                    )
            except IntegrityError:
                continue  # awarded concurrently: nothing to do
            held[cert.pk] = award
            changed.append(award)
            _store_certificate_now(award)
            _emit_award("certification.awarded", [award], {cert.pk: cert.name})
            progress = True
            audit_record(
                actor=SYSTEM,
                action="certification.awarded",
                target=award,
                changes={"user": user.email, "certification": cert.name},
            )
    if changed:
        if not partner_loaded:
            partner = _partner_of(user)
        _schedule_tier_evaluation(partner)
    return changed


def on_quiz_passed(attempt=None, **kwargs) -> None:
    """The LMS hook: called with the passed QuizAttempt."""
    from tenancy.context import tenant_context
    from tenancy.models import Tenant

    attempt = attempt if attempt is not None else kwargs.get("quiz_attempt")
    if attempt is None:
        return
    # On-commit callbacks may run after the request's tenant context: restore the attempt's.
    tenant = Tenant.objects.get(pk=attempt.tenant_id)
    with tenant_context(tenant):
        try:
            award_for_passed_quiz(attempt=attempt)
        except Exception:
            # NOTE: the quiz result is already committed; a failure here must not turn the
            # learner's submission into an error page. The next pass (or the recert exam) retries.
            logger.exception("Awarding certifications failed for quiz attempt %s", attempt.pk)


@transaction.atomic
def award_revoke(*, actor: Actor, award: CertificationAward, reason: str) -> CertificationAward:
    access.require(actor, Perm.PROGRAM_MANAGE)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the certification is revoked.")})
    if award.revoked_at is not None:
        raise ValidationError(_("This certification is already revoked."))
    award.revoked_at = timezone.now()
    award.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="certification.revoked",
        target=award,
        changes={"user": award.user.email, "reason": reason.strip()},
    )
    _schedule_tier_evaluation(award.partner)
    return award


# --- Tier provider --------------------------------------------------------------------------


def valid_awards(now: datetime | None = None):
    now = now or timezone.now()
    return CertificationAward.objects.filter(revoked_at__isnull=True, expires_at__gt=now)


def certification_facts(partner):
    """The tier provider: people of the org holding at least one valid award, and the names."""
    from partners.services.tiers import CertificationFacts

    rows = list(
        valid_awards().filter(partner=partner).values_list("user_id", "certification__name")
    )
    return CertificationFacts(
        certified_people=len({user_id for user_id, _name in rows}),
        certifications=frozenset(name for _user_id, name in rows),
    )


def reevaluate_partner_tier(*, partner_id: int) -> None:
    from partners.models import PartnerOrganization
    from partners.services.tiers import evaluate_partner

    partner = PartnerOrganization.objects.filter(pk=partner_id).first()
    if partner is not None:
        evaluate_partner(partner=partner)


# --- Reminders and expiry -------------------------------------------------------------------


def verification_url(award: CertificationAward) -> str:
    from tenancy.hosts import tenant_base_url

    path = reverse("certification_verify", kwargs={"code": award.verification_code})
    return tenant_base_url(award.tenant) + path


def _send_reminder(award: CertificationAward, *, days_left: int) -> None:
    """Write the reminder into the outbox, in the transaction that claims it."""
    from tenancy.hosts import tenant_base_url

    context = {
        "award": award,
        "tenant": award.tenant,
        "days_left": days_left,
        "portal_url": tenant_base_url(award.tenant) + reverse("portal_certifications"),
    }
    subject = _("Your %(certification)s certification expires in %(days)s days") % {
        "certification": award.certification.name,
        "days": days_left,
    }
    partner = award.partner if award.partner_id else None
    notify(
        user=award.user,
        kind=RECERT_REMINDER,
        subject=subject,
        body_text=render_to_string("enablement/certs/email_reminder.txt", context),
        url=reverse("portal_certifications"),
        reply_to=person_address(partner.channel_manager) if partner is not None else "",
        partner_uuid=partner.uuid if partner is not None else None,
        source_uuid=award.uuid,
    )


def send_recert_reminders(*, now: datetime | None = None) -> int:
    """One sweep of the current tenant: send due reminders (once each per expiry cycle) and
    re-evaluate the tiers of partners whose certifications have just expired. Returns the number
    of reminder emails sent. Safe to run any number of times."""
    now = now or timezone.now()
    tenant = require_current_tenant()
    horizon = now + timedelta(days=MAX_OFFSET_DAYS)
    due = (
        valid_awards(now)
        .filter(expires_at__lte=horizon)
        .select_related("certification", "user", "tenant")
        .prefetch_related("reminders")
    )
    sent = 0
    for award in due:
        claimed_days = {
            r.offset_days for r in award.reminders.all() if r.cycle_expires_at == award.expires_at
        }
        left = award.expires_at - now
        due_offsets = [
            offset
            for offset in award.certification.reminder_offsets_days or []
            if left <= timedelta(days=int(offset)) and int(offset) not in claimed_days
        ]
        if not due_offsets:
            continue
        try:
            with transaction.atomic():
                # Claim every due offset; one email (the nearest) covers them all.
                ReminderSent.objects.bulk_create(
                    ReminderSent(
                        tenant=tenant,
                        award=award,
                        offset_days=int(offset),
                        cycle_expires_at=award.expires_at,
                        sent_at=now,
                    )
                    for offset in due_offsets
                )
                _send_reminder(award, days_left=max(left.days, 0))
        except IntegrityError:
            continue  # claimed by a concurrent sweep
        sent += 1
    # Expiry: count each expiry once (tier re-evaluation of the org).
    expired = CertificationAward.objects.filter(
        revoked_at__isnull=True, expires_at__lte=now, expiry_processed_at__isnull=True
    )
    partner_ids = set(
        expired.exclude(partner__isnull=True).values_list("partner_id", flat=True).distinct()
    )
    with transaction.atomic():
        _emit_award(
            "certification.expired",
            list(expired.select_related("certification", "partner", "user")),
            None,
        )
        expired.update(expiry_processed_at=now)
    for partner_id in sorted(partner_ids):
        try:
            reevaluate_partner_tier(partner_id=partner_id)
        except Exception:
            logger.exception("Tier re-evaluation failed for partner %s", partner_id)
    return sent


# --- PDF certificate ------------------------------------------------------------------------


def certificate_html(award: CertificationAward) -> str:
    tenant = award.tenant
    color = tenant.brand_color if str(tenant.brand_color or "").startswith("#") else "#0d6efd"
    return render_to_string(
        "enablement/certs/certificate.html",
        {
            "award": award,
            "tenant": tenant,
            "brand_color": color,
            "holder": award.user.get_full_name() or award.user.email,
            "verify_url": verification_url(award),
        },
    )


def certificate_pdf(award: CertificationAward) -> bytes:
    """Render the certificate (once per award and renewal: see `certificate_store`)."""
    import weasyprint

    # NOTE: no base_url and only https fetches: the tenant's logo URL is the one external
    # resource a certificate uses, and nothing may read local files (file://) or plain http.
    fetcher = weasyprint.URLFetcher(timeout=5, allowed_protocols=("https",))
    return weasyprint.HTML(string=certificate_html(award), url_fetcher=fetcher).write_pdf()


def certificate_store(award: CertificationAward) -> CertificationAward:
    """Render the award's certificate once and keep it with its SHA-256 (nothing happens when it
    is stored already). Called when awarded and renewed; an award from before stored
    certificates (or whose rendering failed then) gets its PDF on the first download."""
    store_document_once(
        award,
        file_field="certificate_file",
        sha_field="certificate_sha256",
        render=lambda: certificate_pdf(award),
    )
    return award


def _store_certificate_now(award: CertificationAward) -> None:
    # NOTE: a failed rendering (e.g. the logo host is down) must not undo an award.
    try:
        with transaction.atomic():
            certificate_store(award)
    except Exception:
        logger.exception("Rendering the certificate of award %s failed", award.uuid)


def ensure_access(actor: Actor) -> None:
    """Certification pages are for portal users and program staff."""
    access.require_file_reader(actor)


def _emit_award(kind: str, awards: list[CertificationAward], names: dict | None) -> None:
    """The domain event of each award (tenancy.events): who holds which certification, until
    when. `names`: {certification id: name} when the certification is not loaded."""
    emit_many(
        kind,
        aggregate="certification",
        items=[
            (
                award.uuid,
                award.partner.uuid if award.partner_id else None,
                {
                    "award": str(award.uuid),
                    "certification": names[award.certification_id]
                    if names
                    else award.certification.name,
                    "person": award.user.email,
                    "partner": str(award.partner.uuid) if award.partner_id else None,
                    "issued_at": award.issued_at.isoformat(),
                    "expires_at": award.expires_at.isoformat(),
                    "verification_code": award.verification_code,
                },
            )
            for award in awards
        ],
    )
