"""The tenant's public registration rules and its approval routing."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from partners.models import Region
from tenancy.scoping import TenantOwnedModel


class DealRules(TenantOwnedModel):
    """One row per tenant (defaults until the program team saves the form). Public: partners see
    them beside the registration form and they are linked from the rules of engagement."""

    # Beyond customer name, value, currency and close date, which are always required.
    required_fields = models.JSONField(
        _("also required"), default=list, blank=True
    )  # e.g. ["customer_domain", "contact_email", "products", "region"]
    min_value = models.DecimalField(
        _("minimum deal value"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    min_value_currency = models.CharField(_("currency of the minimum"), max_length=3, default="USD")
    # The expected close date lies between today and this many months ahead.
    close_date_max_months = models.PositiveSmallIntegerField(
        _("expected close date at most (months ahead)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    # Overrides of the default country → region map (dealreg.regions), e.g. {"PK": "EMEA"}.
    country_regions = models.JSONField(
        _("regions of countries (exceptions)"), default=dict, blank=True
    )
    lifetime_days = models.PositiveSmallIntegerField(_("registration lifetime (days)"), default=90)
    max_extensions = models.PositiveSmallIntegerField(_("extensions allowed"), default=1)
    extension_days = models.PositiveSmallIntegerField(_("days per extension"), default=30)
    expiry_warning_days = models.PositiveSmallIntegerField(
        _("warn the partner this many days before expiry"), default=7
    )
    # Auto-approve: only when enabled and every condition holds.
    auto_approve = models.BooleanField(_("auto-approve"), default=False)
    auto_approve_max_value = models.DecimalField(
        _("auto-approve up to (value)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    auto_approve_tiers = models.JSONField(
        _("auto-approve for tiers"), default=list, blank=True
    )  # Tier ids; empty = any tier
    # Approval SLA, counted in business hours of the tenant's working calendar.
    sla_hours = models.PositiveSmallIntegerField(_("approval SLA (business hours)"), default=48)
    sla_reminder_hours = models.PositiveSmallIntegerField(
        _("remind the approver this many business hours before the SLA"), default=8
    )
    business_timezone = models.CharField(_("business timezone"), max_length=64, default="UTC")
    business_day_start = models.PositiveSmallIntegerField(_("working day starts (hour)"), default=9)
    business_day_end = models.PositiveSmallIntegerField(_("working day ends (hour)"), default=17)
    business_weekdays = models.JSONField(
        _("working days"), default=list, blank=True
    )  # 0 = Monday; empty = Monday–Friday
    holiday_country = models.CharField(
        _("public holidays of"), max_length=2, blank=True, help_text=_("e.g. US, DE; empty = none")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="dealrules_once")]

    def __str__(self) -> str:
        return f"Deal registration rules of {self.tenant_id}"

    def region_of(self, country: str) -> str:
        """The region a customer in `country` (ISO code) belongs to; "" when unknown."""
        from ..regions import DEFAULT_COUNTRY_REGIONS

        country = str(country or "").upper()
        return (self.country_regions or {}).get(country) or DEFAULT_COUNTRY_REGIONS.get(country, "")

    def latest_close_date(self, today: date | None = None) -> date:
        """The last expected close date a registration may give (today + the rules' months)."""
        today = today or timezone.localdate()
        month = today.month - 1 + self.close_date_max_months
        year, month = today.year + month // 12, month % 12 + 1
        return today.replace(year=year, month=month, day=min(today.day, monthrange(year, month)[1]))

    def required_field_labels(self) -> list[str]:
        """The also-required fields as people read them ("Customer domain", not customer_domain)."""
        from .registrations import DealRegistration

        labels = []
        for name in self.required_fields or []:
            try:
                labels.append(capfirst(DealRegistration._meta.get_field(name).verbose_name))
            except FieldDoesNotExist:
                continue
        return labels


class RoutingRule(TenantOwnedModel):
    """First matching rule (by position) decides who approves a registration: a channel manager,
    or the program queue when `approver` is empty. No match: the partner's channel manager, else
    the queue."""

    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=120)
    region = models.CharField(_("region"), max_length=8, choices=Region.choices, blank=True)
    countries = models.JSONField(_("countries / territory"), default=list, blank=True)
    min_value = models.DecimalField(
        _("from value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("up to value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver (empty = program queue)"),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"], name="routingrule_position")]

    def __str__(self) -> str:
        return self.name

    @property
    def country_names(self) -> list[str]:
        """The rule's countries as people read them ("Germany", not DE)."""
        from django_countries import countries

        return [countries.name(code) or code for code in self.countries or []]
