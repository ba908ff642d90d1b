"""The console partner directory's filters (tenancy.common.lists.list_page); the directory's
re-import export (views/imports.py) filters with the same class."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenancy import access
from tenancy import selectors as tenancy_selectors
from tenancy.roles import Role

from ..models import LifecycleState, PartnerOrganization, PartnerType, Region, Tier
from .limits import SCORE_MESSAGE, api_limit


def _json_list_has(field: str, value: str) -> Q:
    # NOTE: JSON `contains` is not available on SQLite; a quoted, case-insensitive match on the
    # list's JSON text finds the exact item on both SQLite and Postgres ('"EMEA"' ≠ '"EMEA-X"').
    return Q(**{f"{field}__icontains": f'"{value}"'})


class PartnerDirectoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    state = django_filters.ChoiceFilter(
        choices=LifecycleState.choices, label=_("State"), empty_label=_("Any state")
    )
    tier = django_filters.ChoiceFilter(
        field_name="tier__uuid", label=_("Tier"), empty_label=_("Any tier")
    )
    partner_type = django_filters.ChoiceFilter(
        choices=PartnerType.choices,
        method="by_type",
        label=_("Type"),
        empty_label=_("Any type"),
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices, method="by_region", label=_("Region"), empty_label=_("Any region")
    )
    manager = django_filters.ChoiceFilter(
        field_name="channel_manager_id", label=_("Manager"), empty_label=_("Any manager")
    )
    min_score = django_filters.NumberFilter(
        field_name="ipp_score",
        lookup_expr="gte",
        label=_("Min. score"),
        **api_limit(0, 100, SCORE_MESSAGE),
    )

    class Meta:
        model = PartnerOrganization
        fields = ["q", "state", "tier", "partner_type", "region", "manager", "min_score"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        actor = access.get_actor(request)
        self.filters["tier"].extra["choices"] = [
            (str(uuid), name)
            for uuid, name in Tier.objects.order_by("rank").values_list("uuid", "name")
        ]
        managers = tenancy_selectors.partner_managers(actor).filter(role=Role.CHANNEL_MANAGER)
        self.filters["manager"].extra["choices"] = [
            (str(m.user_id), m.user.full_name or m.user.email) for m in managers
        ]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(legal_name__icontains=value)
            | Q(domain__icontains=value)
            | Q(skills__icontains=value)
        )

    def by_type(self, queryset, name, value):
        # The primary type or any type the partner plays.
        return queryset.filter(Q(partner_type=value) | _json_list_has("partner_types", value))

    def by_region(self, queryset, name, value):
        return queryset.filter(_json_list_has("regions", value))
