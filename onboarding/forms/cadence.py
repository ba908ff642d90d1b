"""The cadence step form (console): one form for create and edit."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import CadenceStep


class CadenceStepForm(forms.ModelForm):
    class Meta:
        model = CadenceStep
        fields = ["day_offset", "subject", "body", "condition", "sender", "audience", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        # The placeholders are listed under the form, as code (the model's help text is for
        # the admin and the API schema).
        help_texts = {"body": _("Markdown, with the placeholders listed below.")}
