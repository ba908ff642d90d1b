"""Forms of the asset library and the playbook (one form serves create and edit)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerType, Tier
from tenancy.roles import PARTNER_ROLES, Role

from .models import Asset, AssetType, PlaybookStage

PARTNER_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in PARTNER_ROLES]


class AssetForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=AssetType.choices)
    product = forms.CharField(label=_("Product"), max_length=100, required=False)
    stage = forms.ModelChoiceField(
        label=_("Sales stage"), queryset=PlaybookStage.objects.none(), required=False
    )
    language = forms.CharField(label=_("Language code"), max_length=8, initial="en")
    tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers"),
        queryset=Tier.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None selected = every tier."),
    )
    partner_types = forms.MultipleChoiceField(
        label=_("Partner types"),
        choices=PartnerType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None selected = every partner type."),
    )
    partner_roles = forms.MultipleChoiceField(
        label=_("Partner roles"),
        choices=PARTNER_ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "None selected = the default for the type: battle cards and case studies go to "
            "partner admins, sales and marketing (not pre-sales/technical); other types to all."
        ),
    )
    is_published = forms.BooleanField(label=_("Published"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = PlaybookStage.objects.all()
        self.fields["tiers"].queryset = Tier.objects.order_by("rank")
        self.fields["tiers"].to_field_name = "uuid"
        self.fields["stage"].to_field_name = "uuid"

    @classmethod
    def for_asset(cls, asset: Asset, data=None):
        initial = {
            "title": asset.title,
            "description": asset.description,
            "type": asset.type,
            "product": asset.product,
            "stage": asset.stage,
            "language": asset.language,
            "tiers": list(asset.tiers.all()),
            "partner_types": asset.partner_types,
            "partner_roles": asset.partner_roles,
            "is_published": asset.is_published,
        }
        return cls(data, initial=initial)


class AssetCreateForm(AssetForm):
    file = forms.FileField(label=_("File"), required=False)
    url = forms.URLField(label=_("Or a link URL"), required=False, assume_scheme="https")
    notes = forms.CharField(label=_("Version notes"), max_length=300, required=False)


class AssetVersionForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False)
    url = forms.URLField(label=_("Or a link URL"), required=False, assume_scheme="https")
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("url")):
            raise forms.ValidationError(_("Give either a file or a link URL."))
        return data


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    guidance = forms.CharField(
        label=_("Guidance (Markdown)"), widget=forms.Textarea, required=False
    )


class StageAssetForm(forms.Form):
    asset = forms.ModelChoiceField(
        label=_("Asset"), queryset=Asset.objects.none(), to_field_name="uuid"
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = Asset.objects.all()
