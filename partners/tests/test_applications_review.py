"""Applications held for review: an application that matched an existing partner changed nothing;
staff merge the fields they choose, create a new prospect from it, or reject it (console pages,
owner / wrong role / other tenant)."""

import pytest
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from partners.models import (
    Application,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerSource,
)
from partners.services import organization as organization_services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import SYSTEM
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db
S = LifecycleState
LIST = "/console/applications/"
REVIEW = LIST + "?tab=review"


def held_application(world, partner=None, **overrides) -> Application:
    """What the public form stores when a submission names a known partner."""
    partner = partner or world.partner
    values = {
        "tenant": world.tenant,
        "partner": partner,
        "held_for_review": True,
        "company_name": "Bluefin Cloud Partners",
        "website": "https://www.bluefin.example/",
        "domain": "bluefin.example",
        "hq_country": "DE",
        "regions": ["EMEA", "NA"],
        "employee_band": "51",
        "partner_types": ["msp", "reseller"],
        "skills": ["Kubernetes"],
        "contact_name": "Jana Novak",
        "contact_email": "jana@bluefin.example",
        "contact_title": "CEO",
        "message": "We run Kubernetes for Mittelstand customers.",
        **overrides,
    }
    with tenant_context(world.tenant):
        return Application.objects.create(**values)


def url(application, action=""):
    base = reverse("console_application_detail", kwargs={"application_uuid": application.uuid})
    return f"{base}{action}/" if action else base


def set_profile(partner, **values):
    PartnerOrganization.objects.unscoped().filter(pk=partner.pk).update(**values)
    partner.refresh_from_db()


# --- The list and the detail page ------------------------------------------------------------


def test_admin_sees_held_applications_and_the_board_points_to_them(acme):
    application = held_application(acme)
    held_application(acme, partner=acme.other_partner, company_name="Other Co")
    response = acme.client(acme.admin).get(REVIEW)
    assert response.status_code == 200
    assert {a.company_name for a in response.context["applications"]} == {
        "Bluefin Cloud Partners",
        "Other Co",
    }
    assert url(application).encode() in response.content
    board = acme.client(acme.admin).get("/console/recruitment/")
    assert board.context["to_review"] == 2
    assert b"applications-to-review-banner" in board.content


def test_a_channel_manager_sees_only_applications_on_their_partners(acme):
    held_application(acme)  # acme.partner is acme.manager's
    other = held_application(acme, partner=acme.other_partner, company_name="Other Co")
    response = acme.client(acme.manager).get(REVIEW)
    assert [a.company_name for a in response.context["applications"]] == ["Bluefin Cloud Partners"]
    assert acme.client(acme.manager).get(url(other)).status_code == 404


def test_decided_and_ordinary_applications_are_not_listed(acme):
    held_application(acme, decision="merged", decided_at=timezone.now(), company_name="Done Co")
    held_application(acme, held_for_review=False, company_name="Normal Co")
    response = acme.client(acme.admin).get(REVIEW)
    assert list(response.context["applications"]) == []


def test_detail_shows_submitted_values_next_to_the_record_with_the_three_actions(acme):
    set_profile(acme.partner, hq_country="AT", regions=["APAC"], employee_band="1001")
    application = held_application(acme)
    response = acme.client(acme.manager).get(url(application))
    assert response.status_code == 200
    rows = {row["field"]: row for row in response.context["rows"]}
    assert rows["hq_country"]["current"] == "Austria"
    assert rows["hq_country"]["submitted"] == "Germany"
    assert rows["regions"]["submitted"] == "Europe, Middle East & Africa, North America"
    assert rows["regions"]["differs"] and rows["employee_band"]["differs"]
    for form_id in (b'id="merge-form"', b'id="create-form"', b'id="reject-form"'):
        assert form_id in response.content


def test_read_only_staff_see_the_detail_without_actions(acme):
    application = held_application(acme)
    response = acme.client(acme.marketing).get(url(application))
    assert response.status_code == 200
    assert b'id="merge-form"' not in response.content


def test_partner_users_and_direct_sales_get_403(acme):
    application = held_application(acme)
    for user in (acme.partner_admin, acme.sales):
        client = acme.client(user)
        assert client.get(LIST).status_code == 403
        assert client.get(url(application)).status_code == 403
        assert client.post(url(application, "reject")).status_code == 403


def test_another_tenants_application_is_404(acme, globex):
    application = held_application(globex)
    client = acme.client(acme.admin)
    assert client.get(url(application)).status_code == 404
    for action in ("merge", "create", "reject"):
        assert client.post(url(application, action), {"name": "X"}).status_code == 404
    with tenant_context(globex.tenant):
        assert Application.objects.get(pk=application.pk).decided_at is None


# --- Merge --------------------------------------------------------------------------------------


def test_merge_takes_only_the_chosen_fields_and_adds_to_lists(acme):
    set_profile(
        acme.partner,
        hq_country="AT",
        regions=["APAC"],
        employee_band="1001",
        partner_types=["reseller"],
        skills=["Helm"],
    )
    application = held_application(acme)
    response = acme.client(acme.manager).post(
        url(application, "merge"),
        {"fields_to_take": ["regions", "skills"], "contact_role": "technical"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "console_partner_detail", kwargs={"partner_uuid": acme.partner.uuid}
    )
    acme.partner.refresh_from_db()
    assert acme.partner.regions == ["APAC", "EMEA", "NA"]
    assert acme.partner.skills == ["Helm", "Kubernetes"]
    # Not chosen: staff's values stay.
    assert acme.partner.hq_country.code == "AT" and acme.partner.employee_band == "1001"
    assert acme.partner.partner_types == ["reseller"]
    assert acme.partner.state == S.PROSPECT
    with tenant_context(acme.tenant):
        application.refresh_from_db()
        contact = PartnerContact.objects.get(partner=acme.partner, email="jana@bluefin.example")
        audit = AuditEvent.objects.get(action="partner_application.merged")
    assert contact.role == "technical"
    assert application.decision == "merged" and application.decided_by == acme.manager
    assert audit.changes["fields"] == ["regions", "skills"]


def test_merge_without_a_contact_role_adds_no_contact(acme):
    application = held_application(acme)
    acme.client(acme.admin).post(url(application, "merge"), {"fields_to_take": ["employee_band"]})
    acme.partner.refresh_from_db()
    assert acme.partner.employee_band == "51"
    with tenant_context(acme.tenant):
        assert not PartnerContact.objects.filter(email="jana@bluefin.example").exists()


def test_merging_a_website_another_partner_uses_is_a_field_error(acme):
    PartnerOrganizationFactory(tenant=acme.tenant, domain="bluefin.example")
    application = held_application(acme)
    before = acme.partner.website
    response = acme.client(acme.admin).post(
        url(application, "merge"), {"fields_to_take": ["website"]}
    )
    assert response.status_code == 400
    assert "bluefin.example" in " ".join(response.context["merge_form"].non_field_errors())
    acme.partner.refresh_from_db()
    assert acme.partner.website == before
    application.refresh_from_db()
    assert application.decided_at is None


def test_an_application_is_merged_only_once(acme):
    application = held_application(acme)
    client = acme.client(acme.admin)
    assert client.post(url(application, "merge"), {"fields_to_take": []}).status_code == 302
    response = client.post(url(application, "merge"), {"fields_to_take": ["employee_band"]})
    assert response.status_code == 400
    assert b"already been dealt with" in response.content
    acme.partner.refresh_from_db()
    assert acme.partner.employee_band != "51"


def test_read_only_roles_and_other_managers_cannot_merge(acme):
    application = held_application(acme, partner=acme.other_partner)
    assert (
        acme.client(acme.marketing)
        .post(url(application, "merge"), {"fields_to_take": ["employee_band"]})
        .status_code
        == 403
    )
    # acme.manager does not manage other_partner: it is not even visible to them.
    assert (
        acme.client(acme.manager)
        .post(url(application, "merge"), {"fields_to_take": ["employee_band"]})
        .status_code
        == 404
    )
    acme.other_partner.refresh_from_db()
    assert acme.other_partner.employee_band == ""


# --- Create as a new prospect, reject ------------------------------------------------------------


def test_create_as_new_prospect_joins_the_pipeline_and_is_decided_like_any_application(
    acme, django_capture_on_commit_callbacks
):
    application = held_application(acme, website="", domain="")
    response = acme.client(acme.admin).post(
        url(application, "create"),
        {"name": "Bluefin Cloud Partners AG", "website": "https://bluefin-cloud.example"},
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        partner = PartnerOrganization.objects.get(name="Bluefin Cloud Partners AG")
        application.refresh_from_db()
        assert PartnerContact.objects.get(partner=partner).role == "primary"
    assert partner.state == S.APPLIED and partner.source == PartnerSource.APPLICATION
    assert partner.domain == "bluefin-cloud.example"
    assert partner.regions == ["EMEA", "NA"] and partner.partner_type == "msp"
    assert application.partner == partner and not application.held_for_review
    # The original partner is untouched; approving the new one decides the application.
    with django_capture_on_commit_callbacks(execute=True):
        acme.client(acme.admin).post(
            reverse("console_partner_transition", kwargs={"partner_uuid": partner.uuid}),
            {"to_state": "approved"},
        )
    application.refresh_from_db()
    assert application.decision == "approved"
    assert mail.outbox[-1].to == ["jana@bluefin.example"]


def test_create_with_the_matched_partners_domain_is_a_field_error(acme):
    application = held_application(acme)
    response = acme.client(acme.admin).post(
        url(application, "create"), {"name": "Bluefin Two", "website": acme.partner.website}
    )
    assert response.status_code == 400
    assert "website" in response.context["create_form"].errors
    with tenant_context(acme.tenant):
        assert not PartnerOrganization.objects.filter(name="Bluefin Two").exists()
        assert Application.objects.get(pk=application.pk).held_for_review


def test_reject_tells_the_applicant_without_naming_the_matched_partner(
    acme, django_capture_on_commit_callbacks
):
    set_profile(acme.partner, name="Staff Secret Name")
    application = held_application(acme)
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.manager).post(
            url(application, "reject"), {"reason": "Please contact your account team."}
        )
    assert response.status_code == 302 and response["Location"] == LIST
    application.refresh_from_db()
    assert application.decision == "rejected" and application.decided_by == acme.manager
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jana@bluefin.example"]
    body = mail.outbox[0].body
    assert "Bluefin Cloud Partners" in body and "Staff Secret Name" not in body
    assert "Please contact your account team." in body


def test_the_matched_partners_lifecycle_does_not_decide_a_held_application(
    acme, django_capture_on_commit_callbacks
):
    set_profile(acme.partner, state=S.APPLIED)
    application = held_application(acme)
    with django_capture_on_commit_callbacks(execute=True):
        acme.client(acme.admin).post(
            reverse("console_partner_transition", kwargs={"partner_uuid": acme.partner.uuid}),
            {"to_state": "approved"},
        )
    acme.partner.refresh_from_db()
    assert acme.partner.state == S.APPROVED
    application.refresh_from_db()
    assert application.decided_at is None
    assert mail.outbox == []  # the applicant is not welcomed into someone else's record


# --- One partner per domain ---------------------------------------------------------------------


def test_the_database_refuses_a_second_partner_with_the_same_domain_in_any_case(acme):
    with tenant_context(acme.tenant), pytest.raises(IntegrityError):
        PartnerOrganization.objects.create(
            tenant=acme.tenant,
            name="Copy",
            partner_type="reseller",
            domain=acme.partner.domain.upper(),
        )


def test_partners_without_a_domain_are_not_constrained(acme):
    with tenant_context(acme.tenant):
        for name in ("No site 1", "No site 2"):
            PartnerOrganization.objects.create(
                tenant=acme.tenant, name=name, partner_type="reseller", domain=""
            )


def test_a_concurrent_save_of_the_same_domain_is_a_field_error_not_a_500(acme, monkeypatch):
    """The check before the save passes (another transaction has not committed yet); the
    database's constraint then refuses and the service answers the usual field message."""
    real_check = organization_services._check_unique
    calls = []

    def check_that_misses_the_first_time(partner):
        calls.append(partner)
        if len(calls) > 1:
            real_check(partner)

    monkeypatch.setattr(organization_services, "_check_unique", check_that_misses_the_first_time)
    with tenant_context(acme.tenant), pytest.raises(Exception) as caught:
        organization_services.partner_organization_create(
            actor=SYSTEM, name="Racer", partner_type="reseller", website=acme.partner.website
        )
    assert caught.type.__name__ == "ValidationError"
    assert "website" in caught.value.message_dict


# Outside a transaction: SQLite's schema editor cannot change a table inside one.
@pytest.mark.django_db(transaction=True)
def test_the_migration_resolves_existing_duplicates_keeping_the_oldest(acme):
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("partners.migrations.0005_partnerorg_unique_domain")
    constraint = next(
        c for c in PartnerOrganization._meta.constraints if c.name == "partnerorg_unique_domain"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(PartnerOrganization, constraint)
    newer = PartnerOrganizationFactory(tenant=acme.tenant, name="Newer", domain="PARTNER-X.example")
    older = PartnerOrganizationFactory(tenant=acme.tenant, name="Older", domain="partner-x.example")
    set_profile(older, created_at=newer.created_at.replace(year=2020))
    elsewhere = PartnerOrganizationFactory(tenant=acme.tenant, name="Mixed", domain="MiXeD.example")
    with connection.schema_editor() as editor:
        migration.resolve_duplicate_domains(apps, editor)
        editor.add_constraint(PartnerOrganization, constraint)
    for partner in (newer, older, elsewhere):
        partner.refresh_from_db()
    assert older.domain == "partner-x.example"
    assert newer.domain == "" and newer.website  # the website is kept
    assert elsewhere.domain == "mixed.example"


# --- The same review over the API ---------------------------------------------------------------

API = "/api/v1/partner-applications/"


def api_url(application, action=""):
    return f"{API}{application.uuid}/{action + '/' if action else ''}"


def test_api_lists_applications_to_review_in_the_callers_scope(acme):
    mine = held_application(acme)
    held_application(acme, partner=acme.other_partner, company_name="Other Co")
    held_application(acme, held_for_review=False, company_name="Normal Co")
    admin = acme.api(acme.admin).get(API, {"to_review": "true"})
    assert admin.status_code == 200
    assert {row["company_name"] for row in admin.json()["results"]} == {
        "Bluefin Cloud Partners",
        "Other Co",
    }
    manager = acme.api(acme.manager).get(API, {"to_review": "true"}).json()["results"]
    assert [row["id"] for row in manager] == [str(mine.uuid)]
    assert manager[0]["partner"] == str(acme.partner.uuid) and manager[0]["held_for_review"]
    assert manager[0]["regions"] == ["EMEA", "NA"] and manager[0]["hq_country"] == "DE"


def test_api_merge_create_and_reject(acme, django_capture_on_commit_callbacks):
    merged = held_application(acme)
    response = acme.api(acme.admin).post(
        api_url(merged, "merge"), {"fields_to_take": ["employee_band"], "contact_role": ""}
    )
    assert response.status_code == 200 and response.json()["decision"] == "merged"
    acme.partner.refresh_from_db()
    assert acme.partner.employee_band == "51"

    other = held_application(acme, website="", domain="", company_name="Bluefin Two")
    response = acme.api(acme.admin).post(
        api_url(other, "create-prospect"), {"name": "Bluefin Two", "website": ""}
    )
    assert response.status_code == 200
    body = response.json()
    assert not body["held_for_review"] and body["partner_name"] == "Bluefin Two"

    rejected = held_application(acme, company_name="Bluefin Three")
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(acme.manager).post(api_url(rejected, "reject"), {"reason": "No."})
    assert response.status_code == 200 and response.json()["decision"] == "rejected"
    assert mail.outbox[-1].to == ["jana@bluefin.example"]


def test_api_refuses_bad_input_wrong_roles_and_other_tenants(acme, globex):
    application = held_application(acme)
    admin = acme.api(acme.admin)
    bad = admin.post(api_url(application, "merge"), {"fields_to_take": ["state"]})
    assert bad.status_code == 400 and "fields_to_take" in bad.json()
    assert acme.api(acme.marketing).post(api_url(application, "reject")).status_code == 403
    assert acme.api(acme.partner_admin).get(API).status_code == 403
    foreign = held_application(globex)
    assert admin.get(api_url(foreign)).status_code == 404
    assert admin.post(api_url(foreign, "reject")).status_code == 404
    application.refresh_from_db()
    assert application.decided_at is None
    twice = admin.post(api_url(application, "reject"))
    assert twice.status_code == 200
    again = admin.post(api_url(application, "merge"), {"fields_to_take": []})
    assert again.status_code == 400 and "already been dealt with" in str(again.json())


def test_create_form_offers_the_submitted_website_only_when_its_domain_is_free(acme):
    from partners.forms.applications import ApplicationCreateForm

    set_profile(acme.partner, website="https://bluefin.example", domain="bluefin.example")
    same_domain = held_application(acme)
    with tenant_context(acme.tenant):
        form = ApplicationCreateForm.for_application(same_domain)
    assert form.initial == {"name": "Bluefin Cloud Partners", "website": ""}

    set_profile(acme.partner, website="https://other.example", domain="other.example")
    name_match = held_application(acme, website="https://bluefin-cloud.example/")
    with tenant_context(acme.tenant):
        form = ApplicationCreateForm.for_application(name_match)
    assert form.initial["website"] == "https://bluefin-cloud.example/"
