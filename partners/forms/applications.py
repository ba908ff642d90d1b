"""Forms of the review of held applications: merge, create a new prospect, reject."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenancy.common.domains import normalize_domain

from ..models import Application, AssignedVia, ContactRole, PartnerOrganization, PartnerType
from ..services.applications import MERGEABLE_FIELDS


class ApplicationMergeForm(forms.Form):
    fields_to_take = forms.MultipleChoiceField(
        label=_("Take these submitted values"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Regions, partner types and skills are added to the partner's; other values "
            "replace the partner's."
        ),
    )
    contact_role = forms.ChoiceField(
        label=_("Applicant as a contact"),
        required=False,
        choices=[("", _("Do not add the applicant as a contact"))] + ContactRole.choices,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields_to_take"].choices = [
            (field, PartnerOrganization._meta.get_field(field).verbose_name.capitalize())
            for field in MERGEABLE_FIELDS
        ]


class ApplicationCreateForm(forms.Form):
    name = forms.CharField(label=_("Name of the new prospect"), max_length=200)
    website = forms.URLField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        help_text=_("Each partner needs its own website domain."),
    )

    @classmethod
    def for_application(cls, application: Application, data=None):
        # The submitted website is offered only when its domain is free: a submission held for
        # sharing the matched partner's domain needs another one for a partner of its own.
        website = application.website
        if normalize_domain(website) == (application.partner.domain or ""):
            website = ""
        return cls(data, initial={"name": application.company_name, "website": website})


class ApplicationRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the applicant)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ApplicationFilter(django_filters.FilterSet):
    """The applications page's filters; `tab` only rides along (the view picks the queue)."""

    tab = django_filters.CharFilter(method="_keep", widget=forms.HiddenInput)
    q = django_filters.CharFilter(method="_search", label=_("Company, applicant or website"))
    assigned_via = django_filters.ChoiceFilter(
        label=_("Assigned by"), choices=AssignedVia.choices, empty_label=_("Any way")
    )
    partner_type = django_filters.ChoiceFilter(
        method="_partner_type",
        label=_("Partner type"),
        choices=PartnerType.choices,
        empty_label=_("Any type"),
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def _keep(self, queryset, name, value):
        return queryset

    def _search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(company_name__icontains=value)
            | Q(contact_name__icontains=value)
            | Q(contact_email__icontains=value)
            | Q(domain__icontains=value)
        )

    def _partner_type(self, queryset, name, value):
        return queryset.filter(partner_types__contains=[value])


class ApplicationDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Note to the applicant"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )
