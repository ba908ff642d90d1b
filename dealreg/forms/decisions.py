"""The approver's decision form (the reason; required to reject, the service says so)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the partner reads it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
