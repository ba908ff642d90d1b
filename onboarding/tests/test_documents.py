"""Versioned documents written once: the rules of engagement (partners) and the partner agreement
(onboarding) go through the same service (partners.services.documents: draft → publish →
accept/sign) and the same console pages (partners.views.documents, templates/documents/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from onboarding.models import AgreementSignature, AgreementTemplate
from onboarding.selectors.agreements import AGREEMENT
from onboarding.services.agreements import agreement_sign
from partners.models import LifecycleState, RoeAcceptance, RulesOfEngagement
from partners.selectors.documents import DocumentKind, current_for_partner, is_current
from partners.selectors.roe import ROE
from partners.services import documents
from partners.services.roe import roe_accept
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    kind: DocumentKind
    model: type
    fields: dict[str, Any]
    record_model: type
    list_url: str
    detail_url: str
    publish_url: str
    preview_url: str

    def accept(self, world, document, user=None):
        actor = actor_for_user(user or world.partner_admin, world.tenant)
        if self.kind is ROE:
            return roe_accept(actor=actor, rules=document)[0]
        return agreement_sign(
            actor=actor, template=document, signer_name="Pat", signer_title="CEO", agree=True
        )


CASES = {
    "roe": Case(
        kind=ROE,
        model=RulesOfEngagement,
        fields={"change_summary": "First rules"},
        record_model=RoeAcceptance,
        list_url="console_roe",
        detail_url="console_roe_detail",
        publish_url="console_roe_publish",
        preview_url="console_roe_preview",
    ),
    "agreement": Case(
        kind=AGREEMENT,
        model=AgreementTemplate,
        fields={"partner_type": "", "summary_of_changes": "First agreement"},
        record_model=AgreementSignature,
        list_url="console_agreements",
        detail_url="console_agreement_detail",
        publish_url="console_agreement_publish",
        preview_url="console_agreement_preview",
    ),
}


@pytest.fixture(params=list(CASES))
def case(request, acme):
    # A partner signs the agreement only once approved into the program.
    acme.partner.state = LifecycleState.APPROVED
    acme.partner.save(update_fields=["state"])
    return CASES[request.param]


def draft(world, case, title="Terms", body="# Terms\n\nPlay fair."):
    with tenant_context(world.tenant):
        return documents.document_draft_create(
            case.kind,
            actor=actor_for_user(world.admin, world.tenant),
            title=title,
            body=body,
            **case.fields,
        )


def publish(world, case, document):
    with tenant_context(world.tenant):
        return documents.document_publish(
            case.kind, actor=actor_for_user(world.admin, world.tenant), document=document
        )


# --- One service --------------------------------------------------------------------------------


def test_draft_publish_and_accept_through_one_service(acme, case):
    document = draft(acme, case)
    with tenant_context(acme.tenant):
        assert document.published_at is None and not is_current(case.kind, document)
        assert current_for_partner(case.kind, acme.partner) is None
        with pytest.raises(ValidationError):
            case.accept(acme, document)  # a draft is not signable
    document = publish(acme, case, document)
    with tenant_context(acme.tenant):
        assert document.version == 1 and document.published_at is not None
        assert is_current(case.kind, document)
        assert current_for_partner(case.kind, acme.partner) == document
        record = case.accept(acme, document)
        assert case.record_model.objects.get() == record
        assert record.partner == acme.partner
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {f"{case.kind.name}.draft_created", f"{case.kind.name}.published"} <= actions


def test_published_text_is_frozen_and_a_new_version_supersedes_it(acme, case):
    v1 = publish(acme, case, draft(acme, case))
    with tenant_context(acme.tenant), pytest.raises(ValidationError, match="published version"):
        documents.document_draft_update(
            case.kind,
            actor=actor_for_user(acme.admin, acme.tenant),
            document=v1,
            title="Changed",
            body="Changed",
        )
    v2 = publish(acme, case, draft(acme, case, title="Second"))
    with tenant_context(acme.tenant):
        v1.refresh_from_db()
        assert v1.title == "Terms" and v2.version == 2
        assert is_current(case.kind, v2) and not is_current(case.kind, v1)
        with pytest.raises(ValidationError, match="current version"):
            case.accept(acme, v1)
        assert not case.record_model.objects.exists()


def test_only_program_managers_write_and_only_partner_admins_accept(acme, case):
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        documents.document_draft_create(
            case.kind,
            actor=actor_for_user(acme.executive, acme.tenant),
            title="Nope",
            body="Nope",
        )
    document = publish(acme, case, draft(acme, case))
    with tenant_context(acme.tenant):
        for user in (acme.partner_sales, acme.admin):
            with pytest.raises(PermissionDenied):
                case.accept(acme, document, user=user)
        assert not case.record_model.objects.exists()


def test_the_generic_accept_records_only_the_current_version_through_the_kinds_callback(acme, case):
    old = publish(acme, case, draft(acme, case))
    current = publish(acme, case, draft(acme, case, title="Current"))
    recorded = []

    def record(partner, document):
        recorded.append((partner, document))
        return "recorded"

    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.partner_admin, acme.tenant)
        with pytest.raises(ValidationError):
            documents.document_accept(case.kind, actor=actor, document=old, record=record)
        assert recorded == []
        result = documents.document_accept(case.kind, actor=actor, document=current, record=record)
    assert result == "recorded" and recorded == [(acme.partner, current)]


def test_rules_are_numbered_when_published_agreements_when_drafted(acme):
    first, second = draft(acme, CASES["roe"], title="A"), draft(acme, CASES["roe"], title="B")
    assert (first.version, second.version) == (1, 2)  # provisional
    assert publish(acme, CASES["roe"], second).version == 1
    assert publish(acme, CASES["roe"], first).version == 2

    first, second = (
        draft(acme, CASES["agreement"], title="A"),
        draft(acme, CASES["agreement"], title="B"),
    )
    assert (first.version, second.version) == (1, 2)  # final
    assert publish(acme, CASES["agreement"], second).version == 2
    with pytest.raises(ValidationError, match="Version 2 is already published"):
        publish(acme, CASES["agreement"], first)


# --- One set of console pages -------------------------------------------------------------------


def test_shared_console_pages_owner_wrong_role_and_other_tenant(acme, globex, case):
    mine = draft(acme, case, body="# Terms\n\n<script>alert(1)</script>Play fair.")
    theirs = draft(globex, case)
    manager, executive = acme.client(acme.admin), acme.client(acme.executive)

    listing = manager.get(reverse(case.list_url))
    assert listing.status_code == 200 and [d.pk for d in listing.context["versions"]] == [mine.pk]
    page = manager.get(reverse(case.detail_url, args=[mine.uuid]))
    assert page.status_code == 200 and page.context["form"] is not None
    html = page.content.decode()
    assert 'id="document-preview"' in html and reverse(case.preview_url) in html
    assert "<script>" not in html  # the preview pane is sanitised

    preview = manager.post(reverse(case.preview_url), {"body": "**bold**<script>x</script>"})
    assert preview.status_code == 200
    assert b"<strong>bold</strong>" in preview.content and b"<script>" not in preview.content

    # Wrong role: executives read, never write; partners never see the console.
    assert executive.get(reverse(case.list_url)).context["form"] is None
    assert executive.post(reverse(case.publish_url, args=[mine.uuid])).status_code == 403
    assert executive.post(reverse(case.preview_url), {"body": "x"}).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse(case.list_url)).status_code == 403

    # Other tenant: their version does not exist here.
    assert manager.get(reverse(case.detail_url, args=[theirs.uuid])).status_code == 404
    assert manager.post(reverse(case.publish_url, args=[theirs.uuid])).status_code == 404

    response = manager.post(reverse(case.publish_url, args=[mine.uuid]))
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        mine.refresh_from_db()
        assert is_current(case.kind, mine)
    page = manager.get(reverse(case.detail_url, args=[mine.uuid]))
    assert page.context["is_current"] and page.context["form"] is None
