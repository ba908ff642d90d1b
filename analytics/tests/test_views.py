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

    from analytics import views

    client = acme.client(acme.executive)
    url = reverse("console_analytics") + PERIOD
    client.get(url)
    cache.clear()  # both measures compute the figures (a refresh changes the cache key)
    views._BOARDS.clear()  # and render the board
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
    views._BOARDS.clear()
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


def test_the_board_is_rendered_once_per_content_and_any_change_shows_at_once(data, acme):
    """The tiles, charts and tables are kept per content (their figures' version, names,
    currency, baseline): the same board again is the kept HTML, identical to a board composed
    and rendered afresh; a partner or tier renamed, another currency or baseline, without any
    refresh, is another board, shown at once; so is a refresh that changes the figures."""
    from django.http import QueryDict
    from django.template.loader import render_to_string
    from django.utils import timezone

    from analytics import dashboard as composer
    from analytics import views
    from partners.models import FinancialModel, Tier
    from partners.services.tiers import program_settings

    views._BOARDS.clear()
    client = acme.client(acme.executive)
    url = reverse("console_analytics") + PERIOD
    first = client.get(url)
    assert len(views._BOARDS) == 1
    [kept] = views._BOARDS.values()
    assert kept in first.content.decode()
    with tenant_context(acme.tenant):
        f, key, _chosen = composer.parse_filters(QueryDict(PERIOD[1:]), timezone.now().date())
        fresh = {
            "board": composer.dashboard(acme.actor(acme.executive), f, key),
            **{name: first.context[name] for name in ("query", "previous_label")},
        }
        assert kept == render_to_string("analytics/_board.html", fresh)
    again = client.get(url)
    assert again.context["board_html"] is kept and len(views._BOARDS) == 1  # from memory

    def shown_after(change) -> str:
        with tenant_context(acme.tenant):
            change()
        boards = len(views._BOARDS)
        html = client.get(url).content.decode()
        assert len(views._BOARDS) == boards + 1  # another board, kept beside the others
        return html

    def rename_partner():
        acme.partner.name = "Renamed Partner Ltd"
        acme.partner.save(update_fields=["name"])

    assert "Renamed Partner Ltd" in shown_after(rename_partner)

    def rename_tier():
        Tier.objects.filter(pk=acme.partner.tier_id).update(name="Diamond")

    assert "Diamond" in shown_after(rename_tier)

    def other_currency():
        settings = program_settings()
        settings.currency = "EUR"
        settings.save(update_fields=["currency"])

    assert "19,000.00 EUR" in shown_after(other_currency)

    def new_baseline():
        FinancialModel.objects.create(period="FY2027", planned_ropi="7.77")

    assert "7.77" in shown_after(new_baseline)

    def late_revenue():
        from partners.models import RevenueRecord

        RevenueRecord.objects.create(
            partner=acme.partner,
            kind="sourced",
            customer="Late Co",
            amount=1000,
            booked_on=reference.TODAY.date().replace(day=1),
        )
        rollups.refresh(full=False)

    assert "20,000.00 EUR" in shown_after(late_revenue)
    other_model = client.get(reverse("console_analytics") + "?period=2026-Q4&model=first_touch")
    assert other_model.status_code == 200 and len(views._BOARDS) == 7


def test_the_board_key_names_every_figure_the_board_reads(data, acme, monkeypatch):
    """board_key() asks for exactly the figures dashboard() reads (a new one forgotten in the
    key would leave an old board on the page)."""
    from django.http import QueryDict
    from django.utils import timezone

    from analytics import dashboard as composer
    from analytics import metrics

    asked: list[tuple] = []
    real = metrics.figures_key

    def recording(actor, f, **kwargs):
        asked.append((f, kwargs.get("by"), kwargs.get("top")))
        return real(actor, f, **kwargs)

    monkeypatch.setattr(metrics, "figures_key", recording)
    monkeypatch.setattr(composer, "figures_key", recording)
    with tenant_context(acme.tenant):
        actor = acme.actor(acme.executive)
        f, key, _chosen = composer.parse_filters(QueryDict(PERIOD[1:]), timezone.now().date())
        composer.dashboard(actor, f, key)  # every figure cached: no call behind a call
        asked.clear()
        composer.board_key(actor, f, key)
        named = set(asked)
        asked.clear()
        composer.dashboard(actor, f, key)
        assert set(asked) == named


def test_a_board_without_a_cached_version_is_rendered_each_time(data, acme):
    from analytics import views

    views._BOARDS.clear()
    with tenant_context(acme.tenant):
        RollupState.objects.all().delete()  # as before the first refresh
    page = acme.client(acme.executive).get(reverse("console_analytics") + PERIOD)
    assert page.status_code == 200 and len(views._BOARDS) == 0


def test_the_kept_boards_are_bounded(data, acme, monkeypatch):
    from analytics import views

    views._BOARDS.clear()
    monkeypatch.setattr(views, "BOARDS_KEPT", 2)
    client = acme.client(acme.executive)
    for model in ("linear", "first_touch", "last_touch"):
        page = client.get(reverse("console_analytics") + f"?period=2026-Q4&model={model}")
        assert page.status_code == 200
    assert len(views._BOARDS) == 2
