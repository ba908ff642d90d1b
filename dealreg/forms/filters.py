"""The console registrations list's filters (tenancy.common.lists.list_page)."""

from __future__ import annotations

from uuid import UUID

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerOrganization, Region
from tenancy import access

from ..models import DealRegistration, DealStatus, Dispute, DisputeOutcome, DisputeStatus


class _DealFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_from", _("The start date must be on or before the end date."))
        return data


# Past this many partners in the viewer's scope, the partner filter is a name search.
PARTNER_SELECT_MAX = 200


class DealQueueFilter(django_filters.FilterSet):
    """Who and where: the approval queue's filters (its order stays the most urgent first)."""

    q = django_filters.CharFilter(method="search", label=_("Customer"))
    partner = django_filters.ModelChoiceFilter(
        queryset=PartnerOrganization.objects.none(),
        to_field_name="uuid",  # public identifiers in URLs, never sequential ids
        label=_("Partner"),
        empty_label=_("Any partner"),
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices, label=_("Region"), empty_label=_("Any region")
    )

    class Meta:
        model = DealRegistration
        fields = ["q", "partner", "region"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        actor = access.get_actor(request)
        # Only the partners the viewer sees (a channel manager: theirs).
        partners = access.scope_partner_organizations(
            actor, PartnerOrganization.objects.order_by("name")
        ).only("uuid", "name")
        if partners[: PARTNER_SELECT_MAX + 1].count() > PARTNER_SELECT_MAX:
            # A <select> of thousands of partners is slow to render and useless to pick from:
            # a name search instead (the same `partner` parameter; a partner's uuid still works).
            search = django_filters.CharFilter(
                method="partner_search", label=_("Partner"), help_text=_("Part of the name")
            )
            search.model, search.parent = self._meta.model, self
            self.filters["partner"] = search
        else:
            self.filters["partner"].queryset = partners

    def partner_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        try:
            return queryset.filter(partner__uuid=UUID(value))
        except ValueError:
            return queryset.filter(partner__name__icontains=value)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer_name__icontains=value) | Q(customer_domain__icontains=value)
        )


class DealRegistrationFilter(DealQueueFilter):
    status = django_filters.ChoiceFilter(
        choices=DealStatus.choices, label=_("Status"), empty_label=_("Any status")
    )
    submitted_from = django_filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__gte",
        label=_("Submitted from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    submitted_to = django_filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__lte",
        label=_("Submitted to"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = DealRegistration
        fields = ["q", "status", "partner", "region", "submitted_from", "submitted_to"]
        form = _DealFilterForm


class DisputeFilter(django_filters.FilterSet):
    """The console's disputes: open ones unless the query asks otherwise."""

    q = django_filters.CharFilter(
        field_name="account__name", lookup_expr="icontains", label=_("Account")
    )
    status = django_filters.ChoiceFilter(
        choices=DisputeStatus.choices, label=_("Status"), empty_label=_("Any status")
    )
    outcome = django_filters.ChoiceFilter(
        choices=DisputeOutcome.choices, label=_("Outcome"), empty_label=_("Any outcome")
    )

    class Meta:
        model = Dispute
        fields = ["q", "status", "outcome"]

    def __init__(self, data=None, *args, **kwargs):
        if data is None:  # the first visit: the open disputes, the ones to work on
            data = {"status": DisputeStatus.OPEN}
        super().__init__(data, *args, **kwargs)
