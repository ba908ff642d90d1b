"""Tiers: forms. They parse and show input; the services decide (tier_save, revenue_record_create,
...). Model forms are always bound to a fresh instance so a rejected edit never mutates the row
the page shows."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import ProgramSettings, RevenueRecord, Tier
from ..services.tiers import CURRENCY_RE, MAX_TIERS, SETTINGS_FIELDS, TIER_FIELDS
from .limits import (
    CERTIFIED_PEOPLE_MAX,
    CERTIFIED_PEOPLE_MESSAGE,
    GRACE_DAYS_MAX,
    GRACE_DAYS_MESSAGE,
    MONEY_MAX,
    MONEY_MESSAGE,
    PERCENT_MESSAGE,
    RANK_MESSAGE,
    REVENUE_MESSAGE,
    WINDOW_MONTHS_MESSAGE,
    limit,
)


class TierForm(forms.ModelForm):
    required_certifications = forms.CharField(
        label=_("Required certifications"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line (or comma-separated). Counted once the enablement area tracks them."
        ),
    )

    class Meta:
        model = Tier
        fields = list(TIER_FIELDS)
        widgets = {
            "color": forms.TextInput(attrs={"type": "color", "class": "form-control-color"}),
            "perks": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, tier: Tier | None = None, **kwargs):
        if tier is not None and "initial" not in kwargs:
            initial = model_to_dict(tier, fields=TIER_FIELDS)
            initial["required_certifications"] = "\n".join(tier.required_certifications or [])
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        limit(self.fields["rank"], 1, MAX_TIERS, RANK_MESSAGE)
        limit(self.fields["min_trailing_revenue"], Decimal("0"), MONEY_MAX, MONEY_MESSAGE)
        limit(
            self.fields["min_certified_people"], 0, CERTIFIED_PEOPLE_MAX, CERTIFIED_PEOPLE_MESSAGE
        )
        for name in ("discount_margin_pct", "mdf_share_pct"):
            limit(self.fields[name], Decimal("0"), Decimal("100"), PERCENT_MESSAGE)

    def clean_required_certifications(self) -> list[str]:
        raw = self.cleaned_data.get("required_certifications") or ""
        names = [n.strip() for n in raw.replace("\n", ",").split(",")]
        return [n for n in dict.fromkeys(names) if n]


class ProgramSettingsForm(forms.ModelForm):
    class Meta:
        model = ProgramSettings
        fields = list(SETTINGS_FIELDS)

    def __init__(self, *args, settings: ProgramSettings | None = None, **kwargs):
        if settings is not None and "initial" not in kwargs:
            kwargs["initial"] = model_to_dict(settings, fields=SETTINGS_FIELDS)
        super().__init__(*args, **kwargs)
        limit(self.fields["tier_grace_period_days"], 0, GRACE_DAYS_MAX, GRACE_DAYS_MESSAGE)
        limit(self.fields["revenue_window_months"], 1, 36, WINDOW_MONTHS_MESSAGE)

    def clean_currency(self) -> str:
        currency = (self.cleaned_data.get("currency") or "").strip().upper()
        if not CURRENCY_RE.match(currency):  # said here too, beside the other fields' errors
            raise forms.ValidationError(_("Use a three-letter ISO 4217 code, e.g. USD."))
        return currency


class TierProposalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.TextInput()
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data.get("decision") == "approve"


class TierSetForm(forms.Form):
    tier = forms.ModelChoiceField(label=_("Tier"), queryset=Tier.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, tiers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tiers is not None:
            self.fields["tier"].queryset = tiers


class RevenueRecordForm(forms.ModelForm):
    class Meta:
        model = RevenueRecord
        fields = ["kind", "customer", "product", "amount", "currency", "booked_on", "external_ref"]
        widgets = {"booked_on": forms.DateInput(attrs={"type": "date"})}
        labels = {"external_ref": _("External reference")}

    def __init__(self, *args, currency: str = "", **kwargs):
        kwargs.setdefault("initial", {"currency": currency, "booked_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        limit(self.fields["amount"], Decimal("0.01"), MONEY_MAX, REVENUE_MESSAGE)

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").strip().upper()
