"""The onboarding workflow started by a signature: one run per partner, one row per step."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    # Retried by the sweep until the attempts run out; the console says which.
    FAILED = "failed", _("Failed")


class StepKey(models.TextChoices):
    # In the order they run.
    LIFECYCLE = "lifecycle", _("Partner moved to contracted / active")
    INVITES = "invites", _("Admin and contacts invited")
    WELCOME_KIT = "welcome_kit", _("Welcome kit sent")
    ENROLMENT = "enrolment", _("Enrolled in the 101 course and role paths")


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class OnboardingRun(TenantOwnedModel):
    """The onboarding of one partner. Unique per partner: signing again (a new agreement version)
    or a task delivered twice never starts a second one."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="onboarding_runs"
    )
    signature = models.ForeignKey(
        "onboarding.AgreementSignature", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set on every attempt; a sweep re-runs runs left pending/running past a timeout (a worker
    # killed mid-run) and failed runs whose next retry is due.
    updated_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner"], name="onboardingrun_once"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "updated_at"], name="onboardingrun_status"),
        ]

    def __str__(self) -> str:
        return f"Onboarding of {self.partner}"


class OnboardingStep(TenantOwnedModel):
    run = models.ForeignKey(OnboardingRun, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=16, choices=StepKey.choices)
    status = models.CharField(max_length=8, choices=StepStatus.choices, default=StepStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # What the step did, for the console ("invited: a@x (partner_admin), ...").
    detail = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "run", "key"], name="onboardingstep_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run}: {self.key}"
