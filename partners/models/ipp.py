"""The Ideal Partner Profile: weighted criteria a tenant defines, used to score partners 0–100."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class CriterionGroup(models.TextChoices):
    FIRMOGRAPHIC = "firmographic", _("Firmographic")
    TECHNICAL = "technical", _("Technical")
    CULTURAL = "cultural", _("Cultural")


class CriterionField(models.TextChoices):
    """Profile fields a criterion can test (PartnerOrganization attributes)."""

    REGIONS = "regions", _("Regions served")
    HQ_COUNTRY = "hq_country", _("HQ country")
    INDUSTRIES = "industries", _("Industries")
    EMPLOYEE_BAND = "employee_band", _("Employees")
    REVENUE_BAND = "revenue_band", _("Annual revenue")
    PARTNER_TYPES = "partner_types", _("Partner types")
    SKILLS = "skills", _("Skills")
    SALES_MOTION = "sales_motion", _("Sales motion")
    CO_MARKETING = "co_marketing", _("Willing to co-market")
    PLANNED_CERTIFIED_STAFF = "planned_certified_staff", _("Staff they plan to certify")


class Operator(models.TextChoices):
    ANY_OF = "any_of", _("is / includes any of")
    ALL_OF = "all_of", _("includes all of")
    NONE_OF = "none_of", _("includes none of")
    GTE = "gte", _("is at least")
    LTE = "lte", _("is at most")
    IS_TRUE = "is_true", _("is yes")


class IdealPartnerProfile(TenantOwnedModel):
    """One per tenant. `version` increases on every change so scores can say what they used."""

    name = models.CharField(max_length=120, default="Ideal Partner Profile")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ipp_one_per_tenant")]

    def __str__(self) -> str:
        return self.name


class IppCriterion(TenantOwnedModel):
    profile = models.ForeignKey(
        IdealPartnerProfile, on_delete=models.CASCADE, related_name="criteria"
    )
    group = models.CharField(_("group"), max_length=16, choices=CriterionGroup.choices)
    label = models.CharField(_("label"), max_length=160)
    field = models.CharField(_("profile field"), max_length=32, choices=CriterionField.choices)
    operator = models.CharField(_("rule"), max_length=16, choices=Operator.choices)
    # A list of choices for any_of/all_of/none_of, a number for gte/lte, ignored for is_true.
    value = models.JSONField(_("value"), default=list, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=10)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["group", "position", "id"]
        indexes = [models.Index(fields=["tenant", "profile"], name="ippcriterion_profile")]

    def __str__(self) -> str:
        return self.label
