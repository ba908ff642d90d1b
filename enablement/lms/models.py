"""Courses made of modules and quizzes, enrolments and progress, learning paths per role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel
from tenancy.uploads import tenant_path


class Audience(models.TextChoices):
    ALL = "all", _("Everyone")
    SALES = "sales", _("Sales")
    PRESALES = "presales", _("Pre-sales / technical")
    MARKETING = "marketing", _("Marketing")


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Course(TenantOwnedModel):
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    audiences = models.JSONField(_("audience roles"), default=list, blank=True)  # Audience values
    partner_types = models.JSONField(_("partner types"), default=list, blank=True)  # empty = all
    estimated_hours = models.DecimalField(
        _("estimated hours"), max_digits=5, decimal_places=1, default=1
    )
    status = models.CharField(
        max_length=16, choices=CourseStatus.choices, default=CourseStatus.DRAFT
    )
    # The "101" course: completing it unlocks deal registration (onboarding issue).
    is_foundation = models.BooleanField(_("foundation (101) course"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["tenant", "status"], name="course_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def audience_labels(self) -> list[str]:
        """The audience roles by name; none chosen reads "Everyone"."""
        labels = [str(Audience(a).label) for a in self.audiences or [] if a in Audience.values]
        return labels or [str(Audience.ALL.label)]


class ModuleKind(models.TextChoices):
    TEXT = "text", _("Text")
    VIDEO = "video", _("Video link")
    FILE = "file", _("Downloadable file")
    QUIZ = "quiz", _("Quiz")


def module_upload_to(module: CourseModule, filename: str) -> str:
    # The service names the file (module uuid + sniffed extension); nothing of the uploader's.
    return tenant_path("lms", module.tenant_id, filename)


class CourseModule(TenantOwnedModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(max_length=8, choices=ModuleKind.choices)
    body = models.TextField(_("text (Markdown)"), blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    file = models.FileField(_("file"), upload_to=module_upload_to, blank=True, max_length=200)
    # What the uploader called the file and what its content is (sniffed), for the download.
    file_name = models.CharField(max_length=200, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=10)

    class Meta:
        ordering = ["course", "position", "id"]
        indexes = [models.Index(fields=["tenant", "course", "position"], name="coursemodule_order")]

    def __str__(self) -> str:
        return self.title


class Quiz(TenantOwnedModel):
    """A quiz module's questions. Also used as a certification exam (enablement.certs)."""

    module = models.OneToOneField(CourseModule, on_delete=models.CASCADE, related_name="quiz")
    pass_mark_pct = models.PositiveSmallIntegerField(_("pass mark %"), default=80)
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=3)
    randomize = models.BooleanField(_("randomise question order"), default=True)

    def __str__(self) -> str:
        return f"Quiz: {self.module.title}"


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")


class Question(TenantOwnedModel):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(_("question"))
    kind = models.CharField(max_length=8, choices=QuestionKind.choices, default=QuestionKind.SINGLE)

    class Meta:
        ordering = ["quiz", "position", "id"]
        indexes = [models.Index(fields=["tenant", "quiz"], name="question_quiz")]

    def __str__(self) -> str:
        return self.text[:60]


class Choice(TenantOwnedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("answer"), max_length=300)
    # WARNING: never serialise this to a page or an API response before the attempt is submitted.
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "position", "id"]
        indexes = [models.Index(fields=["tenant", "question"], name="choice_question")]

    def __str__(self) -> str:
        return self.text[:60]


class Enrollment(TenantOwnedModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enrolled_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    seconds_spent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "course", "user"], name="enrollment_once")
        ]
        indexes = [models.Index(fields=["tenant", "user"], name="enrollment_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class ModuleProgress(TenantOwnedModel):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="progress")
    module = models.ForeignKey(CourseModule, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(default=timezone.now)
    seconds_spent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "enrollment", "module"], name="moduleprogress_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · {self.module}"


class QuizAttempt(TenantOwnedModel):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The question order shown (randomised once per attempt) and the answers given:
    # {question_id: [choice_ids]}
    question_order = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    score_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["tenant", "quiz", "user"], name="quizattempt_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.quiz} · {self.score_pct}"


class LearningPath(TenantOwnedModel):
    """An ordered set of courses for one partner role (sales, pre-sales, marketing, admin)."""

    name = models.CharField(_("name"), max_length=160)
    role = models.CharField(_("partner role"), max_length=32)  # tenancy.roles.Role partner values
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "role"], name="learningpath_one_per_role")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def role_label(self) -> str:
        from tenancy.roles import Role

        return str(Role(self.role).label) if self.role in Role.values else self.role


class LearningPathStep(TenantOwnedModel):
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="steps")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["path", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "path", "course"], name="pathstep_once")
        ]

    def __str__(self) -> str:
        return f"{self.path} · {self.course}"
