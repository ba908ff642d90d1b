"""The console form for the tenant's deal-registration rules."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from partners.models import Region, Tier

from ..models import DealRules
from ..services.rules_admin import (
    AMOUNTS,
    EDITABLE,
    LIMITS,
    OPTIONAL_FIELDS,
    amount_message,
    limit_message,
)
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

    country_regions = forms.CharField(
        label=_("Regions of countries (exceptions)"),
        required=False,
        help_text=_(
            "Where the program's map of countries to regions does not fit, e.g. "
            "“PK: EMEA, MX: NA”. A customer's region follows from its country."
        ),
    )

    class Meta:
        model = DealRules
        fields = list(EDITABLE)

    def clean_country_regions(self):
        text = self.cleaned_data["country_regions"] or ""
        pairs: dict[str, str] = {}
        for item in text.split(","):
            if not item.strip():
                continue
            country, _sep, region = (part.strip().upper() for part in item.partition(":"))
            if country not in countries or region not in Region.values:
                raise forms.ValidationError(
                    _("“%(item)s”: give a country code and one of %(regions)s, e.g. PK: EMEA.")
                    % {"item": item.strip(), "regions": ", ".join(Region.values)}
                )
            pairs[country] = region
        return pairs

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = DealRegistrationForm.base_fields
        self.fields["required_fields"].choices = [
            (name, labels[name].label if name in labels else name) for name in OPTIONAL_FIELDS
        ]
        regions = (self.instance.country_regions or {}) if self.instance else {}
        self.initial["country_regions"] = ", ".join(f"{c}: {r}" for c, r in regions.items())
        # Limits in business terms, the same the service checks (LIMITS, AMOUNTS).
        for name, (low, high, _unit) in LIMITS.items():
            field = self.fields[name]
            field.min_value, field.max_value = low, high
            field.validators = [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update(min=low, max=high)
            message = limit_message(name)
            field.error_messages.update(min_value=message, max_value=message, invalid=message)
        for name in AMOUNTS:
            field = self.fields[name]
            field.validators.append(MinValueValidator(0))
            field.widget.attrs.update(min=0)
            message = amount_message()
            field.error_messages.update(
                dict.fromkeys(("min_value", "max_digits", "max_whole_digits", "invalid"), message)
            )
            field.error_messages["max_decimal_places"] = message
        self.fields["auto_approve_tiers"].choices = [
            (tier.pk, tier.name) for tier in Tier.objects.order_by("rank")
        ]

    def _post_clean(self):
        # The service validates and saves; the form only shapes the input.
        pass
