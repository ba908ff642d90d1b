"""Domain events out to webhooks: signed, retried with the same idempotency key and logged, in
order per deal, an endpoint disabled once after N failures, a partner's endpoint hearing only
its own data; and a change that rolls back emits nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dealreg.models import DealStatus
from dealreg.services.outcomes import deal_outcome
from dealreg.tests.test_conflicts import approve, ready, register
from integrations import relay, webhooks
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.signing import SignatureError, sign, verify
from tenancy.context import tenant_context
from tenancy.models import DomainEvent, OutboundEmail
from tenancy.outbox import DeliveryStatus

pytestmark = pytest.mark.django_db


def endpoint_for(world, url, user=None, events=("deal.approved", "deal.won", "deal.submitted")):
    with tenant_context(world.tenant):
        return webhooks.endpoint_create(
            actor=world.actor(user or world.admin), url=url, event_types=list(events)
        )


def approved_deal(world, **overrides):
    ready(world)
    deal = register(world, world.partner_sales, **overrides)
    return approve(world, deal)


def later(minutes: float):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=True)


def test_a_delivery_is_signed_and_verifies_with_the_documented_recipe(acme, receiver):
    endpoint, secret = endpoint_for(acme, receiver.url)
    deal = approved_deal(acme)
    relay.sweep()
    kinds = [r.json["type"] for r in receiver.received]
    assert kinds == ["deal.submitted", "deal.approved"]
    request = receiver.received[1]
    body = request.json
    assert body["data"]["deal"] == str(deal.uuid)
    assert body["data"]["partner"] == str(acme.partner.uuid)
    assert body["data"]["status"] == DealStatus.APPROVED
    assert body["program"] == acme.tenant.slug
    assert request.headers["PRM-Event-Id"] == request.headers["Idempotency-Key"] == body["id"]
    header = request.headers["PRM-Signature"]
    assert verify(secret, header, request.body)
    # The recipe by hand: HMAC-SHA256(secret, "<t>.<body>").
    import hashlib
    import hmac

    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), f"{parts['t']}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert parts["v1"] == expected
    with pytest.raises(SignatureError):
        verify(secret, header, request.body.replace(b'"approved"', b'"rejected"'))
    with pytest.raises(SignatureError):
        verify(secret, header, request.body + b" ")
    with pytest.raises(SignatureError):  # a capture replayed 6 minutes later
        verify(secret, header, request.body, now=int(parts["t"]) + 360)
    with pytest.raises(SignatureError):
        verify("whsec_another", header, request.body)
    with tenant_context(acme.tenant):
        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_500_then_200_delivers_twice_with_the_same_key_and_logs_both(acme, receiver):
    receiver.answers = [500, 200]
    endpoint_for(acme, receiver.url, events=("deal.approved",))
    approved_deal(acme)
    relay.sweep()
    with tenant_context(acme.tenant):
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.next_attempt_at > timezone.now()
    relay.sweep()  # not due yet: nothing goes
    assert len(receiver.received) == 1
    with later(2):
        relay.sweep()
    assert len(receiver.received) == 2
    first, second = receiver.received
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.body == second.body
    with tenant_context(acme.tenant):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT
        assert delivery.attempts == 2
        attempts = list(WebhookAttempt.objects.filter(delivery=delivery))
    assert [a.status_code for a in attempts] == [500, 200]
    assert "receiver error" in attempts[0].response_excerpt
    assert all(a.latency_ms >= 0 for a in attempts)
    assert not attempts[0].succeeded and attempts[1].succeeded


def test_an_endpoint_is_disabled_once_after_n_failures_and_its_owner_told(
    acme, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_DISABLE_AFTER = 3
    receiver.answers = [503]
    endpoint, _secret = endpoint_for(acme, receiver.url, events=("deal.submitted",))
    ready(acme)
    for name in ("Alpha", "Beta", "Gamma", "Delta"):
        register(acme, acme.partner_sales, customer_name=name, customer_domain=f"{name}.com")
    relay.sweep()  # four deals, four chains: each fails once
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
        assert endpoint.disabled_at is not None
        disabled_at = endpoint.disabled_at
        statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
        mails = OutboundEmail.objects.filter(kind="integrations.webhook_disabled")
        assert mails.count() == 1
        assert mails.get().recipient == acme.admin
        assert endpoint.url in mails.get().body_text
    assert len(receiver.received) == 3  # the fourth found the endpoint disabled
    assert statuses == ["failed", "failed", "failed", "skipped"]
    with later(30):
        relay.sweep()  # the retries find it disabled: skipped, nobody told again
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
        assert endpoint.disabled_at == disabled_at
        assert OutboundEmail.objects.filter(kind="integrations.webhook_disabled").count() == 1
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"skipped"}
    assert len(receiver.received) == 3
    # Enabled again by its owner: new events reach it; a missed one can be sent again.
    receiver.answers = [200]
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        webhooks.endpoint_enable(actor=acme.actor(acme.admin), endpoint=endpoint)
        missed = WebhookDelivery.objects.order_by("id").first()
        webhooks.delivery_replay(actor=acme.actor(acme.admin), delivery=missed)
    assert receiver.received[-1].headers["PRM-Event-Id"] == str(missed.event.uuid)


def test_the_events_of_one_deal_go_out_in_order(acme, receiver):
    receiver.answers = [500, 200]
    endpoint_for(acme, receiver.url, events=("deal.approved", "deal.won"))
    deal = approved_deal(acme)
    with tenant_context(acme.tenant):
        deal_outcome(
            actor=acme.actor(acme.partner_sales), registration=deal, outcome=DealStatus.WON
        )
    relay.sweep()
    # The approval failed; the win waits behind it.
    assert [r.json["type"] for r in receiver.received] == ["deal.approved"]
    with tenant_context(acme.tenant):
        won = WebhookDelivery.objects.get(event__type="deal.won")
        assert won.status == DeliveryStatus.QUEUED and won.attempts == 0
    with later(2):
        relay.sweep()
    assert [r.json["type"] for r in receiver.received] == [
        "deal.approved",
        "deal.approved",
        "deal.won",
    ]
    assert len({r.headers["PRM-Event-Id"] for r in receiver.received}) == 2


def test_a_partners_endpoint_hears_only_about_its_own_data(acme, receiver):
    endpoint_for(acme, receiver.url, user=acme.partner_admin, events=("deal.submitted",))
    ready(acme)
    mine = register(acme, acme.partner_sales, customer_name="Mine", customer_domain="mine.com")
    register(acme, acme.other_partner_admin, customer_name="Theirs", customer_domain="th.com")
    relay.sweep()
    assert [r.json["data"]["deal"] for r in receiver.received] == [str(mine.uuid)]


def test_a_rotated_secret_signs_alongside_the_old_one_during_the_overlap(acme, receiver):
    endpoint, old = endpoint_for(acme, receiver.url, events=("deal.submitted",))
    with tenant_context(acme.tenant):
        new = webhooks.endpoint_rotate_secret(actor=acme.actor(acme.admin), endpoint=endpoint)
    ready(acme)
    register(acme, acme.partner_sales)
    relay.sweep()
    request = receiver.received[-1]
    assert verify(old, request.headers["PRM-Signature"], request.body)
    assert verify(new, request.headers["PRM-Signature"], request.body)
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
        after = timezone.now() + timedelta(hours=25)
        assert endpoint.signing_secrets(after) == [new]
    header = sign([new], b"{}", timestamp=int(time.time()))
    with pytest.raises(SignatureError):
        verify(old, header, b"{}")


def test_a_change_that_rolls_back_emits_no_event(acme):
    ready(acme)
    deal = register(acme, acme.partner_sales)
    with tenant_context(acme.tenant):
        before = DomainEvent.objects.count()
        with pytest.raises(RuntimeError), transaction.atomic():
            approve(acme, deal)
            assert DomainEvent.objects.filter(type="deal.approved").count() == 1
            raise RuntimeError("the change fails after the event was written")
        assert DomainEvent.objects.count() == before
        assert not DomainEvent.objects.filter(type="deal.approved").exists()


def test_private_addresses_are_refused_unless_allowed(acme, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    for url in (
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/x",
        "https://example.com:99999/x",
    ):
        with pytest.raises(ValidationError) as caught:
            endpoint_for(acme, url)
        assert "url" in caught.value.message_dict


def test_who_may_manage_endpoints(acme, globex, receiver):
    endpoint, _secret = endpoint_for(acme, receiver.url)
    partner_endpoint, _ = endpoint_for(acme, receiver.url, user=acme.partner_admin)
    with tenant_context(acme.tenant):
        for name in ("manager", "executive", "marketing", "partner_sales"):
            actor = acme.actor(getattr(acme, name))
            assert not webhooks.endpoints_for(actor).exists()
            with pytest.raises(PermissionDenied):
                webhooks.endpoint_create(
                    actor=actor, url=receiver.url, event_types=["deal.approved"]
                )
        # The partner admin sees only its organisation's; the program admin only the program's.
        assert list(webhooks.endpoints_for(acme.actor(acme.partner_admin))) == [partner_endpoint]
        assert list(webhooks.endpoints_for(acme.actor(acme.admin))) == [endpoint]
        with pytest.raises(PermissionDenied):
            webhooks.endpoint_delete(actor=acme.actor(acme.other_partner_admin), endpoint=endpoint)
    with tenant_context(globex.tenant):
        assert not WebhookEndpoint.objects.exists()
        with pytest.raises(PermissionDenied):
            webhooks.get_endpoint(globex.actor(globex.admin), endpoint.uuid)


def test_the_ping_reaches_only_its_endpoint(acme, receiver, django_capture_on_commit_callbacks):
    endpoint, secret = endpoint_for(acme, receiver.url)
    endpoint_for(acme, receiver.url + "/other")
    with (
        tenant_context(acme.tenant),
        django_capture_on_commit_callbacks(execute=True),
    ):
        webhooks.endpoint_ping(actor=acme.actor(acme.admin), endpoint=endpoint)
    relay.sweep()
    assert [r.path for r in receiver.received] == ["/hooks"]
    request = receiver.received[0]
    assert json.loads(request.body)["type"] == "webhook.ping"
    assert verify(secret, request.headers["PRM-Signature"], request.body)


def test_a_transaction_hands_its_events_to_the_relay_once(acme, django_capture_on_commit_callbacks):
    from tenancy.events import _run_hooks

    ready(acme)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for name in ("One", "Two", "Three"):
            register(acme, acme.partner_sales, customer_name=name, customer_domain=f"{name}.io")
    assert [c for c in callbacks if c is _run_hooks] == [_run_hooks]
    with tenant_context(acme.tenant):
        assert DomainEvent.objects.filter(type="deal.submitted").count() == 3


def test_the_relay_dispatches_every_waiting_event_batch_by_batch(acme, receiver, monkeypatch):
    """More events than a batch, the first batch without a subscriber: all are dispatched."""
    monkeypatch.setattr(relay, "DISPATCH_BATCH", 2)
    ready(acme)
    for name in ("A", "B", "C"):  # 3 submitted while nobody listens
        register(acme, acme.partner_sales, customer_name=name, customer_domain=f"{name}.io")
    assert relay.dispatch(limit=2) == []  # two batches, no delivery in either
    with tenant_context(acme.tenant):
        assert not DomainEvent.objects.filter(dispatched_at=None).exists()
    endpoint_for(acme, receiver.url, events=("deal.submitted",))
    register(acme, acme.partner_sales, customer_name="D", customer_domain="d.io")
    assert len(relay.dispatch(limit=2)) == 1


def test_old_events_and_their_logs_are_pruned_but_not_what_is_unfinished(acme, receiver, settings):
    settings.WEBHOOKS_LOG_DAYS = 30
    receiver.answers = [200, 500]
    endpoint_for(acme, receiver.url, events=("deal.submitted",))
    ready(acme)
    register(acme, acme.partner_sales, customer_name="Old", customer_domain="old.io")
    register(acme, acme.partner_sales, customer_name="Failing", customer_domain="fail.io")
    relay.sweep()  # the first sent, the second failed (will retry)
    fresh = register(acme, acme.partner_sales, customer_name="New", customer_domain="new.io")
    with tenant_context(acme.tenant):
        DomainEvent.objects.exclude(aggregate_uuid=fresh.uuid).update(
            occurred_at=timezone.now() - timedelta(days=31)
        )
    assert relay.prune() == 1  # the sent one; the failed one may still be sent again
    with tenant_context(acme.tenant):
        left = set(DomainEvent.objects.values_list("payload__customer_name", flat=True))
        assert left == {"Failing", "New"}
        assert WebhookDelivery.objects.get().event.payload["customer_name"] == "Failing"
        assert not WebhookAttempt.objects.filter(delivery__event__payload__customer_name="Old")
