"""Live training sessions (webinars, workshops) and the registrations to them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class LiveSession(TenantOwnedModel):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    instructor_name = models.CharField(_("instructor"), max_length=200)
    # Optional vendor staff account of the instructor: lets them take attendance.
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("instructor account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    course = models.ForeignKey(
        "lms.Course",
        verbose_name=_("course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="live_sessions",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    join_url = models.URLField(_("join URL"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), default=20)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["tenant", "starts_at"], name="live_session_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="live_session_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="live_session_capacity"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def duration_hours(self) -> Decimal:
        seconds = Decimal((self.ends_at - self.starts_at).total_seconds())
        return (seconds / Decimal(3600)).quantize(Decimal("0.01"))

    @property
    def is_upcoming(self) -> bool:
        return self.starts_at > timezone.now()

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")


class Registration(TenantOwnedModel):
    """One user's place at a session. One row per (session, user): re-registering after a
    cancellation reuses it and puts it at the end of the queue (`queued_at`)."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_registrations"
    )
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices)
    queued_at = models.DateTimeField(default=timezone.now)  # FIFO order of the waitlist
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(default=False)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "session", "user"], name="live_registration_once"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "session", "status", "queued_at"], name="live_reg_q"),
            models.Index(fields=["tenant", "user", "status"], name="live_reg_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.session}"

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED
