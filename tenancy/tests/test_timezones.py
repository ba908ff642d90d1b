"""Which zone a viewer reads times in (tenancy.timezones.zone_for): first that applies."""

from types import SimpleNamespace

from django.test import RequestFactory

from tenancy.timezones import zone_for

member_in_tokyo = SimpleNamespace(time_zone="Asia/Tokyo")
program_in_berlin = SimpleNamespace(time_zone="Europe/Berlin")


def _request(query="", cookie=""):
    request = RequestFactory().get("/console/" + (f"?tz={query}" if query else ""))
    if cookie:
        request.COOKIES["tz"] = cookie
    return request


def test_asking_on_the_request_wins_over_everything():
    request = _request(query="America/New_York", cookie="Europe/Paris")
    assert zone_for(member_in_tokyo, program_in_berlin, request).key == "America/New_York"


def test_the_members_choice_wins_over_browser_and_program():
    assert zone_for(member_in_tokyo, program_in_berlin, _request(cookie="Europe/Paris")).key == (
        "Asia/Tokyo"
    )


def test_without_a_choice_the_browsers_zone_then_the_programs():
    nobody = SimpleNamespace(time_zone="")
    assert zone_for(nobody, program_in_berlin, _request(cookie="Europe%2FParis")).key == (
        "Europe/Paris"
    )
    assert zone_for(nobody, program_in_berlin, _request()).key == "Europe/Berlin"


def test_unknown_names_are_ignored_and_utc_is_the_last_resort():
    request = _request(query="Mars/Olympus", cookie="Nowhere")
    bogus = SimpleNamespace(time_zone="Atlantis/Capital")
    assert zone_for(bogus, bogus, request).key == "UTC"
    assert zone_for(None, None, None).key == "UTC"


def test_a_time_range_reads_in_the_viewers_zone_and_names_it():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tenancy.templatetags.ui import time_range

    start = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
    end = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/Berlin")):
        assert time_range(start, end, html=False) == "Fri 4 Dec 2026, 14:00–15:30 CET"
        assert 'title="Europe/Berlin"' in time_range(start, end)
        across = time_range(start, datetime(2026, 12, 5, 9, 0, tzinfo=UTC), html=False)
        assert across == "4 Dec 2026, 14:00 CET – 5 Dec 2026, 10:00 CET"
