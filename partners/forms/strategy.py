"""strategy: forms."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import GtmPlay, SwotItem, SwotQuadrant
from ..selectors.strategy import play_owner_choices
from ..services.strategy import TierInput
from .limits import (
    MONEY_MAX,
    MONEY_MESSAGE,
    PARTNERS_MAX,
    PARTNERS_MESSAGE,
    PERCENT_MESSAGE,
    limit,
)

PLAY_TEXT_ROWS = 3
ECONOMICS_FIELDS = ("margin_pct", "mdf_pct", "management_cost_per_partner", "currency")


class GtmPlayForm(forms.Form):
    name = GtmPlay._meta.get_field("name").formfield()
    motion = GtmPlay._meta.get_field("motion").formfield()
    target_segments = forms.CharField(
        label=_("Target segments"),
        widget=forms.Textarea(attrs={"rows": PLAY_TEXT_ROWS}),
        help_text=_("Who this play is for, e.g. mid-market healthcare in DACH."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("— nobody yet —")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = play_owner_choices()

    @classmethod
    def for_play(cls, play: GtmPlay, data=None) -> GtmPlayForm:
        initial = {name: getattr(play, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class SwotItemForm(forms.Form):
    quadrant = SwotItem._meta.get_field("quadrant").formfield(widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Item"),
        max_length=SwotItem._meta.get_field("text").max_length,
        widget=forms.TextInput(attrs={"placeholder": _("Add an item…")}),
    )

    @property
    def quadrant_code(self) -> str:
        """The posted quadrant when valid: where the board shows this form's errors."""
        value = self.data.get("quadrant", "")
        return value if value in SwotQuadrant.values else ""


class FinancialModelForm(forms.Form):
    """The calculator: partners and average revenue per tier, then program-wide economics.

    Tier rows are named after the tenant's tiers (up to three), given as `tier_names`.
    """

    period = forms.CharField(
        label=_("Period"), max_length=40, help_text=_("e.g. FY2027 or 2027-H1"), required=False
    )
    currency = forms.RegexField(
        label=_("Currency"),
        regex=r"^[A-Za-z]{3}$",
        max_length=3,
        error_messages={"invalid": _("Use a three-letter currency code such as USD.")},
    )
    margin_pct = limit(
        forms.DecimalField(
            label=_("Partner margin %"),
            max_digits=5,
            decimal_places=2,
            help_text=_("Average discount or commission partners keep, across the program."),
        ),
        Decimal("0"),
        Decimal("100"),
        PERCENT_MESSAGE,
    )
    mdf_pct = limit(
        forms.DecimalField(label=_("MDF % of partner revenue"), max_digits=5, decimal_places=2),
        Decimal("0"),
        Decimal("100"),
        PERCENT_MESSAGE,
    )
    management_cost_per_partner = limit(
        forms.DecimalField(
            label=_("Management cost per partner per year"),
            max_digits=14,
            decimal_places=2,
            help_text=_("Channel managers, enablement, tooling: divided across partners."),
        ),
        Decimal("0"),
        MONEY_MAX,
        MONEY_MESSAGE,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    overwrite = forms.BooleanField(
        label=_("Overwrite the saved baseline of this period"), required=False
    )

    def __init__(self, *args, tier_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_names = tier_names
        tier_fields = {}
        for index, name in enumerate(tier_names):
            tier_fields[f"tier_{index}_partners"] = limit(
                forms.IntegerField(
                    label=_("%(tier)s: number of partners") % {"tier": name}, initial=0
                ),
                0,
                PARTNERS_MAX,
                PARTNERS_MESSAGE,
            )
            tier_fields[f"tier_{index}_avg_revenue"] = limit(
                forms.DecimalField(
                    label=_("%(tier)s: average revenue per partner") % {"tier": name},
                    max_digits=14,
                    decimal_places=2,
                    initial=Decimal("0"),
                ),
                Decimal("0"),
                MONEY_MAX,
                MONEY_MESSAGE,
            )
        for field in tier_fields.values():
            # The page shows tiers as a grid without <label>s: name each input for screen readers.
            field.widget.attrs["aria-label"] = str(field.label)
        # Tier rows first, in the order the page shows them.
        self.fields = {**tier_fields, **self.fields}

    def economics_fields(self):
        return [self[name] for name in ECONOMICS_FIELDS]

    def baseline_fields(self):
        return [self[name] for name in ("period", "notes")]

    def tier_rows(self):
        """(name, partners bound field, average revenue bound field) per tier, for the template."""
        return [
            (name, self[f"tier_{i}_partners"], self[f"tier_{i}_avg_revenue"])
            for i, name in enumerate(self.tier_names)
        ]

    def compute_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "tiers": [
                TierInput(
                    name=name,
                    partners=data[f"tier_{i}_partners"],
                    avg_revenue=data[f"tier_{i}_avg_revenue"],
                )
                for i, name in enumerate(self.tier_names)
            ],
            "margin_pct": data["margin_pct"],
            "mdf_pct": data["mdf_pct"],
            "management_cost_per_partner": data["management_cost_per_partner"],
        }

    def save_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            **self.compute_arguments(),
            "period": data["period"],
            "currency": data["currency"],
            "notes": data["notes"],
            "overwrite": data["overwrite"],
        }

    @classmethod
    def initial_from_model(cls, model, tier_names: list[str]) -> dict:
        """Load a saved baseline back into the calculator (matching tiers by position)."""
        inputs = model.inputs or {}
        initial = {
            "period": model.period,
            "currency": model.currency,
            "margin_pct": inputs.get("margin_pct"),
            "mdf_pct": inputs.get("mdf_pct"),
            "management_cost_per_partner": inputs.get("management_cost_per_partner"),
            "notes": model.notes,
        }
        for index, tier in enumerate(inputs.get("tiers", [])[: len(tier_names)]):
            initial[f"tier_{index}_partners"] = tier.get("partners")
            initial[f"tier_{index}_avg_revenue"] = tier.get("avg_revenue")
        return initial
