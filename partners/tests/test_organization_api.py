"""Partner organisations over the API: directory filters, profile PATCH, lifecycle transition and
history, contacts; owner / wrong role (403) / other tenant (404) for each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import LifecycleEvent, PartnerContact, PartnerOrganization
from partners.tests.factories import PartnerContactFactory, PartnerOrganizationFactory
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
BASE = "/api/v1/partner-organizations/"
CONTACTS = "/api/v1/partner-contacts/"


def url(partner, suffix="") -> str:
    return f"{BASE}{partner.uuid}/{suffix}"


def reload(world, partner):
    with tenant_context(world.tenant):
        return PartnerOrganization.objects.get(pk=partner.pk)


# --- List / retrieve ---------------------------------------------------------------------------


def test_list_filters_and_sorts_like_the_directory(acme):
    PartnerOrganizationFactory(
        tenant=acme.tenant, name="Zeta", regions=["APAC"], ipp_score=70, active=True
    )
    PartnerOrganizationFactory(tenant=acme.tenant, name="Eta", regions=["APAC"], ipp_score=90)
    api = acme.api(acme.admin)
    body = api.get(BASE, {"region": "APAC", "sort": "-score"}).json()
    assert [p["name"] for p in body["results"]] == ["Eta", "Zeta"]
    assert [p["name"] for p in api.get(BASE, {"state": "active"}).json()["results"]] == ["Zeta"]
    managed = api.get(BASE, {"manager": acme.manager.email}).json()["results"]
    assert [p["name"] for p in managed] == [acme.partner.name]
    assert api.get(BASE, {"manager": "nobody@x.example"}).json()["results"] == []
    assert api.get(BASE, {"min_score": "200"}).status_code == 400


def test_retrieve_shows_the_full_profile(acme):
    body = acme.api(acme.partner_sales).get(url(acme.partner)).json()
    assert body["id"] == str(acme.partner.uuid)
    assert body["state"] == "prospect" and body["domain"] == acme.partner.domain
    assert body["channel_manager"] == acme.manager.email
    assert {"regions", "skills", "ipp_score", "tier", "partner_types"} <= set(body)


def test_partner_user_sees_only_their_organization(acme):
    body = acme.api(acme.partner_sales).get(BASE).json()
    assert [p["name"] for p in body["results"]] == [acme.partner.name]
    assert acme.api(acme.partner_sales).get(url(acme.other_partner)).status_code == 404


def test_list_query_count_does_not_grow(acme):
    api = acme.api(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(BASE).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for _ in range(6):
        PartnerOrganizationFactory(tenant=acme.tenant, channel_manager=acme.manager)
    assert count() == before


# --- PATCH profile -----------------------------------------------------------------------------


def test_channel_manager_patches_their_partner(acme):
    response = acme.api(acme.manager).patch(
        url(acme.partner),
        {"website": "https://www.NewSite.example/x", "regions": ["EMEA"], "skills": ["Go"]},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["domain"] == "newsite.example"
    partner = reload(acme, acme.partner)
    assert partner.regions == ["EMEA"] and partner.skills == ["Go"]


def test_partner_admin_patches_own_org_but_not_its_manager(acme):
    api = acme.api(acme.partner_admin)
    assert api.patch(url(acme.partner), {"description": "Hello"}).status_code == 200
    assert reload(acme, acme.partner).description == "Hello"
    assert api.patch(url(acme.partner), {"channel_manager": acme.admin.email}).status_code == 403
    assert api.patch(url(acme.other_partner), {"description": "x"}).status_code == 404


def test_program_admin_reassigns_the_channel_manager(acme):
    response = acme.api(acme.admin).patch(
        url(acme.other_partner), {"channel_manager": acme.manager.email}
    )
    assert response.status_code == 200 and response.json()["channel_manager"] == acme.manager.email


def test_the_channel_manager_field_does_not_tell_who_has_an_account(acme, globex):
    """An unknown email, another tenant's manager and a user here who is not a manager get the
    same answer, so the field cannot be used to find out who is known."""
    api = acme.api(acme.admin)
    answers = [
        api.patch(url(acme.other_partner), {"channel_manager": email})
        for email in ("nobody@nowhere.example", globex.manager.email, acme.partner_admin.email)
    ]
    assert [r.status_code for r in answers] == [400, 400, 400]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert answers[0].json() == {
        "channel_manager": ["Choose a channel manager or program admin of this program."]
    }
    assert reload(acme, acme.other_partner).channel_manager is None


@pytest.mark.parametrize("role", ["partner_sales", "marketing", "executive"])
def test_wrong_roles_cannot_patch(acme, role):
    response = acme.api(getattr(acme, role)).patch(url(acme.partner), {"description": "x"})
    assert response.status_code == 403
    assert reload(acme, acme.partner).description == ""


def test_patch_validation_errors_are_400_json(acme):
    response = acme.api(acme.admin).patch(url(acme.partner), {"regions": ["MARS"]})
    assert response.status_code == 400 and "regions" in response.json()
    response = acme.api(acme.admin).patch(url(acme.partner), {"name": acme.other_partner.name})
    assert response.status_code == 400 and "name" in response.json()


def test_patching_another_tenants_partner_is_404(acme, globex):
    assert acme.api(acme.admin).patch(url(globex.partner), {"description": "x"}).status_code == 404


# --- Transition and history --------------------------------------------------------------------


def test_transition_moves_and_history_lists_it(acme):
    api = acme.api(acme.manager)
    response = api.post(url(acme.partner, "transition/"), {"to_state": "approved", "reason": "ok"})
    assert response.status_code == 200 and response.json()["state"] == "approved"
    history = api.get(url(acme.partner, "history/")).json()
    assert history[0]["from_state"] == "prospect" and history[0]["to_state"] == "approved"
    assert history[0]["by"] == acme.manager.email and history[0]["reason"] == "ok"


def test_illegal_transition_is_400_with_the_reason(acme):
    response = acme.api(acme.admin).post(url(acme.partner, "transition/"), {"to_state": "active"})
    assert response.status_code == 400
    assert "cannot move from Prospect to Active" in response.json()["to_state"][0]


def test_transition_wrong_role_and_outsiders(acme, globex):
    body = {"to_state": "approved"}
    assert acme.api(acme.executive).post(url(acme.partner, "transition/"), body).status_code == 403
    assert (
        acme.api(acme.partner_admin).post(url(acme.partner, "transition/"), body).status_code == 403
    )
    assert (
        acme.api(acme.manager).post(url(acme.other_partner, "transition/"), body).status_code == 404
    )
    assert acme.api(acme.admin).post(url(globex.partner, "transition/"), body).status_code == 404
    with tenant_context(acme.tenant):
        assert not LifecycleEvent.objects.exists()


# --- Contacts ----------------------------------------------------------------------------------


def test_contacts_create_list_delete(acme):
    api = acme.api(acme.manager)
    response = api.post(
        CONTACTS,
        {"partner": str(acme.partner.uuid), "name": "Ann", "email": "ann@p.example"},
    )
    assert response.status_code == 201, response.json()
    contact_id = response.json()["id"]
    listed = api.get(CONTACTS, {"partner": str(acme.partner.uuid)}).json()["results"]
    assert [c["email"] for c in listed] == ["ann@p.example"]
    assert api.delete(f"{CONTACTS}{contact_id}/").status_code == 204
    with tenant_context(acme.tenant):
        assert not PartnerContact.objects.exists()


def test_contacts_wrong_role_and_outsiders(acme, globex):
    mine = PartnerContactFactory(tenant=acme.tenant, partner=acme.partner)
    other = PartnerContactFactory(tenant=acme.tenant, partner=acme.other_partner)
    theirs = PartnerContactFactory(tenant=globex.tenant, partner=globex.partner)
    assert acme.api(acme.partner_sales).delete(f"{CONTACTS}{mine.uuid}/").status_code == 403
    new = {"partner": str(acme.partner.uuid), "name": "B", "email": "b@p.example"}
    assert acme.api(acme.marketing).post(CONTACTS, new).status_code == 403
    assert acme.api(acme.manager).get(f"{CONTACTS}{other.uuid}/").status_code == 404
    assert acme.api(acme.admin).delete(f"{CONTACTS}{theirs.uuid}/").status_code == 404
    outside = {"partner": str(globex.partner.uuid), "name": "C", "email": "c@p.example"}
    assert acme.api(acme.admin).post(CONTACTS, outside).status_code == 404
    assert acme.api(acme.admin).get(CONTACTS, {"partner": "nope"}).status_code == 400
    emails = {c["email"] for c in acme.api(acme.manager).get(CONTACTS).json()["results"]}
    assert emails == {mine.email}


def test_schema_describes_the_partner_endpoints(acme):
    schema = acme.api().get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "patch" in paths["/api/v1/partner-organizations/{id}/"]
    assert "post" in paths["/api/v1/partner-organizations/{id}/transition/"]
    assert "get" in paths["/api/v1/partner-organizations/{id}/history/"]
    assert {"get", "post"} <= set(paths["/api/v1/partner-contacts/"])
    assert "delete" in paths["/api/v1/partner-contacts/{id}/"]
    params = {p["name"] for p in paths["/api/v1/partner-organizations/"]["get"]["parameters"]}
    assert {"q", "state", "tier", "region", "manager", "min_score", "sort"} <= params
