"""The 30-day cadence: tenant-editable steps (day offset, subject, body with placeholders, a skip
condition, the sender) and unsubscribes."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class CadenceCondition(models.TextChoices):
    # "Send unless ...": the mail is skipped when its condition is already met.
    ALWAYS = "", _("Always send")
    TRAINING_101_DONE = "training_101", _("Skip once the 101 course is completed")
    PROFILE_COMPLETE = "profile_complete", _("Skip once the profile is complete")
    FIRST_DEAL = "first_deal", _("Skip once a first deal is registered")
    FIRST_ASSET = "first_asset", _("Skip once a first asset is downloaded")


class CadenceSender(models.TextChoices):
    PROGRAM = "program", _("The partner program")
    CHANNEL_MANAGER = "manager", _("The partner's channel manager")


class CadenceAudience(models.TextChoices):
    ADMINS = "admins", _("Partner admins")
    ALL_USERS = "all", _("Every portal user of the partner")


class CadenceStep(TenantOwnedModel):
    day_offset = models.PositiveSmallIntegerField(
        _("day"), help_text=_("Days after the agreement was signed (0 = the signing day).")
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body (Markdown)"),
        help_text=_(
            "Placeholders: {{ partner_name }}, {{ first_name }}, {{ manager_name }}, "
            "{{ manager_email }}, {{ program_name }}, {{ portal_url }}, {{ course_101_url }}."
        ),
    )
    condition = models.CharField(
        _("skip when"), max_length=20, choices=CadenceCondition.choices, blank=True
    )
    sender = models.CharField(
        _("from"), max_length=8, choices=CadenceSender.choices, default=CadenceSender.PROGRAM
    )
    audience = models.CharField(
        _("to"), max_length=8, choices=CadenceAudience.choices, default=CadenceAudience.ADMINS
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day_offset", "id"]
        indexes = [models.Index(fields=["tenant", "day_offset"], name="cadencestep_day")]

    def __str__(self) -> str:
        # Placeholders by their names ("the [Program name]"): this label is shown to people,
        # e.g. in the audit log.
        from ..services.cadence import merge_fields_text

        return f"Day {self.day_offset}: {merge_fields_text(self.subject)}"


class EmailUnsubscribe(TenantOwnedModel):
    """An address that asked for no more onboarding cadence mail from this tenant."""

    email = models.EmailField()
    unsubscribed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], name="emailunsubscribe_once"),
        ]

    def __str__(self) -> str:
        return self.email
