"""Forms of the application routing page: a rule, and the fallback for applications no rule
matches."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from ..models import ApplicationRoutingRule, PartnerType, Region, RoutingFallback
from ..services.routing import RULE_REFUSED, channel_managers


class ManagerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.email


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    position = forms.IntegerField(
        label=_("Order"),
        min_value=1,
        max_value=999,
        initial=1,
        help_text=_("Rules are tried from the lowest number; the first that matches wins."),
        error_messages={
            "max_value": _("Enter an order of at most 999."),
            "min_value": _("Enter an order of at least 1."),
        },
    )
    countries = forms.MultipleChoiceField(
        label=_("HQ countries"),
        required=False,
        choices=list(countries),
        widget=forms.SelectMultiple({"size": 6}),
        help_text=_("The applicant's HQ country is one of these, or it serves one of the regions."),
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions served"),
        required=False,
        choices=Region.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    partner_types = forms.MultipleChoiceField(
        label=_("Partner types"),
        required=False,
        choices=PartnerType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for any type."),
    )
    channel_manager = ManagerChoiceField(
        label=_("Channel manager"),
        queryset=None,  # the current tenant's managers, set per form
        error_messages={"invalid_choice": RULE_REFUSED},
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, rule: ApplicationRoutingRule | None = None, **kwargs):
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": rule.name,
                "position": rule.position,
                "countries": rule.countries,
                "regions": rule.regions,
                "partner_types": rule.partner_types,
                "channel_manager": rule.channel_manager_id,
                "is_active": rule.is_active,
            }
        super().__init__(*args, **kwargs)
        self.fields["channel_manager"].queryset = channel_managers()


class RoutingFallbackForm(forms.Form):
    application_fallback = forms.ChoiceField(
        label=_("Applications no rule matches"),
        choices=RoutingFallback.choices,
        widget=forms.RadioSelect,
    )
