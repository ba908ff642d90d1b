"""Recruitment: the public application form (valid, duplicate, bot, flood) and the console
pipeline board where managers approve or reject applicants."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.forms.organization import HONEYPOT_FIELD
from partners.models import (
    Application,
    CriterionGroup,
    IdealPartnerProfile,
    IppCriterion,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerSource,
)
from partners.tests.factories import ApplicationFactory, PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db
S = LifecycleState
APPLY = "/apply/"


def form_data(**overrides):
    data = {
        "company_name": "Bluefin Cloud Partners",
        "website": "https://www.Bluefin.example/about",
        "country": "DE",
        "regions": ["EMEA", "NA"],
        "partner_types": ["msp", "reseller"],
        "employee_band": "51",
        "skills": "Kubernetes, Terraform,  kubernetes ",
        "contact_name": "Jana Novak",
        "contact_email": "Jana@Bluefin.example",
        "contact_title": "CEO",
        "message": "We run 40 Kubernetes clusters for Mittelstand customers.",
        HONEYPOT_FIELD: "",
    }
    data.update(overrides)
    return data


def with_emea_ipp(world) -> None:
    """An IPP with one criterion: serving EMEA is worth all the points."""
    with tenant_context(world.tenant):
        profile = IdealPartnerProfile.objects.create(tenant=world.tenant)
        IppCriterion.objects.create(
            tenant=world.tenant,
            profile=profile,
            group=CriterionGroup.FIRMOGRAPHIC,
            label="Serves EMEA",
            field="regions",
            operator="any_of",
            value=["EMEA"],
            weight=10,
        )


def anonymous(world) -> Client:
    return Client(HTTP_HOST=world.host(), enforce_csrf_checks=True)


def post_form(client, data):
    """GET the form (sets the CSRF cookie), then POST with the token, as a browser does."""
    client.get(APPLY)
    token = client.cookies["csrftoken"].value
    return client.post(APPLY, {**data, "csrfmiddlewaretoken": token})


# --- The public form ---------------------------------------------------------------------------


def test_anyone_sees_the_form_at_the_tenant_host(acme):
    response = anonymous(acme).get(APPLY)
    assert response.status_code == 200
    assert b'name="company_name"' in response.content
    assert f'name="{HONEYPOT_FIELD}"'.encode() in response.content
    assert acme.tenant.name.encode() in response.content


def test_there_is_no_application_form_on_the_platform_host(db):
    assert Client(HTTP_HOST="localhost").get(APPLY).status_code == 404


def test_a_valid_application_creates_a_scored_prospect_in_applied(acme):
    with_emea_ipp(acme)
    response = post_form(anonymous(acme), form_data())
    assert response.status_code == 302 and response["Location"] == reverse("partner_apply_done")
    with tenant_context(acme.tenant):
        partner = PartnerOrganization.objects.get(domain="bluefin.example")
        application = Application.objects.get(partner=partner)
        contact = PartnerContact.objects.get(partner=partner)
        event = LifecycleEvent.objects.get(partner=partner)
        assert AuditEvent.objects.filter(
            action="partner_application.submitted", target_id=str(partner.uuid)
        ).exists()
    assert partner.name == "Bluefin Cloud Partners"
    assert partner.state == S.APPLIED and partner.source == PartnerSource.APPLICATION
    assert partner.hq_country.code == "DE" and partner.regions == ["EMEA", "NA"]
    assert partner.partner_type == "msp" and partner.partner_types == ["msp", "reseller"]
    assert partner.skills == ["Kubernetes", "Terraform"]
    assert partner.employee_band == "51"
    assert partner.ipp_score == 100  # scored by the IPP engine against "serves EMEA"
    assert application.contact_email == "jana@bluefin.example"
    assert application.ip_address == "127.0.0.1"
    assert (contact.name, contact.email, contact.title) == (
        "Jana Novak",
        "jana@bluefin.example",
        "CEO",
    )
    assert (event.from_state, event.to_state, event.by) == ("", S.APPLIED, None)
    assert "jana@bluefin.example" in event.by_label


def test_the_confirmation_page_thanks_the_applicant(acme):
    response = anonymous(acme).get(reverse("partner_apply_done"))
    assert response.status_code == 200
    assert b"application is in" in response.content


def test_missing_fields_are_shown_and_nothing_is_lost(acme):
    response = post_form(anonymous(acme), form_data(contact_email="", partner_types=[]))
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"contact_email", "partner_types"}
    assert form["company_name"].value() == "Bluefin Cloud Partners"
    with tenant_context(acme.tenant):
        assert not PartnerOrganization.objects.filter(domain="bluefin.example").exists()


PROFILE_FIELDS = (
    "name",
    "website",
    "domain",
    "hq_country",
    "regions",
    "employee_band",
    "partner_type",
    "partner_types",
    "skills",
    "state",
    "state_changed_at",
    "channel_manager_id",
    "ipp_score",
)


def snapshot(partner) -> dict:
    partner.refresh_from_db()
    return {field: getattr(partner, field) for field in PROFILE_FIELDS}


def staff_prospect(world, **overrides):
    """A prospect staff entered, with a full profile and their own primary contact."""
    values = {
        "tenant": world.tenant,
        "name": "Bluefin GmbH",
        "domain": "bluefin.example",
        "website": "https://bluefin.example",
        "hq_country": "AT",
        "regions": ["APAC"],
        "employee_band": "1001",
        "partner_type": "isv",
        "partner_types": ["isv"],
        "skills": ["Helm"],
        "channel_manager": world.manager,
        **overrides,
    }
    partner = PartnerOrganizationFactory(**values)
    with tenant_context(world.tenant):
        PartnerContact.objects.create(
            tenant=world.tenant, partner=partner, name="Staff Contact", email="cto@bluefin.example"
        )
    return partner


def test_an_application_for_a_known_prospect_changes_nothing_and_is_held_for_review(acme):
    """The finding: an anonymous application with a staff prospect's domain replaced its country,
    regions, size and website, added types and skills, moved it to applied and added the
    applicant as PRIMARY contact. Now the record stays as staff left it."""
    prospect = staff_prospect(acme)
    before = snapshot(prospect)
    response = post_form(anonymous(acme), form_data())
    assert response.status_code == 302 and response["Location"] == reverse("partner_apply_done")
    assert snapshot(prospect) == before
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.filter(domain="bluefin.example").count() == 1
        contacts = list(PartnerContact.objects.filter(partner=prospect).values_list("email"))
        assert not LifecycleEvent.objects.filter(partner=prospect).exists()
        application = Application.objects.get()
        assert AuditEvent.objects.filter(
            action="partner_application.held", target_id=str(prospect.uuid)
        ).exists()
    assert contacts == [("cto@bluefin.example",)]
    # What was submitted is kept on the application, beside the partner it matched.
    assert application.partner == prospect and application.held_for_review
    assert application.decision == "" and application.decided_at is None
    assert application.company_name == "Bluefin Cloud Partners"
    assert application.domain == "bluefin.example"
    assert application.hq_country.code == "DE" and application.regions == ["EMEA", "NA"]
    assert application.partner_types == ["msp", "reseller"]
    assert application.skills == ["Kubernetes", "Terraform"]
    assert application.employee_band == "51"
    assert application.contact_email == "jana@bluefin.example"


@pytest.mark.parametrize("state", [S.PROSPECT, S.APPLIED, S.ACTIVE, S.RETIRED, S.SUSPENDED])
def test_the_applicant_cannot_tell_a_known_company_from_a_new_one(acme, state):
    existing = staff_prospect(acme, state=state)
    before = snapshot(existing)
    known = post_form(anonymous(acme), form_data(website="http://BLUEFIN.example/x"))
    new = post_form(
        anonymous(acme), form_data(company_name="Nobody Yet", website="https://nobody.example")
    )
    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    assert (known.status_code, known["Location"]) == (302, reverse("partner_apply_done"))
    assert snapshot(existing) == before
    with tenant_context(acme.tenant):
        held = Application.objects.get(held_for_review=True)
        assert held.partner == existing
        assert PartnerOrganization.objects.get(domain="nobody.example").state == S.APPLIED


def test_the_same_domain_in_another_tenant_does_not_count(acme, globex):
    PartnerOrganizationFactory(tenant=globex.tenant, domain="bluefin.example", active=True)
    assert post_form(anonymous(acme), form_data()).status_code == 302
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.get(domain="bluefin.example").state == S.APPLIED
        assert not Application.objects.get().held_for_review


def test_a_new_domain_with_a_known_company_name_is_held_not_refused(acme):
    existing = PartnerOrganizationFactory(
        tenant=acme.tenant, name="Bluefin Cloud Partners", active=True
    )
    before = snapshot(existing)
    response = post_form(anonymous(acme), form_data(company_name="bluefin  cloud partners"))
    assert response.status_code == 302 and response["Location"] == reverse("partner_apply_done")
    assert snapshot(existing) == before
    with tenant_context(acme.tenant):
        assert not PartnerOrganization.objects.filter(domain="bluefin.example").exists()
        application = Application.objects.get()
    assert application.held_for_review and application.partner == existing


def test_a_bot_filling_the_honeypot_is_rejected_and_nothing_is_saved(acme):
    response = post_form(anonymous(acme), form_data(**{HONEYPOT_FIELD: "+1 555 0100"}))
    assert response.status_code == 400
    assert b"looked automated" in response.content
    with tenant_context(acme.tenant):
        assert not PartnerOrganization.objects.filter(domain="bluefin.example").exists()
        assert not Application.objects.exists()


def test_a_flood_from_one_address_is_rate_limited_with_429(acme):
    client = anonymous(acme)
    codes = [
        post_form(client, form_data(company_name=f"Flood {i}", website=f"https://f{i}.example"))
        for i in range(7)
    ]
    assert [r.status_code for r in codes] == [302] * 5 + [429] * 2
    assert b"Please wait a little" in codes[-1].content
    with tenant_context(acme.tenant):
        assert Application.objects.count() == 5


def test_the_limit_slides_across_the_hour_boundary(acme):
    """5/hour per address is any 60 minutes, not a clock hour: five applications just before
    11:00 still block a sixth just after it, until the first one is an hour old."""
    client = anonymous(acme)

    def apply(i):
        data = form_data(company_name=f"Slide {i}", website=f"https://slide{i}.example")
        return post_form(client, data).status_code

    start = datetime(2026, 3, 2, 10, 50, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for i in range(5):
            assert apply(i) == 302
            traveller.shift(timedelta(minutes=2))  # 10:50 ... 10:58
        traveller.move_to(start.replace(hour=11, minute=5))
        assert apply(5) == 429
        traveller.move_to(start + timedelta(hours=1, seconds=1))
        assert apply(6) == 302
    with tenant_context(acme.tenant):
        assert Application.objects.count() == 6


def test_the_rate_limit_is_per_tenant(acme, globex):
    for i in range(5):
        post_form(anonymous(acme), form_data(company_name=f"A{i}", website=f"https://a{i}.example"))
    assert post_form(anonymous(globex), form_data()).status_code == 302


def test_field_errors_do_not_use_up_the_allowance(acme):
    client = anonymous(acme)
    for _ in range(8):  # a person fixing their typos, again and again
        response = post_form(client, form_data(contact_email="not-an-email"))
        assert response.status_code == 400 and b"Enter a valid email address." in response.content
    codes = [
        post_form(client, form_data(company_name=f"Ok {i}", website=f"https://ok{i}.example"))
        for i in range(6)
    ]
    assert [r.status_code for r in codes] == [302] * 5 + [429]
    with tenant_context(acme.tenant):
        assert Application.objects.count() == 5


def test_honeypot_submissions_count_toward_the_limit(acme):
    client = anonymous(acme)
    for _ in range(5):
        assert post_form(client, form_data(**{HONEYPOT_FIELD: "+1 555 0100"})).status_code == 400
    assert post_form(client, form_data()).status_code == 429
    # Once limited, even a form with errors gets the wait page (no free probing).
    assert post_form(client, form_data(contact_email="x")).status_code == 429
    with tenant_context(acme.tenant):
        assert not Application.objects.exists()


def test_csrf_stays_on_for_the_public_form(acme):
    response = anonymous(acme).post(APPLY, form_data())
    assert response.status_code == 403


# --- The pipeline board -------------------------------------------------------------------------


BOARD = "/console/recruitment/"


def test_board_shows_pipeline_columns_ranked_by_score(acme):
    low = PartnerOrganizationFactory(tenant=acme.tenant, state=S.APPLIED, ipp_score=20)
    high = PartnerOrganizationFactory(tenant=acme.tenant, state=S.APPLIED, ipp_score=90)
    unscored = PartnerOrganizationFactory(tenant=acme.tenant, state=S.APPLIED)
    PartnerOrganizationFactory(tenant=acme.tenant, active=True, name="Already active")
    response = acme.client(acme.admin).get(BOARD)
    assert response.status_code == 200
    columns = {c["state"]: c for c in response.context["columns"]}
    assert list(columns) == [S.PROSPECT, S.APPLIED, S.APPROVED, S.CONTRACTED]
    assert columns[S.APPLIED]["partners"] == [high, low, unscored]
    assert columns[S.PROSPECT]["count"] == 2  # the two fixture partners
    assert b"Already active" not in response.content
    assert high.domain.encode() in response.content


def test_channel_manager_board_shows_only_their_partners(acme):
    response = acme.client(acme.manager).get(BOARD)
    names = {p.name for c in response.context["columns"] for p in c["partners"]}
    assert names == {acme.partner.name}


def test_direct_sales_and_partners_have_no_board(acme):
    assert acme.client(acme.sales).get(BOARD).status_code == 403
    assert acme.client(acme.partner_admin).get(BOARD).status_code == 403


def test_board_query_count_does_not_grow_with_cards(acme):
    client = acme.client(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(BOARD).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(8):
        PartnerOrganizationFactory(
            tenant=acme.tenant,
            state=[S.PROSPECT, S.APPLIED, S.APPROVED, S.CONTRACTED][i % 4],
            channel_manager=acme.manager,
            ipp_score=i * 10,
        )
    assert count() == before


def test_manager_approves_an_applicant_on_the_board_with_htmx(
    acme, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(
        tenant=acme.tenant, partner__tenant=acme.tenant, partner__channel_manager=acme.manager
    )
    partner = application.partner
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.manager).post(
            reverse("console_partner_transition", kwargs={"partner_uuid": partner.uuid}),
            {"to_state": "approved", "next": "recruitment"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert b'id="pipeline-board"' in response.content and b"<html" not in response.content
    approved = {c["state"]: c for c in response.context["columns"]}[S.APPROVED]["partners"]
    assert partner in approved
    partner.refresh_from_db()
    assert partner.state == S.APPROVED
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [application.contact_email]


def test_rejecting_without_a_reason_shows_the_error_on_the_board(acme):
    application = ApplicationFactory(tenant=acme.tenant, partner__tenant=acme.tenant)
    response = acme.client(acme.admin).post(
        reverse("console_partner_transition", kwargs={"partner_uuid": application.partner.uuid}),
        {"to_state": "retired", "reason": "", "next": "recruitment"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"Say why" in response.content
    application.partner.refresh_from_db()
    assert application.partner.state == S.APPLIED
    assert mail.outbox == []


def test_rejecting_with_a_reason_without_javascript_redirects_to_the_board(
    acme, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(tenant=acme.tenant, partner__tenant=acme.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.admin).post(
            reverse(
                "console_partner_transition", kwargs={"partner_uuid": application.partner.uuid}
            ),
            {"to_state": "retired", "reason": "Outside our target market", "next": "recruitment"},
        )
    assert response.status_code == 302 and response["Location"] == BOARD
    application.refresh_from_db()
    assert application.decision == "rejected"
    assert "Outside our target market" in mail.outbox[0].body


def test_manager_cannot_decide_another_managers_applicant(acme):
    application = ApplicationFactory(tenant=acme.tenant, partner__tenant=acme.tenant)
    response = acme.client(acme.manager).post(
        reverse("console_partner_transition", kwargs={"partner_uuid": application.partner.uuid}),
        {"to_state": "approved", "next": "recruitment"},
    )
    assert response.status_code == 404


def test_read_only_roles_cannot_decide(acme):
    application = ApplicationFactory(tenant=acme.tenant, partner__tenant=acme.tenant)
    url = reverse("console_partner_transition", kwargs={"partner_uuid": application.partner.uuid})
    for user in (acme.marketing, acme.executive):
        assert acme.client(user).post(url, {"to_state": "approved"}).status_code == 403
    application.partner.refresh_from_db()
    assert application.partner.state == S.APPLIED


def test_deciding_another_tenants_applicant_is_404(acme, globex):
    application = ApplicationFactory(tenant=globex.tenant, partner__tenant=globex.tenant)
    url = reverse("console_partner_transition", kwargs={"partner_uuid": application.partner.uuid})
    assert acme.client(acme.admin).post(url, {"to_state": "approved"}).status_code == 404
