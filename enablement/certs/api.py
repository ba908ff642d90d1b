"""API: certifications (list/retrieve) and awards (scoped: mine, my org, staff by scope)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from tenancy.api.views import TenantViewSet

from . import selectors, services
from .models import Certification, CertificationAward


class CertificationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    track = serializers.CharField(source="track.name", read_only=True)
    # allow_null: the schema says what a certification without a prerequisite answers (null).
    prerequisite = serializers.UUIDField(
        source="prerequisite.uuid", read_only=True, default=None, allow_null=True
    )
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
    partner = serializers.UUIDField(
        source="partner.uuid", read_only=True, default=None, allow_null=True
    )
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


# --- Examples in the OpenAPI document: the vendor's certifications, a partner's awards --------

PROFESSIONAL = "6d76d1b2-bee0-4c22-9f0a-38562a091744"
CERTIFICATION_EXAMPLES = [
    OpenApiExample(
        "Catalogue",
        summary="The active certifications, with the exams each needs",
        value={
            "id": PROFESSIONAL,
            "track": "Cloud Sales",
            "name": "Certified Cloud Sales Professional",
            "level": 1,
            "description": "Sells the Cloud Platform: positioning, discovery, pricing.",
            "prerequisite": None,
            "validity_months": 12,
            "exams": [
                {
                    "quiz": "47233b7a-280f-45a2-8dc9-a961d9b6bf76",
                    "title": "Cloud Sales Professional exam",
                    "course": "43378efb-5690-4a9f-ae05-059a73e228ba",
                }
            ],
            "reminder_offsets_days": [60, 30, 7],
            "is_active": True,
        },
        response_only=True,
    )
]
AWARD_EXAMPLES = [
    OpenApiExample(
        "OrganisationAwards",
        summary="A partner admin's key: the organisation's people's awards",
        value={
            "id": "1e5bd8e4-188f-4357-9a20-a8d8a32ac355",
            "certification": PROFESSIONAL,
            "certification_name": "Certified Cloud Sales Professional",
            "user": "priya.shah@northwind.example",
            "partner": "dc95f789-1be8-417f-ab08-a09240bccd4d",
            "issued_at": "2026-12-07T03:10:11.725521Z",
            "expires_at": "2027-12-07T03:10:11.725521Z",
            "revoked_at": None,
            "renewed_count": 0,
            "verification_code": "AJyHwpbt0h6C",
            "status": "valid",
        },
        response_only=True,
    )
]


@extend_schema_view(list=extend_schema(examples=CERTIFICATION_EXAMPLES))
class CertificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = CertificationSerializer

    def scoped_queryset(self):
        services.ensure_access(self.actor)
        return selectors.certifications_for(self.actor)


@extend_schema_view(list=extend_schema(examples=AWARD_EXAMPLES))
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
