"""Certifications: reads, scoped to the actor and shaped for the pages that use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.roles import Role

from .models import (
    Certification,
    CertificationAward,
    CertificationExam,
    CertificationTrack,
    ReminderSent,
)

EXPIRING_SOON_DAYS = 30


def _award_related(qs: QuerySet) -> QuerySet:
    return qs.select_related("certification", "certification__track", "user", "partner")


def awards_for(actor: Actor) -> QuerySet[CertificationAward]:
    """Partner admins: their organisation's awards; other partner users: their own; program
    staff: the awards of the partners they may see (channel managers: theirs)."""
    qs = _award_related(CertificationAward.objects.all())
    if actor.is_partner:
        if actor.role == Role.PARTNER_ADMIN:
            return qs.filter(partner_id=actor.partner_organization_id)
        if actor.user is None:
            return qs.none()
        return qs.filter(user=actor.user, partner_id=actor.partner_organization_id)
    if actor.has(Perm.PROGRAM_VIEW):
        return access.scope_partner_owned(actor, qs)
    return qs.none()


def certifications_for(actor: Actor) -> QuerySet[Certification]:
    """Active certifications with their exams (portal); every one for program staff."""
    exams = CertificationExam.objects.select_related("quiz__module__course").order_by("pk")
    qs = Certification.objects.select_related(
        "track", "prerequisite", "recert_exam__module"
    ).prefetch_related(Prefetch("exam_rows", queryset=exams))
    if not actor.has(Perm.PROGRAM_VIEW):
        qs = qs.filter(is_active=True)
    return qs


def tracks() -> QuerySet[CertificationTrack]:
    return CertificationTrack.objects.all()


@dataclass
class AvailableCertification:
    certification: Certification
    exams: list
    passed_exam_ids: set[int]
    prerequisite_met: bool
    held: CertificationAward | None
    # Courses whose exams the person may open (the exam links on the portal page).
    openable_course_ids: set[int] = field(default_factory=set)


@dataclass
class PortalCertifications:
    mine: list[tuple[CertificationAward, str]]  # (award, "valid" | "expiring" | "expired" ...)
    available: list[AvailableCertification]


def award_state(award: CertificationAward, now: datetime) -> str:
    status = award.status(now)
    if status == "valid" and award.expires_at - now <= timedelta(days=EXPIRING_SOON_DAYS):
        return "expiring"
    return status


def portal_certifications(actor: Actor, now: datetime | None = None) -> PortalCertifications:
    """The portal page: my awards and the certifications I can work towards. Fixed queries."""
    from enablement.lms.models import QuizAttempt

    now = now or timezone.now()
    mine = list(
        _award_related(CertificationAward.objects.filter(user=actor.user)).order_by(
            "certification__track__name", "certification__level"
        )
    )
    held = {award.certification_id: award for award in mine}
    from enablement.lms.selectors import learner_courses

    passed = set(
        QuizAttempt.objects.filter(user=actor.user, passed=True).values_list("quiz_id", flat=True)
    )
    openable = set(learner_courses(actor).values_list("pk", flat=True))
    available = []
    for cert in certifications_for(actor).filter(is_active=True):
        pre = held.get(cert.prerequisite_id) if cert.prerequisite_id else None
        available.append(
            AvailableCertification(
                certification=cert,
                exams=[row.quiz for row in cert.exam_rows.all()],
                passed_exam_ids=passed,
                prerequisite_met=cert.prerequisite_id is None
                or (pre is not None and pre.is_valid(now)),
                held=held.get(cert.pk),
                openable_course_ids=openable,
            )
        )
    return PortalCertifications(
        mine=[(award, award_state(award, now)) for award in mine], available=available
    )


def attempt_outcome(attempt) -> list[str]:
    """The LMS attempt page's words after a pass: the certifications this exam counts toward —
    earned (or renewed) now, held already, or what is still missing."""
    from django.db.models import Q
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from enablement.lms.models import QuizAttempt

    if not attempt.passed:
        return []
    certs = list(
        Certification.objects.filter(is_active=True)
        .filter(Q(exam_rows__quiz_id=attempt.quiz_id) | Q(recert_exam_id=attempt.quiz_id))
        .distinct()
        .select_related("prerequisite")
        .prefetch_related("exam_rows")
        .order_by("level", "name")
    )
    if not certs:
        return []
    now = timezone.now()
    held = {
        a.certification_id: a
        for a in CertificationAward.objects.filter(user_id=attempt.user_id, certification__in=certs)
    }
    passed = set(
        QuizAttempt.objects.filter(user_id=attempt.user_id, passed=True).values_list(
            "quiz_id", flat=True
        )
    )
    notes = []
    for cert in certs:
        award = held.get(cert.pk)
        if award is not None and award.is_valid(now):
            until = date_format(timezone.localtime(award.expires_at), "DATE_FORMAT")
            renewed_now = cert.recert_exam_id == attempt.quiz_id and award.renewed_count > 0
            if award.issued_at >= attempt.started_at or renewed_now:
                notes.append(
                    _("You earned the certification “%(name)s” (valid until %(until)s).")
                    % {"name": cert.name, "until": until}
                )
            else:
                notes.append(
                    _("You hold the certification “%(name)s” (valid until %(until)s).")
                    % {"name": cert.name, "until": until}
                )
            continue
        missing = len({row.quiz_id for row in cert.exam_rows.all()} - passed)
        if missing:
            notes.append(
                ngettext(
                    "This exam counts toward “%(name)s”: %(n)s more exam to pass.",
                    "This exam counts toward “%(name)s”: %(n)s more exams to pass.",
                    missing,
                )
                % {"name": cert.name, "n": missing}
            )
        elif cert.prerequisite_id is not None:
            notes.append(
                _("“%(name)s” is earned once you hold “%(pre)s”.")
                % {"name": cert.name, "pre": cert.prerequisite.name}
            )
    return notes


def award_by_code(code: str) -> CertificationAward | None:
    return (
        CertificationAward.objects.select_related("certification", "user", "partner")
        .filter(verification_code=code)
        .first()
    )


# --- Beat: which tenants have due work (platform-wide, hence unscoped) ------------------------


def tenants_with_recert_due(now: datetime | None = None) -> set[int]:
    """Active tenants where `services.send_recert_reminders` has something to do: an award that
    expired and was not processed yet (tier re-evaluation), or a valid award that reached one of
    its certification's reminder offsets not yet sent for this expiry cycle. A few small queries
    in all (offsets, expired awards, the awards within the longest offset, their claims), never
    one per tenant."""
    from .services import MAX_OFFSET_DAYS

    now = now or timezone.now()
    due = set(
        CertificationAward.objects.unscoped()
        .filter(
            tenant__is_active=True,
            revoked_at__isnull=True,
            expires_at__lte=now,
            expiry_processed_at__isnull=True,
        )
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    offsets = {
        pk: {int(o) for o in (values or [])}
        for pk, values in Certification.objects.unscoped()
        .filter(tenant__is_active=True)
        .values_list("pk", "reminder_offsets_days")
    }
    reach = min(max((max(o) for o in offsets.values() if o), default=0), MAX_OFFSET_DAYS)
    if not reach:
        return due
    reached: dict[int, tuple[int, datetime, set[int]]] = {}
    for pk, tenant_id, certification_id, expires_at in (
        CertificationAward.objects.unscoped()
        .filter(
            tenant__is_active=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=reach),
        )
        .exclude(tenant__in=due)
        .values_list("pk", "tenant_id", "certification_id", "expires_at")
    ):
        left = expires_at - now
        hits = {o for o in offsets.get(certification_id, ()) if left <= timedelta(days=o)}
        if hits:
            reached[pk] = (tenant_id, expires_at, hits)
    if not reached:
        return due
    claimed: dict[int, set[int]] = {}
    for award_id, offset, cycle in (
        ReminderSent.objects.unscoped()
        .filter(award_id__in=list(reached))
        .values_list("award_id", "offset_days", "cycle_expires_at")
    ):
        if cycle == reached[award_id][1]:
            claimed.setdefault(award_id, set()).add(offset)
    for pk, (tenant_id, _expires_at, hits) in reached.items():
        if hits - claimed.get(pk, set()):
            due.add(tenant_id)
    return due
