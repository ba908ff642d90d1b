"""Forms of through-partner marketing: the template editor, co-branding, the email list, the
public lead form, and the list filters."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import (
    ActivityType,
    Campaign,
    CampaignStatus,
    CampaignTemplate,
    Channel,
    FundRequest,
    TemplateStatus,
)
from .services.campaigns import COLOR_RE, MAX_POST_CHARS

PLACEHOLDER_HELP = _("Markdown, with the placeholders listed below the form.")


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One line for the partners' gallery."),
    )
    activity_type = forms.ChoiceField(
        label=_("Activity type"),
        choices=ActivityType.choices,
        initial=ActivityType.DIGITAL,
        help_text=_("Groups this campaign's return in the MDF ROI report."),
    )
    email_subject = forms.CharField(label=_("Email subject"), max_length=200)
    email_body = forms.CharField(
        label=_("Email text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=PLACEHOLDER_HELP,
    )
    landing_headline = forms.CharField(label=_("Landing page headline"), max_length=200)
    landing_body = forms.CharField(
        label=_("Landing page text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=PLACEHOLDER_HELP,
    )
    cta_label = forms.CharField(label=_("Form button"), max_length=60, initial=_("Contact me"))
    default_offer = forms.CharField(
        label=_("Suggested offer"),
        max_length=300,
        required=False,
        help_text=_("Partners may change it when they co-brand."),
    )
    post_1 = forms.CharField(
        label=_("Social post 1"),
        max_length=MAX_POST_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Each partner's tracked link goes where the landing page link placeholder is, or at "
            "the end."
        ),
    )
    post_2 = forms.CharField(
        label=_("Social post 2"),
        max_length=MAX_POST_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    post_3 = forms.CharField(
        label=_("Social post 3"),
        max_length=MAX_POST_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @classmethod
    def for_template(cls, template: CampaignTemplate, data=None):
        posts = list(template.social_posts or []) + ["", "", ""]
        initial = {
            name: getattr(template, name) for name in cls.base_fields if hasattr(template, name)
        }
        initial.update(post_1=posts[0], post_2=posts[1], post_3=posts[2])
        return cls(data, initial=initial)

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        posts = [data.pop(f"post_{n}") for n in (1, 2, 3)]
        return {**data, "social_posts": [p for p in posts if p]}


class BrandingForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    logo = forms.FileField(label=_("Logo"), required=False, help_text=_("PNG or JPEG, up to 2 MB."))
    brand_color = forms.CharField(
        label=_("Main colour"), max_length=40, widget=forms.TextInput(attrs={"type": "color"})
    )
    accent_color = forms.CharField(
        label=_("Accent colour"), max_length=40, widget=forms.TextInput(attrs={"type": "color"})
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact email"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    offer = forms.CharField(
        label=_("Your offer"),
        max_length=300,
        required=False,
        help_text=_("Shown on the landing page and in the email, e.g. a free assessment."),
    )
    fund_request = forms.ModelChoiceField(
        label=_("Paid for by MDF activity"),
        queryset=FundRequest.objects.none(),
        required=False,
        to_field_name="uuid",
        empty_label=_("Not funded by MDF"),
        help_text=_("Its leads and deals then count in that activity's return."),
    )

    def __init__(self, *args, fund_requests=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fund_requests is not None:
            self.fields["fund_request"].queryset = fund_requests

    def _color(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if not COLOR_RE.match(value):
            raise forms.ValidationError(_("Enter a colour like #1F4E79."))
        return value

    def clean_brand_color(self):
        return self._color("brand_color")

    def clean_accent_color(self):
        return self._color("accent_color")

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict:
        return {
            "name": campaign.name,
            "brand_color": campaign.brand_color,
            "accent_color": campaign.accent_color,
            "contact_name": campaign.contact_name,
            "contact_email": campaign.contact_email,
            "contact_phone": campaign.contact_phone,
            "offer": campaign.offer,
            "fund_request": campaign.fund_request.uuid if campaign.fund_request else None,
        }


class RecipientsForm(forms.Form):
    file = forms.FileField(
        label=_("Email list (CSV)"),
        help_text=_("Columns: email (required), first name, company. Up to 5,000 rows."),
    )
    consent = forms.BooleanField(
        label=_("Everyone on this list agreed to receive marketing email from us."),
        required=False,
    )


class LeadForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Work email"))
    company = forms.CharField(label=_("Company"), max_length=200)
    job_title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    message = forms.CharField(
        label=_("How can we help?"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    marketing_consent = forms.BooleanField(
        label=_("Keep me informed about offers and events."), required=False
    )
    via = forms.CharField(required=False, widget=forms.HiddenInput, max_length=24)


class TemplateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    status = django_filters.ChoiceFilter(
        choices=TemplateStatus.choices, label=_("Status"), empty_label=_("Any status")
    )

    def search(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(name__icontains=value) | Q(summary__icontains=value))
            if value
            else queryset
        )


class CampaignFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    status = django_filters.ChoiceFilter(
        choices=CampaignStatus.choices, label=_("Status"), empty_label=_("Any status")
    )
    template = django_filters.ModelChoiceFilter(
        queryset=CampaignTemplate.objects.none(),
        to_field_name="uuid",
        label=_("Template"),
        empty_label=_("All templates"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["template"].queryset = CampaignTemplate.objects.order_by("name")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(partner__name__icontains=value))


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    campaign = django_filters.ModelChoiceFilter(
        queryset=Campaign.objects.none(),
        to_field_name="uuid",
        label=_("Campaign"),
        empty_label=_("All campaigns"),
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, label=_("Came from"), empty_label=_("Any source")
    )
    registered = django_filters.ChoiceFilter(
        method="by_registered",
        choices=(("yes", _("Registered as a deal")), ("no", _("Not registered yet"))),
        label=_("Deal"),
        empty_label=_("All leads"),
    )

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["campaign"].queryset = (
            campaigns if campaigns is not None else Campaign.objects.none()
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(company__icontains=value) | Q(email__icontains=value) | Q(last_name__icontains=value)
        )

    def by_registered(self, queryset, name, value):
        if value == "yes":
            return queryset.exclude(registration=None)
        if value == "no":
            return queryset.filter(registration=None)
        return queryset
