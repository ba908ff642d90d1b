"""Filters of the asset lists (portal library and console), for tenancy.common.lists.list_page."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import LANGUAGE_NAMES, AssetType, PlaybookStage


def language_label(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


class AssetFilter(django_filters.FilterSet):
    """Search, type, product, sales stage and language; products and languages offered are those
    of the assets the actor may see."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    type = django_filters.ChoiceFilter(
        choices=AssetType.choices, label=_("Type"), empty_label=_("All types")
    )
    product = django_filters.ChoiceFilter(
        choices=[], label=_("Product"), empty_label=_("All products")
    )
    stage = django_filters.ModelChoiceFilter(
        queryset=PlaybookStage.objects.none(),
        to_field_name="uuid",
        label=_("Sales stage"),
        empty_label=_("All stages"),
    )
    language = django_filters.ChoiceFilter(
        choices=[], label=_("Language"), empty_label=_("All languages")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The products and languages offered, in one query (distinct pairs of the visible
        # assets) rather than one per filter.
        pairs = self.queryset.order_by().values_list("product", "language").distinct()
        pairs = list(pairs)
        products = sorted({product for product, _language in pairs if product})
        languages = sorted({language for _product, language in pairs})
        self.filters["product"].extra["choices"] = [(p, p) for p in products]
        self.filters["language"].extra["choices"] = [(c, language_label(c)) for c in languages]
        self.filters["stage"].queryset = PlaybookStage.objects.order_by("position", "id")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        matches = Q(title__icontains=value) | Q(description__icontains=value)
        return queryset.filter(matches | Q(product__icontains=value))


class ConsoleAssetFilter(AssetFilter):
    published = django_filters.ChoiceFilter(
        method="by_published",
        choices=[("yes", _("Published")), ("no", _("Draft"))],
        label=_("Status"),
        empty_label=_("All"),
    )

    def by_published(self, queryset, name, value):
        return queryset.filter(is_published=value == "yes")
