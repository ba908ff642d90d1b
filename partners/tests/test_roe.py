"""Rules of engagement: safe Markdown, publishing (numbering, emails), acceptance, demo data."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from partners.demo import roe as roe_demo
from partners.models import RoeAcceptance, RulesOfEngagement
from partners.selectors.roe import current_rules, roe_pending_for
from partners.services.roe import roe_accept, roe_draft_create, roe_draft_update, roe_publish
from partners.tasks.roe import request_roe_acceptances
from tenancy.access import actor_for_user
from tenancy.common.markdown import markdown_to_safe_html
from tenancy.context import tenant_context
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MALICIOUS = """\
# Rules

<script>alert('owned')</script>

<img src="x" onerror="alert('img')">

[Click me](javascript:alert('link'))

<a href="javascript:alert('raw')" onclick="alert('click')">raw link</a>

**Bold** and *italic*, `code`, [our site](https://example.com).

| Stage | Days |
|---|---|
| Approved | 90 |

> Quote
"""


def actor(world, user):
    return actor_for_user(user, world.tenant)


def draft(world, title="Rules", body="# Rules\n\nBe nice.", summary=""):
    with tenant_context(world.tenant):
        return roe_draft_create(
            actor=actor(world, world.admin), title=title, body=body, change_summary=summary
        )


def publish(world, rules, *, notify=False):
    with tenant_context(world.tenant):
        return roe_publish(actor=actor(world, world.admin), rules=rules, notify=notify)


def accept(world, user, rules, ip="192.0.2.1"):
    with tenant_context(world.tenant):
        return roe_accept(actor=actor(world, user), rules=rules, ip_address=ip)


# --- Markdown ------------------------------------------------------------------------------------


def test_markdown_removes_scripts_event_handlers_and_javascript_links():
    html = str(markdown_to_safe_html(MALICIOUS))
    assert "<script" not in html and "alert(" not in html
    assert "onerror" not in html and "onclick" not in html
    assert "javascript:" not in html
    assert "<img" not in html


def test_markdown_keeps_the_allowed_formatting_and_marks_links_noopener():
    html = str(markdown_to_safe_html(MALICIOUS))
    assert "<h1>Rules</h1>" in html
    assert "<strong>Bold</strong>" in html and "<em>italic</em>" in html
    assert "<code>code</code>" in html and "<blockquote>" in html
    assert "<table>" in html and "<td>90</td>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">our site</a>' in html


# --- Drafts and publishing -----------------------------------------------------------------------


def test_publishing_assigns_the_next_version_and_makes_it_current(acme):
    first_draft = draft(acme, title="First draft")
    second_draft = draft(acme, title="Second draft")
    # Publishing order decides the numbers, not creation order.
    assert publish(acme, second_draft).version == 1
    assert publish(acme, first_draft).version == 2
    with tenant_context(acme.tenant):
        assert current_rules().title == "First draft"
        assert set(RulesOfEngagement.objects.values_list("title", "version", "published_by")) == {
            ("Second draft", 1, acme.admin.pk),
            ("First draft", 2, acme.admin.pk),
        }
        assert AuditEvent.objects.filter(action="roe.published").count() == 2


def test_a_draft_published_after_another_draft_was_created_skips_no_number(acme):
    publish(acme, draft(acme))
    pending = draft(acme, title="Pending")
    later = draft(acme, title="Later")
    assert publish(acme, later).version == 2
    assert publish(acme, pending).version == 3


def test_publishing_twice_is_refused(acme):
    rules = publish(acme, draft(acme))
    with pytest.raises(ValidationError, match="already published"):
        publish(acme, rules)


def test_only_program_managers_publish(acme):
    rules = draft(acme)
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        roe_publish(actor=actor(acme, acme.executive), rules=rules)


def test_published_versions_cannot_be_edited_but_drafts_can(acme):
    rules = draft(acme)
    with tenant_context(acme.tenant):
        roe_draft_update(
            actor=actor(acme, acme.admin), rules=rules, title="Edited", body="New body"
        )
    publish(acme, rules)
    with tenant_context(acme.tenant), pytest.raises(ValidationError, match="cannot be changed"):
        roe_draft_update(actor=actor(acme, acme.admin), rules=rules, title="X", body="Y")
    rules.refresh_from_db()
    assert (rules.title, rules.body) == ("Edited", "New body")


def test_publishing_emails_every_active_partner_admin_once(
    acme, django_capture_on_commit_callbacks, mailoutbox
):
    inactive = UserFactory(email="gone@acme-partner.test")
    MembershipFactory(
        tenant=acme.tenant,
        user=inactive,
        role=Role.PARTNER_ADMIN,
        partner_organization=acme.other_partner,
        is_active=False,
    )
    rules = draft(acme, title="Channel rules")
    with django_capture_on_commit_callbacks(execute=True):
        publish(acme, rules, notify=True)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [acme.partner_admin.email, acme.other_partner_admin.email]
    )
    message = mailoutbox[0]
    assert "version 1" in message.subject
    assert "http://acme.localhost" in message.body and "/portal/rules/" in message.body
    assert "/portal/rules/" in message.alternatives[0][0]

    # A publish that is refused sends nothing more.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        publish(acme, rules, notify=True)
    assert len(mailoutbox) == 2


def test_a_repeated_fan_out_mails_once_and_skips_those_who_accepted(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    rules = publish(acme, draft(acme))
    accept(acme, acme.other_partner_admin, rules)
    kwargs = {"tenant_id": acme.tenant.pk, "rules_id": rules.pk}
    with django_capture_on_commit_callbacks(execute=True):
        assert request_roe_acceptances.apply(kwargs=kwargs).get() == 1
        # Run again (a redelivery with a new id, a second publish notification): nothing new.
        assert request_roe_acceptances.apply(kwargs=kwargs).get() == 0
    assert [m.to for m in mailoutbox] == [[acme.partner_admin.email]]
    # From the program; answers go to the partner's channel manager.
    assert mailoutbox[0].from_email.startswith("Acme Partner Program <")
    assert acme.manager.email in mailoutbox[0].reply_to[0]


# --- Acceptance ----------------------------------------------------------------------------------


def test_acceptance_records_who_when_which_version_and_from_where(acme):
    rules = publish(acme, draft(acme))
    before = timezone.now()
    acceptance, created = accept(acme, acme.partner_admin, rules, ip="203.0.113.9")
    assert created
    acceptance.refresh_from_db()
    assert acceptance.user == acme.partner_admin
    assert acceptance.partner == acme.partner
    assert acceptance.rules.version == 1
    assert acceptance.ip_address == "203.0.113.9"
    assert before <= acceptance.accepted_at <= timezone.now()
    with tenant_context(acme.tenant):
        assert AuditEvent.objects.filter(
            action="roe.accepted", actor=acme.partner_admin, target_id=str(rules.uuid)
        ).exists()


def test_accepting_twice_is_a_no_op(acme):
    rules = publish(acme, draft(acme))
    first, created = accept(acme, acme.partner_admin, rules)
    second, created_again = accept(acme, acme.partner_admin, rules)
    assert created and not created_again and first.pk == second.pk
    with tenant_context(acme.tenant):
        assert RoeAcceptance.objects.count() == 1
        assert AuditEvent.objects.filter(action="roe.accepted").count() == 1


def test_partner_sales_and_vendor_staff_cannot_accept(acme):
    rules = publish(acme, draft(acme))
    for user in (acme.partner_sales, acme.admin):
        with pytest.raises(PermissionDenied):
            accept(acme, user, rules)


def test_only_the_current_version_can_be_accepted(acme):
    v1 = publish(acme, draft(acme))
    publish(acme, draft(acme, title="v2"))
    with pytest.raises(ValidationError, match="current version"):
        accept(acme, acme.partner_admin, v1)
    with pytest.raises(ValidationError):
        accept(acme, acme.partner_admin, draft(acme, title="unpublished"))


def test_pending_for_a_partner_admin_until_accepted_and_again_for_a_new_version(acme):
    with tenant_context(acme.tenant):
        assert roe_pending_for(actor(acme, acme.partner_admin)) is None  # nothing published
    v1 = publish(acme, draft(acme))
    with tenant_context(acme.tenant):
        assert roe_pending_for(actor(acme, acme.partner_admin)) == v1
        assert roe_pending_for(actor(acme, acme.partner_sales)) is None
        assert roe_pending_for(actor(acme, acme.admin)) is None
    accept(acme, acme.partner_admin, v1)
    with tenant_context(acme.tenant):
        assert roe_pending_for(actor(acme, acme.partner_admin)) is None
    v2 = publish(acme, draft(acme, title="v2"))
    with tenant_context(acme.tenant):
        assert roe_pending_for(actor(acme, acme.partner_admin)) == v2


# --- Demo ----------------------------------------------------------------------------------------


def test_demo_publishes_two_versions_with_acceptances_and_is_idempotent(acme):
    staff = {"admin": acme.admin, "manager": acme.manager, "manager2": acme.manager}
    with tenant_context(acme.tenant):
        roe_demo.seed(acme.tenant, staff=staff)
        versions = list(RulesOfEngagement.objects.order_by("version"))
        acceptances = RoeAcceptance.objects.count()
        roe_demo.seed(acme.tenant, staff=staff)
        assert RulesOfEngagement.objects.count() == 2
        assert RoeAcceptance.objects.count() == acceptances
    assert [v.version for v in versions] == [1, 2]
    assert (
        all(v.published_at for v in versions)
        and versions[0].published_at < versions[1].published_at
    )
    v2 = versions[1]
    assert "90 days" in v2.body and "30 days" in v2.body and "5 business days" in v2.body
    assert "First to register wins" in v2.body
    assert acceptances >= 2
    assert all(a.accepted_at <= timezone.now() for a in RoeAcceptance.objects.unscoped().all())
