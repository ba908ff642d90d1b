"""The cadence step form (console): one form for create and edit."""

from __future__ import annotations

from django import forms

from ..models import CadenceStep


class CadenceStepForm(forms.ModelForm):
    class Meta:
        model = CadenceStep
        fields = ["day_offset", "subject", "body", "condition", "sender", "audience", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
