"""Application routing: rules (hand-checked), round robin fairness, the unassigned queue and its
claim (also under concurrency), who is told, and the assigned manager's decision -- through the
services, the console pages and the API (owner / wrong role / other tenant)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from partners.models import (
    Application,
    ApplicationRoutingRule,
    AssignedVia,
    LifecycleState,
    PartnerOrganization,
    ProgramSettings,
    RoutingFallback,
)
from partners.services import routing
from partners.services.applications import application_submit
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent, Membership, OutboundEmail
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
LIST = "/console/applications/"
ROUTING = "/console/applications/routing/"
API = "/api/v1/partner-applications/"


def submit(world, name, *, country="", regions=(), types=("reseller",)) -> Application:
    slug = name.lower().replace(" ", "")
    with tenant_context(world.tenant):
        return application_submit(
            company_name=name,
            website=f"https://{slug}.example",
            contact_name="Ada Applicant",
            contact_email=f"ada@{slug}.example",
            partner_types=list(types),
            country=country,
            regions=list(regions),
        )


def manager(world, email) -> object:
    user = UserFactory(email=email)
    MembershipFactory(tenant=world.tenant, user=user, role=Role.CHANNEL_MANAGER)
    return user


def rule(world, name, position, user, **criteria) -> ApplicationRoutingRule:
    with tenant_context(world.tenant):
        return ApplicationRoutingRule.objects.create(
            tenant=world.tenant, name=name, position=position, channel_manager=user, **criteria
        )


def fallback(world, value) -> None:
    with tenant_context(world.tenant):
        ProgramSettings.objects.update_or_create(
            tenant=world.tenant, defaults={"application_fallback": value}
        )


def assignee(world, application):
    with tenant_context(world.tenant):
        return PartnerOrganization.objects.get(pk=application.partner_id).channel_manager


def mails(world, kind):
    with tenant_context(world.tenant):
        return list(OutboundEmail.objects.filter(kind=kind).order_by("pk"))


# --- Rules, hand-checked -------------------------------------------------------------------------


def test_the_first_matching_rule_in_order_assigns_the_manager(acme):
    anna, bert = acme.manager, manager(acme, "bert@acme.test")
    rule(acme, "German MSPs", 1, anna, countries=["DE"], partner_types=["msp"])
    rule(acme, "EMEA", 2, bert, regions=["EMEA"])
    rule(acme, "Referrals", 3, anna, partner_types=["referral"])
    # DE + msp: rule 1 (rule 2 matches too, but comes later).
    first = submit(acme, "Alpha", country="DE", regions=["EMEA"], types=["msp"])
    # FR serving EMEA, reseller: rule 1 fails on country and type; rule 2 on the region.
    second = submit(acme, "Bravo", country="FR", regions=["EMEA"], types=["reseller"])
    # DE reseller serving nobody listed: rule 1 fails on type, 2 on region, 3 on type.
    third = submit(acme, "Charlie", country="DE", types=["reseller"])
    # US referral: only rule 3 (no place criterion).
    fourth = submit(acme, "Delta", country="US", regions=["NA"], types=["referral"])
    assert assignee(acme, first) == anna
    assert assignee(acme, second) == bert
    assert assignee(acme, third) is None  # the default fallback: the unassigned queue
    assert assignee(acme, fourth) == anna
    with tenant_context(acme.tenant):
        first.refresh_from_db()
        third.refresh_from_db()
        assert (first.assigned_via, first.routing_rule.name) == (AssignedVia.RULE, "German MSPs")
        assert third.assigned_via == "" and third.routing_rule is None
        audit = AuditEvent.objects.get(
            action="partner_application.assigned", target_id=str(first.uuid)
        )
        assert audit.changes["manager"] == anna.email and audit.changes["rule"] == "German MSPs"


def test_a_rule_whose_manager_left_or_that_is_paused_is_skipped(acme):
    gone = manager(acme, "gone@acme.test")
    with tenant_context(acme.tenant):
        Membership.objects.filter(user=gone).update(is_active=False)
    rule(acme, "Gone", 1, gone)
    rule(acme, "Paused", 2, acme.manager, is_active=False)
    application = submit(acme, "Echo", country="DE")
    assert assignee(acme, application) is None


# --- Round robin ---------------------------------------------------------------------------------


def test_round_robin_shares_applications_in_turn(acme):
    second, third = manager(acme, "m2@acme.test"), manager(acme, "m3@acme.test")
    fallback(acme, RoutingFallback.ROUND_ROBIN)
    order = sorted([acme.manager, second, third], key=lambda u: u.pk)
    got = [assignee(acme, submit(acme, f"Company {i}")) for i in range(7)]
    assert got == [*order, *order, order[0]]
    assert Counter(u.pk for u in got) == {order[0].pk: 3, order[1].pk: 2, order[2].pk: 2}


def test_a_rule_beats_round_robin_and_does_not_take_a_turn(acme):
    second = manager(acme, "m2@acme.test")
    fallback(acme, RoutingFallback.ROUND_ROBIN)
    rule(acme, "ISVs", 1, second, partner_types=["isv"])
    order = sorted([acme.manager, second], key=lambda u: u.pk)
    a = assignee(acme, submit(acme, "One"))
    b = assignee(acme, submit(acme, "Two", types=["isv"]))
    c = assignee(acme, submit(acme, "Three"))
    assert (a, b, c) == (order[0], second, order[1])


# --- Who is told ---------------------------------------------------------------------------------


def test_admins_and_the_assignee_are_told_and_the_applicant_acknowledged(acme):
    rule(acme, "All", 1, acme.manager)
    application = submit(acme, "Foxtrot")
    received = mails(acme, routing.APPLICATION_RECEIVED)
    assert [m.recipient_email for m in received] == [acme.admin.email]
    assigned = mails(acme, routing.APPLICATION_ASSIGNED)
    assert [m.recipient_email for m in assigned] == [acme.manager.email]
    assert "Foxtrot" in assigned[0].subject
    ack = mails(acme, routing.APPLICATION_ACKNOWLEDGED)
    assert [m.recipient_email for m in ack] == [application.contact_email]
    assert ack[0].recipient is None


def test_an_unassigned_application_tells_admins_it_waits_in_the_queue(acme):
    submit(acme, "Golf")
    received = mails(acme, routing.APPLICATION_RECEIVED)
    assert [m.recipient_email for m in received] == [acme.admin.email]
    assert "unassigned queue" in received[0].body_text
    assert mails(acme, routing.APPLICATION_ASSIGNED) == []


# --- The unassigned queue and the claim ----------------------------------------------------------


def test_a_manager_claims_from_the_queue_and_it_becomes_theirs(acme):
    other = manager(acme, "m2@acme.test")
    application = submit(acme, "Hotel")
    queue = acme.client(other).get(LIST + "?tab=unassigned")
    assert [a.company_name for a in queue.context["applications"]] == ["Hotel"]
    assert f"/console/applications/{application.uuid}/claim/".encode() in queue.content
    response = acme.client(other).post(f"{LIST}{application.uuid}/claim/")
    assert response.status_code == 302
    assert assignee(acme, application) == other
    with tenant_context(acme.tenant):
        application.refresh_from_db()
        assert application.assigned_via == AssignedVia.CLAIMED
        assert AuditEvent.objects.filter(
            action="partner_application.claimed", actor=other, target_id=str(application.uuid)
        ).exists()
    # Gone from the queue, on their own list.
    assert list(acme.client(other).get(LIST + "?tab=unassigned").context["applications"]) == []
    mine = acme.client(other).get(LIST)
    assert [a.company_name for a in mine.context["applications"]] == ["Hotel"]
    # A second claimer is told who has it; nothing changes.
    late = acme.client(acme.manager).post(f"{LIST}{application.uuid}/claim/", follow=True)
    assert "Another manager has already taken this application." in late.content.decode()
    assert assignee(acme, application) == other


def test_claim_wrong_role_is_403_and_other_tenant_is_404(acme, globex):
    application = submit(acme, "India")
    assert acme.client(acme.marketing).post(f"{LIST}{application.uuid}/claim/").status_code == 403
    assert globex.client(globex.manager).post(f"{LIST}{application.uuid}/claim/").status_code == 404
    assert assignee(acme, application) is None


def test_a_manager_cannot_see_an_application_assigned_to_someone_else(acme):
    other = manager(acme, "m2@acme.test")
    rule(acme, "All", 1, other)
    application = submit(acme, "Juliet")
    assert acme.client(acme.manager).get(f"{LIST}{application.uuid}/").status_code == 404
    assert acme.client(other).get(f"{LIST}{application.uuid}/").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs two concurrent writers")
def test_two_managers_claiming_at_once_exactly_one_wins(acme):
    other = manager(acme, "m2@acme.test")
    application = submit(acme, "Kilo")
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def claim(user):
        try:
            with tenant_context(acme.tenant):
                actor = actor_for_user(user, acme.tenant)
                barrier.wait(timeout=10)
                results[user.pk] = routing.application_claim(actor=actor, application=application)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[user.pk] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (acme.manager, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    won = [pk for pk, r in results.items() if isinstance(r, Application)]
    lost = [r for r in results.values() if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "has already taken this application" in str(lost[0])
    assert assignee(acme, application).pk == won[0]
    with tenant_context(acme.tenant):
        assert AuditEvent.objects.filter(action="partner_application.claimed").count() == 1


# --- The assigned manager decides ----------------------------------------------------------------


def test_the_assigned_manager_approves_and_the_applicant_is_told(acme):
    rule(acme, "All", 1, acme.manager)
    application = submit(acme, "Lima")
    page = acme.client(acme.manager).get(f"{LIST}{application.uuid}/")
    assert page.context["can_decide"] and b"approve-form" in page.content
    response = acme.client(acme.manager).post(f"{LIST}{application.uuid}/approve/")
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        application.refresh_from_db()
        assert application.decision == "approved" and application.decided_at is not None
        assert application.partner.state == LifecycleState.APPROVED
    assert response["Location"] == f"/console/partners/{application.partner.uuid}/users/"
    decided = mails(acme, "partners.application_decided")
    assert [m.recipient_email for m in decided] == [application.contact_email]


def test_reject_needs_a_reason_shown_beside_the_field(acme):
    rule(acme, "All", 1, acme.manager)
    application = submit(acme, "Mike")
    response = acme.client(acme.manager).post(f"{LIST}{application.uuid}/decline/", {"reason": ""})
    assert response.status_code == 400
    assert response.context["decision_form"].errors["reason"]
    with tenant_context(acme.tenant):
        application.refresh_from_db()
        assert application.decided_at is None
    ok = acme.client(acme.manager).post(f"{LIST}{application.uuid}/decline/", {"reason": "No fit"})
    assert ok.status_code == 302
    with tenant_context(acme.tenant):
        application.refresh_from_db()
        assert application.decision == "rejected"
        assert application.partner.state == LifecycleState.RETIRED


def test_approve_wrong_role_403_other_manager_and_other_tenant_404(acme, globex):
    rule(acme, "All", 1, acme.manager)
    application = submit(acme, "November")
    other = manager(acme, "m2@acme.test")
    url = f"{LIST}{application.uuid}/approve/"
    assert acme.client(acme.marketing).post(url).status_code == 403
    assert acme.client(other).post(url).status_code == 404
    assert globex.client(globex.admin).post(url).status_code == 404
    with tenant_context(acme.tenant):
        application.refresh_from_db()
        assert application.decided_at is None


# --- The list page -------------------------------------------------------------------------------


def test_tabs_show_the_right_queues_in_few_queries(acme, django_assert_max_num_queries):
    rule(acme, "Mine", 1, acme.manager, partner_types=["msp"])
    for i in range(3):
        submit(acme, f"Mine {i}", types=["msp"])
        submit(acme, f"Queue {i}")
    client = acme.client(acme.manager)
    with django_assert_max_num_queries(14):
        mine = client.get(LIST)
    assert sorted(a.company_name for a in mine.context["applications"]) == [
        "Mine 0",
        "Mine 1",
        "Mine 2",
    ]
    queue = client.get(LIST + "?tab=unassigned&sort=company")
    assert [a.company_name for a in queue.context["applications"]] == [
        "Queue 0",
        "Queue 1",
        "Queue 2",
    ]
    everything = acme.client(acme.admin).get(LIST + "?tab=all&q=queue+1")
    assert [a.company_name for a in everything.context["applications"]] == ["Queue 1"]
    csv = acme.client(acme.admin).get(LIST + "?tab=all&format=csv")
    body = b"".join(csv.streaming_content).decode()
    assert body.count("\n") == 7 and "Routing rule" in body


def test_list_wrong_role_403_and_another_tenant_sees_none_of_it(acme, globex):
    application = submit(acme, "Quebec")
    assert acme.client(acme.sales).get(LIST).status_code == 403
    theirs = globex.client(globex.admin).get(LIST + "?tab=all")
    assert list(theirs.context["applications"]) == []
    assert globex.client(globex.admin).get(f"{LIST}{application.uuid}/").status_code == 404


# --- The routing page ----------------------------------------------------------------------------


def test_admin_adds_a_rule_and_sets_the_fallback(acme):
    client = acme.client(acme.admin)
    assert client.get(ROUTING).status_code == 200
    response = client.post(
        ROUTING,
        {
            "action": "rule",
            "name": "DACH",
            "position": "1",
            "countries": ["DE", "AT", "CH"],
            "partner_types": ["msp"],
            "channel_manager": acme.manager.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        saved = ApplicationRoutingRule.objects.get()
        assert saved.countries == ["AT", "CH", "DE"] and saved.channel_manager == acme.manager
        assert AuditEvent.objects.filter(action="routing_rule.created").exists()
    assert (
        client.post(
            ROUTING, {"action": "fallback", "application_fallback": "round_robin"}
        ).status_code
        == 302
    )
    with tenant_context(acme.tenant):
        assert ProgramSettings.objects.get().application_fallback == "round_robin"
    assert assignee(acme, submit(acme, "Oscar", country="AT", types=["msp"])) == acme.manager


def test_a_bad_rule_keeps_the_input_and_saves_nothing(acme):
    response = acme.client(acme.admin).post(
        ROUTING,
        {
            "action": "rule",
            "name": "Too far",
            "position": "5000",
            "channel_manager": acme.marketing.pk,
        },
    )
    assert response.status_code == 400
    form = response.context["rule_form"]
    assert form.errors["position"] == ["Enter an order of at most 999."]
    assert form.errors["channel_manager"] == ["Choose a channel manager of this program."]
    assert b'value="Too far"' in response.content
    with tenant_context(acme.tenant):
        assert not ApplicationRoutingRule.objects.exists()


def test_routing_page_wrong_role_403_other_tenant_404(acme, globex):
    assert acme.client(acme.manager).get(ROUTING).status_code == 403
    target = rule(acme, "R", 1, acme.manager)
    assert globex.client(globex.admin).get(f"{ROUTING}{target.uuid}/").status_code == 404
    assert acme.client(acme.admin).get(f"{ROUTING}{target.uuid}/").status_code == 200


# --- API -----------------------------------------------------------------------------------------


def test_api_claim_and_approve(acme, globex):
    application = submit(acme, "Papa")
    other = manager(acme, "m2@acme.test")
    queue = acme.api(other).get(API, {"queue": "unassigned"}).json()["results"]
    assert [a["company_name"] for a in queue] == ["Papa"]
    assert acme.api(acme.marketing).post(f"{API}{application.uuid}/claim/").status_code == 403
    assert globex.api(globex.manager).post(f"{API}{application.uuid}/claim/").status_code == 404
    claimed = acme.api(other).post(f"{API}{application.uuid}/claim/")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["channel_manager"] == other.email
    assert claimed.json()["assigned_via"] == "claimed"
    again = acme.api(acme.manager).post(f"{API}{application.uuid}/claim/")
    assert again.status_code in (400, 404)
    assert acme.api(acme.manager).post(f"{API}{application.uuid}/approve/").status_code == 404
    approved = acme.api(other).post(f"{API}{application.uuid}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["decision"] == "approved"
    mine = acme.api(other).get(API, {"queue": "mine"}).json()["results"]
    assert mine == []  # decided: no longer awaiting anyone


def test_admin_edits_pauses_and_deletes_a_rule(acme):
    target = rule(acme, "Everyone", 1, acme.manager)
    client = acme.client(acme.admin)
    url = f"{ROUTING}{target.uuid}/"
    data = {"name": "Everyone", "position": "2", "channel_manager": acme.manager.pk}
    assert client.post(url, {**data, "action": "save"}).status_code == 302  # "In use" unticked
    with tenant_context(acme.tenant):
        target.refresh_from_db()
        assert (target.position, target.is_active) == (2, False)
    assert assignee(acme, submit(acme, "Romeo")) is None  # a paused rule routes nothing
    assert acme.client(acme.manager).post(url, {"action": "delete"}).status_code == 403
    assert client.post(url, {"action": "delete"}).status_code == 302
    with tenant_context(acme.tenant):
        assert not ApplicationRoutingRule.objects.exists()
        assert AuditEvent.objects.filter(action="routing_rule.deleted").exists()


def test_read_only_staff_see_every_application_but_no_queue_to_claim_from(acme):
    submit(acme, "Sierra")
    response = acme.client(acme.executive).get(LIST)
    assert response.context["tab"] == "all"
    assert [key for key, _label in response.context["tabs"]] == ["review", "all"]
    assert [a.company_name for a in response.context["applications"]] == ["Sierra"]
    assert b"/claim/" not in response.content


def test_the_routing_page_shows_rules_in_words(acme):
    rule(acme, "DACH", 1, acme.manager, countries=["AT", "DE"], regions=["EMEA"])
    html = acme.client(acme.admin).get(ROUTING).content.decode()
    assert "Austria, Germany; Europe, Middle East &amp; Africa" in html


def test_a_held_application_tells_the_matched_partners_manager_to_review_it(acme):
    with tenant_context(acme.tenant):
        PartnerOrganization.objects.filter(pk=acme.partner.pk).update(domain="known.example")
        application_submit(
            company_name="Known Again",
            website="https://known.example",
            contact_name="Kim",
            contact_email="kim@known.example",
            partner_types=["reseller"],
        )
    assigned = mails(acme, routing.APPLICATION_ASSIGNED)
    assert [m.recipient_email for m in assigned] == [acme.manager.email]
    assert "a partner you manage: review it" in assigned[0].body_text
    # The applicant's receipt says nothing of what the program already knows.
    ack = mails(acme, routing.APPLICATION_ACKNOWLEDGED)
    assert len(ack) == 1 and "Acme Partner One" not in ack[0].body_text


def test_api_reject_of_a_new_prospect_needs_a_reason(acme):
    rule(acme, "All", 1, acme.manager)
    application = submit(acme, "Tango")
    url = f"{API}{application.uuid}/reject/"
    empty = acme.api(acme.manager).post(url, {}, format="json")
    assert empty.status_code == 400
    assert empty.json()["reason"] == ["Say why: the partner's history keeps the reason."]
    done = acme.api(acme.manager).post(url, {"reason": "Not a fit"}, format="json")
    assert done.status_code == 200 and done.json()["decision"] == "rejected"
