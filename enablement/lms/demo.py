"""Demo data for the LMS: a published "Partner 101" (foundation) course with text, video and file
modules and a quiz, one course per partner audience (sales, pre-sales, marketing), a retired and
a draft course, a learning path per partner role, and partner users at every stage (enrolled,
in progress, completed with a passed quiz, one failed attempt). Idempotent: courses are looked up
by title, paths by role; progress is only added for users without an enrolment."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.html import escape

from tenancy.access import actor_for_user
from tenancy.context import require_current_tenant
from tenancy.models import Membership
from tenancy.roles import PARTNER_ROLES, Role
from tenancy.uploads import unique_name

from . import services
from .models import (
    Choice,
    Course,
    CourseModule,
    CourseStatus,
    Enrollment,
    LearningPath,
    LearningPathStep,
    ModuleKind,
    Question,
    QuestionKind,
    Quiz,
)

# (title, summary, audiences, hours, modules, quiz questions)
# module: (kind, title, minutes, body/url)
# question: (text, kind, [(answer, correct)])
COURSES = [
    {
        "title": "Partner 101",
        "summary": "How our partner program works: tiers, deal registration, rules of engagement "
        "and where to find help. Required before you register your first deal.",
        "audiences": [],
        "hours": "1.5",
        "foundation": True,
        "modules": [
            (
                "text",
                "Welcome to the program",
                15,
                "Our program rewards partners who invest "
                "in skills and customers. This course explains tiers, benefits and the rules of "
                "engagement so you can start selling with confidence.",
            ),
            ("video", "The partner portal tour", 10, "https://videos.example.com/partner-101-tour"),
            (
                "file",
                "Program guide (PDF)",
                20,
                "The program guide covers tier requirements, MDF, and deal registration rules.",
            ),
            ("quiz", "Partner 101 check", 10, ""),
        ],
        "quiz": [
            (
                "What protects your opportunity from channel conflict?",
                "single",
                [
                    ("Registering the deal", True),
                    ("Emailing your channel manager", False),
                    ("Nothing", False),
                ],
            ),
            (
                "Which count toward your tier? (select all)",
                "multiple",
                [
                    ("Certified people", True),
                    ("Trailing revenue", True),
                    ("Number of logos on your website", False),
                ],
            ),
            (
                "Deal registrations are approved by…",
                "single",
                [("Your channel manager", True), ("The end customer", False)],
            ),
        ],
    },
    {
        "title": "Selling the platform",
        "summary": "Discovery questions, value messaging and handling the five most common "
        "objections.",
        "audiences": ["sales"],
        "hours": "2",
        "modules": [
            (
                "text",
                "Ideal customer and buying committee",
                20,
                "Who buys, who signs, who blocks: map the committee before you propose.",
            ),
            ("video", "Discovery call, annotated", 25, "https://videos.example.com/discovery"),
            ("quiz", "Selling check", 10, ""),
        ],
        "quiz": [
            (
                "Best first question in discovery?",
                "single",
                [("What problem are you trying to solve?", True), ("What is your budget?", False)],
            ),
            (
                "Which are buying-committee roles? (select all)",
                "multiple",
                [("Economic buyer", True), ("Champion", True), ("Receptionist", False)],
            ),
        ],
    },
    {
        "title": "Technical foundations",
        "summary": "Architecture, integrations and running a proof of concept that closes.",
        "audiences": ["presales"],
        "hours": "3",
        "modules": [
            (
                "text",
                "Architecture overview",
                30,
                "Components, deployment options and data "
                "flows, with the questions security teams ask.",
            ),
            ("video", "Integration walkthrough", 30, "https://videos.example.com/integrations"),
            ("quiz", "Technical check", 15, ""),
        ],
        "quiz": [
            (
                "A proof of concept should have…",
                "single",
                [("Written success criteria", True), ("No end date", False)],
            ),
            (
                "Supported deployment options? (select all)",
                "multiple",
                [("SaaS", True), ("Private cloud", True), ("Floppy disk", False)],
            ),
        ],
    },
    {
        "title": "Co-marketing essentials",
        "summary": "Campaign kits, brand rules and how to request market development funds.",
        # Marketing's and the partner admin's paths hold it: both roles must see it.
        "audiences": [],
        "hours": "1",
        "modules": [
            (
                "text",
                "Brand and messaging rules",
                15,
                "Use the partner logo lock-up and the "
                "approved messaging house; never modify the product logo.",
            ),
            ("quiz", "Marketing check", 10, ""),
        ],
        "quiz": [
            (
                "May you change the product logo colours?",
                "single",
                [("No", True), ("Yes, to match our brand", False)],
            ),
        ],
    },
    {
        "title": "Legacy pricing (2023)",
        "summary": "Replaced by the current price book.",
        "audiences": ["sales"],
        "hours": "0.5",
        "status": CourseStatus.RETIRED,
        "modules": [("text", "Old price book", 10, "Retired content.")],
    },
    {
        "title": "Advanced negotiation (draft)",
        "summary": "Work in progress.",
        "audiences": ["sales"],
        "hours": "2",
        "status": CourseStatus.DRAFT,
        "modules": [("text", "Anchoring", 20, "Draft content.")],
    },
]

PATHS = {
    Role.PARTNER_ADMIN: ("Partner admin path", ["Partner 101", "Co-marketing essentials"]),
    Role.PARTNER_SALES: ("Sales path", ["Partner 101", "Selling the platform"]),
    Role.PARTNER_PRESALES: ("Pre-sales path", ["Partner 101", "Technical foundations"]),
    Role.PARTNER_MARKETING: ("Marketing path", ["Partner 101", "Co-marketing essentials"]),
}


def _guide_pdf(title: str, text: str) -> bytes:
    """The demo's downloadable guide: a real PDF, as an upload would have to be."""
    from weasyprint import HTML

    return HTML(string=f"<h1>{escape(title)}</h1><p>{escape(text)}</p>").write_pdf()


def _course(tenant, spec) -> Course:
    course = Course.objects.filter(title=spec["title"]).first()
    if course is not None:
        return course
    status = spec.get("status", CourseStatus.PUBLISHED)
    course = Course.objects.create(
        tenant=tenant,
        title=spec["title"],
        summary=spec["summary"],
        audiences=spec["audiences"],
        estimated_hours=spec["hours"],
        is_foundation=spec.get("foundation", False),
        status=status,
        published_at=timezone.now() - timedelta(days=120) if status != CourseStatus.DRAFT else None,
    )
    for position, (kind, title, minutes, content) in enumerate(spec["modules"], start=1):
        module = CourseModule(
            tenant=tenant,
            course=course,
            position=position,
            title=title,
            kind=kind,
            minutes=minutes,
        )
        if kind == ModuleKind.VIDEO:
            module.video_url = content
        elif kind != ModuleKind.QUIZ:
            module.body = content
        if kind == ModuleKind.FILE:
            module.file_name, module.file_type = "program-guide.pdf", "application/pdf"
            module.file.save(
                unique_name(str(module.uuid), "pdf"),
                ContentFile(_guide_pdf(title, content)),
                save=False,
            )
        module.save()
        if kind == ModuleKind.QUIZ:
            quiz = Quiz.objects.create(
                tenant=tenant, module=module, pass_mark_pct=60, attempts_allowed=3
            )
            for qpos, (text, qkind, answers) in enumerate(spec["quiz"], start=1):
                question = Question.objects.create(
                    tenant=tenant,
                    quiz=quiz,
                    position=qpos,
                    text=text,
                    kind=QuestionKind(qkind),
                )
                Choice.objects.bulk_create(
                    Choice(tenant=tenant, question=question, text=a, is_correct=ok, position=i)
                    for i, (a, ok) in enumerate(answers, start=1)
                )
    return course


def _paths(tenant, courses: dict[str, Course]) -> None:
    for role, (name, titles) in PATHS.items():
        path, created = LearningPath.objects.get_or_create(
            tenant=tenant,
            role=role,
            defaults={"name": name, "description": "Recommended for your role."},
        )
        if created:
            problems = services.path_course_problems(role, [courses[t] for t in titles])
            if problems:  # the demo keeps the rule path_save enforces
                raise ValueError(" ".join(problems))
            LearningPathStep.objects.bulk_create(
                LearningPathStep(tenant=tenant, path=path, course=courses[t], position=i)
                for i, t in enumerate(titles, start=1)
            )


def _right_answers(quiz: Quiz, *, right: bool) -> dict[int, list[int]]:
    answers = {}
    for question in quiz.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        correct = [c.pk for c in choices if c.is_correct]
        wrong = [c.pk for c in choices if not c.is_correct][:1]
        answers[question.pk] = correct if right else wrong
    return answers


def _learn(membership: Membership, stage: int) -> None:
    """stage 0: enrolled in the path; 1: part-way through the first course; 2: first course
    completed (quiz passed after one failed attempt); 3: whole path completed."""
    actor = actor_for_user(membership.user, membership.tenant)
    path = services.assign_path_for(membership)
    if path is None or stage == 0:
        return
    courses = [step.course for step in path.steps.all()]
    for index, course in enumerate(courses):
        if stage == 1 and index > 0:
            return
        modules = list(course.modules.select_related("quiz"))
        for module in modules:
            if module.kind == ModuleKind.QUIZ:
                if stage == 1:
                    return
                quiz = module.quiz
                if index == 0:
                    failed = services.start_attempt(actor=actor, quiz=quiz)
                    services.submit_attempt(
                        actor=actor, attempt=failed, answers=_right_answers(quiz, right=False)
                    )
                attempt = services.start_attempt(actor=actor, quiz=quiz)
                services.submit_attempt(
                    actor=actor, attempt=attempt, answers=_right_answers(quiz, right=True)
                )
            else:
                services.module_complete(actor=actor, module=module)
                if stage == 1:
                    return
        if stage == 2:
            return


def seed(tenant, *, staff) -> None:
    tenant = tenant or require_current_tenant()
    courses = {spec["title"]: _course(tenant, spec) for spec in COURSES}
    _paths(tenant, courses)
    memberships = list(
        Membership.objects.filter(role__in=PARTNER_ROLES, is_active=True)
        .exclude(partner_organization=None)
        .select_related("user", "partner_organization", "tenant")
        .order_by("pk")
    )
    already = set(Enrollment.objects.values_list("user_id", flat=True))
    for i, membership in enumerate(memberships):
        if membership.user_id in already:
            continue
        _learn(membership, stage=i % 4)
