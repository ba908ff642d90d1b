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

Pages come from `page_window` (lists that are not a `list_page` use it directly, with the same
`components/list_pagination.html`): the count is capped — `SELECT count(*) FROM (<query> LIMIT
1001)` — so a page of a million-row list never counts a million rows. Past 1,000 matches the page
says "more than 1,000", offers no Last link (Next still works) and deeper pages still open by
number.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from .spreadsheets import csv_safe

PAGE_SIZE = 50
EXPORT_FORMAT = "csv"
# Lists count their matches up to here, no further: past it the page says "more than 1,000".
COUNT_CAP = 1000
# A page number past this is read as this one (an OFFSET that large is a typing mistake, and
# Postgres rejects an OFFSET beyond bigint).
MAX_PAGE = 1_000_000


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


def _query(request: HttpRequest, changes: dict) -> str:
    """The request's query string with `changes` applied (None removes a parameter)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@dataclass
class PageWindow:
    """One page of a list, with a count capped at COUNT_CAP (the API of Django's `Page` where
    the template needs it: iteration, `number`, `has_next`, `start_index`, ...).

    `count` is exact up to COUNT_CAP; past it `count_capped` is true, `count` is COUNT_CAP + 1
    and `num_pages` is None (not known without counting every row)."""

    request: HttpRequest
    object_list: list
    number: int
    page_size: int
    count: int
    more: bool  # a row exists after this page

    @property
    def count_capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_cap(self) -> int:
        return COUNT_CAP

    @property
    def at_least(self) -> int:
        """Past the cap, what this page proves about the total: more than the cap and than the
        rows up to this page's last."""
        return max(COUNT_CAP, (self.number - 1) * self.page_size + len(self.object_list))

    @property
    def num_pages(self) -> int | None:
        if self.count_capped:
            return None
        return max(1, -(-self.count // self.page_size))

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return True  # a page with no rows is still a page (`{% if page %}`, `|default:`)

    def __getitem__(self, index):
        return self.object_list[index]

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous() or self.has_next()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        if not self.object_list:
            return 0
        return (self.number - 1) * self.page_size + 1

    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.object_list)

    def query(self, **changes) -> str:
        """The request's query string with `changes` applied (for the page links)."""
        return _query(self.request, changes)


def _page_number(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def page_window(request: HttpRequest, queryset: QuerySet, page_size: int = PAGE_SIZE) -> PageWindow:
    """The page `?page=` asks for of `queryset` (ordered), in two queries whatever the number of
    rows: a count capped at COUNT_CAP + 1 rows, and the page's rows.

    A page number that is not a number is the first page; past the last page is the last page.
    Past the end of a capped list (a typed or stale page number) the rows are counted once, then,
    and the last page is shown: only that unusual request pays for a full count."""
    number = _page_number(request.GET.get("page"))
    # SELECT count(*) FROM (<query> LIMIT 1001): bounded however many rows match.
    count = queryset[: COUNT_CAP + 1].count()
    if count <= COUNT_CAP:
        last = max(1, -(-count // page_size))
        number = min(number, last)
        offset = (number - 1) * page_size
        rows = list(queryset[offset : offset + page_size]) if count else []
        more = number < last
    else:
        # Past the cap the total is unknown: one row more than the page says whether Next leads
        # anywhere.
        offset = (number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        more = len(rows) > page_size
        rows = rows[:page_size]
        if not rows and number > 1:
            last = max(1, -(-queryset.count() // page_size))
            number = min(number, last)
            offset = (number - 1) * page_size
            rows, more = list(queryset[offset : offset + page_size]), False
    return PageWindow(
        request=request,
        object_list=rows,
        number=number,
        page_size=page_size,
        count=count,
        more=more,
    )


@dataclass
class ListPage:
    """What a list template needs: the page of rows, the filter form, the sort and the links."""

    request: HttpRequest
    page: PageWindow | None
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
        return _query(self.request, changes)

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
        page = page_window(request, queryset, page_size)
    return ListPage(
        request=request,
        page=page,
        filterset=filterset,
        sort=sort,
        sorts=sorts,
        exportable=exportable,
        export=export,
    )
