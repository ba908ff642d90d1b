"""The console form for the tenant's deal-registration rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Tier

from ..models import DealRules
from ..services.rules_admin import EDITABLE, OPTIONAL_FIELDS
from .registration import DealRegistrationForm

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class DealRulesForm(forms.ModelForm):
    required_fields = forms.MultipleChoiceField(
        label=_("Also required"), required=False, widget=forms.CheckboxSelectMultiple
    )
    auto_approve_tiers = forms.TypedMultipleChoiceField(
        label=_("Auto-approve for tiers (none = any tier)"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    business_weekdays = forms.TypedMultipleChoiceField(
        label=_("Working days (none = Monday to Friday)"),
        required=False,
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = DealRules
        fields = list(EDITABLE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = DealRegistrationForm.base_fields
        self.fields["required_fields"].choices = [
            (name, labels[name].label if name in labels else name) for name in OPTIONAL_FIELDS
        ]
        self.fields["auto_approve_tiers"].choices = [
            (tier.pk, tier.name) for tier in Tier.objects.order_by("rank")
        ]

    def _post_clean(self):
        # The service validates and saves; the form only shapes the input.
        pass
