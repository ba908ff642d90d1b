"""roe: forms."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import RulesOfEngagement


class RulesDraftForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=RulesOfEngagement._meta.get_field("title").max_length,
    )
    body = forms.CharField(
        label=_("Rules (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        help_text=_(
            "Markdown: # headings, **bold**, *italic*, lists, links, > quotes and tables. "
            "Other HTML is removed when shown."
        ),
    )
    change_summary = forms.CharField(
        label=_("What changed"),
        max_length=RulesOfEngagement._meta.get_field("change_summary").max_length,
        required=False,
        help_text=_("One line shown to partners with the new version."),
    )

    def __init__(self, *args, live_preview: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if live_preview:
            # htmx: typing re-renders the preview pane (#roe-preview) with the enclosing form's
            # values, through the same sanitiser partners get.
            self.fields["body"].widget.attrs.update(
                {
                    "hx-post": reverse("console_roe_preview"),
                    "hx-trigger": "input changed delay:500ms",
                    "hx-target": "#roe-preview",
                }
            )

    @classmethod
    def for_rules(cls, rules: RulesOfEngagement, data=None) -> RulesDraftForm:
        initial = {"title": rules.title, "body": rules.body, "change_summary": rules.change_summary}
        return cls(data, initial=initial, live_preview=True)
