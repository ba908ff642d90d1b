"""The board report's request form (the filters come from the dashboard's query string)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BoardReport


class BoardReportForm(forms.ModelForm):
    class Meta:
        model = BoardReport
        fields = ("title", "summary", "outlook", "email_me")
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "outlook": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "summary": _("What the board should take away; it opens the report."),
            "outlook": _("Plans and decisions you ask for; the report's last page."),
        }
