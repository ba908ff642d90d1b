"""The KPI dashboard, a partner's drill-down, definitions and refresh: owner / member / outsider,
the figures the page and the CSV show, and a query count independent of the data's size."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import rollups
from analytics.models import RefreshStatus, RollupState
from tenancy.context import tenant_context

from . import reference

pytestmark = pytest.mark.django_db

PERIOD = "?period=2026-Q4&model=linear"


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_executive_lands_on_the_dashboard_and_sees_the_figures(data, acme):
    client = acme.client(acme.executive)
    home = client.get(reverse("console_home"))
    assert home.status_code == 302 and home["Location"] == reverse("console_analytics")
    page = client.get(reverse("console_analytics") + PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "19,000.00 USD" in html  # partner revenue, Oct–Dec
    assert "Linear" in html
    assert "Figures as of" in html
    assert "Refresh now" not in html  # executives read only


def test_switching_the_model_changes_the_numbers(data, acme):
    client = acme.client(acme.executive)
    first = client.get(
        reverse("console_analytics") + "?period=2026-Q4&model=first_touch"
    ).content.decode()
    last = client.get(
        reverse("console_analytics") + "?period=2026-Q4&model=last_touch"
    ).content.decode()
    # The sourced share tile: 16,000 / 19,000 under first touch, 10,000 / 19,000 under last.
    assert "84.2 %" in first and "84.2 %" not in last
    assert "52.6 %" in last and "52.6 %" not in first


def test_the_csv_has_the_page_figures(data, acme):
    response = acme.client(acme.executive).get(
        reverse("console_analytics") + PERIOD + "&table=partners&format=csv"
    )
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[0][:4] == ["Partner", "Partner revenue", "Sourced revenue", "Influenced revenue"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[data["one"].name][1] == "12000.00"
    assert by_name["Partner Three"][3] == "2000.00"


def test_a_channel_manager_drills_into_their_partner_not_another(data, acme):
    client = acme.client(acme.manager)
    own = client.get(reverse("console_analytics_partner", args=[data["one"].uuid]) + PERIOD)
    assert own.status_code == 200
    assert "12,000.00 USD" in own.content.decode()
    nobody = client.get(reverse("console_analytics_partner", args=[data["three"].uuid]) + PERIOD)
    assert nobody.status_code == 404


def test_a_direct_rep_and_a_partner_user_are_refused(data, acme):
    assert acme.client(acme.sales).get(reverse("console_analytics")).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse("console_analytics")).status_code in (
        403,
        404,
    )


def test_another_tenant_cannot_open_a_partner_of_this_one(data, acme, globex):
    response = globex.client(globex.executive).get(
        reverse("console_analytics_partner", args=[data["one"].uuid])
    )
    assert response.status_code == 404


def test_definitions_page_names_every_tile(data, acme):
    page = acme.client(acme.executive).get(reverse("console_analytics_definitions"))
    html = page.content.decode()
    assert 'id="ropi"' in html and "Return on partner investment" in html


def test_refresh_now_is_for_program_admins_only(data, acme):
    assert acme.client(acme.executive).post(reverse("console_analytics_refresh")).status_code == 403
    response = acme.client(acme.admin).post(reverse("console_analytics_refresh"))
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert RollupState.objects.get().status in (RefreshStatus.QUEUED, RefreshStatus.DONE)


def test_the_dashboard_query_count_does_not_grow_with_the_data(data, acme):
    from django.core.cache import cache

    client = acme.client(acme.executive)
    url = reverse("console_analytics") + PERIOD
    client.get(url)
    cache.clear()  # both measures compute the figures (a refresh changes the cache key)
    acme.warm_host_cache()
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    # Until the next refresh the figures come from the cache: one small query each.
    assert len(cached.captured_queries) < len(small.captured_queries)
    with tenant_context(acme.tenant):
        from partners.models import RevenueRecord
        from partners.tests.factories import PartnerOrganizationFactory

        for n in range(12):
            partner = PartnerOrganizationFactory(tenant=acme.tenant, state="active")
            RevenueRecord.objects.create(
                partner=partner,
                kind="sourced",
                customer=f"C{n}",
                product=f"Product {n % 3}",
                amount=100 + n,
                currency="USD",
                booked_on=reference.START,
            )
        rollups.refresh(full=True)
    cache.clear()  # as cold as the small measure (every cached lookup, not only the figures)
    acme.warm_host_cache()
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_refresh_that_changed_rows_warms_the_default_dashboard(data, acme):
    """The first executive to open the dashboard after a refresh reads cached figures."""
    from analytics.services import refresh_run

    client = acme.client(acme.executive)
    url = reverse("console_analytics")
    client.get(url)
    with CaptureQueriesContext(connection) as warm:
        client.get(url)
    with tenant_context(acme.tenant):
        refresh_run(full=True)  # a new version of the rollups: the cached figures are stale
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    assert len(first.captured_queries) == len(warm.captured_queries)


def test_the_board_is_rendered_once_per_content_and_a_rename_shows_at_once(data, acme):
    """The tiles, charts and tables are kept per content (their figures, names and labels):
    the same board again is the kept HTML, identical to a fresh render; a partner renamed
    without any refresh is another board, shown at once."""
    from django.template.loader import render_to_string

    from analytics import dashboard as composer
    from analytics import views

    views._BOARDS.clear()
    client = acme.client(acme.executive)
    url = reverse("console_analytics") + PERIOD
    first = client.get(url)
    assert len(views._BOARDS) == 1
    [kept] = views._BOARDS.values()
    assert kept in first.content.decode()
    shown = {name: first.context[name] for name in ("board", "query", "previous_label")}
    assert first.context["board_html"] == render_to_string("analytics/_board.html", shown)
    again = client.get(url)
    assert again.context["board_html"] is kept and len(views._BOARDS) == 1  # from memory

    with tenant_context(acme.tenant):
        acme.partner.name = "Renamed Partner Ltd"
        acme.partner.save(update_fields=["name"])
    renamed = client.get(url).content.decode()
    assert "Renamed Partner Ltd" in renamed and len(views._BOARDS) == 2
    other_model = client.get(reverse("console_analytics") + "?period=2026-Q4&model=first_touch")
    assert other_model.status_code == 200 and len(views._BOARDS) == 3

    # Something the fingerprint cannot name is rendered each time, never kept under a guess.
    with pytest.raises(TypeError):
        composer.fingerprint(object())
    shown["board"].tiles[0].note = object()
    assert views.board_html(shown) == render_to_string("analytics/_board.html", shown)
    assert len(views._BOARDS) == 3


def test_the_kept_boards_are_bounded(data, acme, monkeypatch):
    from analytics import views

    views._BOARDS.clear()
    monkeypatch.setattr(views, "BOARDS_KEPT", 2)
    client = acme.client(acme.executive)
    for model in ("linear", "first_touch", "last_touch"):
        page = client.get(reverse("console_analytics") + f"?period=2026-Q4&model={model}")
        assert page.status_code == 200
    assert len(views._BOARDS) == 2
