"""Filters of the console's onboarding runs list (tenancy.common.lists.list_page)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from tenancy import selectors as tenancy_selectors

from ..models import OnboardingRun, OnboardingStep, RunStatus, StepKey, StepStatus


class OnboardingRunFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="partner__name", lookup_expr="icontains", label=_("Partner")
    )
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, label=_("Status"))
    step = django_filters.ChoiceFilter(
        choices=StepKey.choices,
        label=_("Step not done"),
        method="filter_step_not_done",
        empty_label=_("Any step"),
    )
    manager = django_filters.ModelChoiceFilter(
        field_name="partner__channel_manager",
        label=_("Channel manager"),
        queryset=get_user_model().objects.none(),
        empty_label=_("Any channel manager"),
    )

    class Meta:
        model = OnboardingRun
        fields = ["q", "status", "step", "manager"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        staff = tenancy_selectors.partner_managers(actor)
        self.filters["manager"].queryset = (
            get_user_model().objects.filter(pk__in=staff.values("user_id")).order_by("email")
        )
        self.filters["status"].extra["empty_label"] = _("Any status")

    def filter_step_not_done(self, queryset, name, value):
        """Runs where this step is still waiting or failed."""
        open_step = OnboardingStep.objects.filter(
            run=OuterRef("pk"), key=value, status__in=[StepStatus.PENDING, StepStatus.FAILED]
        )
        return queryset.filter(Exists(open_step))
