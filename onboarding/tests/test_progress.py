"""Onboarding progress: the partner's checklist (portal page, home card, API) and the console's
funnel (selector on hand-built partners with hand-computed medians, page, API), with the owner /
wrong-role (403) / other-tenant (404) trio and flat query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.models import Milestone, MilestoneKey
from onboarding.selectors.progress import onboarding_funnel, partner_checklist
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.tests.queries import SESSION_QUERIES

pytestmark = pytest.mark.django_db

K = MilestoneKey
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def reach(world, partner, **steps: datetime) -> None:
    with tenant_context(world.tenant):
        for key, at in steps.items():
            Milestone.objects.create(tenant=world.tenant, partner=partner, key=key, reached_at=at)


def make_partner(world, name, manager=None):
    with tenant_context(world.tenant):
        return PartnerOrganizationFactory(tenant=world.tenant, name=name, channel_manager=manager)


@pytest.fixture
def cohort(acme):
    """Four signed partners (two of acme.manager's) and one that never signed.

    days after 1 Jan  signed invited login profile 101 asset deal
    P1 (manager)        0     2      3      10    14   15   20
    P2 (manager)        5     6      9      -     14   -    40
    P3                 31    35      -      -     -    -    -
    P4                 40     -      -      -     -    -    -
    P5 (never signed)   -     1      -      -     -    -    -
    """
    p1 = make_partner(acme, "P1", acme.manager)
    p2 = make_partner(acme, "P2", acme.manager)
    p3 = make_partner(acme, "P3")
    p4 = make_partner(acme, "P4")
    p5 = make_partner(acme, "P5")
    reach(
        acme,
        p1,
        agreement_signed=day(0),
        team_invited=day(2),
        first_login=day(3),
        profile_complete=day(10),
        training_101=day(14),
        first_asset=day(15),
        first_deal=day(20),
    )
    reach(
        acme,
        p2,
        agreement_signed=day(5),
        team_invited=day(6),
        first_login=day(9),
        training_101=day(14),
        first_deal=day(40),
    )
    reach(acme, p3, agreement_signed=day(31), team_invited=day(35))
    reach(acme, p4, agreement_signed=day(40))
    reach(acme, p5, team_invited=day(1))
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5}


def funnel_for(world, user, **filters):
    with tenant_context(world.tenant):
        return onboarding_funnel(actor_for_user(user, world.tenant), **filters)


def by_key(funnel):
    return {step.key: step for step in funnel.steps}


# --- Funnel selector -----------------------------------------------------------------------------


def test_funnel_counts_shares_and_medians_match_hand_computed_values(acme, cohort):
    funnel = funnel_for(acme, acme.admin)
    steps = by_key(funnel)
    assert funnel.signed == 4
    assert [s.key for s in funnel.steps] == list(K.values)
    assert {k: s.reached for k, s in steps.items()} == {
        K.AGREEMENT_SIGNED: 4,
        K.TEAM_INVITED: 3,
        K.FIRST_LOGIN: 2,
        K.PROFILE_COMPLETE: 1,
        K.TRAINING_101: 2,
        K.FIRST_ASSET: 1,
        K.FIRST_DEAL: 2,
    }
    assert steps[K.TEAM_INVITED].percent_of_signed == 75.0
    assert steps[K.PROFILE_COMPLETE].percent_of_signed == 25.0
    # Days from the previous step, over partners that reached both.
    assert steps[K.AGREEMENT_SIGNED].median_days_from_previous is None
    assert steps[K.TEAM_INVITED].median_days_from_previous == 2.0  # 2, 1, 4
    assert steps[K.FIRST_LOGIN].median_days_from_previous == 2.0  # 1, 3
    assert steps[K.PROFILE_COMPLETE].median_days_from_previous == 7.0
    assert steps[K.TRAINING_101].median_days_from_previous == 4.0  # only P1 has a profile
    assert steps[K.FIRST_ASSET].median_days_from_previous == 1.0
    assert steps[K.FIRST_DEAL].median_days_from_previous == 5.0
    # Days from signature.
    assert steps[K.FIRST_LOGIN].median_days_from_signature == 3.5  # 3, 4
    assert steps[K.TRAINING_101].median_days_from_signature == 11.5  # 14, 9
    assert steps[K.FIRST_DEAL].median_days_from_signature == 27.5  # 20, 35
    assert funnel.median_days_to_first_deal == 27.5
    # The partner table: the signed only, newest signature first, with their dates.
    assert [p.name for p in funnel.partners] == ["P4", "P3", "P2", "P1"]
    assert funnel.partners[-1].steps == [day(n) for n in (0, 2, 3, 10, 14, 15, 20)]


def test_a_step_reached_before_the_one_it_follows_counts_negative_and_is_flagged(acme):
    early = make_partner(acme, "Early dealer")
    # A deal registered before the 101 (the gate was off) and a colleague invited before signing.
    reach(
        acme,
        early,
        team_invited=day(1),
        agreement_signed=day(3),
        training_101=day(30),
        first_asset=day(30.5),
        first_deal=day(10.25),
    )
    funnel = funnel_for(acme, acme.admin)
    steps = by_key(funnel)
    # No clamping at 0: invited 2 days before signing, the deal 20.25 days before the download.
    assert steps[K.TEAM_INVITED].median_days_from_previous == -2.0
    assert steps[K.TEAM_INVITED].median_days_from_signature == -2.0
    assert steps[K.FIRST_DEAL].median_days_from_previous == -20.3  # -20.25, half away from 0
    assert steps[K.FIRST_DEAL].median_days_from_signature == 7.3  # 7.25
    assert steps[K.TEAM_INVITED].before_previous == 1
    assert steps[K.FIRST_DEAL].before_previous == 1
    assert steps[K.TRAINING_101].before_previous == 0
    assert funnel.out_of_order_count == 1
    assert funnel.partners[0].out_of_order == [K.TEAM_INVITED, K.FIRST_DEAL]


def test_medians_of_even_counts_are_the_mean_of_the_middle_two_rounded_half_up(acme):
    """Hand-computed: days from signature to first login.

    A: +1 d 6 h = 1.25    B: -0.5 (logged in 12 h before the signature was recorded)
    C: +3.0               D: +0.75
    sorted -0.5, 0.75, 1.25, 3.0 → median (0.75 + 1.25) / 2 = 1.0
    Without D: -0.5, 1.25, 3.0 → 1.25 → 1.3 (half up, not 1.2)
    A and B alone: (1.25 - 0.5) / 2 = 0.375 → 0.4
    """
    offsets = {"A": 1.25, "B": -0.5, "C": 3.0, "D": 0.75}
    partners = {}
    for index, (name, offset) in enumerate(offsets.items()):
        partners[name] = make_partner(acme, name, acme.manager if name in "AB" else None)
        signed = day(index)
        reach(
            acme,
            partners[name],
            agreement_signed=signed,
            first_login=signed + timedelta(days=offset),
        )
    assert by_key(funnel_for(acme, acme.admin))[K.FIRST_LOGIN].median_days_from_signature == 1.0
    only_ab = funnel_for(acme, acme.admin, manager_id=acme.manager.pk)
    assert by_key(only_ab)[K.FIRST_LOGIN].median_days_from_signature == 0.4
    assert only_ab.out_of_order_count == 1  # B
    without_d = funnel_for(acme, acme.admin, signed_to=date(2026, 1, 3))
    assert by_key(without_d)[K.FIRST_LOGIN].median_days_from_previous is None  # no invitation
    assert by_key(without_d)[K.FIRST_LOGIN].median_days_from_signature == 1.3


def test_share_of_signed_rounds_half_up(acme):
    """1 of 8 signed reached the login: 12.5 %; 1 of 16 would be 6.25 → 6.3."""
    for i in range(16):
        partner = make_partner(acme, f"S{i}")
        steps = {"agreement_signed": day(i)}
        if i == 0:
            steps["first_login"] = day(i + 1)
        reach(acme, partner, **steps)
    assert by_key(funnel_for(acme, acme.admin))[K.FIRST_LOGIN].percent_of_signed == 6.3


def test_funnel_page_flags_partners_with_steps_out_of_order(acme):
    late = make_partner(acme, "Backwards Ltd")
    reach(acme, late, agreement_signed=day(5), team_invited=day(2))
    response = acme.client(acme.admin).get(reverse("console_onboarding_funnel"))
    body = response.content.decode()
    assert 'id="funnel-out-of-order"' in body
    assert "1 partner has steps out of order" in body
    assert "data-out-of-order" in body
    assert "-3.0" in body  # invited three days before signing: the median says so


def test_funnel_page_without_out_of_order_data_shows_no_warning(acme, cohort):
    body = acme.client(acme.admin).get(reverse("console_onboarding_funnel")).content.decode()
    assert 'id="funnel-out-of-order"' not in body and "data-out-of-order" not in body


def test_funnel_filters_by_signature_dates_and_manager(acme, cohort):
    january = funnel_for(
        acme, acme.admin, signed_from=date(2026, 1, 1), signed_to=date(2026, 1, 31)
    )
    assert january.signed == 2 and {p.name for p in january.partners} == {"P1", "P2"}
    assert by_key(january)[K.TEAM_INVITED].median_days_from_previous == 1.5  # 2, 1
    february = funnel_for(acme, acme.admin, signed_from=date(2026, 2, 1))
    assert february.signed == 2 and february.median_days_to_first_deal is None
    managed = funnel_for(acme, acme.admin, manager_id=acme.manager.pk)
    assert {p.name for p in managed.partners} == {"P1", "P2"}


def test_channel_manager_sees_only_their_partners(acme, cohort):
    funnel = funnel_for(acme, acme.manager)
    assert funnel.signed == 2 and funnel.median_days_to_first_deal == 27.5


def test_funnel_never_counts_another_tenants_partners(acme, globex, cohort):
    other = make_partner(globex, "Globex signed")
    reach(globex, other, agreement_signed=day(1))
    assert funnel_for(acme, acme.admin).signed == 4
    assert funnel_for(globex, globex.admin).signed == 1


def test_funnel_refreshes_milestones_from_their_sources(acme, cohort):
    """A step reached in another area (here: an invitation) shows without anyone storing it."""
    from tenancy.models import Invitation

    with tenant_context(acme.tenant):
        Invitation.objects.create(
            tenant=acme.tenant,
            email="new@p4.test",
            role="partner_sales",
            partner_organization=cohort["p4"],
            invited_by=acme.admin,
            created_at=day(41),
            expires_at=day(48),
        )
    steps = by_key(funnel_for(acme, acme.admin))
    assert steps[K.TEAM_INVITED].reached == 4


# --- Funnel page and API -------------------------------------------------------------------------


def test_funnel_page_shows_the_numbers(acme, cohort):
    response = acme.client(acme.executive).get(reverse("console_onboarding_funnel"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="funnel-time-to-first-deal"' in body and "27.5" in body
    assert reverse("console_partner_detail", kwargs={"partner_uuid": cohort["p1"].uuid}) in body
    response = acme.client(acme.manager).get(
        reverse("console_onboarding_funnel"), {"signed_from": "2026-01-01"}
    )
    assert response.status_code == 200 and response.context["funnel"].signed == 2


def test_funnel_exports_its_partner_table_as_csv(acme, cohort):
    import csv
    import io

    late = make_partner(acme, "Backwards Ltd")
    reach(acme, late, agreement_signed=day(50), team_invited=day(45))
    response = acme.client(acme.admin).get(
        reverse("console_onboarding_funnel"), {"signed_from": "2026-01-01", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "Partner",
        "Channel manager",
        *[str(K(key).label) for key in K.values],
        "Steps out of order",
    ]
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {"P1", "P2", "P3", "P4", "Backwards Ltd"}
    assert by_name["P1"]["Channel manager"] == acme.manager.email
    assert by_name["P1"]["First deal registered"].startswith("2026-01-21")  # day 20, local time
    assert by_name["P4"]["Team invited"] == ""
    assert by_name["Backwards Ltd"]["Steps out of order"] == "Team invited"


def test_funnel_with_an_invalid_filter_shows_its_error_and_no_partner(acme, cohort):
    response = acme.client(acme.admin).get(
        reverse("console_onboarding_funnel"),
        {"signed_from": "2026-02-01", "signed_to": "2026-01-01"},
    )
    assert response.status_code == 200
    assert response.context["filters"].errors["signed_to"]
    funnel = response.context["funnel"]
    assert funnel.signed == 0 and funnel.partners == []
    assert [s.reached for s in funnel.steps] == [0] * len(K.values)
    assert "The end comes before the start." in response.content.decode()


def test_funnel_page_is_403_for_sales_and_partners(acme):
    for user in (acme.sales, acme.partner_admin):
        assert acme.client(user).get(reverse("console_onboarding_funnel")).status_code == 403


def test_funnel_page_of_another_tenant_shows_none_of_its_partners(acme, globex, cohort):
    response = globex.client(globex.admin).get(reverse("console_onboarding_funnel"))
    assert response.status_code == 200 and response.context["funnel"].signed == 0
    assert response.context["funnel"].partners == []
    assert str(cohort["p1"].uuid) not in response.content.decode()


def test_funnel_query_count_does_not_grow_with_partners(acme, cohort):
    client = acme.client(acme.admin)
    url = reverse("console_onboarding_funnel")
    client.get(url)  # store what the sources add
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(15):
        partner = make_partner(acme, f"Extra {i}", acme.manager)
        reach(acme, partner, agreement_signed=day(i), first_login=day(i + 1), first_deal=day(30))
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["funnel"].signed == 19
    assert len(many) == len(few)


def test_funnel_api_returns_the_same_numbers(acme, cohort):
    response = acme.api(acme.admin).get("/api/v1/onboarding-funnel/")
    assert response.status_code == 200
    data = response.json()
    assert data["signed"] == 4 and data["median_days_to_first_deal"] == 27.5
    steps = {s["key"]: s for s in data["steps"]}
    assert steps["first_login"]["median_days_from_signature"] == 3.5
    assert steps["team_invited"]["percent_of_signed"] == 75.0
    assert steps["team_invited"]["before_previous"] == 0 and data["out_of_order"] == 0
    p1 = next(p for p in data["partners"] if p["name"] == "P1")
    assert p1["id"] == str(cohort["p1"].uuid) and "first_deal" in p1["steps"]

    filtered = acme.api(acme.admin).get(
        "/api/v1/onboarding-funnel/",
        {"manager": acme.manager.email, "signed_to": "2026-01-31"},
    )
    assert filtered.json()["signed"] == 2
    nobody = acme.api(acme.admin).get("/api/v1/onboarding-funnel/", {"manager": "x@nowhere.test"})
    assert nobody.json()["signed"] == 0


def test_funnel_api_refuses_an_end_before_the_start(acme, cohort):
    response = acme.api(acme.admin).get(
        "/api/v1/onboarding-funnel/", {"signed_from": "2026-02-01", "signed_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert response.json()["signed_to"] == ["The end comes before the start."]


def test_funnel_api_roles_and_tenants(acme, globex, cohort):
    assert acme.api(acme.partner_admin).get("/api/v1/onboarding-funnel/").status_code == 403
    assert acme.api(acme.sales).get("/api/v1/onboarding-funnel/").status_code == 403
    assert acme.api(acme.manager).get("/api/v1/onboarding-funnel/").json()["signed"] == 2
    assert globex.api(globex.admin).get("/api/v1/onboarding-funnel/").json()["signed"] == 0


# --- Checklist -----------------------------------------------------------------------------------


def test_checklist_marks_done_steps_with_dates_and_links_the_rest(acme):
    reach(acme, acme.partner, agreement_signed=day(0), first_login=day(1))
    with tenant_context(acme.tenant):
        checklist = partner_checklist(acme.partner)
    items = {item.key: item for item in checklist.items}
    assert items[K.AGREEMENT_SIGNED].reached_at == day(0)
    assert items[K.TRAINING_101].reached_at is None
    assert items[K.TRAINING_101].url == reverse("portal_learning")
    assert items[K.PROFILE_COMPLETE].url == reverse("portal_setup_wizard")
    assert checklist.done_count == 2 and checklist.percent == round(200 / 7)


def test_portal_checklist_page_for_every_partner_role(acme):
    reach(acme, acme.partner, agreement_signed=day(0))
    for user in (acme.partner_admin, acme.partner_marketing):
        response = acme.client(user).get(reverse("portal_onboarding"))
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-step="agreement_signed" data-done="true"' in body
        assert 'data-step="first_deal" data-done="false"' in body
    # "How to" links only to pages the role may open.
    admin = acme.client(acme.partner_admin).get(reverse("portal_onboarding"))
    links = {item.key: item.url for item in admin.context["checklist"].items}
    assert links[K.PROFILE_COMPLETE] == reverse("portal_setup_wizard")
    assert links[K.FIRST_DEAL] == reverse("portal_deal_register")
    marketing = acme.client(acme.partner_marketing).get(reverse("portal_onboarding"))
    links = {item.key: item.url for item in marketing.context["checklist"].items}
    assert links[K.PROFILE_COMPLETE] == "" and links[K.FIRST_DEAL] == ""
    assert links[K.TRAINING_101] == reverse("portal_learning")


def test_portal_checklist_is_403_for_vendor_staff(acme):
    assert acme.client(acme.admin).get(reverse("portal_onboarding")).status_code == 403


def test_portal_checklist_is_the_callers_own_organisation(acme, globex):
    reach(acme, acme.other_partner, agreement_signed=day(0))
    response = acme.client(acme.partner_admin).get(reverse("portal_onboarding"))
    assert response.context["checklist"].done_count == 0
    response = acme.client(acme.other_partner_admin).get(reverse("portal_onboarding"))
    assert response.context["checklist"].done_count == 1
    assert (
        globex.client(globex.partner_admin)
        .get(reverse("portal_onboarding"))
        .context["checklist"]
        .done_count
        == 0
    )


def test_home_page_shows_the_compact_checklist_until_everything_is_done(acme):
    client = acme.client(acme.partner_sales)
    body = client.get(reverse("portal_home")).content.decode()
    assert 'id="onboarding-checklist-card"' in body and "0 of 7 steps done" in body
    reach(acme, acme.partner, **{key: day(i) for i, key in enumerate(K.values)})
    body = client.get(reverse("portal_home")).content.decode()
    assert 'id="onboarding-checklist-card"' not in body


def test_checklist_api_own_organisation_and_by_partner_id(acme, globex):
    reach(acme, acme.partner, agreement_signed=day(0))
    response = acme.api(acme.partner_sales).get("/api/v1/onboarding-checklist/")
    assert response.status_code == 200
    data = response.json()
    assert data["partner"] == str(acme.partner.uuid) and data["done"] == 1 and data["total"] == 7
    assert data["items"][0] == {
        "step": "agreement_signed",
        "label": "Agreement signed",
        "done": True,
        "reached_at": "2026-01-01T12:00:00Z",
        "how": data["items"][0]["how"],
        "url": data["items"][0]["url"],
    }
    # Vendor staff ask by partner id (in their scope); the own-org list is for partners.
    url = f"/api/v1/onboarding-checklist/{acme.partner.uuid}/"
    assert acme.api(acme.manager).get(url).json()["done"] == 1
    assert acme.api(acme.admin).get("/api/v1/onboarding-checklist/").status_code == 403
    other = f"/api/v1/onboarding-checklist/{acme.other_partner.uuid}/"
    assert acme.api(acme.manager).get(other).status_code == 404  # not their partner
    assert acme.api(acme.partner_admin).get(other).status_code == 404
    assert globex.api(globex.admin).get(url).status_code == 404  # other tenant
    assert acme.api(acme.sales).get(url).status_code == 403


def _home_card(client):
    """(the home page's HTML, its queries)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal_home"))
    assert response.status_code == 200
    return response.content.decode(), queries


def _asset_download(world, partner, at):
    from enablement.assets.models import AssetEvent, EventKind
    from enablement.assets.tests.factories import AssetFactory

    with tenant_context(world.tenant):
        asset = AssetFactory(tenant=world.tenant)
        AssetEvent.objects.create(
            tenant=world.tenant,
            asset=asset,
            partner_organization=partner,
            kind=EventKind.DOWNLOAD,
            at=at,
        )


def test_home_card_asks_the_sources_only_about_unfinished_steps(acme):
    """Reached steps cost nothing more on the home page: one query for the stored milestones,
    then only the unfinished steps' sources (and none once all are done); flat as other
    partners' milestones and events grow."""
    client = acme.client(acme.partner_sales)
    client.get(reverse("portal_home"))  # warm the session
    body, none_done = _home_card(client)
    assert "0 of 7 steps done" in body
    reach(acme, acme.partner, **{key: day(i) for i, key in enumerate(K.values[:5])})
    body, five_done = _home_card(client)
    assert "5 of 7 steps done" in body
    # Other partners' rows do not change the count.
    other = make_partner(acme, "Other Co")
    reach(acme, other, **{key: day(i) for i, key in enumerate(K.values)})
    _asset_download(acme, other, day(3))
    body, still_five = _home_card(client)
    assert "5 of 7 steps done" in body
    reach(acme, acme.partner, first_asset=day(6), first_deal=day(7))
    body, all_done = _home_card(client)
    assert 'id="onboarding-checklist-card"' not in body
    assert (len(none_done), len(five_done), len(still_five), len(all_done)) == tuple(
        n + SESSION_QUERIES + SCORECARD_QUERIES for n in (14, 8, 8, 6)
    )


# The portal home's analytics panels (the open survey's invitation: 1; the scorecard: 12, with
# the rollups' version that keys the cached figures and the program settings, each read once
# for the page): a fixed number whatever the milestones.
SCORECARD_QUERIES = 13


def test_home_card_finds_a_step_reached_outside_the_milestones(acme):
    """A step whose event exists but was never recorded as a milestone (a download before this
    code) still shows as done on the home page, and is stored."""
    client = acme.client(acme.partner_sales)
    _asset_download(acme, acme.partner, day(2))
    body, _queries = _home_card(client)
    label = str(K.FIRST_ASSET.label)
    done = body.split('id="onboarding-checklist-card"', 1)[1]
    assert f"Done:</span> {label}" in done
    with tenant_context(acme.tenant):
        assert Milestone.objects.get(partner=acme.partner, key=K.FIRST_ASSET).reached_at == day(2)
