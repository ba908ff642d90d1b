"""One way to give a list people work with its filters, sorting, pages and CSV export.

A view builds its scoped queryset (a selector), then::

    listing = list_page(
        request,
        selectors.partners_for(actor),
        filterset_class=PartnerFilter,          # a django-filter FilterSet, or None
        sorts={"name": "name", "joined": "created_at", "tier": ("tier__rank", "name")},
        default_sort="name",                    # "-joined" for newest first
        columns=[                               # the CSV export (and nothing else)
            Column(_("Name"), "name"),
            Column(_("Tier"), "tier.name"),
            Column(_("Status"), "get_status_display"),
            Column(_("Revenue"), lambda p: p.revenue),
        ],
        filename="partners",
    )
    if listing.export is not None:
        return listing.export
    return render(request, "...", {"listing": listing})

and the template::

    {% load ui %}
    {% include "components/list_filters.html" with listing=listing %}
    <th>{% sort_link listing "name" _("Name") %}</th> ...
    {% for partner in listing.page %}...{% endfor %}
    {% include "components/list_pagination.html" with listing=listing %}

`?format=csv` answers the whole filtered, sorted list as CSV (cells made spreadsheet-safe); an
invalid filter value is a field error beside the filter and the list shows nothing rather than
everything (the FilterSet's `.qs` with `strict` semantics); an unknown sort key falls back to the
default. Sorting always ends with the primary key so pages never repeat or skip a row.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from .spreadsheets import csv_safe

PAGE_SIZE = 50
EXPORT_FORMAT = "csv"


@dataclass(frozen=True)
class Column:
    """One CSV column: a header and an accessor (a dotted attribute path or a callable).

    A dotted path may end in a method without arguments (`get_status_display`)."""

    header: Any
    accessor: str | Callable[[Any], Any]

    def value(self, row) -> Any:
        if callable(self.accessor):
            return self.accessor(row)
        value = row
        for part in self.accessor.split("."):
            if value is None:
                return None
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if callable(value):
                value = value()
        return value


def _cell(value) -> Any:
    """A CSV cell: numbers stay numbers, dates ISO, booleans Yes/No, text spreadsheet-safe."""
    from django.utils.translation import gettext

    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).isoformat(timespec="minutes")
            if timezone.is_aware(value)
            else value.isoformat(timespec="minutes")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return csv_safe(", ".join(str(v) for v in value))
    return csv_safe(value)


class _Echo:
    def write(self, value):
        return value


def csv_response(rows, columns: Sequence[Column], filename: str) -> StreamingHttpResponse:
    """The rows as a streamed CSV download named `<filename>-<date>.csv`."""
    from tenancy.context import get_current_tenant, tenant_context

    writer = csv.writer(_Echo())
    # NOTE: the body streams after the view returned, outside the request's tenant context;
    # prefetches and related lookups made while streaming need that tenant again.
    tenant = get_current_tenant()

    def lines():
        yield "\ufeff"  # a BOM, so spreadsheet programs read UTF-8 names right
        yield writer.writerow([str(c.header) for c in columns])
        with tenant_context(tenant):
            iterator = rows.iterator(chunk_size=500) if isinstance(rows, QuerySet) else rows
            for row in iterator:
                yield writer.writerow([_cell(c.value(row)) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{slugify(filename)}-{stamp}.csv"'
    return response


@dataclass
class ListPage:
    """What a list template needs: the page of rows, the filter form, the sort and the links."""

    request: HttpRequest
    page: Page | None
    filterset: Any
    sort: str
    sorts: dict
    exportable: bool
    export: StreamingHttpResponse | None = None
    params: dict = field(default_factory=dict)

    @property
    def form(self):
        return self.filterset.form if self.filterset is not None else None

    @property
    def is_filtered(self) -> bool:
        form = self.form
        if form is None:
            return False
        return any(self.request.GET.get(name) not in (None, "") for name in form.fields)

    def query(self, **changes) -> str:
        """This list's query string with `changes` applied (None removes a parameter)."""
        params = self.request.GET.copy()
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        encoded = params.urlencode()
        return f"?{encoded}" if encoded else "?"

    def sort_query(self, key: str) -> str:
        """The link for a column header: sort by `key`, or reverse when it already is."""
        new = f"-{key}" if self.sort == key else key
        return self.query(sort=new, page=None)

    def sort_direction(self, key: str) -> str:
        if self.sort == key:
            return "asc"
        if self.sort == f"-{key}":
            return "desc"
        return ""

    @property
    def export_query(self) -> str:
        return self.query(format=EXPORT_FORMAT, page=None)

    @property
    def reset_query(self) -> str:
        return "?"


def _ordering(sorts: dict, sort: str) -> list[str]:
    descending = sort.startswith("-")
    fields = sorts[sort.lstrip("-")]
    fields = [fields] if isinstance(fields, str) else list(fields)
    if descending:
        fields = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
    tiebreak = "-pk" if descending else "pk"
    return [*fields, tiebreak]


def list_page(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    filterset_class=None,
    filterset_kwargs: dict | None = None,
    sorts: dict[str, str | Sequence[str]] | None = None,
    default_sort: str = "",
    columns: Sequence[Column] = (),
    filename: str = "export",
    page_size: int = PAGE_SIZE,
) -> ListPage:
    """Filter, sort and page `queryset` by the request's query string (see the module doc).

    With `?format=csv` and `columns`, `.export` holds the CSV response of every matching row."""
    sorts = dict(sorts or {})
    filterset = None
    if filterset_class is not None:
        filterset = filterset_class(
            request.GET or None, queryset=queryset, request=request, **(filterset_kwargs or {})
        )
        if filterset.is_bound and not filterset.is_valid():
            queryset = queryset.none()  # a field error is shown; never "everything" instead
        else:
            queryset = filterset.qs
    sort = request.GET.get("sort") or default_sort
    if sort.lstrip("-") not in sorts:
        sort = default_sort
    if sort:
        queryset = queryset.order_by(*_ordering(sorts, sort))
    elif not queryset.ordered:
        queryset = queryset.order_by("-pk")

    exportable = bool(columns)
    export = None
    page = None
    if exportable and request.GET.get("format") == EXPORT_FORMAT:
        export = csv_response(queryset, columns, filename)
    else:
        page = Paginator(queryset, page_size).get_page(request.GET.get("page"))
    return ListPage(
        request=request,
        page=page,
        filterset=filterset,
        sort=sort,
        sorts=sorts,
        exportable=exportable,
        export=export,
    )
