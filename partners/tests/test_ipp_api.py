"""IPP API: /ipp-criteria/ (read with program access, write as program admin, through services)
and /ipp-scores/ (a partner's saved score and explanation, visible as the partner is)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import IppCriterion, PartnerOrganization
from partners.services import ipp as services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db

CRITERIA = "/api/v1/ipp-criteria/"
SCORES = "/api/v1/ipp-scores/"
NEW = {
    "group": "technical",
    "label": "Kubernetes",
    "field": "skills",
    "operator": "any_of",
    "value": ["Kubernetes"],
    "weight": 25,
}


def add_criterion(world, **fields):
    with tenant_context(world.tenant):
        return services.criterion_create(
            actor=actor_for_user(world.admin, world.tenant), **{**NEW, **fields}
        )


def score_all(world):
    with tenant_context(world.tenant):
        services.score_tenant()


# --- ipp-criteria --------------------------------------------------------------------------


def test_admin_creates_a_criterion_and_scores_are_recomputed(
    acme, django_capture_on_commit_callbacks
):
    with tenant_context(acme.tenant):
        PartnerOrganization.objects.filter(pk=acme.partner.pk).update(skills=["kubernetes"])
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(acme.admin).post(CRITERIA, NEW, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["label"] == "Kubernetes" and body["value"] == ["Kubernetes"]
    assert body["profile_version"] == 2
    with tenant_context(acme.tenant):
        assert IppCriterion.objects.get().uuid.hex == body["id"].replace("-", "")
        assert AuditEvent.objects.filter(action="ipp.criterion_created").exists()
    score = acme.api(acme.admin).get(f"{SCORES}{acme.partner.uuid}/").json()
    assert score["score"] == 100
    assert score["explanation"][0]["points"] == 25


def test_admin_updates_and_deletes_a_criterion(acme):
    criterion = add_criterion(acme)
    client = acme.api(acme.admin)
    url = f"{CRITERIA}{criterion.uuid}/"
    response = client.patch(url, {"weight": 40, "value": ["Kubernetes", "Helm"]}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["weight"], response.json()["value"]) == (40, ["Kubernetes", "Helm"])
    assert response.json()["label"] == "Kubernetes"  # untouched by the partial update
    assert client.delete(url).status_code == 204
    with tenant_context(acme.tenant):
        assert not IppCriterion.objects.exists()


def test_invalid_value_answers_400_json_on_the_field(acme):
    response = acme.api(acme.admin).post(
        CRITERIA, {**NEW, "field": "regions", "value": ["MARS"]}, format="json"
    )
    assert response.status_code == 400
    assert "value" in response.json()
    response = acme.api(acme.admin).post(
        CRITERIA, {**NEW, "field": "co_marketing", "operator": "gte", "value": 3}, format="json"
    )
    assert response.status_code == 400 and "operator" in response.json()


@pytest.mark.parametrize("role", ["executive", "marketing", "manager"])
def test_program_viewers_read_criteria_but_get_403_on_writes(acme, role):
    criterion = add_criterion(acme)
    client = acme.api(getattr(acme, role))
    listing = client.get(CRITERIA)
    assert listing.status_code == 200
    assert [c["label"] for c in listing.json()["results"]] == ["Kubernetes"]
    url = f"{CRITERIA}{criterion.uuid}/"
    assert client.get(url).status_code == 200
    assert client.post(CRITERIA, NEW, format="json").status_code == 403
    assert client.patch(url, {"weight": 1}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    with tenant_context(acme.tenant):
        assert IppCriterion.objects.get().weight == 25


@pytest.mark.parametrize("role", ["partner_admin", "partner_sales", "sales"])
def test_partner_users_and_direct_sales_get_403_on_criteria(acme, role):
    add_criterion(acme)
    assert acme.api(getattr(acme, role)).get(CRITERIA).status_code == 403


def test_criterion_of_other_tenant_gets_404(acme, globex):
    theirs = add_criterion(globex, label="Runs a SOC")
    client = acme.api(acme.admin)
    url = f"{CRITERIA}{theirs.uuid}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"weight": 1}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get(CRITERIA).json()["results"] == []


# --- ipp-scores ------------------------------------------------------------------------------


def test_admin_lists_scores_best_first_with_explanations(acme):
    add_criterion(acme)
    with tenant_context(acme.tenant):
        PartnerOrganization.objects.filter(pk=acme.other_partner.pk).update(skills=["Kubernetes"])
    score_all(acme)
    response = acme.api(acme.admin).get(SCORES)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["name"], r["score"]) for r in rows] == [
        (acme.other_partner.name, 100),
        (acme.partner.name, 0),
    ]
    assert rows[0]["explanation"][0]["matched"] is True and rows[0]["scored_at"]


def test_channel_manager_sees_only_their_partners_scores(acme):
    add_criterion(acme)
    score_all(acme)
    client = acme.api(acme.manager)
    assert [r["id"] for r in client.get(SCORES).json()["results"]] == [str(acme.partner.uuid)]
    assert client.get(f"{SCORES}{acme.other_partner.uuid}/").status_code == 404


@pytest.mark.parametrize("role", ["partner_admin", "sales"])
def test_partner_users_and_direct_sales_get_403_on_scores(acme, role):
    client = acme.api(getattr(acme, role))
    assert client.get(SCORES).status_code == 403
    assert client.get(f"{SCORES}{acme.partner.uuid}/").status_code == 403


def test_score_of_other_tenant_partner_gets_404(acme, globex):
    response = acme.api(acme.admin).get(f"{SCORES}{globex.partner.uuid}/")
    assert response.status_code == 404
    names = {r["name"] for r in acme.api(acme.admin).get(SCORES).json()["results"]}
    assert globex.partner.name not in names


def test_scores_list_query_count_does_not_grow_with_partners(acme):
    add_criterion(acme)
    client = acme.api(acme.admin)
    client.get(SCORES)
    with CaptureQueriesContext(connection) as few:
        assert client.get(SCORES).status_code == 200
    for _ in range(6):
        PartnerOrganizationFactory(tenant=acme.tenant)
    score_all(acme)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(SCORES).json()["results"]) == 8
    assert len(many) == len(few)


def test_ipp_endpoints_are_in_the_openapi_schema(client):
    response = client.get("/api/v1/schema/", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/ipp-criteria/{id}/" in schema and "/api/v1/ipp-scores/{id}/" in schema
