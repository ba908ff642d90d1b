"""Awarding, prerequisites, renewal, reminders, expiry and the tier link, and the PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
import weasyprint
from django.core import mail

from enablement.certs import services
from enablement.certs.models import CertificationAward, ReminderSent
from enablement.lms import services as lms_services
from partners.selectors import tiers as tier_selectors
from partners.services import tiers as tier_services
from partners.tests.test_tiers_support import activate
from tenancy.access import SYSTEM
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .factories import make_ladder, pass_quiz

pytestmark = [pytest.mark.django_db]

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


def awards(world, **filters):
    with tenant_context(world.tenant):
        return list(
            CertificationAward.objects.filter(**filters).select_related("certification", "user")
        )


def test_passing_the_exam_awards_the_certification_once(acme):
    ladder = make_ladder(acme)
    with at(NOW):
        created = pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
        again = pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    assert [a.certification.name for a in created] == [ladder["pro"].name]
    assert again == []
    (award,) = awards(acme, user=acme.partner_sales)
    assert award.partner_id == acme.partner.pk
    assert award.issued_at == NOW and award.expires_at == datetime(2027, 1, 10, 9, tzinfo=UTC)
    assert 10 <= len(award.verification_code) <= 16
    with tenant_context(acme.tenant):
        assert AuditEvent.objects.filter(action="certification.awarded").count() == 1


def test_a_failed_attempt_awards_nothing(acme):
    ladder = make_ladder(acme)
    assert pass_quiz(acme, acme.partner_sales, ladder["exam_a"], passed=False) == []
    assert awards(acme) == []


def test_expert_cannot_be_earned_without_a_valid_professional(acme):
    ladder = make_ladder(acme)
    with at(NOW):
        assert pass_quiz(acme, acme.partner_sales, ladder["exam_b"]) == []
        assert awards(acme) == []
        # Passing the Professional exam afterwards awards both: Expert's exam is already passed.
        created = pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    assert {a.certification.name for a in created} == {ladder["pro"].name, ladder["expert"].name}


def test_expired_professional_does_not_unlock_expert(acme):
    ladder = make_ladder(acme)
    with at(NOW):
        pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    with at(NOW + timedelta(days=400)):
        assert pass_quiz(acme, acme.partner_sales, ladder["exam_b"]) == []
    assert [a.certification.name for a in awards(acme)] == [ladder["pro"].name]


def test_recertification_exam_renews_and_restarts_reminders(
    acme, django_capture_on_commit_callbacks
):
    ladder = make_ladder(acme)
    with at(NOW):
        pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    (award,) = awards(acme)
    with at(award.expires_at - timedelta(days=5)), tenant_context(acme.tenant):
        services.send_recert_reminders()
        assert ReminderSent.objects.filter(award=award).count() == 3
    renew_at = award.expires_at - timedelta(days=3)
    with at(renew_at):
        renewed = pass_quiz(acme, acme.partner_sales, ladder["recert"])
    assert [a.pk for a in renewed] == [award.pk]
    (award,) = awards(acme)
    assert award.renewed_count == 1
    assert award.expires_at == renew_at + timedelta(days=365)
    # The new cycle's first reminder goes out again 60 days before the new expiry.
    mail.outbox.clear()
    with (
        at(award.expires_at - timedelta(days=59)),
        tenant_context(acme.tenant),
        django_capture_on_commit_callbacks(execute=True),  # mail goes after commit
    ):
        assert services.send_recert_reminders() == 1
    assert len(mail.outbox) == 1


def test_recert_exam_of_a_certification_not_held_awards_nothing(acme):
    ladder = make_ladder(acme)
    assert pass_quiz(acme, acme.partner_sales, ladder["recert"]) == []
    assert awards(acme) == []


def test_reminders_are_sent_once_each_at_the_offsets(acme, django_capture_on_commit_callbacks):
    ladder = make_ladder(acme)
    with at(NOW):
        pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    (award,) = awards(acme)
    expiry = award.expires_at

    def sweep(days_before):
        with (
            at(expiry - timedelta(days=days_before)),
            tenant_context(acme.tenant),
            django_capture_on_commit_callbacks(execute=True),  # mail goes after commit
        ):
            return services.send_recert_reminders()

    mail.outbox.clear()
    assert sweep(61) == 0
    assert sweep(59) == 1 and sweep(59) == 0  # run twice: no double
    assert sweep(45) == 0
    assert sweep(29) == 1 and sweep(28) == 0
    assert sweep(6) == 1 and sweep(6) == 0
    assert sweep(1) == 0
    assert [m.to for m in mail.outbox] == [[acme.partner_sales.email]] * 3
    assert ladder["pro"].name in mail.outbox[0].subject
    with tenant_context(acme.tenant):
        assert sorted(
            ReminderSent.objects.filter(award=award).values_list("offset_days", flat=True)
        ) == [7, 30, 60]
    # Once expired, no reminder at all.
    with at(expiry + timedelta(days=1)), tenant_context(acme.tenant):
        assert services.send_recert_reminders() == 0
    assert len(mail.outbox) == 3


def test_sweep_task_for_all_tenants_sends_reminders(
    acme, globex, django_capture_on_commit_callbacks
):
    from enablement.certs.tasks import send_recert_reminders_all_tenants

    ladder = make_ladder(acme)
    with at(NOW):
        pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    (award,) = awards(acme)
    mail.outbox.clear()
    with (
        at(award.expires_at - timedelta(days=10)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_recert_reminders_all_tenants.delay()
        send_recert_reminders_all_tenants.delay()
    assert len(mail.outbox) == 1
    # From the program; answers go to the partner's channel manager.
    assert mail.outbox[0].from_email.startswith("Acme Partner Program <")
    assert acme.manager.email in mail.outbox[0].reply_to[0]


def _ladder_needing_two_certified_people(world):
    from decimal import Decimal

    with tenant_context(world.tenant):
        entry = tier_services.tier_save(actor=SYSTEM, name="Registered", rank=1)
        gold = tier_services.tier_save(
            actor=SYSTEM,
            name="Certified",
            rank=2,
            min_trailing_revenue=Decimal("0"),
            min_certified_people=2,
            required_certifications=["Certified Cloud Sales Professional"],
        )
    activate(world, world.partner, tier=entry)
    return entry, gold


def test_expiry_drops_certified_people_and_tier_progress(acme, django_capture_on_commit_callbacks):
    ladder = make_ladder(acme)
    _entry, gold = _ladder_needing_two_certified_people(acme)
    with at(NOW), django_capture_on_commit_callbacks(execute=True):
        pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    with at(NOW + timedelta(days=100)), django_capture_on_commit_callbacks(execute=True):
        pass_quiz(acme, acme.partner_presales, ladder["exam_a"])
        pass_quiz(acme, acme.other_partner_admin, ladder["exam_a"])  # another org: not counted
    with at(NOW + timedelta(days=200)), tenant_context(acme.tenant):
        facts = services.certification_facts(acme.partner)
        assert facts.certified_people == 2
        assert facts.certifications == {ladder["pro"].name}
        progress = tier_selectors.tier_progress(acme.partner)
        assert progress.next_tier.pk == gold.pk
        assert all(row.met for row in progress.rows)
    # The award evaluation proposed the upgrade.
    with tenant_context(acme.tenant):
        from partners.models import TierProposal

        assert TierProposal.objects.filter(partner=acme.partner, to_tier=gold).exists()
    # The first award expires: one certified person left, the requirement is no longer met.
    with at(NOW + timedelta(days=370)), tenant_context(acme.tenant):
        services.send_recert_reminders()
        facts = services.certification_facts(acme.partner)
        assert facts.certified_people == 1
        progress = tier_selectors.tier_progress(acme.partner)
        people = next(row for row in progress.rows if row.key == "certified_people")
        assert (people.have, people.met) == (1, False)
        # The sweep re-evaluated the partner: the upgrade proposal is gone.
        assert not TierProposal.objects.filter(
            partner=acme.partner, to_tier=gold, status="pending"
        ).exists()
        assert CertificationAward.objects.filter(expiry_processed_at__isnull=False).count() == 1


def test_revoked_awards_do_not_count(acme):
    ladder = make_ladder(acme)
    pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    (award,) = awards(acme)
    with tenant_context(acme.tenant):
        from tenancy.access import actor_for_user

        services.award_revoke(
            actor=actor_for_user(acme.admin, acme.tenant), award=award, reason="Fraud"
        )
        assert services.certification_facts(acme.partner).certified_people == 0


def _pdf_text(award) -> str:
    document = weasyprint.HTML(string=services.certificate_html(award)).render()
    texts = []

    def walk(box):
        text = getattr(box, "text", None)
        if text:
            texts.append(text)
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(texts)


def test_certificate_is_a_real_pdf_with_holder_and_code(acme):
    ladder = make_ladder(acme)
    acme.partner_sales.full_name = "Pat Partner"
    acme.partner_sales.save()
    pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    (award,) = awards(acme)
    with tenant_context(acme.tenant):
        pdf = services.certificate_pdf(award)
        text = _pdf_text(award)
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-32:]
    assert len(pdf) > 2000
    assert "Pat Partner" in text
    assert award.verification_code in text
    assert f"/verify/{award.verification_code}/" in text
    assert acme.tenant.name in text


def test_lms_hook_is_registered():
    assert services.on_quiz_passed in lms_services.quiz_passed


def test_submitting_a_passing_attempt_in_the_lms_awards_through_the_hook(
    acme, django_capture_on_commit_callbacks
):
    from enablement.lms.models import Choice, Question
    from tenancy.access import actor_for_user

    ladder = make_ladder(acme)
    with tenant_context(acme.tenant):
        question = Question.objects.create(quiz=ladder["exam_a"], text="Who registers first?")
        right = Choice.objects.create(question=question, text="The partner", is_correct=True)
        Choice.objects.create(question=question, text="Nobody", is_correct=False)
        actor = actor_for_user(acme.partner_sales, acme.tenant)
        with django_capture_on_commit_callbacks(execute=True):
            attempt = lms_services.start_attempt(
                actor=actor, quiz=ladder["exam_a"], enforce_visibility=False
            )
            lms_services.submit_attempt(
                actor=actor, attempt=attempt, answers={question.pk: [right.pk]}
            )
    assert [a.certification.name for a in awards(acme)] == [ladder["pro"].name]
