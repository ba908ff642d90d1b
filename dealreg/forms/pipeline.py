"""Pipeline forms: a manager's stage / next step / notes, and won / lost."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import DealStatus, SalesStage


class PipelineForm(forms.Form):
    sales_stage = forms.ChoiceField(label=_("Stage"), choices=SalesStage.choices)
    next_step = forms.CharField(label=_("Next step"), max_length=300, required=False)
    manager_notes = forms.CharField(
        label=_("Manager notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    # No outcome chosen for the partner: won or lost is theirs to pick, never a default.
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose…")), (DealStatus.WON, _("Won")), (DealStatus.LOST, _("Lost"))],
        error_messages={"required": _("Choose whether the customer bought (won) or not (lost).")},
    )
    value = forms.DecimalField(
        label=_("Final value"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Won deals: empty = the estimated value."),
        error_messages={
            "min_value": _("Enter the final deal value (more than zero)."),
            "max_digits": _("Enter an amount below 1,000,000,000,000."),
            "max_whole_digits": _("Enter an amount below 1,000,000,000,000."),
            "max_decimal_places": _("Enter the amount with at most two decimals (cents)."),
        },
    )
    reason = forms.CharField(
        label=_("Reason / note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for lost deals."),
    )
