"""Onboarding workflow and cadence over HTTP (console pages, actions, API): owner / wrong role
(403) / other tenant (404), channel-manager scoping, flat query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.models import (
    CadenceStep,
    EmailKind,
    EmailStatus,
    OnboardingRun,
    OnboardingStep,
    RunStatus,
    StepKey,
    StepStatus,
)
from onboarding.tests.factories import AgreementSignatureFactory
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail

pytestmark = pytest.mark.django_db


def make_run(world, partner=None, *, failed=False):
    """A run with its steps (the invites step failed when failed=True) and one unconfirmed
    welcome kit."""
    partner = partner or world.partner
    signature = AgreementSignatureFactory(partner=partner, tenant=world.tenant)
    with tenant_context(world.tenant):
        run = OnboardingRun.objects.create(
            tenant=world.tenant,
            partner=partner,
            signature=signature,
            status=RunStatus.FAILED if failed else RunStatus.DONE,
            last_error="invites: boom" if failed else "",
        )
        for key in StepKey.values:
            status = StepStatus.DONE
            if failed and key == StepKey.INVITES:
                status = StepStatus.FAILED
            OnboardingStep.objects.create(
                tenant=world.tenant,
                run=run,
                key=key,
                status=status,
                last_error="RuntimeError: boom" if status == StepStatus.FAILED else "",
                detail={"invited": [{"email": "a@b.test", "role": "partner_admin"}]},
            )
        email = OutboundEmail.objects.create(
            tenant=world.tenant,
            partner_uuid=partner.uuid,
            kind=EmailKind.WELCOME_KIT,
            idempotency_key=f"welcome:{run.uuid}:a@b.test",
            recipient_email="a@b.test",
            subject="Welcome",
            body_text="Hi",
            status=EmailStatus.SENDING,
            attempts=1,
        )
    return run, email


def make_step(world, **kwargs):
    with tenant_context(world.tenant):
        return CadenceStep.objects.create(
            tenant=world.tenant,
            day_offset=kwargs.pop("day_offset", 1),
            subject=kwargs.pop("subject", "Hello {{ partner_name }}"),
            body=kwargs.pop("body", "Hi {{ first_name }}"),
            **kwargs,
        )


# --- Runs page -----------------------------------------------------------------------------------


def test_runs_page_shows_failures_and_unconfirmed_mail_to_admins(acme, globex):
    make_run(acme, failed=True)
    make_run(globex)
    response = acme.client(acme.admin).get(reverse("console_onboarding_runs"))
    assert response.status_code == 200
    assert [r.partner for r in response.context["runs"]] == [acme.partner]
    assert [s.key for s in response.context["failed_steps"]] == [StepKey.INVITES]
    assert [e.recipient_email for e in response.context["problem_emails"]] == ["a@b.test"]
    assert b"RuntimeError: boom" in response.content and b"Unconfirmed" in response.content
    assert b"Mark as sent" in response.content


def test_channel_managers_see_the_runs_of_their_partners_only(acme):
    make_run(acme)
    make_run(acme, acme.other_partner)  # no manager
    response = acme.client(acme.manager).get(reverse("console_onboarding_runs"))
    assert response.status_code == 200
    assert [r.partner for r in response.context["runs"]] == [acme.partner]


def test_runs_page_is_closed_to_partner_users_and_direct_sales(acme):
    assert (
        acme.client(acme.partner_admin).get(reverse("console_onboarding_runs")).status_code == 403
    )
    assert acme.client(acme.sales).get(reverse("console_onboarding_runs")).status_code == 403


def test_runs_page_queries_stay_flat(acme, django_assert_max_num_queries):
    for i in range(6):
        partner = PartnerOrganizationFactory(
            tenant=acme.tenant, name=f"Flat {i}", channel_manager=acme.manager
        )
        make_run(acme, partner, failed=True)
    client = acme.client(acme.admin)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("console_onboarding_runs"))
    assert len(response.context["runs"]) == 6


def test_runs_list_query_count_does_not_grow_with_runs(acme):
    client = acme.client(acme.admin)
    url = reverse("console_onboarding_runs")

    def runs(n, prefix):
        for i in range(n):
            partner = PartnerOrganizationFactory(
                tenant=acme.tenant, name=f"{prefix} {i}", channel_manager=acme.manager
            )
            make_run(acme, partner, failed=i % 2 == 0)

    runs(2, "Few")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    runs(12, "Many")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["runs"]) == 14
    assert len(many) == len(few)
    with CaptureQueriesContext(connection) as export:
        body = b"".join(client.get(url, {"format": "csv"}).streaming_content)
    assert body.count(b"\n") == 15 and len(export) <= len(few)


def test_runs_list_filters_by_status_step_and_manager(acme):
    failed, _ = make_run(acme, failed=True)  # acme.partner, managed by acme.manager
    done, _ = make_run(acme, acme.other_partner)  # no manager
    client = acme.client(acme.admin)
    url = reverse("console_onboarding_runs")

    def names(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return [run.partner.name for run in response.context["runs"]]

    assert sorted(names()) == sorted([acme.partner.name, acme.other_partner.name])
    assert names(status=RunStatus.FAILED) == [acme.partner.name]
    assert names(status=RunStatus.DONE) == [acme.other_partner.name]
    assert names(step=StepKey.INVITES) == [acme.partner.name]
    assert names(step=StepKey.ENROLMENT) == []
    assert names(manager=acme.manager.pk) == [acme.partner.name]
    assert names(q="partner TWO") == [acme.other_partner.name]
    # A bad filter value: an error beside the filter and nothing listed (never "everything").
    response = client.get(url, {"status": "exploded"})
    assert response.context["listing"].form.errors["status"]
    assert list(response.context["runs"]) == []
    body = response.content.decode()
    assert "invalid-feedback" in body


def test_runs_list_sorts_and_pages(acme):
    for i in range(3):
        partner = PartnerOrganizationFactory(tenant=acme.tenant, name=f"Sorted {'CAB'[i]}")
        make_run(acme, partner)
    client = acme.client(acme.admin)
    url = reverse("console_onboarding_runs")
    response = client.get(url, {"sort": "partner"})
    assert [r.partner.name for r in response.context["runs"]] == [
        "Sorted A",
        "Sorted B",
        "Sorted C",
    ]
    response = client.get(url, {"sort": "-partner"})
    assert [r.partner.name for r in response.context["runs"]][0] == "Sorted C"
    assert "Showing 1–3 of 3" in response.content.decode()


def test_runs_list_exports_csv_in_human_words(acme):
    make_run(acme, failed=True)
    response = acme.client(acme.admin).get(
        reverse("console_onboarding_runs"), {"format": "csv", "status": RunStatus.FAILED}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == [
        "Partner",
        "Channel manager",
        "Signed",
        "Agreement",
        "Status",
        "Steps done",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Partner"] == acme.partner.name and row["Channel manager"] == acme.manager.email
    assert row["Status"] == "Failed" and row["Steps done"] == "3/4"
    assert row["Steps not done"] == "Admin and contacts invited"


def test_runs_list_csv_of_a_manager_holds_only_their_partners_and_not_another_tenants(acme, globex):
    make_run(acme)
    make_run(acme, acme.other_partner)
    make_run(globex)
    response = acme.client(acme.manager).get(reverse("console_onboarding_runs"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert acme.partner.name in body
    assert acme.other_partner.name not in body and globex.partner.name not in body
    assert (
        acme.client(acme.sales)
        .get(reverse("console_onboarding_runs"), {"format": "csv"})
        .status_code
        == 403
    )


# --- One partner's onboarding ------------------------------------------------------------------


def test_partner_onboarding_page_shows_steps_and_email_log(acme, django_assert_max_num_queries):
    run, email = make_run(acme, failed=True)
    url = reverse("console_partner_onboarding", kwargs={"partner_uuid": acme.partner.uuid})
    client = acme.client(acme.manager)
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["run"] == run and response.context["emails"] == [email]
    # The step's detail in words: the role by its name, never its code.
    assert b"a@b.test" in response.content and b"Partner admin" in response.content
    assert b"partner_admin" not in response.content
    assert response.context["can_manage"] is True


def test_partner_onboarding_page_trio(acme, globex):
    make_run(acme)
    url = reverse("console_partner_onboarding", kwargs={"partner_uuid": acme.partner.uuid})
    assert acme.client(acme.executive).get(url).status_code == 200
    assert acme.client(acme.partner_admin).get(url).status_code == 403
    other = reverse("console_partner_onboarding", kwargs={"partner_uuid": globex.partner.uuid})
    assert acme.client(acme.admin).get(other).status_code == 404
    # A channel manager does not see another manager's partner.
    mine_not = reverse(
        "console_partner_onboarding", kwargs={"partner_uuid": acme.other_partner.uuid}
    )
    assert acme.client(acme.manager).get(mine_not).status_code == 404


# --- Actions -------------------------------------------------------------------------------------


def test_retry_action_trio(acme, globex, django_capture_on_commit_callbacks):
    run, _ = make_run(acme, failed=True)
    url = reverse("console_onboarding_run_retry", kwargs={"run_uuid": run.uuid})
    assert acme.client(acme.marketing).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = acme.client(acme.manager).post(url)
    assert response.status_code == 302 and len(callbacks) == 1  # the run task, on commit
    globex_run, _ = make_run(globex, failed=True)
    other = reverse("console_onboarding_run_retry", kwargs={"run_uuid": globex_run.uuid})
    assert acme.client(acme.admin).post(other).status_code == 404


def test_email_actions_trio(acme, globex, django_capture_on_commit_callbacks):
    _, email = make_run(acme)
    mark = reverse("console_mail_mark_sent", kwargs={"email_uuid": email.uuid})
    again = reverse("console_mail_send_again", kwargs={"email_uuid": email.uuid})
    assert acme.client(acme.executive).post(mark).status_code == 403
    assert acme.client(acme.manager).post(mark).status_code == 302
    with tenant_context(acme.tenant):
        assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.SENT
    # Already sent: "send again" is refused with a message, not a crash.
    assert acme.client(acme.manager).post(again).status_code == 302
    with tenant_context(acme.tenant):
        assert OutboundEmail.objects.get(pk=email.pk).status == EmailStatus.SENT
    _, globex_email = make_run(globex)
    other = reverse("console_mail_mark_sent", kwargs={"email_uuid": globex_email.uuid})
    assert acme.client(acme.admin).post(other).status_code == 404


# --- Cadence console -----------------------------------------------------------------------------


def test_cadence_page_lists_and_creates_steps_for_program_managers(acme, globex):
    make_step(acme, subject="Acme step")
    make_step(globex, subject="Globex step")
    client = acme.client(acme.admin)
    response = client.get(reverse("console_cadence"))
    assert response.status_code == 200
    assert [s.subject for s in response.context["steps"]] == ["Acme step"]
    response = client.post(
        reverse("console_cadence"),
        {
            "day_offset": 3,
            "subject": "Day three",
            "body": "Hi {{ first_name }}",
            "condition": "",
            "sender": "program",
            "audience": "admins",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("console_cadence"),
        {
            "day_offset": 3,
            "subject": "Bad",
            "body": "{{ nope }}",
            "sender": "program",
            "audience": "admins",
        },
    )
    assert response.status_code == 400
    with tenant_context(acme.tenant):
        assert sorted(CadenceStep.objects.values_list("subject", flat=True)) == [
            "Acme step",
            "Day three",
        ]


def test_cadence_page_is_read_only_for_program_viewers_and_closed_to_partners(acme):
    step = make_step(acme)
    response = acme.client(acme.executive).get(reverse("console_cadence"))
    assert response.status_code == 200 and response.context["form"] is None
    assert acme.client(acme.executive).post(reverse("console_cadence"), {}).status_code == 403
    delete = reverse("console_cadence_step_delete", kwargs={"step_uuid": step.uuid})
    assert acme.client(acme.executive).post(delete).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse("console_cadence")).status_code == 403


def test_cadence_step_page_previews_and_edits(acme, globex):
    step = make_step(acme, subject="Hello {{ partner_name }}", body="**Bold** {{ first_name }}")
    url = reverse("console_cadence_step", kwargs={"step_uuid": step.uuid})
    response = acme.client(acme.marketing).get(url)
    assert response.status_code == 200 and response.context["form"] is None
    assert b"<strong>Bold</strong>" in response.content
    assert response.context["preview"].subject.startswith("Hello ")
    response = acme.client(acme.admin).post(
        url,
        {
            "day_offset": 4,
            "subject": "Changed",
            "body": "x",
            "sender": "manager",
            "audience": "all",
            "condition": "first_deal",
        },
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert (step.day_offset, step.subject, step.is_active) == (4, "Changed", False)
    other = make_step(globex)
    url = reverse("console_cadence_step", kwargs={"step_uuid": other.uuid})
    assert acme.client(acme.admin).get(url).status_code == 404


def test_load_recommended_toggle_and_delete(acme):
    client = acme.client(acme.admin)
    assert client.post(reverse("console_cadence_load_recommended")).status_code == 302
    with tenant_context(acme.tenant):
        step = CadenceStep.objects.get(day_offset=2)
        assert CadenceStep.objects.count() == 7
    toggle = reverse("console_cadence_step_toggle", kwargs={"step_uuid": step.uuid})
    assert client.post(toggle).status_code == 302
    step.refresh_from_db()
    assert step.is_active is False
    delete = reverse("console_cadence_step_delete", kwargs={"step_uuid": step.uuid})
    assert client.post(delete).status_code == 302
    with tenant_context(acme.tenant):
        assert CadenceStep.objects.count() == 6
    assert (
        acme.client(acme.marketing).post(reverse("console_cadence_load_recommended")).status_code
        == 403
    )


# --- API -----------------------------------------------------------------------------------------


def test_api_runs_with_steps_scoped_like_the_pages(acme, globex, django_assert_max_num_queries):
    run, _ = make_run(acme, failed=True)
    make_run(acme, acme.other_partner)
    globex_run, _ = make_run(globex)
    api = acme.api(acme.admin)
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/onboarding-runs/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    response = acme.api(acme.manager).get("/api/v1/onboarding-runs/")
    [item] = response.json()["results"]
    assert item["id"] == str(run.uuid) and item["status"] == "failed"
    assert [s["key"] for s in item["steps"]] == StepKey.values
    assert acme.api(acme.partner_admin).get("/api/v1/onboarding-runs/").status_code == 403
    assert api.get(f"/api/v1/onboarding-runs/{globex_run.uuid}/").status_code == 404


def test_api_emails_filter_by_partner(acme, globex):
    _, email = make_run(acme)
    make_run(acme, acme.other_partner)
    _, globex_email = make_run(globex)
    api = acme.api(acme.admin)
    response = api.get(f"/api/v1/onboarding-emails/?partner={acme.partner.uuid}")
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == str(email.uuid) and item["unconfirmed"] is True
    assert len(api.get("/api/v1/onboarding-emails/").json()["results"]) == 2
    assert acme.api(acme.sales).get("/api/v1/onboarding-emails/").status_code == 403
    assert api.get(f"/api/v1/onboarding-emails/{globex_email.uuid}/").status_code == 404


def test_api_cadence_steps_crud(acme, globex):
    api = acme.api(acme.admin)
    response = api.post(
        "/api/v1/cadence-steps/",
        {"day_offset": 2, "subject": "Hi {{ partner_name }}", "body": "Body", "sender": "manager"},
        format="json",
    )
    assert response.status_code == 201, response.content
    step_id = response.json()["id"]
    response = api.patch(f"/api/v1/cadence-steps/{step_id}/", {"day_offset": 9}, format="json")
    assert response.status_code == 200 and response.json()["day_offset"] == 9
    response = api.post(
        "/api/v1/cadence-steps/",
        {"day_offset": 1, "subject": "x", "body": "{{ x }}"},
        format="json",
    )
    assert response.status_code == 400
    executive = acme.api(acme.executive)
    assert len(executive.get("/api/v1/cadence-steps/").json()["results"]) == 1
    assert (
        executive.post(
            "/api/v1/cadence-steps/", {"day_offset": 1, "subject": "x", "body": "y"}, format="json"
        ).status_code
        == 403
    )
    assert executive.delete(f"/api/v1/cadence-steps/{step_id}/").status_code == 403
    assert acme.api(acme.partner_admin).get("/api/v1/cadence-steps/").status_code == 403
    other = make_step(globex)
    assert api.get(f"/api/v1/cadence-steps/{other.uuid}/").status_code == 404
    assert api.delete(f"/api/v1/cadence-steps/{step_id}/").status_code == 204
    with tenant_context(acme.tenant):
        assert not CadenceStep.objects.exists()


# --- Isolation walk ------------------------------------------------------------------------------


def workflow_isolation_objects(world) -> dict:
    """One object of each kind of this area in the world's tenant, by URL kwarg / API basename
    (for tests/test_isolation_walk.py's victim_objects)."""
    from onboarding.services.cadence import unsubscribe_token

    run, email = make_run(world)
    step = make_step(world)
    return {
        "run_uuid": run.uuid,
        "onboarding-run": run.uuid,
        "email_uuid": email.uuid,
        "onboarding-email": email.uuid,
        "step_uuid": step.uuid,
        "cadence-step": step.uuid,
        "unsubscribe_token": unsubscribe_token(tenant=world.tenant, email="x@globex.test"),
    }


MY_ROUTES = {
    "console_onboarding_run_retry": ["run_uuid"],
    "console_mail_send_again": ["email_uuid"],
    "console_mail_mark_sent": ["email_uuid"],
    "console_partner_onboarding": ["partner_uuid"],
    "console_cadence_step": ["step_uuid"],
    "console_cadence_step_delete": ["step_uuid"],
    "console_cadence_step_toggle": ["step_uuid"],
    "onboarding_unsubscribe": ["unsubscribe_token"],
}


def test_every_object_url_of_this_area_is_404_for_another_tenant(acme, globex):
    victims = {**workflow_isolation_objects(globex), "partner_uuid": globex.partner.uuid}
    client = acme.client(acme.admin)
    for name, kwargs in MY_ROUTES.items():
        url = reverse(name, kwargs={k: victims[k] for k in kwargs})
        codes = {client.get(url).status_code, client.post(url).status_code}
        assert codes <= {404, 405} and 404 in codes, (name, codes)
    api = acme.api(acme.admin)
    for basename in ("onboarding-runs", "onboarding-emails", "cadence-steps"):
        key = {"onboarding-runs": "onboarding-run", "onboarding-emails": "onboarding-email"}.get(
            basename, "cadence-step"
        )
        url = f"/api/v1/{basename}/{victims[key]}/"
        for method in ("get", "put", "patch", "delete"):
            assert getattr(api, method)(url).status_code in (404, 405), (url, method)
        assert api.get(url).status_code == 404


def test_cadence_page_and_api_queries_stay_flat(acme, django_assert_max_num_queries):
    for day in range(8):
        make_step(acme, day_offset=day)
    client, api = acme.client(acme.admin), acme.api(acme.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("console_cadence"))
    assert len(response.context["steps"]) == 8
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/cadence-steps/")
    assert len(response.json()["results"]) == 8
    for i in range(5):
        partner = PartnerOrganizationFactory(tenant=acme.tenant, name=f"Mail {i}")
        make_run(acme, partner)
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/onboarding-emails/")
    assert len(response.json()["results"]) == 5
