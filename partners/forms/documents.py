"""Versioned documents: the draft form both documents use (title and Markdown body; each document
adds its own fields). See partners.services.documents."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MARKDOWN_HELP = _(
    "Markdown: # headings, **bold**, *italic*, lists, links, > quotes and tables. "
    "Other HTML is removed when shown."
)
# The id of the preview pane in templates/documents/console_detail.html.
PREVIEW_TARGET = "document-preview"


class DocumentDraftForm(forms.Form):
    """Subclasses set `preview_url_name` (the htmx preview view), `body_label` and add fields."""

    preview_url_name = ""
    body_label = _("Text (Markdown)")

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        help_text=MARKDOWN_HELP,
    )

    def __init__(self, *args, live_preview: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = self.body_label
        if live_preview:
            # htmx: typing re-renders the preview pane with the enclosing form's values, through
            # the same sanitiser partners get.
            self.fields["body"].widget.attrs.update(
                {
                    "hx-post": reverse(self.preview_url_name),
                    "hx-trigger": "input changed delay:500ms",
                    "hx-target": f"#{PREVIEW_TARGET}",
                }
            )

    @classmethod
    def for_document(cls, document, data=None) -> DocumentDraftForm:
        """The edit form of a draft, filled with its current values."""
        initial = {name: getattr(document, name) for name in cls.base_fields}
        return cls(data, initial=initial, live_preview=True)
