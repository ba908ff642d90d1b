"""Exchange-rate form: both fields checked by the service (partners/services/currency.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(
        label=_("Currency"),
        max_length=10,  # the service says what a currency code is, with the rate's error too
        widget=forms.TextInput(attrs={"placeholder": "EUR", "autocapitalize": "characters"}),
    )
    rate = forms.CharField(
        label=_("1 unit is worth (program currency)"),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "1.08"}),
    )
