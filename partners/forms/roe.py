"""roe: forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import RulesOfEngagement
from .documents import DocumentDraftForm


class RulesDraftForm(DocumentDraftForm):
    preview_url_name = "console_roe_preview"
    body_label = _("Rules (Markdown)")

    change_summary = forms.CharField(
        label=_("What changed"),
        max_length=RulesOfEngagement._meta.get_field("change_summary").max_length,
        required=False,
        help_text=_("One line shown to partners with the new version."),
    )
