"""Filters of the course lists (console and portal), for tenancy.common.lists.list_page."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Audience, CourseStatus


def _search(queryset, name, value):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))


class ConsoleCourseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method=_search, label=_("Search"), max_length=100)
    status = django_filters.ChoiceFilter(
        choices=CourseStatus.choices, label=_("Status"), empty_label=_("All")
    )
    audience = django_filters.ChoiceFilter(
        method="by_audience",
        choices=Audience.choices,
        label=_("Audience"),
        empty_label=_("Any audience"),
    )
    foundation = django_filters.ChoiceFilter(
        method="by_foundation",
        choices=[("yes", _("Foundation (101) only")), ("no", _("Other courses"))],
        label=_("Foundation"),
        empty_label=_("All"),
    )

    def by_audience(self, queryset, name, value):
        # Audiences are a JSON list of slugs: match the quoted token (portable, see assets).
        everyone = Q(audiences=[]) | Q(audiences__icontains=f'"{Audience.ALL}"')
        return queryset.filter(everyone | Q(audiences__icontains=f'"{value}"'))

    def by_foundation(self, queryset, name, value):
        return queryset.filter(is_foundation=value == "yes")


class PortalCourseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method=_search, label=_("Search"), max_length=100)
    progress = django_filters.ChoiceFilter(
        method="by_progress",
        choices=[
            ("not_started", _("Not started")),
            ("in_progress", _("Enrolled, not completed")),
            ("completed", _("Completed")),
        ],
        label=_("My progress"),
        empty_label=_("All"),
    )

    def by_progress(self, queryset, name, value):
        if value == "completed":
            return queryset.filter(my_completed=True)
        if value == "in_progress":
            return queryset.filter(my_enrolled=True, my_completed=False)
        return queryset.filter(my_enrolled=False)
