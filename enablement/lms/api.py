"""LMS API: courses (published and visible for partners, all for program staff), my enrolments,
quiz attempts (start, read without correct answers, submit)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from partners.models import PartnerType
from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from . import selectors, services
from .models import (
    Audience,
    Choice,
    Course,
    CourseModule,
    Enrollment,
    ModuleKind,
    Question,
    Quiz,
    QuizAttempt,
)

# --- Serializers -------------------------------------------------------------------------------


class ModuleSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    # allow_null: the schema says what a module without a quiz answers (null).
    quiz = serializers.UUIDField(source="quiz.uuid", read_only=True, default=None, allow_null=True)
    file_name = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField(
        help_text="A file module's access-checked download (portal session), else null"
    )

    class Meta:
        model = CourseModule
        fields = [
            "id",
            "position",
            "title",
            "kind",
            "minutes",
            "video_url",
            "quiz",
            "file_name",
            "download_url",
        ]

    def get_download_url(self, module) -> str | None:
        if module.kind != ModuleKind.FILE or not module.file:
            return None
        return reverse("portal_module_file", args=[module.course.uuid, module.uuid])


class CourseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    modules = ModuleSerializer(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "summary",
            "audiences",
            "partner_types",
            "estimated_hours",
            "status",
            "is_foundation",
            "published_at",
            "modules",
        ]


class CourseWriteSerializer(serializers.Serializer):
    """Course authoring (program admins): the limits and their words are the services'."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True)
    audiences = serializers.ListField(
        child=serializers.ChoiceField(choices=Audience.choices), required=False
    )
    partner_types = serializers.ListField(
        child=serializers.ChoiceField(choices=PartnerType.choices), required=False
    )
    # No column range here: enablement.limits states the business limit.
    estimated_hours = serializers.DecimalField(max_digits=None, decimal_places=None, required=False)
    is_foundation = serializers.BooleanField(required=False)


class EnrollmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    course = serializers.UUIDField(source="course.uuid", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    modules_done = serializers.IntegerField(read_only=True)
    modules_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "course",
            "course_title",
            "enrolled_at",
            "completed_at",
            "seconds_spent",
            "modules_done",
            "modules_total",
        ]


class PublicChoiceSerializer(serializers.ModelSerializer):
    """WARNING: deliberately without `is_correct`."""

    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Choice
        fields = ["id", "text"]


class PublicQuestionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    choices = PublicChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "text", "kind", "choices"]


class AttemptSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    quiz = serializers.UUIDField(source="quiz.uuid", read_only=True)
    course = serializers.UUIDField(source="quiz.module.course.uuid", read_only=True)
    questions = serializers.SerializerMethodField()
    attempts_left = serializers.SerializerMethodField()

    class Meta:
        model = QuizAttempt
        fields = [
            "id",
            "quiz",
            "course",
            "started_at",
            "submitted_at",
            "score_pct",
            "passed",
            "attempts_left",
            "questions",
        ]

    def get_questions(self, attempt) -> list[dict]:
        if attempt.submitted_at is not None:
            return []
        return PublicQuestionSerializer(selectors.attempt_questions(attempt), many=True).data

    def get_attempts_left(self, attempt) -> int:
        used = QuizAttempt.objects.filter(quiz_id=attempt.quiz_id, user_id=attempt.user_id).count()
        return max(0, attempt.quiz.attempts_allowed - used)


class AttemptStartSerializer(serializers.Serializer):
    quiz = serializers.UUIDField(help_text="The quiz's id, as in a course module's `quiz`.")


class AttemptSubmitSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.UUIDField()),
        allow_empty=True,
        help_text="Question id → the ids of the chosen choices.",
    )


def _answers_by_pk(attempt: QuizAttempt, answers: dict) -> dict[int, list[int]]:
    """The API speaks public ids (UUIDs); the scoring service keys answers by row. Ids outside
    the attempt's questions and their choices are refused here, as the service would."""
    questions = Question.objects.filter(pk__in=attempt.question_order).prefetch_related("choices")
    by_uuid = {str(q.uuid): q for q in questions}
    translated: dict[int, list[int]] = {}
    for question_id, choice_ids in answers.items():
        question = by_uuid.get(str(question_id))
        if question is None:
            raise ValidationError(
                {"answers": [_("An answer refers to a question outside this quiz.")]}
            )
        choices = {str(c.uuid): c.pk for c in question.choices.all()}
        if any(str(c) not in choices for c in choice_ids):
            raise ValidationError(
                {"answers": [_("An answer refers to a choice outside its question.")]}
            )
        translated[question.pk] = [choices[str(c)] for c in choice_ids]
    return translated


# --- Examples in the OpenAPI document: the courses a partner's people can take ----------------

SELLING_THE_PLATFORM = {
    "id": "43378efb-5690-4a9f-ae05-059a73e228ba",
    "title": "Selling the Cloud Platform",
    "summary": "Positioning, discovery questions and objection handling for the Cloud Platform.",
    "audiences": ["sales"],
    "partner_types": ["reseller", "msp"],
    "estimated_hours": "1.5",
    "status": "published",
    "is_foundation": False,
    "published_at": "2026-11-02T09:00:00Z",
    "modules": [
        {
            "id": "0e23c4cc-e372-4d09-932b-fad960bfedd4",
            "position": 1,
            "title": "Why customers move to the Cloud Platform",
            "kind": "video",
            "minutes": 20,
            "video_url": "https://videos.acme.example/cloud-platform/why",
            "quiz": None,
            "file_name": "",
            "download_url": None,
        },
        {
            "id": "5b1f0c7e-2d4a-4e8b-9a31-7c6d2e9f4a10",
            "position": 2,
            "title": "The battle card, line by line",
            "kind": "file",
            "minutes": 15,
            "video_url": "",
            "quiz": None,
            "file_name": "cloud-platform-battle-card.pdf",
            "download_url": "/portal/learning/courses/43378efb-5690-4a9f-ae05-059a73e228ba/"
            "modules/5b1f0c7e-2d4a-4e8b-9a31-7c6d2e9f4a10/file/",
        },
        {
            "id": "44847e6e-c059-4925-8c3a-5f770f493b95",
            "position": 3,
            "title": "Cloud Sales Professional exam",
            "kind": "quiz",
            "minutes": 10,
            "video_url": "",
            "quiz": "47233b7a-280f-45a2-8dc9-a961d9b6bf76",
            "file_name": "",
            "download_url": None,
        },
    ],
}
COURSE_LIST_EXAMPLES = [
    OpenApiExample(
        "PartnerCourses",
        summary="The published courses for the caller's role and partner type",
        value=SELLING_THE_PLATFORM,
        response_only=True,
    )
]


# --- Viewsets ----------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(examples=COURSE_LIST_EXAMPLES))
class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = CourseSerializer
    filterset_fields = ["status", "is_foundation"]

    @extend_schema(request=CourseWriteSerializer, responses={201: CourseSerializer})
    def create(self, request):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload = CourseWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        course = services.course_create(actor=self.actor, **payload.validated_data)
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CourseWriteSerializer, responses=CourseSerializer)
    def partial_update(self, request, id=None):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        course = self.get_object()
        payload = CourseWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        course = services.course_update(actor=self.actor, course=course, **payload.validated_data)
        return Response(CourseSerializer(course).data)

    def scoped_queryset(self):
        actor = self.actor
        if actor.has(Perm.PROGRAM_VIEW):
            qs = selectors.visible_courses(actor)
        else:
            access.require(actor, Perm.PORTAL_VIEW)
            qs = selectors.learner_courses(actor)
        return qs.prefetch_related("modules__quiz").order_by("title")


class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = EnrollmentSerializer

    def list(self, request, *args, **kwargs):
        # Learners list their own; an object of someone else is simply not found (404).
        access.require(self.actor, Perm.PORTAL_VIEW)
        return super().list(request, *args, **kwargs)

    def scoped_queryset(self):
        return selectors.my_enrollments(self.actor).order_by("-enrolled_at")


class QuizAttemptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = AttemptSerializer

    def list(self, request, *args, **kwargs):
        access.require(self.actor, Perm.PORTAL_VIEW)
        return super().list(request, *args, **kwargs)

    def scoped_queryset(self):
        return selectors.my_attempts(self.actor)

    @extend_schema(request=AttemptStartSerializer, responses={201: AttemptSerializer})
    def create(self, request):
        payload = AttemptStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        actor = self.actor
        access.require(actor, Perm.PORTAL_VIEW)
        quiz = get_object_or_404(
            Quiz.objects.filter(module__course__in=selectors.learner_courses(actor)),
            uuid=payload.validated_data["quiz"],
        )
        attempt = services.start_attempt(actor=actor, quiz=quiz)
        return Response(AttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AttemptSubmitSerializer, responses=AttemptSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, id=None):
        attempt = self.get_object()
        payload = AttemptSubmitSerializer(data=request.data)
        if not payload.is_valid():
            return Response(
                {"answers": [_("Answers map question ids to lists of choice ids.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        answers = _answers_by_pk(attempt, payload.validated_data["answers"])
        attempt = services.submit_attempt(actor=self.actor, attempt=attempt, answers=answers)
        return Response(AttemptSerializer(attempt).data)


def register(router) -> None:
    router.register("courses", CourseViewSet, basename="course")
    router.register("enrollments", EnrollmentViewSet, basename="enrollment")
    router.register("quiz-attempts", QuizAttemptViewSet, basename="quiz-attempt")
