"""Onboarding progress: milestones per partner (the checklist and the funnel read them), benefit
gates, tenant settings, the portal tour per user and the setup wizard per partner."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class MilestoneKey(models.TextChoices):
    # In checklist / funnel order.
    AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")
    TEAM_INVITED = "team_invited", _("Team invited")
    FIRST_LOGIN = "first_login", _("First portal login")
    PROFILE_COMPLETE = "profile_complete", _("Profile complete")
    TRAINING_101 = "training_101", _("101 course completed")
    FIRST_ASSET = "first_asset", _("First asset downloaded")
    FIRST_DEAL = "first_deal", _("First deal registered")


class Milestone(TenantOwnedModel):
    """When a partner first reached a checklist step. Kept at its earliest time, never moved."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="milestones"
    )
    key = models.CharField(max_length=20, choices=MilestoneKey.choices)
    reached_at = models.DateTimeField()

    class Meta:
        ordering = ["reached_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner", "key"], name="milestone_once"),
        ]
        indexes = [models.Index(fields=["tenant", "key"], name="milestone_key")]

    def __str__(self) -> str:
        return f"{self.partner}: {self.key}"


class PortalLogin(TenantOwnedModel):
    """A partner user's login to the portal: the event behind "first portal login" (the
    partner's earliest one)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    logged_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-logged_in_at"]
        indexes = [
            models.Index(fields=["tenant", "partner", "logged_in_at"], name="portallogin_partner")
        ]

    def __str__(self) -> str:
        return f"Login of {self.user_id} at {self.logged_in_at}"


class Benefit(models.TextChoices):
    DEAL_REGISTRATION = "deal_registration", _("Deal registration")
    MDF = "mdf", _("MDF requests")


class BenefitGate(TenantOwnedModel):
    """Which milestones a benefit needs. No row for a benefit = the default (the 101 course)."""

    benefit = models.CharField(max_length=24, choices=Benefit.choices)
    requirements = models.JSONField(default=list, blank=True)  # MilestoneKey values

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "benefit"], name="benefitgate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.benefit} needs {', '.join(self.requirements) or 'nothing'}"


class GateScope(models.TextChoices):
    ORGANIZATION = "organization", _("Someone at the partner has done it")
    USER = "user", _("Each user has done it themselves (training)")


class OnboardingSettings(TenantOwnedModel):
    """One row per tenant (created on first save of the settings form)."""

    training_gate_scope = models.CharField(
        _("the 101 requirement counts"),
        max_length=12,
        choices=GateScope.choices,
        default=GateScope.ORGANIZATION,
    )
    activate_on_signature = models.BooleanField(
        _("make the partner active when onboarding completes"), default=True
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="onboardingsettings_once")]

    def __str__(self) -> str:
        return f"Onboarding settings of {self.tenant_id}"


class TourState(TenantOwnedModel):
    """A portal user's first-login tour: shown until finished or dismissed, replayable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="tourstate_once")]

    def __str__(self) -> str:
        return f"Tour seen by {self.user_id}"


class SetupWizardProgress(TenantOwnedModel):
    """Where a partner is in the setup wizard (each step saves straight into the profile)."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    completed_steps = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "partner"], name="setupwizard_once"),
        ]

    def __str__(self) -> str:
        return f"Setup wizard of {self.partner_id}"
