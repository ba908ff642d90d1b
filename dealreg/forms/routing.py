"""The console's routing-rule form (the service validates again: approver role, value range)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Region
from tenancy.common.forms import BLANK, CommaListField

from ..selectors.routing import approver_candidates
from ..services.rules import amount_message


class ApproverChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        choices=BLANK + Region.choices,
        help_text=_("Empty = any"),
    )
    countries = CommaListField(
        label=_("Countries / territory"),
        help_text=_("Two-letter codes separated by commas, e.g. US, CA. Empty = any."),
    )
    min_value = forms.DecimalField(
        label=_("From value"), required=False, max_digits=14, decimal_places=2, min_value=0
    )
    max_value = forms.DecimalField(
        label=_("Up to value"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=_(
            "Both bounds are in the program currency; other currencies are converted with the "
            "program's exchange rates (without a rate, bounded rules do not match)."
        ),
    )
    approver = ApproverChoiceField(
        label=_("Approver"),
        queryset=None,
        required=False,
        empty_label=_("Program queue"),
        help_text=_("A channel manager or program admin; empty = the program queue."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = approver_candidates()
        message = amount_message()
        for name in ("min_value", "max_value"):
            self.fields[name].error_messages.update(
                dict.fromkeys(
                    (
                        "min_value",
                        "max_digits",
                        "max_whole_digits",
                        "max_decimal_places",
                        "invalid",
                    ),
                    message,
                )
            )

    @classmethod
    def initial_for(cls, rule) -> dict:
        return {
            "name": rule.name,
            "region": rule.region,
            "countries": rule.countries,
            "min_value": rule.min_value,
            "max_value": rule.max_value,
            "approver": rule.approver_id,
            "is_active": rule.is_active,
        }
