"""docs/api.md's "A partner's integration, end to end, with curl", run for real: a partner
(Northwind Systems) gets an API key, registers a deal (locked first, then 201, then a field
error), tracks it page by page, reads the pipeline fields the vendor's CRM sets, its courses,
certifications, assets and tier progress, adds a webhook endpoint and sees a delivery, and meets
a refused scope and the rate limit.

The requests are made in the document's order; each is asserted here, and then the document is
checked against what was answered: every curl of the section was made, its `# → NNN` status is
the one answered, its `-d` body has the keys sent, and every `"key": value` of its answer exists
in the real answer, with the same value unless it is one that changes on each run (ids, times,
secrets) or is trimmed with "…". Change the API or the section, and this test says where they
disagree."""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dealreg.api.registration import NEW_CONTOSO
from dealreg.models import DealRegistration
from dealreg.services.decisions import deal_approve
from dealreg.services.pipeline import deal_pipeline_from_crm
from dealreg.tests.helpers import activate, complete_101
from enablement.assets import services as asset_services
from enablement.certs import services as cert_services
from enablement.certs.models import CertificationTrack
from enablement.certs.tests.factories import pass_quiz
from enablement.lms.tests.factories import make_course
from integrations.models import WebhookEndpoint
from integrations.tests.receiver import Receiver
from partners.tests.test_tiers_support import add_revenue, make_ladder
from tenancy import services
from tenancy.access import SYSTEM
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
SECTION = "## A partner's integration, end to end, with curl"
HOST = "acme.prm.example.com"  # the tenant's domain in the document ($HOST)
SCOPES = ["deals:write", "learning:read", "program:read"]
CERTIFICATION = "Certified Cloud Sales Professional"

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Values that differ on every run: the document shows one run's.
CHANGING = re.compile(
    r"…|^[0-9a-f]{8}-[0-9a-f-]{27}$|^\d{4}-\d\d-\d\d(T[\d:.]+(Z|[+-]\d\d:\d\d)?)?$|^prm_|^whsec_"
)
CHANGING_KEYS = {"prefix", "verification_code", "key", "secret"}


# --- The walk --------------------------------------------------------------------------------


@dataclass
class Exchange:
    method: str
    path: str  # as the document writes it: ids as {id}, a followed link as $NEXT
    status: int
    answer: object
    sent: dict | None
    headers: dict = field(default_factory=dict)


class Walk:
    """Requests at the tenant's https host with a Bearer key, each recorded."""

    def __init__(self):
        self.exchanges: list[Exchange] = []

    def call(self, key: str, method: str, path: str, body=None, *, label: str | None = None):
        client = APIClient(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {key}")
        path = path.removeprefix(f"https://{HOST}")
        send = getattr(client, method.lower())
        if body is None:
            response = send(path, secure=True)
        else:
            response = send(path, body, format="json", secure=True)
        assert response["Content-Type"].startswith("application/json"), path
        self.exchanges.append(
            Exchange(
                method=method,
                path=label or UUID.sub("{id}", path),
                status=response.status_code,
                answer=response.json(),
                sent=body,
                headers=dict(response.headers),
            )
        )
        return response


def portal_key(world, **form) -> str:
    """A key made on the portal's API keys page, as the partner admin would (shown once)."""
    portal = world.client(world.partner_admin)
    page = portal.post(reverse("portal_api_keys"), form, HTTP_HOST=HOST, secure=True)
    assert page.status_code == 200
    return re.search(r"prm_[0-9a-f]{8}_[\w-]+", page.content.decode()).group(0)


def northwind(world, settings) -> None:
    """The acme program at its own domain; its partner is Northwind Systems, Priya Shah its
    admin, Jordan Lee the channel manager."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    with tenant_context(world.tenant):
        world.tenant.custom_domain = HOST
        world.tenant.save()
        world.partner.name = "Northwind Systems"
        world.partner.save()
        for user, email in (
            (world.partner_admin, "priya.shah@northwind.example"),
            (world.manager, "jordan.lee@acme.example"),
        ):
            user.email = email
            user.save()


def contoso(close_date: str) -> dict:
    """The registration docs/api.md and the OpenAPI document's example send, closing then."""
    return {**NEW_CONTOSO, "expected_close_date": close_date}


def certified(world, user) -> None:
    """The vendor's certification (its exam: a course's quiz), passed by `user`."""
    with tenant_context(world.tenant):
        course = make_course(world.tenant, title="Selling the Cloud Platform", modules=1)
        exam = course.modules.get(kind="quiz").quiz
        track = CertificationTrack.objects.create(tenant=world.tenant, name="Cloud Sales")
        cert_services.certification_save(
            actor=SYSTEM, track=track, name=CERTIFICATION, exams=[exam]
        )
    pass_quiz(world, user, exam)


def test_the_walkthrough_answers_what_docs_api_md_shows(
    acme, settings, monkeypatch, django_capture_on_commit_callbacks
):
    northwind(acme, settings)
    walk = Walk()
    partner = str(acme.partner.uuid)

    # 1. Keys: Priya makes the integration's key and her own in the portal; the vendor's program
    # admin can make one for a partner through the API.
    key = portal_key(acme, name="Northwind CRM sync", role="partner_sales", scopes=SCOPES)
    admin_key = portal_key(acme, name="Northwind admin", role="partner_admin", scopes=["*"])
    with tenant_context(acme.tenant):
        _key, vendor_key = services.api_key_create(
            actor=acme.actor(acme.admin), name="Partner provisioning", role="program_admin"
        )
    made = walk.call(
        vendor_key,
        "POST",
        "/api/v1/api-keys/",
        {
            "name": "Northwind CRM sync",
            "role": "partner_sales",
            "partner_organization": partner,
            "scopes": SCOPES,
        },
    )
    assert made.status_code == 201
    assert made.json()["key"].startswith(f"prm_{made.json()['prefix']}_")
    assert sorted(made.json()["scopes"]) == sorted(SCOPES)

    # 2. Who am I.
    me = walk.call(key, "GET", "/api/v1/me/").json()
    assert me == {
        "email": None,
        "tenant": "acme",
        "role": "partner_sales",
        "partner_organization": partner,
        "via_api_key": True,
    }

    # 3. Register a deal: locked until onboarding is done, then 201; bad input 400.
    deal = contoso((timezone.localdate() + timedelta(days=60)).isoformat())
    locked = walk.call(key, "POST", "/api/v1/deal-registrations/", deal)
    assert locked.status_code == 403
    assert locked.json()["code"] == "benefit_locked"
    assert [step["step"] for step in locked.json()["missing"]] == ["training_101"]
    activate(acme)
    complete_101(acme, acme.partner_admin)
    registered = walk.call(key, "POST", "/api/v1/deal-registrations/", deal)
    assert registered.status_code == 201
    body = registered.json()
    assert (body["status"], body["partner_name"], body["estimated_value"]) == (
        "submitted",
        "Northwind Systems",
        "48000.00",
    )
    assert body["possible_conflict"] is False and "conflicts" not in body
    deal_id = body["id"]
    invalid = walk.call(
        key,
        "POST",
        "/api/v1/deal-registrations/",
        {"customer_name": "", "estimated_value": "0", "expected_close_date": "2026-01-15"},
    )
    assert invalid.status_code == 400
    assert set(invalid.json()) == {"customer_name", "estimated_value", "expected_close_date"}
    fabrikam = {
        **deal,
        "customer_name": "Fabrikam Inc",
        "customer_domain": "fabrikam.com",
        "contact_name": "Alex Wilber",
        "contact_email": "alex.wilber@fabrikam.com",
        "estimated_value": "125000.00",
    }
    assert walk.call(key, "POST", "/api/v1/deal-registrations/", fabrikam).status_code == 201

    # The vendor approves both; its CRM moves Contoso to "proposal" with a next step.
    with tenant_context(acme.tenant):
        for registration in DealRegistration.objects.order_by("created_at"):
            deal_approve(
                actor=acme.actor(acme.manager), registration=registration, reason="Approved."
            )
        deal_pipeline_from_crm(
            registration_uuid=deal_id,
            source="CRM: Salesforce",
            sales_stage="proposal",
            next_step="Security review with Contoso IT on 12 January",
        )

    # 4. Track: the approved ones, a page at a time, following `next`.
    first = walk.call(key, "GET", "/api/v1/deal-registrations/?status=approved&page_size=1")
    page = first.json()
    assert page["previous"] is None and len(page["results"]) == 1
    assert page["results"][0]["customer_name"] == "Fabrikam Inc"  # newest first
    assert page["next"].startswith(f"https://{HOST}/api/v1/deal-registrations/?cursor=")
    second = walk.call(key, "GET", page["next"], label="$NEXT").json()
    assert second["next"] is None and second["previous"]
    assert [row["customer_name"] for row in second["results"]] == ["Contoso Ltd"]
    one = walk.call(key, "GET", f"/api/v1/deal-registrations/{deal_id}/").json()
    assert (one["status"], one["approver"]) == ("approved", "jordan.lee@acme.example")
    assert one["expires_at"]

    # 5. The pipeline fields the vendor's CRM owns.
    pipeline = walk.call(key, "GET", f"/api/v1/deal-pipeline/{deal_id}/").json()
    assert pipeline["sales_stage"] == "proposal"
    assert pipeline["next_step"] == "Security review with Contoso IT on 12 January"
    assert pipeline["lock_expires_at"] == one["expires_at"]
    staged = walk.call(key, "GET", "/api/v1/deal-pipeline/?stage=proposal").json()
    assert [row["id"] for row in staged["results"]] == [deal_id]

    # 6. Courses and certifications (the awards: the partner admin's key, the organisation's).
    certified(acme, acme.partner_admin)
    courses = walk.call(key, "GET", "/api/v1/courses/").json()
    assert [c["title"] for c in courses["results"]] == ["Partner 101", "Selling the Cloud Platform"]
    certs = walk.call(key, "GET", "/api/v1/certifications/").json()
    assert [c["name"] for c in certs["results"]] == [CERTIFICATION]
    awards = walk.call(admin_key, "GET", "/api/v1/certification-awards/").json()
    [award] = awards["results"]
    assert (award["certification_name"], award["user"], award["status"]) == (
        CERTIFICATION,
        "priya.shah@northwind.example",
        "valid",
    )
    assert walk.call(key, "GET", "/api/v1/certification-awards/").json()["results"] == []

    # 7. Assets.
    with tenant_context(acme.tenant):
        asset_services.asset_create(
            actor=acme.actor(acme.admin),
            title="Cloud Platform battle card",
            type="battle_card",
            description="Where the Cloud Platform wins against on-premises clusters.",
            product="Cloud Platform",
            url="https://cdn.acme.example/battle-cards/cloud-platform.pdf",
            is_published=True,
        )
    assets = walk.call(key, "GET", "/api/v1/assets/").json()
    [asset] = assets["results"]
    assert asset["title"] == "Cloud Platform battle card"
    assert asset["versions"][0]["download_url"].startswith("/portal/assets/")

    # 8. Tier progress: Silver, on the way to Gold.
    _registered, silver, _gold = make_ladder(acme, gold_people=2, gold_certs=(CERTIFICATION,))
    with tenant_context(acme.tenant):
        acme.partner.tier = silver
        acme.partner.save(update_fields=["tier"])
    add_revenue(acme, acme.partner, "310000", timezone.localdate() - timedelta(days=40))
    progress = walk.call(key, "GET", f"/api/v1/tier-progress/{partner}/").json()
    assert (progress["current_tier_name"], progress["next_tier_name"]) == ("Silver", "Gold")
    rows = {row["key"]: row for row in progress["requirements"]}
    assert (rows["revenue"]["have"], rows["revenue"]["pct"]) == ("310000.00", 31)
    assert not all(row["met"] for row in progress["requirements"])

    # 9. A webhook endpoint for Northwind's own events (the partner admin's key), a test event.
    created = walk.call(
        admin_key,
        "POST",
        "/api/v1/webhook-endpoints/",
        {
            "url": "https://hooks.northwind.example/prm",
            "event_types": ["deal.approved", "deal.won", "deal.expired"],
            "description": "Northwind CRM",
        },
    )
    assert created.status_code == 201
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["partner_organization"] == partner
    receiver = Receiver().start()  # stands in for hooks.northwind.example
    try:
        with tenant_context(acme.tenant):
            WebhookEndpoint.objects.filter(uuid=endpoint["id"]).update(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            ping = walk.call(admin_key, "POST", f"/api/v1/webhook-endpoints/{endpoint['id']}/ping/")
    finally:
        receiver.stop()
    assert ping.status_code == 202 and ping.json()["event_type"] == "webhook.ping"
    [received] = receiver.received
    assert received.headers["PRM-Signature"].startswith("t=")
    assert received.json["id"] == ping.json()["event"]
    log = walk.call(admin_key, "GET", f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/")
    [delivery] = log.json()["results"]
    assert (delivery["status"], delivery["attempts"]) == ("sent", 1)

    # 10. A scope the key lacks (its role could), and the rate limit.
    refused = walk.call(key, "GET", "/api/v1/campaigns/")
    assert refused.status_code == 403
    assert refused.json()["detail"].endswith("it lacks the scope marketing:read.")
    hooks = walk.call(
        key,
        "POST",
        "/api/v1/webhook-endpoints/",
        {"url": "https://hooks.northwind.example/prm", "event_types": ["deal.approved"]},
    )
    assert hooks.status_code == 403 and "integrations:write" in hooks.json()["detail"]
    from tenancy.api.throttling import PrincipalRateThrottle

    # One call a minute, counted from now: the second is one too many.
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "1/min"})
    cache.clear()
    assert walk.call(key, "GET", "/api/v1/me/").status_code == 200
    throttled = walk.call(key, "GET", "/api/v1/me/")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled.json()["detail"].startswith("Request was throttled.")

    if dump := os.environ.get("WALKTHROUGH_DUMP"):  # the answers, to update the document
        Path(dump).write_text(json.dumps([vars(e) for e in walk.exchanges], indent=2))
    check_the_document(walk.exchanges)


# --- The document ----------------------------------------------------------------------------


def section() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert SECTION in text, f"docs/api.md has no section {SECTION!r}"
    body = text.split(SECTION, 1)[1]
    return body.split("\n## ", 1)[0]


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, content) of each fenced block, in order."""
    return re.findall(r"```(\w*)\n(.*?)```", text, flags=re.DOTALL)


def commands(script: str) -> list[list[str]]:
    """The words of each curl command of a shell script (continued lines joined, quotes
    removed), up to a pipe or a closing parenthesis."""
    found = []
    lexer = shlex.shlex(script.replace("\\\n", " "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] | None = None
    for word in lexer:
        if word == "curl":
            words = []
            found.append(words)
        elif words is not None and word and set(word) <= set("();<>|&"):
            words = None
        elif words is not None:
            words.append(word)
    return found


def curl_requests(script: str) -> list[tuple[str, str, str | None]]:
    """(method, path, -d body) of each curl in a bash block; ids ($DEAL...) as {id}."""
    found = []
    for words in commands(script):
        method, url, data = "GET", None, None
        for i, word in enumerate(words):
            if word == "-X":
                method = words[i + 1]
            elif word in ("-d", "--data"):
                data = words[i + 1]
                method = "POST" if method == "GET" else method
            elif word.startswith(("$HOST", "$NEXT")):
                url = word
        assert url, f"a curl without $HOST or $NEXT: {words}"
        path = url.removeprefix("$HOST")
        path = re.sub(r"/\$\{?\w+\}?(?=/)", "/{id}", path)
        found.append((method, path, data))
    return found


def documented() -> list[dict]:
    """Each bash block with a `# → NNN` line, its last curl and the json answer after it. A body
    given as `-d "$NAME"` is the section's `NAME='…'`."""
    steps, pending, names = [], None, {}
    for language, content in blocks(section()):
        if language == "bash":
            names.update(re.findall(r"^(\w+)='(.*?)'$", content, flags=re.MULTILINE | re.DOTALL))
            status = re.search(r"^# → (\d{3})", content, flags=re.MULTILINE)
            requests = curl_requests(content)
            if status and requests:
                method, path, data = requests[-1]
                if data is not None and data.startswith("$"):
                    data = names[data.strip("${}")]
                pending = {"method": method, "path": path, "data": data, "status": int(status[1])}
                steps.append(pending)
            else:
                pending = None
        elif language == "json" and pending is not None:
            pending["answer"] = content
            pending = None
    return steps


PAIR = re.compile(r'"([A-Za-z_][\w-]*)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')


def same_each_run(value: str) -> str:
    """A scalar as JSON, with what a run changes inside it (ids, a cursor, a wait) made fixed."""
    value = UUID.sub("{id}", re.sub(r"cursor=[\w-]+", "cursor=…", value))
    return re.sub(r"\b\d+ seconds\b", "N seconds", value)


def flattened(value, pairs=None) -> set:
    """Every (key, scalar) of a JSON answer, at any depth."""
    pairs = set() if pairs is None else pairs
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                pairs.add((key, "<nested>"))
                flattened(item, pairs)
            else:
                pairs.add((key, same_each_run(json.dumps(item))))
    elif isinstance(value, list):
        for item in value:
            flattened(item, pairs)
    return pairs


def changes_each_run(key: str, value: str) -> bool:
    return key in CHANGING_KEYS or bool(
        CHANGING.search(json.loads(value) if value[0] == '"' else "")
    )


def assert_shown_as_answered(shown: str, real, where: str) -> None:
    real_pairs = flattened(real)
    real_keys = {key for key, _value in real_pairs}
    for key in re.findall(r'"([A-Za-z_][\w-]*)"\s*:', shown):
        assert key in real_keys, f"{where}: the document shows {key!r}, the API has no such field"
    for key, value in PAIR.findall(shown):
        if not changes_each_run(key, value):
            assert (key, same_each_run(json.dumps(json.loads(value)))) in real_pairs, (
                f"{where}: the document shows {key}: {value}; the API answered otherwise"
            )


def check_the_document(exchanges: list[Exchange]) -> None:
    steps = documented()
    assert len(steps) >= 15, "the walkthrough's requests were not found in docs/api.md"
    made = {(e.method, e.path.split("?")[0]) for e in exchanges}
    for language, content in blocks(section()):
        if language == "bash":
            for method, path, _data in curl_requests(content):
                assert (method, path.split("?")[0]) in made, f"not exercised: {method} {path}"
    position = 0
    for step in steps:
        where = f"{step['method']} {step['path']} → {step['status']}"
        for index in range(position, len(exchanges)):
            exchange = exchanges[index]
            if (exchange.method, exchange.path, exchange.status) == (
                step["method"],
                step["path"],
                step["status"],
            ):
                break
        else:
            pytest.fail(f"docs/api.md shows {where}, which the walk did not answer (in order)")
        position = index + 1
        assert "answer" in step, f"{where}: no json answer after the curl"
        assert_shown_as_answered(step["answer"], exchange.answer, where)
        if step["data"] is not None:
            shown = json.loads(step["data"])
            assert set(shown) == set(exchange.sent), f"{where}: the document sends other fields"
            for key, value in shown.items():
                if not changes_each_run(key, json.dumps(value)):
                    assert exchange.sent[key] == value, f"{where}: {key} differs from the test"


def test_the_walkthrough_section_pairs_each_request_with_its_answer():
    """Without a database: the section parses, and every request shown has its answer."""
    steps = documented()
    assert steps and all("answer" in step for step in steps)
    paths = {step["path"].split("?")[0] for step in steps}
    for path in (
        "/api/v1/me/",
        "/api/v1/api-keys/",
        "/api/v1/deal-registrations/",
        "/api/v1/deal-pipeline/{id}/",
        "/api/v1/courses/",
        "/api/v1/certification-awards/",
        "/api/v1/assets/",
        "/api/v1/tier-progress/{id}/",
        "/api/v1/webhook-endpoints/",
        "/api/v1/webhook-endpoints/{id}/deliveries/",
    ):
        assert path in paths, f"the walkthrough does not show {path}"
