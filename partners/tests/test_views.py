"""Partner directory (console) and own organisation (portal): who sees which partner."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def listed(client) -> set[str]:
    response = client.get(reverse("console_partner_list"))
    assert response.status_code == 200
    return {p.name for p in response.context["partners"]}


def detail_url(partner) -> str:
    return reverse("console_partner_detail", kwargs={"partner_uuid": partner.uuid})


def test_program_admin_executive_and_marketing_see_every_partner(acme):
    for user in (acme.admin, acme.executive, acme.marketing):
        assert listed(acme.client(user)) == {acme.partner.name, acme.other_partner.name}


def test_channel_manager_sees_only_assigned_partners(acme):
    client = acme.client(acme.manager)
    assert listed(client) == {acme.partner.name}
    assert client.get(detail_url(acme.partner)).status_code == 200
    assert client.get(detail_url(acme.other_partner)).status_code == 404


def test_direct_sales_has_no_partner_directory(acme):
    assert acme.client(acme.sales).get(reverse("console_partner_list")).status_code == 403


def test_partner_scope_is_one_plain_filter_without_a_grant_subquery(acme):
    """The role alone decides which partners a user sees: the scoped query reads the partner
    table only (no per-object permission table, no subquery), for every vendor role."""
    from partners.models import PartnerOrganization
    from tenancy.access import scope_partner_organizations

    with tenant_context(acme.tenant):
        for user in (acme.admin, acme.manager, acme.sales):
            actor = actor_for_user(user, acme.tenant)
            with CaptureQueriesContext(connection) as ctx:
                list(scope_partner_organizations(actor, PartnerOrganization.objects.all()))
            sql = " ".join(q["sql"] for q in ctx.captured_queries).lower()
            assert "guardian" not in sql
            assert "permission" not in sql
            assert len(ctx.captured_queries) <= 1
            assert sql.count("select") <= 1, sql


def test_no_object_permission_backend_or_guardian_app(settings):
    assert not any("guardian" in app for app in settings.INSTALLED_APPS)
    assert not any("guardian" in b for b in settings.AUTHENTICATION_BACKENDS)


def test_partner_user_sees_own_organization_in_portal(acme):
    response = acme.client(acme.partner_sales).get(reverse("portal_organization"))
    assert response.status_code == 200
    assert response.context["partner"] == acme.partner
    assert acme.other_partner_admin not in {m.user for m in response.context["members"]}


def test_vendor_staff_have_no_portal_organization_page(acme):
    assert acme.client(acme.admin).get(reverse("portal_organization")).status_code == 403


def test_other_tenant_partner_detail_is_404(acme, globex):
    assert acme.client(acme.admin).get(detail_url(globex.partner)).status_code == 404


def test_directory_query_count_does_not_grow_with_partners(acme):
    client = acme.client(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("console_partner_list"))
        return len(ctx.captured_queries)

    before = count()
    for _ in range(10):
        org = PartnerOrganizationFactory(tenant=acme.tenant, channel_manager=acme.manager)
        MembershipFactory(tenant=acme.tenant, role="partner_admin", partner_organization=org)
    assert count() == before


def test_partner_api_respects_the_same_visibility(acme):
    response = acme.api(acme.manager).get("/api/v1/partner-organizations/")
    assert [p["name"] for p in response.json()["results"]] == [acme.partner.name]
    assert acme.api(acme.sales).get("/api/v1/partner-organizations/").status_code == 403


# --- Directory filters and sorting -------------------------------------------------------------


def names(client, **params) -> list[str]:
    response = client.get(reverse("console_partner_list"), params)
    assert response.status_code == 200
    return [p.name for p in response.context["partners"]]


@pytest.fixture
def directory(acme):
    """Four partners with distinct profiles (plus the two fixture partners, prospects)."""
    from partners.models import Tier

    with tenant_context(acme.tenant):
        gold = Tier.objects.create(tenant=acme.tenant, name="Gold", rank=3)
    make = PartnerOrganizationFactory
    return {
        "gold": gold,
        "alpha": make(
            tenant=acme.tenant,
            name="Alpha MSP",
            state="active",
            partner_type="msp",
            partner_types=["msp", "reseller"],
            regions=["EMEA"],
            ipp_score=80,
            tier=gold,
            channel_manager=acme.manager,
            skills=["Kubernetes"],
        ),
        "beta": make(
            tenant=acme.tenant,
            name="Beta Referral",
            state="applied",
            partner_type="referral",
            partner_types=["referral"],
            regions=["NA", "LATAM"],
            ipp_score=40,
        ),
        "gamma": make(
            tenant=acme.tenant,
            name="Gamma ISV",
            state="suspended",
            partner_type="isv",
            partner_types=["isv"],
            regions=["APAC"],
            ipp_score=95,
            domain="gamma-software.example",
        ),
    }


def test_directory_filters_narrow_the_list(acme, directory):
    client = acme.client(acme.admin)
    assert names(client, state="active") == ["Alpha MSP"]
    # The primary type or any type it plays (Alpha is an MSP that also resells).
    assert names(client, partner_type="reseller") == [
        "Acme Partner One",
        "Acme Partner Two",
        "Alpha MSP",
    ]
    assert names(client, partner_type="referral") == ["Beta Referral"]
    assert names(client, region="NA") == ["Beta Referral"]
    assert names(client, region="LATAM") == ["Beta Referral"]
    assert names(client, tier=str(directory["gold"].uuid)) == ["Alpha MSP"]
    assert names(client, manager=acme.manager.pk) == ["Acme Partner One", "Alpha MSP"]
    assert names(client, min_score=50) == ["Alpha MSP", "Gamma ISV"]
    assert names(client, q="gamma-software") == ["Gamma ISV"]
    assert names(client, q="kubernetes") == ["Alpha MSP"]
    assert names(client, state="active", region="APAC") == []


def test_directory_sorts(acme, directory):
    client = acme.client(acme.admin)
    assert names(client, sort="-score")[:3] == ["Gamma ISV", "Alpha MSP", "Beta Referral"]
    assert names(client, sort="score")[-1] == "Gamma ISV"
    by_state = names(client, sort="state")
    assert (
        by_state.index("Beta Referral") < by_state.index("Alpha MSP") < by_state.index("Gamma ISV")
    )
    assert names(client, sort="-name")[0] == "Gamma ISV"


def test_a_bad_filter_value_is_a_field_error_and_shows_nothing(acme, directory):
    client = acme.client(acme.admin)
    response = client.get(reverse("console_partner_list"), {"min_score": "lots", "tier": "x"})
    assert response.status_code == 200
    assert list(response.context["partners"]) == []  # never "everything" instead
    errors = response.context["listing"].form.errors
    assert set(errors) == {"min_score", "tier"}
    html = response.content.decode()
    assert "is-invalid" in html and "Enter a number." in html
    # An unknown sort is not an error: the default order.
    assert names(client, sort="weird")[0] == "Acme Partner One"
    assert names(client, min_score="250") == []


def test_channel_manager_filters_only_within_their_partners(acme, directory):
    client = acme.client(acme.manager)
    assert names(client) == ["Acme Partner One", "Alpha MSP"]
    assert names(client, min_score=90) == []


def test_directory_filter_swaps_only_the_table_with_htmx(acme, directory):
    response = acme.client(acme.admin).get(
        reverse("console_partner_list"), {"state": "applied"}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in response.content and b'id="partner-table"' in response.content
    assert b"Beta Referral" in response.content and b"Alpha MSP" not in response.content


def test_filtered_directory_query_count_does_not_grow(acme, directory):
    client = acme.client(acme.admin)
    params = {"region": "EMEA", "sort": "-score", "min_score": "10"}

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("console_partner_list"), params)
        return len(ctx.captured_queries)

    before = count()
    for i in range(10):
        PartnerOrganizationFactory(
            tenant=acme.tenant,
            regions=["EMEA"],
            ipp_score=50 + i,
            tier=directory["gold"],
            channel_manager=acme.manager,
        )
    assert count() == before


# --- Detail page -------------------------------------------------------------------------------


def test_detail_shows_profile_lifecycle_history_contacts_and_applications(acme):
    from partners.tests.factories import ApplicationFactory, PartnerContactFactory

    application = ApplicationFactory(
        tenant=acme.tenant, partner=acme.partner, message="We love your API."
    )
    PartnerContactFactory(tenant=acme.tenant, partner=acme.partner, name="Kim Contact")
    with tenant_context(acme.tenant):
        from partners.services.organization import partner_transition

        partner_transition(
            actor=actor_for_user(acme.manager, acme.tenant),
            partner=acme.partner,
            to_state="applied",
            reason="Filled the form at the event",
        )
    response = acme.client(acme.manager).get(detail_url(acme.partner))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Filled the form at the event" in html  # history
    assert "Kim Contact" in html and "We love your API." in html
    assert application.contact_email in html
    assert [s for s, _ in response.context["transitions"]] == ["approved", "retired"]
    assert 'id="ipp-explanation"' in html  # the IPP area's card is included
    assert reverse("console_partner_edit", kwargs={"partner_uuid": acme.partner.uuid}) in html
    for member in (acme.partner_admin, acme.partner_sales):
        assert member.email in html


def test_read_only_staff_see_the_detail_without_actions(acme):
    response = acme.client(acme.executive).get(detail_url(acme.partner))
    assert response.status_code == 200
    assert response.context["transitions"] == [] and response.context["contact_form"] is None
    assert b'id="transition-form"' not in response.content


def test_detail_query_count_does_not_grow_with_history_and_contacts(acme):
    from partners.tests.factories import (
        ApplicationFactory,
        LifecycleEventFactory,
        PartnerContactFactory,
    )

    client = acme.client(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(detail_url(acme.partner)).status_code == 200
        return len(ctx.captured_queries)

    LifecycleEventFactory(tenant=acme.tenant, partner=acme.partner, by=acme.manager)
    before = count()
    for _ in range(5):
        PartnerContactFactory(tenant=acme.tenant, partner=acme.partner)
        LifecycleEventFactory(tenant=acme.tenant, partner=acme.partner, by=acme.admin)
        ApplicationFactory(tenant=acme.tenant, partner=acme.partner)
    assert count() == before


def test_detail_of_a_partner_moves_from_the_form(acme):
    response = acme.client(acme.manager).post(
        reverse("console_partner_transition", kwargs={"partner_uuid": acme.partner.uuid}),
        {"to_state": "active", "reason": ""},
        follow=True,
    )
    assert b"cannot move from Prospect to Active" in response.content
    response = acme.client(acme.manager).post(
        reverse("console_partner_transition", kwargs={"partner_uuid": acme.partner.uuid}),
        {"to_state": "approved"},
    )
    assert response.status_code == 302
    acme.partner.refresh_from_db()
    assert acme.partner.state == "approved"


def test_directory_offers_filtered_export_and_import_to_program_admins(acme):
    html = acme.client(acme.admin).get(reverse("console_partner_list"), {"state": "active"}).content
    html = html.decode()
    assert reverse("console_partner_export") + "?state=active&amp;format=csv" in html
    assert reverse("console_partner_import") in html
    manager_html = acme.client(acme.manager).get(reverse("console_partner_list")).content.decode()
    assert reverse("console_partner_import") not in manager_html


# --- Directory through list_page: headers, pages, CSV ------------------------------------------


def directory_csv(client, **params) -> list[list[str]]:
    import csv
    import io

    response = client.get(reverse("console_partner_list"), {**params, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_directory_csv_exports_every_filtered_row_in_words(acme, globex, directory):
    rows = directory_csv(acme.client(acme.admin), region="EMEA", sort="-score")
    assert rows[0] == [
        "Name", "Domain", "Type", "State", "Tier", "IPP score", "Regions", "Channel manager",
        "Users", "Added",
    ]  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["Alpha MSP"]
    alpha = rows[1]
    assert alpha[2:7] == ["MSP / services", "Active", "Gold", "80", "Europe, Middle East & Africa"]
    assert alpha[7] == (acme.manager.full_name or acme.manager.email)
    # Everything the filters match, not one page; never another tenant's partners.
    every = directory_csv(acme.client(acme.admin))
    assert len(every) == 1 + 5 and globex.partner.name not in {r[0] for r in every}
    # A channel manager exports their own partners only.
    mine = directory_csv(acme.client(acme.manager))
    assert [r[0] for r in mine[1:]] == ["Acme Partner One", "Alpha MSP"]


def test_directory_headers_sort_and_pages_keep_filters_and_sort(acme, directory, monkeypatch):
    from partners.views import organization as views

    monkeypatch.setattr(views, "DIRECTORY_PAGE_SIZE", 2)
    client = acme.client(acme.admin)
    response = client.get(reverse("console_partner_list"), {"sort": "-score", "q": "a"})
    html = response.content.decode()
    assert "sort=score" in html and "sorted descending" in html  # the IPP score header reverses
    assert "Page 1 of 3" in html and "page=2" in html and "q=a" in html
    assert "Europe, Middle East &amp; Africa" in html  # Alpha's region in words, not "EMEA"
    page2 = client.get(reverse("console_partner_list"), {"sort": "-score", "q": "a", "page": 2})
    # No score sorts below 0; equal scores by name, reversed with the column.
    assert [p.name for p in page2.context["partners"]] == ["Beta Referral", "Acme Partner Two"]
    assert names(client, sort="-users")[0] == "Acme Partner One"  # the fixture's 4 users
    assert names(client, sort="-tier")[0] == "Alpha MSP"  # Gold first, reversed


def test_directory_counts_users_per_row_not_by_grouping_every_partner(acme):
    org = PartnerOrganizationFactory(tenant=acme.tenant, name="Counted Co")
    for role in ("partner_admin", "partner_sales", "partner_sales"):
        MembershipFactory(tenant=acme.tenant, role=role, partner_organization=org)
    client = acme.client(acme.admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("console_partner_list"))
    counts = {p.name: p.user_count for p in response.context["partners"]}
    assert counts["Counted Co"] == 3
    page_sql = [
        q["sql"]
        for q in queries
        if 'FROM "partners_partnerorganization"' in q["sql"] and "COUNT(*)" not in q["sql"]
    ]
    # A correlated sub-select per row (evaluated after the LIMIT), no GROUP BY over every partner.
    assert page_sql and all("GROUP BY" not in sql.split("FROM", 1)[0] for sql in page_sql)
    assert all('"partners_partnerorganization"."id") GROUP BY' not in sql for sql in page_sql)
    rows = client.get(reverse("console_partner_list"), {"sort": "-users"}).context["partners"]
    by_users = [p.user_count for p in rows]
    assert by_users == sorted(by_users, reverse=True) and 3 in by_users
