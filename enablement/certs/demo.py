"""Demo data: two certification tracks per tenant (Professional -> Expert each), their exams (a
small exam course with quiz modules, created through the LMS models when missing) and awards for
the demo partner users at every stage: valid, expiring within 30 days, expired. Idempotent."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from enablement.lms.models import (
    Choice,
    Course,
    CourseModule,
    CourseStatus,
    ModuleKind,
    Question,
    Quiz,
    QuizAttempt,
)
from tenancy.access import SYSTEM
from tenancy.context import require_current_tenant
from tenancy.models import Membership
from tenancy.roles import PARTNER_ROLES

from . import services
from .models import Certification, CertificationAward, CertificationTrack

TRACKS = {
    "acme": [
        ("Cloud Sales", "Selling the Acme cloud platform: discovery, value, pricing."),
        ("Cloud Architecture", "Designing and deploying Acme cloud solutions."),
    ],
    "globex": [
        ("Security Sales", "Positioning Globex security: threats, compliance, ROI."),
        ("Security Architecture", "Deploying and operating Globex security products."),
    ],
}
DEFAULT_TRACKS = [("Partner Sales", "Selling with us."), ("Solution Design", "Building with us.")]

QUESTIONS = [
    (
        "Which step comes first in a qualified opportunity?",
        [("Discovery of the customer's pain", True), ("Sending a price list", False)],
    ),
    (
        "Who should be registered as the deal owner?",
        [("The partner who registered it first", True), ("Whoever closes it", False)],
    ),
    (
        "What renews a certification?",
        [("Passing the recertification exam", True), ("Waiting for expiry", False)],
    ),
]


def _quiz(course: Course, title: str, position: int) -> Quiz:
    module, _ = CourseModule.objects.get_or_create(
        course=course,
        title=title,
        defaults={"kind": ModuleKind.QUIZ, "position": position, "minutes": 20},
    )
    quiz, _ = Quiz.objects.get_or_create(
        module=module, defaults={"pass_mark_pct": 70, "attempts_allowed": 3}
    )
    if not quiz.questions.exists():
        for q_pos, (text, choices) in enumerate(QUESTIONS):
            question = Question.objects.create(quiz=quiz, position=q_pos, text=text)
            for c_pos, (label, correct) in enumerate(choices):
                Choice.objects.create(
                    question=question, position=c_pos, text=label, is_correct=correct
                )
    return quiz


def _ladder(track_name: str, description: str):
    track, _ = CertificationTrack.objects.get_or_create(
        name=track_name, defaults={"description": description}
    )
    course, _ = Course.objects.get_or_create(
        title=f"{track_name} certification exams",
        defaults={
            "summary": f"The exams of the {track_name} certification track.",
            "status": CourseStatus.PUBLISHED,
            "published_at": timezone.now(),
            "estimated_hours": 1,
        },
    )
    pro_exam = _quiz(course, f"{track_name} Professional exam", 1)
    expert_exam = _quiz(course, f"{track_name} Expert exam", 2)
    recert_exam = _quiz(course, f"{track_name} recertification exam", 3)
    pro_name = f"Certified {track_name} Professional"
    pro = Certification.objects.filter(name=pro_name).first() or services.certification_save(
        actor=SYSTEM,
        track=track,
        name=pro_name,
        level=1,
        description=f"The foundation certification of the {track_name} track.",
        validity_months=12,
        exams=[pro_exam],
        recert_exam=recert_exam,
    )
    expert_name = f"Certified {track_name} Expert"
    expert = Certification.objects.filter(name=expert_name).first() or services.certification_save(
        actor=SYSTEM,
        track=track,
        name=expert_name,
        level=2,
        description=f"The advanced certification of the {track_name} track.",
        prerequisite=pro,
        validity_months=24,
        exams=[expert_exam],
    )
    return pro, expert


def _award(cert: Certification, membership: Membership, *, issued_at) -> None:
    if CertificationAward.objects.filter(certification=cert, user=membership.user).exists():
        return
    for row in cert.exam_rows.all():
        QuizAttempt.objects.create(
            quiz_id=row.quiz_id,
            user=membership.user,
            started_at=issued_at,
            submitted_at=issued_at,
            score_pct=90,
            passed=True,
        )
    CertificationAward.objects.create(
        certification=cert,
        user=membership.user,
        partner=membership.partner_organization,
        issued_at=issued_at,
        expires_at=issued_at + relativedelta(months=cert.validity_months),
    )


def seed(tenant, *, staff) -> None:
    tenant = require_current_tenant()
    ladders = [_ladder(name, text) for name, text in TRACKS.get(tenant.slug, DEFAULT_TRACKS)]
    now = timezone.now()
    partner_users = list(
        Membership.objects.filter(role__in=sorted(PARTNER_ROLES), is_active=True)
        .select_related("user", "partner_organization")
        .order_by("partner_organization__name", "pk")
    )
    # Stages by position: Expert holder, valid Professional, expiring soon, expired, and some
    # users left uncertified (enrolled only).
    for index, membership in enumerate(partner_users):
        pro, expert = ladders[index % len(ladders)]
        stage = index % 6
        if stage == 0:
            _award(pro, membership, issued_at=now - relativedelta(months=8))
            _award(expert, membership, issued_at=now - relativedelta(months=2))
        elif stage in (1, 4):
            _award(pro, membership, issued_at=now - relativedelta(months=3))
        elif stage == 2:  # expiring within 30 days
            _award(
                pro, membership, issued_at=now - relativedelta(months=12) + relativedelta(days=20)
            )
        elif stage == 3:  # expired
            _award(pro, membership, issued_at=now - relativedelta(months=13))
