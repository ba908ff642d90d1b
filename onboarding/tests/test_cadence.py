"""The 30-day cadence: each mail on its day, once; conditions, unsubscribes, the manager as
sender, safe placeholder rendering, and the public unsubscribe page."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from onboarding.models import (
    CadenceSender,
    CadenceStep,
    EmailKind,
    EmailStatus,
    EmailUnsubscribe,
    MilestoneKey,
    OnboardingRun,
)
from onboarding.models.cadence import CadenceAudience
from onboarding.services.cadence import (
    RECOMMENDED_CADENCE,
    cadence_load_recommended,
    cadence_step_create,
    unsubscribe_token,
)
from onboarding.services.progress import milestone_reach
from onboarding.tasks.cadence import send_due_cadence
from onboarding.tests.factories import AgreementSignatureFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNED_AT = datetime.fromisoformat("2026-03-02T09:00:00+00:00")


def admin_actor(world):
    return actor_for_user(world.admin, world.tenant)


def onboarding_partner(world, *, signed_at=SIGNED_AT, manager=True):
    """world.partner (partner_admin, partner_sales, ... members) signed at `signed_at`, with an
    onboarding run (its workflow not executed: the cadence only needs the run)."""
    partner = world.partner
    if not manager:
        partner.channel_manager = None
        partner.save(update_fields=["channel_manager"])
    signature = AgreementSignatureFactory(partner=partner, tenant=world.tenant, signed_at=signed_at)
    with tenant_context(world.tenant):
        return OnboardingRun.objects.create(
            tenant=world.tenant, partner=partner, signature=signature
        )


def sweep(world, capture):
    with capture(execute=True):
        return send_due_cadence.apply(kwargs={"tenant_id": world.tenant.pk}).get()


def cadence_rows(world):
    with tenant_context(world.tenant):
        return list(OutboundEmail.objects.filter(kind=EmailKind.CADENCE))


def step_of(row):
    return CadenceStep.objects.unscoped().get(uuid=row.source_uuid)


def test_recommended_cadence_loads_once(acme):
    with tenant_context(acme.tenant):
        assert cadence_load_recommended(actor=admin_actor(acme)) == len(RECOMMENDED_CADENCE)
        assert cadence_load_recommended(actor=admin_actor(acme)) == 0
        days = list(CadenceStep.objects.values_list("day_offset", flat=True))
        conditions = dict(CadenceStep.objects.values_list("day_offset", "condition"))
        senders = dict(CadenceStep.objects.values_list("day_offset", "sender"))
    assert days == [0, 2, 5, 10, 14, 21, 30]
    assert conditions[5] == "training_101" and conditions[10] == "profile_complete"
    assert conditions[14] == "first_asset" and conditions[21] == "first_deal"
    assert senders[2] == CadenceSender.CHANNEL_MANAGER


def test_each_mail_goes_on_its_day_once(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        cadence_load_recommended(actor=admin_actor(acme))
    onboarding_partner(acme)
    first_seen: dict[str, int] = {}
    for day in range(0, 33):
        for hour in (0, 6, 23):  # the sweep runs many times a day
            at = SIGNED_AT + timedelta(days=day, hours=hour)
            with time_machine.travel(at, tick=False):
                sweep(acme, django_capture_on_commit_callbacks)
            for row in cadence_rows(acme):
                first_seen.setdefault(row.idempotency_key, (at - SIGNED_AT).days)
    rows = cadence_rows(acme)
    admins = 1  # world.partner has one partner admin and four users in all
    everyone = 4
    expected = sum(
        admins if step["audience"] == CadenceAudience.ADMINS else everyone
        for step in RECOMMENDED_CADENCE
    )
    assert len(rows) == len({r.idempotency_key for r in rows}) == expected
    for row in rows:
        assert first_seen[row.idempotency_key] == step_of(row).day_offset
        assert row.status == EmailStatus.SENT
    assert len(mail.outbox) == expected


def test_a_met_condition_skips_the_mail(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        step = cadence_step_create(
            actor=admin_actor(acme),
            day_offset=5,
            subject="Finish your 101",
            body="Go",
            condition="training_101",
            audience=CadenceAudience.ADMINS,
        )
        milestone_reach(partner=acme.partner, key=MilestoneKey.TRAINING_101, at=SIGNED_AT)
    onboarding_partner(acme)
    with time_machine.travel(SIGNED_AT + timedelta(days=5, hours=1), tick=False):
        assert sweep(acme, django_capture_on_commit_callbacks) == 1
        assert sweep(acme, django_capture_on_commit_callbacks) == 0
    [row] = cadence_rows(acme)
    assert step_of(row) == step and row.status == EmailStatus.SKIPPED
    assert "101" in row.reason
    assert mail.outbox == []


def test_an_unsubscribed_address_gets_nothing(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        cadence_step_create(actor=admin_actor(acme), day_offset=0, subject="Hi", body="Tips")
        EmailUnsubscribe.objects.create(tenant=acme.tenant, email=acme.partner_admin.email)
    onboarding_partner(acme)
    with time_machine.travel(SIGNED_AT + timedelta(hours=2), tick=False):
        sweep(acme, django_capture_on_commit_callbacks)
    [row] = cadence_rows(acme)
    assert row.status == EmailStatus.UNSUBSCRIBED and mail.outbox == []


def test_manager_mail_answers_to_the_manager_from_the_program_with_placeholders_rendered(
    acme, django_capture_on_commit_callbacks
):
    acme.partner.name = "Evil <script>alert(1)</script> [x](javascript:alert(1)) Corp"
    acme.partner.save(update_fields=["name"])
    with tenant_context(acme.tenant):
        cadence_step_create(
            actor=admin_actor(acme),
            day_offset=2,
            subject="Meet {{ manager_name }}",
            body=(
                "Hi {{ first_name }}, welcome {{ partner_name }} to {{ program_name }}.\n\n"
                "Write to {{ manager_email }} or open [the portal]({{ portal_url }}). "
                "<script>alert(2)</script> {{ course_101_url }}"
            ),
            sender=CadenceSender.CHANNEL_MANAGER,
        )
    onboarding_partner(acme)
    with time_machine.travel(SIGNED_AT + timedelta(days=2, hours=1), tick=False):
        sweep(acme, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    manager = acme.manager
    # From is the program's own address (SPF/DMARC); replies go to the manager.
    assert message.from_email.startswith("Acme Partner Program <")
    assert manager.email not in message.from_email
    [reply_to] = message.reply_to
    assert parseaddr(reply_to) == (manager.full_name, manager.email)
    assert message.subject == f"Meet {manager.full_name}"
    first_name = acme.partner_admin.greeting_name
    assert f"Hi {first_name}, welcome Evil <script>" in message.body  # text part: as typed
    assert "Acme partner program" in message.body
    html = message.alternatives[0][0]
    assert "<script>" not in html.lower() and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="http://acme.localhost:8000/portal/"' in html
    assert manager.email in html
    # Every cadence mail can be unsubscribed from, in one click too (RFC 8058).
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<http://acme.localhost:8000/onboarding/unsubscribe/"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/onboarding/unsubscribe/" in html and "/onboarding/unsubscribe/" in message.body


def test_manager_mail_of_a_partner_without_manager_comes_from_the_program(
    acme, django_capture_on_commit_callbacks
):
    acme.tenant.support_email = "partners@acme.test"
    acme.tenant.save(update_fields=["support_email"])
    with tenant_context(acme.tenant):
        cadence_step_create(
            actor=admin_actor(acme),
            day_offset=0,
            subject="Hello from {{ manager_name }}",
            body="x",
            sender=CadenceSender.CHANNEL_MANAGER,
        )
    onboarding_partner(acme, manager=False)
    with time_machine.travel(SIGNED_AT + timedelta(hours=1), tick=False):
        sweep(acme, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.from_email.startswith("Acme Partner Program <")
    assert message.reply_to == ["partners@acme.test"]
    assert message.subject == "Hello from the Acme partner team"


def test_a_step_added_long_after_signing_is_not_sent_to_old_partners(
    acme, django_capture_on_commit_callbacks
):
    with tenant_context(acme.tenant):
        cadence_step_create(actor=admin_actor(acme), day_offset=3, subject="Late", body="x")
    onboarding_partner(acme)
    with time_machine.travel(SIGNED_AT + timedelta(days=40), tick=False):
        assert sweep(acme, django_capture_on_commit_callbacks) == 0


def test_unknown_placeholders_are_refused(acme):
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as error:
        cadence_step_create(
            actor=admin_actor(acme), day_offset=1, subject="x", body="{{ settings.SECRET_KEY }}"
        )
    assert "body" in error.value.message_dict


# --- Unsubscribe page ---------------------------------------------------------------------------


def unsubscribe_path(world, email):
    token = unsubscribe_token(tenant=world.tenant, email=email)
    return reverse("onboarding_unsubscribe", kwargs={"unsubscribe_token": token})


def test_unsubscribe_get_asks_and_post_records(acme):
    path = unsubscribe_path(acme, "Someone@NewCo.test")
    response = acme.client().get(path)
    assert response.status_code == 200
    assert b"someone@newco.test" in response.content and b"<form" in response.content
    with tenant_context(acme.tenant):
        assert not EmailUnsubscribe.objects.exists()
    response = acme.client().post(path)
    assert response.status_code == 200 and b"will receive no more" in response.content
    with tenant_context(acme.tenant):
        assert list(EmailUnsubscribe.objects.values_list("email", flat=True)) == [
            "someone@newco.test"
        ]


def test_one_click_unsubscribe_needs_no_csrf_token(acme):
    from django.test import Client

    client = Client(HTTP_HOST=acme.host(), enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_path(acme, "x@newco.test"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    with tenant_context(acme.tenant):
        assert EmailUnsubscribe.objects.filter(email="x@newco.test").exists()


def test_bad_unsubscribe_token_is_a_clear_400_and_other_tenant_404(acme, globex):
    bad = reverse("onboarding_unsubscribe", kwargs={"unsubscribe_token": "nope"})
    response = acme.client().get(bad)
    assert response.status_code == 400 and b"not valid" in response.content
    assert acme.client().post(bad).status_code == 400
    # A genuine link of another tenant: 404 like any object out of reach.
    response = acme.client().post(unsubscribe_path(globex, "x@newco.test"))
    assert response.status_code == 404
    with tenant_context(acme.tenant):
        assert not EmailUnsubscribe.objects.exists()


def test_unsubscribed_member_of_all_users_audience_only(acme, django_capture_on_commit_callbacks):
    """Audience "admins" reaches partner admins only; "all" every active member."""
    extra = UserFactory(email="extra@acme-partner.test")
    MembershipFactory(
        tenant=acme.tenant, user=extra, role=Role.PARTNER_ADMIN, partner_organization=acme.partner
    )
    with tenant_context(acme.tenant):
        cadence_step_create(actor=admin_actor(acme), day_offset=0, subject="Admins", body="x")
    onboarding_partner(acme)
    with time_machine.travel(SIGNED_AT + timedelta(hours=1), tick=False):
        sweep(acme, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [acme.partner_admin.email, "extra@acme-partner.test"]
    )


def test_a_repeated_sweep_costs_the_same_few_queries(
    acme, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from onboarding.services.cadence import cadence_send_due

    with tenant_context(acme.tenant):
        cadence_load_recommended(actor=admin_actor(acme))
    onboarding_partner(acme)
    at = SIGNED_AT + timedelta(days=3)
    with time_machine.travel(at, tick=False):
        sweep(acme, django_capture_on_commit_callbacks)
        with tenant_context(acme.tenant), django_assert_max_num_queries(8):
            assert cadence_send_due() == 0  # everything due already has its row
