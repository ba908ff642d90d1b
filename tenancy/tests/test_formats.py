"""One date, time and number format, times in the viewer's zone and labelled, one status badge."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 12, 4, 14, 5, tzinfo=zoneinfo.ZoneInfo("UTC"))


def render(source: str, **context) -> str:
    return Template("{% load ui %}" + source).render(Context(context))


def test_dates_and_times_have_one_format():
    assert render("{{ d }}", d=date(2026, 12, 4)) == "4 Dec 2026"
    assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', d=date(2026, 12, 4)) == "4 Dec 2026"
    assert render("{{ t }}", t=WHEN) == "4 Dec 2026, 14:05 UTC"
    assert render('{{ t|date:"SHORT_DATETIME_FORMAT" }}', t=WHEN) == "4 Dec 2026, 14:05 UTC"


def test_time_span_shows_the_viewers_zone_with_its_label():
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        html = render("{% time_span t %}", t=WHEN)
    assert html == (
        '<time datetime="2026-12-04T15:05:00+01:00" title="Europe/Berlin">'
        "4 Dec 2026, 15:05 CET</time>"
    )
    assert render("{% time_span d %}", d=date(2026, 12, 4)) == (
        '<time datetime="2026-12-04">4 Dec 2026</time>'
    )
    assert render("{% time_span nothing %}", nothing=None) == "—"


def test_numbers_and_money_are_grouped():
    assert render("{{ n|number }}", n=1027247) == "1,027,247"
    assert render('{{ a|money:"USD" }}', a=Decimal("614500")) == "614,500.00 USD"


def test_pages_render_in_the_zone_the_browser_reported(acme):
    client = acme.client(acme.admin)
    client.cookies["tz"] = "America/New_York"
    html = client.get("/console/").content.decode()
    assert 'data-viewer-tz="America/New_York"' in html
    client.cookies["tz"] = "Not/AZone"
    assert 'data-viewer-tz="UTC"' in client.get("/console/").content.decode()


def test_tz_query_is_remembered_in_a_cookie():
    response = Client(HTTP_HOST="localhost").get("/", {"tz": "Asia/Tokyo"})
    assert response.cookies["tz"].value == "Asia/Tokyo"
    assert 'data-viewer-tz="Asia/Tokyo"' in response.content.decode()


@pytest.mark.parametrize(
    ("status", "css", "icon"),
    [
        ("approved", "text-bg-success", "bi-check-circle"),
        ("rejected", "text-bg-danger", "bi-x-circle"),
        ("pending", "text-bg-warning", "bi-hourglass-split"),
        ("retired", "text-bg-secondary", "bi-dash-circle"),
        ("something_else", "text-bg-light border", "bi-circle"),
    ],
)
def test_status_badge_has_colour_icon_and_words(status, css, icon):
    html = render('{% status_badge s "Label" %}', s=status)
    assert f'class="badge {css}"' in html and icon in html
    assert f'data-status="{status}"' in html and html.endswith("Label</span>")


def test_status_badge_takes_the_label_of_a_choice():
    from tenancy.outbox import DeliveryStatus

    html = render("{% status_badge s %}", s=DeliveryStatus.GAVE_UP)
    assert "text-bg-danger" in html and "Failed (gave up)" in html and "gave_up</" not in html
