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
    assert listing.page.paginator.count == 7
    out = Template(
        '{% load ui %}{% list_query listing page=3 %}|{% sort_link listing "joined" "Joined" %}'
    ).render(Context({"listing": listing}))
    query, header = out.split("|", 1)
    assert "q=person" in query and "sort=-joined" in query and "page=3" in query
    # Clicking the sorted column reverses it and goes back to the first page.
    assert "sort=joined" in header and "page=" not in header and "sorted descending" in header


def test_a_filter_narrows_and_an_invalid_filter_shows_nothing_with_its_error(users):
    assert listing_for("?joined_after=2026-01-06").page.paginator.count == 2
    listing = listing_for("?joined_after=not-a-date")
    assert listing.page.paginator.count == 0
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
