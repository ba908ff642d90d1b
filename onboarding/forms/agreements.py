"""Partner agreements: draft form (console), sign form (portal), offline signature (console).

Forms only check shapes; the services decide (ticked box, current version, partner state, PDF).
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerType

from ..models import AgreementSignature, AgreementTemplate


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class AgreementDraftForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=_max_length(AgreementTemplate, "title"))
    partner_type = forms.ChoiceField(
        label=_("Partner type"),
        choices=[("", _("All partner types"))] + list(PartnerType.choices),
        required=False,
        help_text=_(
            "Partners sign the latest version for their primary type, or the all-types version "
            "when their type has none."
        ),
    )
    body = forms.CharField(
        label=_("Agreement text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}),
        help_text=_(
            "Markdown: # headings, **bold**, *italic*, lists, links, > quotes and tables. "
            "Other HTML is removed when shown."
        ),
    )
    summary_of_changes = forms.CharField(
        label=_("Summary of changes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, live_preview: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if live_preview:
            # htmx: typing re-renders the preview pane (#agreement-preview) through the same
            # sanitiser partners get.
            self.fields["body"].widget.attrs.update(
                {
                    "hx-post": reverse("console_agreement_preview"),
                    "hx-trigger": "input changed delay:500ms",
                    "hx-target": "#agreement-preview",
                }
            )

    @classmethod
    def for_template(cls, template: AgreementTemplate, data=None) -> AgreementDraftForm:
        initial = {
            "title": template.title,
            "partner_type": template.partner_type,
            "body": template.body,
            "summary_of_changes": template.summary_of_changes,
        }
        return cls(data, initial=initial, live_preview=True)


class AgreementSignForm(forms.Form):
    signer_name = forms.CharField(
        label=_("Your full name"), max_length=_max_length(AgreementSignature, "signer_name")
    )
    signer_title = forms.CharField(
        label=_("Your job title"), max_length=_max_length(AgreementSignature, "signer_title")
    )
    # NOTE: not required here: the service refuses an unticked box with its own message.
    agree = forms.BooleanField(required=False)

    def __init__(self, *args, organization_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agree"].label = _(
            "I have read and agree to this agreement on behalf of %(org)s, and I am authorised "
            "to sign it."
        ) % {"org": organization_name}


class OfflineSignatureForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Agreement version"), queryset=AgreementTemplate.objects.none(), empty_label=None
    )
    signer_name = forms.CharField(
        label=_("Signer's full name"), max_length=_max_length(AgreementSignature, "signer_name")
    )
    signer_title = forms.CharField(
        label=_("Signer's job title"), max_length=_max_length(AgreementSignature, "signer_title")
    )
    signer_email = forms.EmailField(label=_("Signer's email"), required=False)
    signed_on = forms.DateField(
        label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    contract = forms.FileField(
        label=_("Signed contract (PDF, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, templates, current: AgreementTemplate | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates
        self.fields["template"].label_from_instance = lambda t: (
            f"{t.title} v{t.version} ({t.get_partner_type_display() or _('all partner types')})"
        )
        if current is not None:
            self.fields["template"].initial = current.pk
        self.fields["signed_on"].initial = timezone.now().date()
