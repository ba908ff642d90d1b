"""One way for a list's filters, sort, pages and CSV export (tenancy.common.lists)."""

import csv
import io
from datetime import datetime, timedelta

import django_filters
import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from tenancy.common.lists import Column, list_page
from tenancy.models import User

pytestmark = pytest.mark.django_db


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="email", lookup_expr="icontains", label="Search")
    joined_after = django_filters.DateFilter(
        field_name="date_joined", lookup_expr="date__gte", label="Joined from"
    )

    class Meta:
        model = User
        fields = ["q", "joined_after"]


SORTS = {"name": "full_name", "joined": "date_joined"}
COLUMNS = [
    Column("Email", "email"),
    Column("Name", "full_name"),
    Column("Staff", "is_staff"),
    Column("Short name", "get_short_name"),
    Column("Label", lambda u: f"={u.full_name}"),
]


@pytest.fixture
def users():
    start = timezone.make_aware(datetime(2026, 1, 1, 12))
    return [
        User.objects.create_user(
            f"person{i:02d}@example.com",
            full_name=f"Person {i:02d}",
            date_joined=start + timedelta(days=i),
        )
        for i in range(7)
    ]


def listing_for(query: str, **kwargs):
    request = RequestFactory().get(f"/list/{query}")
    return list_page(
        request,
        User.objects.all(),
        filterset_class=UserFilter,
        sorts=SORTS,
        default_sort="name",
        columns=COLUMNS,
        filename="People list",
        page_size=3,
        **kwargs,
    )


def test_pages_keep_filters_and_sort(users):
    listing = listing_for("?q=person&sort=-joined&page=2")
    assert [u.full_name for u in listing.page] == ["Person 03", "Person 02", "Person 01"]
    assert listing.page.count == 7
    out = Template(
        '{% load ui %}{% list_query listing page=3 %}|{% sort_link listing "joined" "Joined" %}'
    ).render(Context({"listing": listing}))
    query, header = out.split("|", 1)
    assert "q=person" in query and "sort=-joined" in query and "page=3" in query
    # Clicking the sorted column reverses it and goes back to the first page.
    assert "sort=joined" in header and "page=" not in header and "sorted descending" in header


def test_a_filter_narrows_and_an_invalid_filter_shows_nothing_with_its_error(users):
    assert listing_for("?joined_after=2026-01-06").page.count == 2
    listing = listing_for("?joined_after=not-a-date")
    assert listing.page.count == 0
    assert listing.form.errors["joined_after"]


def test_unknown_sort_falls_back_to_the_default(users):
    listing = listing_for("?sort=password")
    assert listing.sort == "name"
    assert [u.full_name for u in listing.page][:1] == ["Person 00"]


def test_csv_exports_every_matching_row_spreadsheet_safe(users):
    listing = listing_for("?q=person0&sort=-joined&format=csv")
    assert listing.page is None
    response = listing.export
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="people-list-' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Email", "Name", "Staff", "Short name", "Label"]
    assert len(rows) == 1 + 7  # all pages, not only the first
    assert rows[1] == ["person06@example.com", "Person 06", "No", "Person", "'=Person 06"]


def test_the_filter_bar_and_pages_render_with_the_error_beside_its_filter(users):
    from django.template.loader import render_to_string

    listing = listing_for("?q=person&sort=joined&page=2")
    bar = render_to_string("components/list_filters.html", {"listing": listing})
    assert 'name="sort" value="joined"' in bar and "Export CSV" in bar and "Reset" in bar
    pages = render_to_string("components/list_pagination.html", {"listing": listing})
    assert "Showing 4–6 of 7" in pages and "Page 2 of 3" in pages
    assert "q=person" in pages and "sort=joined" in pages

    bad = listing_for("?joined_after=31-31-2026")
    bar = render_to_string("components/list_filters.html", {"listing": bad})
    assert "is-invalid" in bar and "invalid-feedback" in bar
    assert "Nothing matches." in render_to_string(
        "components/list_pagination.html", {"listing": bad}
    )


def _many_users(n: int, first: int = 0) -> None:
    start = timezone.make_aware(datetime(2025, 1, 1, 12))
    User.objects.bulk_create(
        User(
            email=f"bulk{i:05d}@example.com",
            full_name=f"Bulk {i:05d}",
            date_joined=start + timedelta(minutes=i),
        )
        for i in range(first, first + n)
    )


def _plain_listing(query: str, page_size: int = 50):
    request = RequestFactory().get(f"/list/{query}")
    return list_page(
        request, User.objects.all(), sorts=SORTS, default_sort="name", page_size=page_size
    )


def test_past_1000_matches_the_page_says_more_than_1000_without_a_last_link():
    from django.template.loader import render_to_string

    _many_users(1003)
    listing = _plain_listing("?page=2")
    assert listing.page.count_capped and listing.page.num_pages is None
    assert [u.full_name for u in listing.page][:1] == ["Bulk 00050"]
    pages = render_to_string("components/list_pagination.html", {"listing": listing})
    assert "Showing 51–100 of more than 1,000" in pages
    assert "Page 2" in pages and "Page 2 of" not in pages
    assert "Next" in pages and "page=3" in pages and "Last" not in pages


def test_a_page_past_1000_rows_opens_by_number_and_the_last_one_has_no_next():
    from django.template.loader import render_to_string

    _many_users(1003)
    listing = _plain_listing("?page=21")  # rows 1,001–1,003
    assert [u.full_name for u in listing.page] == ["Bulk 01000", "Bulk 01001", "Bulk 01002"]
    assert not listing.page.has_next() and listing.page.has_previous()
    pages = render_to_string("components/list_pagination.html", {"listing": listing})
    # The last page of a capped list knows the total.
    assert "Showing 1,001–1,003 of 1,003" in pages and "Next" not in pages
    # A deep page says what it proves, never fewer rows than it shows.
    deep = render_to_string(
        "components/list_pagination.html", {"listing": _plain_listing("?page=20")}
    )
    assert "Showing 951–1,000 of more than 1,000" in deep
    _many_users(600, first=1003)
    deeper = render_to_string(
        "components/list_pagination.html", {"listing": _plain_listing("?page=30")}
    )
    assert "Showing 1,451–1,500 of more than 1,500" in deeper
    # Past the end of an uncounted list (a typed or stale number): the last page, never an
    # empty one or an error.
    beyond = _plain_listing("?page=40")
    assert beyond.page.number == 33 and not beyond.page.has_next()  # 1,603 rows by now
    assert [u.full_name for u in beyond.page] == ["Bulk 01600", "Bulk 01601", "Bulk 01602"]
    assert "Showing 1,601–1,603 of 1,603" in render_to_string(
        "components/list_pagination.html", {"listing": beyond}
    )


def test_exactly_1000_matches_are_counted_with_a_last_page():
    _many_users(1000)
    listing = _plain_listing("?page=999")  # past the end: the last page, as before
    assert not listing.page.count_capped and listing.page.count == 1000
    assert listing.page.number == 20 and listing.page.num_pages == 20
    assert not listing.page.has_next()


def test_a_page_costs_two_queries_and_never_counts_past_1001_rows(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _many_users(5)
    with django_assert_num_queries(2):
        list(_plain_listing("?page=1").page)
    _many_users(1200, first=5)
    with CaptureQueriesContext(connection) as queries:
        list(_plain_listing("?page=3").page)
    assert len(queries) == 2
    count_sql = queries[0]["sql"]
    assert "COUNT(" in count_sql.upper() and "LIMIT 1001" in count_sql
