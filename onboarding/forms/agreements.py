"""Partner agreements: draft form (console), sign form (portal), offline signature (console).

Forms only check shapes; the services decide (ticked box, current version, partner state, PDF).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.forms.documents import DocumentDraftForm
from partners.models import PartnerType

from ..models import AgreementSignature, AgreementTemplate


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class AgreementDraftForm(DocumentDraftForm):
    preview_url_name = "console_agreement_preview"
    body_label = _("Agreement text (Markdown)")
    field_order = ["title", "partner_type", "body", "summary_of_changes"]

    partner_type = forms.ChoiceField(
        label=_("Partner type"),
        choices=[("", _("All partner types"))] + list(PartnerType.choices),
        required=False,
        help_text=_(
            "Partners sign the latest version for their primary type, or the all-types version "
            "when their type has none."
        ),
    )
    summary_of_changes = forms.CharField(
        label=_("Summary of changes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


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
