"""API: certifications (list/retrieve) and awards (scoped: mine, my org, staff by scope)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import mixins, serializers

from tenancy.api.views import TenantViewSet

from . import selectors, services
from .models import Certification, CertificationAward


class CertificationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    track = serializers.CharField(source="track.name", read_only=True)
    prerequisite = serializers.UUIDField(source="prerequisite.uuid", read_only=True, default=None)
    exams = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "track",
            "name",
            "level",
            "description",
            "prerequisite",
            "validity_months",
            "exams",
            "reminder_offsets_days",
            "is_active",
        ]

    def get_exams(self, cert) -> list[dict]:
        return [
            {
                "quiz": str(row.quiz.uuid),
                "title": row.quiz.module.title,
                "course": str(row.quiz.module.course.uuid),
            }
            for row in cert.exam_rows.all()
        ]


class CertificationAwardSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    certification = serializers.UUIDField(source="certification.uuid", read_only=True)
    certification_name = serializers.CharField(source="certification.name", read_only=True)
    user = serializers.EmailField(source="user.email", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True, default=None)
    status = serializers.SerializerMethodField()

    class Meta:
        model = CertificationAward
        fields = [
            "id",
            "certification",
            "certification_name",
            "user",
            "partner",
            "issued_at",
            "expires_at",
            "revoked_at",
            "renewed_count",
            "verification_code",
            "status",
        ]

    def get_status(self, award) -> str:
        return award.status(timezone.now())


class CertificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = CertificationSerializer

    def scoped_queryset(self):
        services.ensure_access(self.actor)
        return selectors.certifications_for(self.actor)


class CertificationAwardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = CertificationAwardSerializer

    def scoped_queryset(self):
        services.ensure_access(self.actor)
        return selectors.awards_for(self.actor).order_by("-issued_at", "pk")


def register(router) -> None:
    router.register("certifications", CertificationViewSet, basename="certification")
    router.register(
        "certification-awards", CertificationAwardViewSet, basename="certification-award"
    )
