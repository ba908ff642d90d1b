"""Console IPP editor: admins change criteria (audited, versioned, rescoring in the background),
other vendor roles read, partners and other tenants are kept out; the explanation include."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import IdealPartnerProfile, IppCriterion, PartnerOrganization
from partners.services import ipp as services
from partners.tasks.ipp import ipp_recompute_tenant
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db


def editor_url():
    return reverse("console_ipp")


def criterion_url(criterion, name="console_ipp_criterion"):
    return reverse(name, kwargs={"criterion_uuid": criterion.uuid})


def add_criterion(world, **fields):
    """Create a criterion through the service as the world's admin (rescoring runs eagerly)."""
    defaults = {
        "group": "technical",
        "label": "Kubernetes",
        "field": "skills",
        "operator": "any_of",
        "value": ["Kubernetes"],
        "weight": 10,
    }
    with tenant_context(world.tenant):
        return services.criterion_create(
            actor=actor_for_user(world.admin, world.tenant), **{**defaults, **fields}
        )


def set_profile(world, partner, **profile):
    with tenant_context(world.tenant):
        PartnerOrganization.objects.filter(pk=partner.pk).update(**profile)


def saved(world, partner):
    with tenant_context(world.tenant):
        return PartnerOrganization.objects.get(pk=partner.pk)


def profile_version(world):
    with tenant_context(world.tenant):
        return IdealPartnerProfile.objects.get().version


# --- Owner: the program admin edits ----------------------------------------------------------


def test_admin_adds_a_criterion_which_is_audited_versioned_and_rescores_partners(
    acme, django_capture_on_commit_callbacks
):
    set_profile(acme, acme.partner, regions=["EMEA", "APAC"])
    set_profile(acme, acme.other_partner, regions=["NA"])
    client = acme.client(acme.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            editor_url(),
            {
                "group": "firmographic",
                "label": "Serves EMEA",
                "field": "regions",
                "operator": "any_of",
                "value": ["EMEA"],
                "weight": "20",
            },
        )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        criterion = IppCriterion.objects.get()
        assert (criterion.label, criterion.value, criterion.weight) == ("Serves EMEA", ["EMEA"], 20)
        event = AuditEvent.objects.get(action="ipp.criterion_created")
    assert event.target_id == str(criterion.uuid) and event.actor == acme.admin
    assert profile_version(acme) == 2
    # The background recompute ran for the whole tenant.
    assert saved(acme, acme.partner).ipp_score == 100
    assert saved(acme, acme.other_partner).ipp_score == 0
    assert saved(acme, acme.partner).ipp_explanation[0]["detail"] == (
        "Regions served EMEA, APAC include EMEA"
    )


def test_editor_lists_criteria_in_three_groups_with_their_share(acme):
    add_criterion(acme, group="firmographic", label="Serves EMEA", field="regions", value=["EMEA"])
    add_criterion(acme, group="cultural", label="Co-markets", field="co_marketing",
                  operator="is_true", value=[], weight=30)  # fmt: skip
    response = acme.client(acme.admin).get(editor_url())
    assert response.status_code == 200
    groups = {g.group: [c.label for c in g.criteria] for g in response.context["groups"]}
    assert groups == {"firmographic": ["Serves EMEA"], "technical": [], "cultural": ["Co-markets"]}
    assert response.context["total_weight"] == 40
    assert response.context["can_manage"] and response.context["form"] is not None
    assert "75.0%" in response.content.decode()  # 30 of 40


def test_invalid_value_shows_a_field_error_and_keeps_the_input(acme):
    response = acme.client(acme.admin).post(
        editor_url(),
        {
            "group": "firmographic",
            "label": "Big",
            "field": "employee_band",
            "operator": "gte",
            "value": "-5",
            "weight": "10",
        },  # fmt: skip
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "value" in form.errors
    assert form["label"].value() == "Big"
    with tenant_context(acme.tenant):
        assert not IppCriterion.objects.exists()


def test_a_rule_that_does_not_fit_the_field_is_refused_on_the_rule(acme):
    response = acme.client(acme.admin).post(
        editor_url(),
        {
            "group": "cultural",
            "label": "x",
            "field": "co_marketing",
            "operator": "any_of",
            "value": "yes",
            "weight": "10",
        },  # fmt: skip
    )
    assert response.status_code == 400
    assert "operator" in response.context["form"].errors


def test_admin_edits_a_criterion_and_partners_are_rescored(
    acme, django_capture_on_commit_callbacks
):
    set_profile(acme, acme.partner, employee_band="51")
    criterion = add_criterion(acme, group="firmographic", label="Large", field="employee_band",
                              operator="gte", value=201)  # fmt: skip
    assert saved(acme, acme.partner).ipp_score is None  # no on-commit run outside the capture
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.admin).post(
            criterion_url(criterion),
            {
                "group": "firmographic",
                "label": "Mid-size",
                "field": "employee_band",
                "operator": "gte",
                "value": "50",
                "weight": "15",
            },  # fmt: skip
        )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        criterion.refresh_from_db()
        event = AuditEvent.objects.get(action="ipp.criterion_updated")
    assert (criterion.label, criterion.value, criterion.weight) == ("Mid-size", 50, 15)
    assert event.changes["value"] == [201, 50]
    assert profile_version(acme) == 3
    assert saved(acme, acme.partner).ipp_score == 100


def test_admin_deletes_the_last_criterion_and_scores_become_none(
    acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        criterion = add_criterion(acme)
    assert saved(acme, acme.partner).ipp_score == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.admin).post(
            criterion_url(criterion, "console_ipp_criterion_delete")
        )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert not IppCriterion.objects.exists()
        assert AuditEvent.objects.filter(action="ipp.criterion_deleted").count() == 1
    assert saved(acme, acme.partner).ipp_score is None


def test_admin_reorders_criteria_within_a_group(acme):
    first = add_criterion(acme, label="First")
    second = add_criterion(acme, label="Second")
    response = acme.client(acme.admin).post(
        criterion_url(second, "console_ipp_criterion_move"), {"direction": "up"}
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        order = list(IppCriterion.objects.order_by("position").values_list("label", flat=True))
        assert AuditEvent.objects.filter(action="ipp.criterion_moved").exists()
    assert order == ["Second", "First"]
    assert first.uuid != second.uuid


def test_form_refits_to_the_chosen_field_and_rule(acme):
    client = acme.client(acme.admin)
    url = reverse("console_ipp_criterion_form")
    number = client.get(url, {"field": "employee_band", "operator": "gte", "label": "Big"},
                        HTTP_HX_REQUEST="true")  # fmt: skip
    form = number.context["form"]
    assert [op for op, _ in form.fields["operator"].choices] == ["gte", "lte", "any_of", "none_of"]
    assert form.fields["value"].__class__.__name__ == "DecimalField"
    assert 'value="Big"' in number.content.decode()  # nothing typed is lost
    yes_no = client.get(url, {"field": "co_marketing", "operator": "any_of"}).context["form"]
    assert "value" not in yes_no.fields and yes_no.initial["operator"] == "is_true"
    choices = client.get(url, {"field": "regions", "value": ["EMEA"]}).context["form"]
    assert [key for key, _ in choices.fields["value"].choices] == ["NA", "LATAM", "EMEA", "APAC"]
    assert choices.initial["value"] == ["EMEA"]


def test_preview_shows_the_distribution_the_draft_would_give(acme):
    set_profile(acme, acme.partner, skills=["Kubernetes"])
    response = acme.client(acme.admin).post(
        reverse("console_ipp_preview"),
        {
            "group": "technical",
            "label": "K8s",
            "field": "skills",
            "operator": "any_of",
            "value": "kubernetes",
            "weight": "10",
        },  # fmt: skip
    )
    assert response.status_code == 200
    bands = [band["count"] for band in response.context["distribution"]["bands"]]
    assert bands == [1, 0, 0, 1]  # other partner 0, partner 100
    with tenant_context(acme.tenant):
        assert not IppCriterion.objects.exists()  # nothing saved


def test_editor_query_count_does_not_grow_with_criteria_and_partners(acme):
    add_criterion(acme)
    client = acme.client(acme.admin)
    client.get(editor_url())  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(editor_url()).status_code == 200
    for i in range(5):
        add_criterion(acme, label=f"Skill {i}", group=["firmographic", "cultural"][i % 2],
                      field="regions", value=["NA"])  # fmt: skip
        PartnerOrganizationFactory(tenant=acme.tenant)
    with CaptureQueriesContext(connection) as many:
        assert client.get(editor_url()).status_code == 200
    assert len(many) == len(few)


# --- Members without the right role: read-only, 403 on change -------------------------------


@pytest.mark.parametrize("role", ["executive", "marketing", "manager"])
def test_other_vendor_roles_read_the_ipp_without_edit_controls(acme, role):
    criterion = add_criterion(acme)
    client = acme.client(getattr(acme, role))
    response = client.get(editor_url())
    assert response.status_code == 200
    assert not response.context["can_manage"] and response.context["form"] is None
    assert "Kubernetes" in response.content.decode()
    detail = client.get(criterion_url(criterion))
    assert detail.status_code == 200 and detail.context["form"] is None


def test_executive_gets_403_on_every_change(acme):
    criterion = add_criterion(acme)
    client = acme.client(acme.executive)
    payload = {"group": "technical", "label": "x", "field": "skills", "operator": "any_of",
               "value": "Go", "weight": "5"}  # fmt: skip
    assert client.post(editor_url(), payload).status_code == 403
    assert client.post(criterion_url(criterion), payload).status_code == 403
    assert client.post(criterion_url(criterion, "console_ipp_criterion_delete")).status_code == 403
    assert (
        client.post(criterion_url(criterion, "console_ipp_criterion_move"), {"direction": "up"})
    ).status_code == 403
    assert client.post(reverse("console_ipp_preview"), payload).status_code == 403
    assert client.get(reverse("console_ipp_criterion_form")).status_code == 403
    with tenant_context(acme.tenant):
        assert IppCriterion.objects.get().label == "Kubernetes"


@pytest.mark.parametrize("role", ["partner_admin", "partner_sales", "sales"])
def test_partner_users_and_direct_sales_get_403(acme, role):
    criterion = add_criterion(acme)
    client = acme.client(getattr(acme, role))
    assert client.get(editor_url()).status_code == 403
    assert client.get(criterion_url(criterion)).status_code == 403


# --- Outsiders: another tenant's criterion is not found ---------------------------------------


def test_criterion_of_other_tenant_gets_404(acme, globex):
    theirs = add_criterion(globex, label="Runs a SOC", value=["SOC"])
    client = acme.client(acme.admin)
    assert client.get(criterion_url(theirs)).status_code == 404
    assert client.post(criterion_url(theirs), {"label": "mine now"}).status_code == 404
    assert client.post(criterion_url(theirs, "console_ipp_criterion_delete")).status_code == 404
    assert (
        client.post(
            criterion_url(theirs, "console_ipp_criterion_move"), {"direction": "up"}
        ).status_code
        == 404
    )
    with tenant_context(globex.tenant):
        assert IppCriterion.objects.get().label == "Runs a SOC"


def test_editor_shows_only_own_tenant_criteria(acme, globex):
    add_criterion(globex, label="Runs a SOC", value=["SOC"])
    response = acme.client(acme.admin).get(editor_url())
    assert "Runs a SOC" not in response.content.decode()


# --- Background recompute --------------------------------------------------------------------


def test_recompute_task_rescores_and_skips_when_a_newer_version_is_queued(acme):
    criterion = add_criterion(acme)  # version 2, recompute not run (outside on-commit capture)
    set_profile(acme, acme.partner, skills=["kubernetes"])
    stale = ipp_recompute_tenant.apply(kwargs={"tenant_id": acme.tenant.pk, "version": 1})
    assert stale.result is None
    assert saved(acme, acme.partner).ipp_score is None
    current = ipp_recompute_tenant.apply(kwargs={"tenant_id": acme.tenant.pk, "version": 2})
    assert current.result == 2
    assert saved(acme, acme.partner).ipp_score == 100
    assert saved(acme, acme.partner).ipp_explanation[0]["criterion"] == str(criterion.uuid)


def test_recompute_task_redelivered_does_nothing_twice(acme):
    add_criterion(acme)
    first = ipp_recompute_tenant.apply(
        kwargs={"tenant_id": acme.tenant.pk, "version": 2}, task_id="ipp-fixed-id"
    )
    again = ipp_recompute_tenant.apply(
        kwargs={"tenant_id": acme.tenant.pk, "version": 2}, task_id="ipp-fixed-id"
    )
    assert (first.result, again.result) == (2, None)


# --- The explanation include on the partner page ------------------------------------------------


def test_explanation_include_renders_score_and_each_criterion(
    acme, django_capture_on_commit_callbacks
):
    set_profile(acme, acme.partner, regions=["EMEA"], skills=[])
    with django_capture_on_commit_callbacks(execute=True):
        add_criterion(acme, group="firmographic", label="Serves EMEA", field="regions",
                      value=["EMEA"], weight=30)  # fmt: skip
        add_criterion(acme, label="Kubernetes", weight=10)
    html = render_to_string(
        "partners/_ipp_explanation.html", {"partner": saved(acme, acme.partner)}
    )
    assert "75 / 100" in html
    assert "Firmographic" in html and "Technical" in html
    assert "Serves EMEA" in html and "30 / 30" in html
    assert "Kubernetes" in html and "0 / 10" in html
    assert "include none of Kubernetes" in html


def test_explanation_include_without_ipp_says_so(acme):
    with tenant_context(acme.tenant):
        services.score_partner(partner=acme.partner)
    html = render_to_string(
        "partners/_ipp_explanation.html", {"partner": saved(acme, acme.partner)}
    )
    assert "No score" in html and "No Ideal Partner Profile is defined" in html
