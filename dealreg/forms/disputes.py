"""Dispute forms: raise, comment, decide (the services validate again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import DisputeOutcome


class DisputeRaiseForm(forms.Form):
    reason = forms.CharField(
        label=_("What is in dispute"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DisputeCommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DisputeDecideForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DisputeOutcome.choices)
    note = forms.CharField(
        label=_("Decision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
