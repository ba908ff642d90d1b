"""The CRM sync through its real pages, with a generic REST connection to a local fake CRM: the
"Test connection" button meets a CRM that refuses the credentials or cannot be reached (a clear
message for the program admin, an error in the sync log, nothing else changed) and then one that
answers; what the CRM says (stage, next step, notes) shows on the partner's own pages after a
pull and after a signed notification, and nothing else of the CRM does, to that partner only;
only program admins may test, pull or change a connection."""

from __future__ import annotations

import html
import json
import re
import socket

import pytest
from django.urls import reverse

from integrations import relay, signing
from integrations.models import CrmConnection, CrmLink, CrmSyncLog
from tenancy.models import AuditEvent

from .test_crm_views import act, form_data, page
from .test_generic import FakeCrm
from .test_relay import approved_deal

# The sync's retry pauses are recorded, not slept (conftest.no_waiting).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_waiting")]

SECRET = "whsec_pages_test"
TOKEN = "Bearer good-token"
OPPORTUNITY_ID = "opp-7731"
ACCOUNT_ID = "acc-4410"
# What the CRM holds that is its own: never shown to a partner.
CRM_AMOUNT = "987654"
CRM_OWNER = "rep.secret@vendor.example"
CRM_STAGE = "Contract sent"  # the CRM's stage name, mapped to the PRM's "Negotiation"


@pytest.fixture
def fake():
    server = FakeCrm().start()
    yield server
    server.stop()


def save_settings(client, connection, **changes) -> None:
    """The admin edits the connection's settings page and saves it."""
    data = form_data(client, connection)
    data.update(name=connection.name, is_active="on", **changes)
    answer = client.post(page(connection), data, follow=True)
    assert answer.redirect_chain == [(page(connection), 302)], answer.context["form"].errors
    assert flashes(answer) == [("success", "Connection saved.")]


def set_up(client, base_url: str, **changes) -> CrmConnection:
    """A generic REST connection added and configured by the admin on the console pages."""
    answer = client.post(
        reverse("console_crm_connections"), {"kind": "generic", "name": "In-house CRM"}
    )
    assert answer.status_code == 302
    connection = CrmConnection.objects.unscoped().get(name="In-house CRM")
    save_settings(
        client,
        connection,
        setting_base_url=base_url,
        setting_auth_header=TOKEN,
        setting_inbound_secret=SECRET,
        **changes,
    )
    connection.refresh_from_db()
    assert connection.is_active and not connection.demo_mode
    return connection


def stored(connection) -> dict:
    """Everything a test of the connection must leave as it was."""
    fresh = CrmConnection.objects.unscoped().get(pk=connection.pk)
    return {
        "name": fresh.name,
        "settings": fresh.settings,
        "field_mapping": fresh.field_mapping,
        "stage_mapping": fresh.stage_mapping,
        "is_active": fresh.is_active,
        "demo_mode": fresh.demo_mode,
        "state": fresh.state,
        "pull_cursor": fresh.pull_cursor,
        "last_pulled_at": fresh.last_pulled_at,
        "links": CrmLink.objects.unscoped().filter(connection=fresh).count(),
        "audit": AuditEvent.objects.unscoped().count(),
    }


def flashes(answer) -> list[tuple[str, str]]:
    """The banners shown at the top of the page: (tone, text)."""
    found = re.findall(
        r'<div class="alert alert-(\w+) alert-dismissible[^"]*" role="alert">\s*(.*?)\s*<button',
        answer.content.decode(),
        flags=re.DOTALL,
    )
    return [(tone, html.unescape(text)) for tone, text in found]


def sync_log(client, connection, **filters) -> str:
    text = client.get(page(connection), filters).content.decode()
    return html.unescape(text[text.index('id="crm-sync-log"') :])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_test_connection_shows_a_failing_crm_in_words_logs_it_and_changes_nothing(
    acme, fake, no_waiting
):
    fake.answer("GET", "/api/opportunities", (401, "token expired"))
    client = acme.client(acme.admin)
    connection = set_up(client, f"{fake.url}/api")
    before = stored(connection)

    answer = client.post(act(connection, "test"), follow=True)

    assert answer.status_code == 200
    assert answer.redirect_chain == [(page(connection), 302)]
    ((tone, text),) = flashes(answer)
    assert tone == "danger"
    assert "the CRM refused the credentials (HTTP 401)" in text
    assert "check the Authorization header" in text
    assert len(fake.requests) == 1  # a refusal is not retried
    assert fake.requests[0].headers["Authorization"] == TOKEN
    entry = CrmSyncLog.objects.unscoped().get(connection=connection)
    assert (entry.direction, entry.ok) == ("test", False)
    log = sync_log(client, connection, outcome="error")
    assert "refused the credentials (HTTP 401)" in log and "Failed" in log
    assert stored(connection) == before

    # The CRM's address now points at a port nobody listens on.
    address = f"http://127.0.0.1:{closed_port()}/api"
    save_settings(client, connection, setting_base_url=address)
    before = stored(connection)

    answer = client.post(act(connection, "test"), follow=True)

    assert answer.status_code == 200
    ((tone, text),) = flashes(answer)
    assert tone == "danger"
    assert "could not reach the CRM" in text and "127.0.0.1" in text
    assert "object at 0x" not in text and "HTTPConnectionPool" not in text
    assert no_waiting == [1, 2]  # tried again in place before giving up
    assert CrmSyncLog.objects.unscoped().filter(connection=connection, ok=False).count() == 2
    assert "could not reach the CRM" in sync_log(client, connection, outcome="error")
    assert stored(connection) == before

    # Back at the fake CRM, which now answers: the same button says so.
    save_settings(client, connection, setting_base_url=f"{fake.url}/api")
    fake.answer("GET", "/api/opportunities", (200, []))
    before = stored(connection)

    answer = client.post(act(connection, "test"), follow=True)

    assert answer.status_code == 200
    assert flashes(answer) == [("success", f"Connected to {fake.url}/api.")]
    assert CrmSyncLog.objects.unscoped().filter(connection=connection, ok=True).count() == 1
    assert f"Connected to {fake.url}/api." in sync_log(client, connection, outcome="ok")
    assert stored(connection) == before


def partner_pages(world, deal) -> tuple[str, str, str]:
    """As the partner sees the deal: its row on the pipeline page, the facts on its portal page,
    and that whole page."""
    client = world.client(world.partner_sales)
    listing = client.get(reverse("portal_deals"))
    assert listing.status_code == 200
    rows = re.findall(r"<tr>.*?</tr>", listing.content.decode(), flags=re.DOTALL)
    (row,) = [row for row in rows if str(deal.uuid) in row]
    detail = client.get(reverse("portal_deal_detail", kwargs={"deal_uuid": deal.uuid}))
    assert detail.status_code == 200
    text = html.unescape(detail.content.decode())
    (facts,) = re.findall(r"<dl .*?</dl>", text, flags=re.DOTALL)
    return html.unescape(row), facts, text


def assert_nothing_of_the_crm_but_the_pipeline(*texts: str) -> None:
    for text in texts:
        for secret in (
            CRM_AMOUNT,
            "987,654",
            CRM_OWNER,
            OPPORTUNITY_ID,
            ACCOUNT_ID,
            CRM_STAGE,
            "In-house CRM",
        ):
            assert secret not in text, secret


def test_the_crms_stage_next_step_and_notes_show_on_the_partners_pages_and_nothing_else(acme, fake):
    client = acme.client(acme.admin)
    connection = set_up(
        client, f"{fake.url}/api", other_stages=f"{CRM_STAGE} = Negotiation\nWon = Closing"
    )
    deal = approved_deal(acme)
    fake.answer(
        "PUT",
        f"/api/opportunities/by-deal/{deal.uuid}",
        (201, {"id": OPPORTUNITY_ID, "account_id": ACCOUNT_ID}),
    )
    relay.sweep()
    assert CrmLink.objects.unscoped().get(connection=connection).opportunity_id == OPPORTUNITY_ID
    fake.answer(
        "GET",
        "/api/opportunities/changes",
        (
            200,
            [
                {
                    "id": OPPORTUNITY_ID,
                    "prm_deal_id": str(deal.uuid),
                    "account_id": ACCOUNT_ID,
                    "stage": CRM_STAGE,
                    "next_step": "Legal review with the customer's counsel",
                    "notes": "Budget confirmed by the CFO",
                    "amount": CRM_AMOUNT,
                    "owner": CRM_OWNER,
                    "probability": 80,
                    "updated_at": "2024-06-01T10:00:00Z",
                }
            ],
        ),
    )

    answer = client.post(act(connection, "pull"), follow=True)

    assert flashes(answer) == [("success", "Pulled: 1 registration updated.")]
    row, facts, detail = partner_pages(acme, deal)
    for text in (row, facts):
        assert "Negotiation" in text and "negotiation" not in text  # in words, not the code
        assert "Legal review with the customer's counsel" in text
        assert "Budget confirmed by the CFO" in text
    assert_nothing_of_the_crm_but_the_pipeline(row, detail)

    # The CRM notifies a later change (signed, on the connection's inbound URL).
    body = json.dumps(
        {
            "id": OPPORTUNITY_ID,
            "stage": "Won",
            "next_step": "Signature expected Friday",
            "notes": "Purchase order requested",
            "amount": CRM_AMOUNT,
            "owner": CRM_OWNER,
        }
    ).encode()
    inbound = reverse("crm_inbound", kwargs={"connection_uuid": connection.uuid})
    answer = acme.client().post(
        inbound,
        body,
        content_type="application/json",
        HTTP_PRM_SIGNATURE=signing.sign([SECRET], body),
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["updated"] == 1

    row, facts, detail = partner_pages(acme, deal)
    for text in (row, facts):
        assert "Closing" in text and "closing" not in text
        assert "Signature expected Friday" in text and "Purchase order requested" in text
        assert "Legal review" not in text and "Budget confirmed" not in text
    assert_nothing_of_the_crm_but_the_pipeline(row, detail)

    # Another partner of the same program neither opens it nor sees it listed.
    other = acme.client(acme.other_partner_admin)
    detail_url = reverse("portal_deal_detail", kwargs={"deal_uuid": deal.uuid})
    assert other.get(detail_url).status_code == 404
    listing = other.get(reverse("portal_deals"))
    assert listing.status_code == 200 and str(deal.uuid) not in listing.content.decode()


@pytest.mark.parametrize(
    "name",
    ["manager", "executive", "partner_admin", "partner_sales", "other_partner_admin"],
)
def test_only_program_admins_test_pull_or_change_a_connection(acme, fake, name):
    connection = set_up(acme.client(acme.admin), f"{fake.url}/api")
    fake.answer("GET", "/api/opportunities", (200, []))
    fake.answer("GET", "/api/opportunities/changes", (200, []))
    before = stored(connection)
    client = acme.client(getattr(acme, name))
    changed = {
        "name": "Hijacked",
        "is_active": "on",
        "setting_base_url": "http://attacker.example/api",
        "setting_auth_header": "Bearer stolen",
    }

    answers = [
        client.post(act(connection, "test")),
        client.post(act(connection, "pull")),
        client.get(page(connection)),
        client.post(page(connection), changed),
    ]

    assert [answer.status_code in (403, 404) for answer in answers] == [True] * 4, [
        answer.status_code for answer in answers
    ]
    assert fake.requests == []  # the CRM was never called
    assert not CrmSyncLog.objects.unscoped().exists()
    assert stored(connection) == before
    # The program admin may: the same buttons call the CRM.
    admin = acme.client(acme.admin)
    assert admin.post(act(connection, "test")).status_code == 302
    assert admin.post(act(connection, "pull")).status_code == 302
    assert [request.path for request in fake.requests] == [
        "/api/opportunities",
        "/api/opportunities/changes",
    ]


def test_an_admin_of_another_program_gets_404_on_the_connection(acme, globex, fake):
    connection = set_up(acme.client(acme.admin), f"{fake.url}/api")
    before = stored(connection)
    client = globex.client(globex.admin)

    for answer in (
        client.post(act(connection, "test")),
        client.post(act(connection, "pull")),
        client.get(page(connection)),
        client.post(page(connection), {"name": "Hijacked", "setting_base_url": "http://x/"}),
    ):
        assert answer.status_code == 404
    assert fake.requests == []
    assert not CrmSyncLog.objects.unscoped().exists()
    assert stored(connection) == before
