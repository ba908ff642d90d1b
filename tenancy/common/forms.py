"""Form fields and choices more than one app's forms use."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

BLANK = [("", "—")]


def country_choices():
    return BLANK + list(countries)


class CommaListField(forms.CharField):
    """A list of short strings typed as “Kubernetes, Terraform, AWS”."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("help_text", _("Separate with commas."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def clean(self, value):
        text = super().clean(value)
        items: dict[str, str] = {}
        for item in (text or "").split(","):
            if item := " ".join(item.split())[:80]:
                items.setdefault(item.casefold(), item)
        return list(items.values())
