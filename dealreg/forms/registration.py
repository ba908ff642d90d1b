"""The portal's deal registration form (the service validates again and normalises)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Region
from tenancy.common.currencies import currency_normalize
from tenancy.common.forms import BLANK, CommaListField, country_choices


class DealRegistrationForm(forms.Form):
    customer_name = forms.CharField(label=_("Customer account"), max_length=200)
    customer_domain = forms.CharField(
        label=_("Customer domain or website"),
        max_length=253,
        required=False,
        help_text=_("e.g. example.com"),
    )
    customer_country = forms.ChoiceField(
        label=_("Customer country"),
        required=False,
        choices=country_choices,
        error_messages={"invalid_choice": _("Choose a country from the list.")},
    )
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        choices=BLANK + Region.choices,
        error_messages={"invalid_choice": _("Choose a region from the list.")},
        help_text=_("Follows from the country: leave it empty to fill it in."),
    )
    contact_name = forms.CharField(label=_("Customer contact"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    products = CommaListField(label=_("Products"))
    estimated_value = forms.DecimalField(
        label=_("Estimated value"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "min_value": _("The estimated value must be more than zero."),
            "max_digits": _("Enter an amount below 1,000,000,000,000."),
            "max_whole_digits": _("Enter an amount below 1,000,000,000,000."),
            "max_decimal_places": _("Enter the amount with at most two decimals (cents)."),
        },
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="USD",
        help_text=_("ISO 4217 code, e.g. USD, EUR, GBP."),
        widget=forms.TextInput(attrs={"list": "currency-codes", "autocomplete": "off"}),
        error_messages={"max_length": _("Enter an ISO 4217 currency code such as USD.")},
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    partner_notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_expected_close_date(self):
        close = self.cleaned_data["expected_close_date"]
        if close < timezone.localdate():
            raise forms.ValidationError(_("The expected close date cannot be in the past."))
        return close

    def clean_currency(self):
        return currency_normalize(self.cleaned_data["currency"])

    def __init__(self, *args, rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        close = self.fields["expected_close_date"]
        close.widget.attrs["min"] = timezone.localdate().isoformat()
        if rules is not None:  # the service checks the rules' window again; this guides the picker
            close.widget.attrs["max"] = rules.latest_close_date().isoformat()
