"""Certifications: tracks, levels with required exams (LMS quizzes), awards with expiry and a
public verification code, and the recertification reminders already sent."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel
from tenancy.uploads import tenant_path, unique_name


def default_reminder_offsets() -> list[int]:
    return [60, 30, 7]


def new_verification_code() -> str:
    # 9 random bytes -> 12 URL-safe characters; unguessable, short enough to type.
    return secrets.token_urlsafe(9)


class CertificationTrack(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="certtrack_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Certification(TenantOwnedModel):
    track = models.ForeignKey(
        CertificationTrack, on_delete=models.CASCADE, related_name="certifications"
    )
    name = models.CharField(_("name"), max_length=160)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    description = models.TextField(_("description"), blank=True)
    prerequisite = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requires"),
    )
    validity_months = models.PositiveSmallIntegerField(_("validity (months)"), default=12)
    exams = models.ManyToManyField(
        "lms.Quiz", through="CertificationExam", related_name="+", verbose_name=_("exams")
    )
    recert_exam = models.ForeignKey(
        "lms.Quiz",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recertification exam"),
    )
    reminder_offsets_days = models.JSONField(
        _("reminder days before expiry"), default=default_reminder_offsets, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["track__name", "level", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="certification_unique_name")
        ]
        indexes = [models.Index(fields=["tenant", "track", "level"], name="certification_level")]

    def __str__(self) -> str:
        return self.name


class CertificationExam(TenantOwnedModel):
    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="exam_rows"
    )
    quiz = models.ForeignKey("lms.Quiz", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "certification", "quiz"], name="certexam_once"
            )
        ]
        indexes = [models.Index(fields=["tenant", "quiz"], name="certexam_quiz")]


def certificate_upload_to(award: CertificationAward, filename: str) -> str:
    # A new name per rendering: a renewed certificate never reuses the old file's name.
    return tenant_path("certificates", award.tenant_id, unique_name(str(award.uuid), "pdf"))


class CertificationAward(TenantOwnedModel):
    """A person's certification. Its PDF certificate is rendered once when awarded (again when
    renewed: new dates) and kept with its SHA-256; downloads serve those bytes."""

    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="awards"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        "partners.PartnerOrganization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="certification_awards",
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    verification_code = models.CharField(
        max_length=16, unique=True, default=new_verification_code, editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    renewed_count = models.PositiveSmallIntegerField(default=0)
    # Set by the sweep once an expiry has been counted (tier re-evaluation ran for it).
    expiry_processed_at = models.DateTimeField(null=True, blank=True)
    certificate_file = models.FileField(upload_to=certificate_upload_to, blank=True, max_length=200)
    certificate_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "certification", "user"], name="certaward_once_per_user"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "partner", "expires_at"], name="certaward_partner"),
            models.Index(fields=["tenant", "user"], name="certaward_user"),
            models.Index(fields=["tenant", "expires_at"], name="certaward_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.certification}"

    def status(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "valid"

    def is_valid(self, now=None) -> bool:
        return self.status(now) == "valid"


class ReminderSent(TenantOwnedModel):
    """Claims one reminder (offset) of one expiry cycle, so each goes out once."""

    award = models.ForeignKey(
        CertificationAward, on_delete=models.CASCADE, related_name="reminders"
    )
    offset_days = models.PositiveSmallIntegerField()
    # The expiry this reminder was about: a renewal starts a new cycle.
    cycle_expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "award", "offset_days", "cycle_expires_at"],
                name="certreminder_once",
            )
        ]
