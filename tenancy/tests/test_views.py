"""Console and portal team pages: owner / member / outsider on each, plus query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenancy.context import tenant_context
from tenancy.models import AuditEvent, Invitation, Membership
from tenancy.navigation import flatten
from tenancy.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


# --- Console vs portal by role --------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["partner_admin", "partner_sales", "partner_presales", "partner_marketing"]
)
def test_partner_user_cannot_open_console_pages(acme, role):
    client = acme.client(acme.users[role])
    for name in (
        "console_home",
        "console_team",
        "console_partner_list",
        "console_audit_log",
        "console_api_keys",
    ):
        assert client.get(reverse(name)).status_code == 403, name


@pytest.mark.parametrize("role", ["admin", "manager", "sales", "marketing", "executive"])
def test_vendor_staff_open_the_console_not_the_portal(acme, role):
    client = acme.client(acme.users[role])
    # Executives land on the KPI dashboard (their home), the others on the console home.
    assert client.get(reverse("console_home"), follow=True).status_code == 200
    assert client.get(reverse("portal_home")).status_code == 403


def test_home_routes_each_side_to_its_surface(acme):
    assert acme.client(acme.manager).get("/").url == reverse("console_home")
    assert acme.client(acme.partner_sales).get("/").url == reverse("portal_home")
    assert acme.client().get("/").url.startswith("/accounts/login")


def test_user_without_membership_here_gets_403(acme, globex):
    response = acme.client(globex.manager).get("/")
    assert response.status_code == 403


def test_other_tenant_member_gets_403_on_console(acme, globex):
    # A member of globex logged in on acme's host is nobody here.
    assert acme.client(globex.admin).get(reverse("console_team")).status_code == 403


# --- Console team: program admin manages, executive reads, others refused --------------------


def test_program_admin_invites_vendor_staff(acme, mailoutbox, django_capture_on_commit_callbacks):
    client = acme.client(acme.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console_team"), {"email": "New.Person@Acme.test", "role": "marketing"}
        )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        invitation = Invitation.objects.get(email="new.person@acme.test")
        assert AuditEvent.objects.filter(
            action="invitation.created", target_id=str(invitation.uuid)
        ).exists()
    assert invitation.role == "marketing" and invitation.invited_by == acme.admin
    assert len(mailoutbox) == 1 and "Acme" in mailoutbox[0].subject


def test_invite_form_shows_field_errors_and_saves_nothing(acme):
    client = acme.client(acme.admin)
    response = client.post(
        reverse("console_team"), {"email": "not-an-email", "role": "partner_sales"}
    )
    assert response.status_code == 400
    form = response.context["invite_form"]
    assert "email" in form.errors and "partner_organization" in form.errors
    with tenant_context(acme.tenant):
        assert not Invitation.objects.exists()


def test_executive_reads_team_but_cannot_change_it(acme):
    client = acme.client(acme.executive)
    assert client.get(reverse("console_team")).status_code == 200
    assert (
        client.post(
            reverse("console_team"), {"email": "x@acme.test", "role": "marketing"}
        ).status_code
        == 403
    )
    with tenant_context(acme.tenant):
        target = Membership.objects.get(user=acme.sales)
    url = reverse("console_team_member", kwargs={"membership_uuid": target.uuid})
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "role", "role": "program_admin"}).status_code == 403
    with tenant_context(acme.tenant):
        assert Membership.objects.get(pk=target.pk).role == "direct_sales"


@pytest.mark.parametrize("role", ["manager", "sales", "marketing"])
def test_other_vendor_roles_cannot_open_team(acme, role):
    assert acme.client(acme.users[role]).get(reverse("console_team")).status_code == 403


def test_program_admin_changes_role_and_it_is_audited(acme):
    with tenant_context(acme.tenant):
        target = Membership.objects.get(user=acme.sales)
    url = reverse("console_team_member", kwargs={"membership_uuid": target.uuid})
    response = acme.client(acme.admin).post(
        url, {"action": "role", "role": "channel_manager"}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        target.refresh_from_db()
        event = AuditEvent.objects.get(action="membership.role_changed")
    assert target.role == "channel_manager"
    assert event.actor == acme.admin and event.changes == {
        "role": ["direct_sales", "channel_manager"]
    }
    assert event.ip_address == "10.1.2.3"


def test_admin_cannot_change_own_role(acme):
    with tenant_context(acme.tenant):
        own = Membership.objects.get(user=acme.admin)
    url = reverse("console_team_member", kwargs={"membership_uuid": own.uuid})
    response = acme.client(acme.admin).post(url, {"action": "role", "role": "executive"})
    assert response.status_code == 400
    assert "own role" in str(response.context["form"].errors)


def test_last_program_admin_cannot_be_demoted_even_by_an_admin_key(acme):
    from django.core.exceptions import ValidationError

    from tenancy import services
    from tenancy.access import actor_for_api_key, actor_for_user

    with tenant_context(acme.tenant):
        key, _ = services.api_key_create(
            actor=actor_for_user(acme.admin, acme.tenant), name="ops", role="program_admin"
        )
        only_admin = Membership.objects.get(user=acme.admin)
        with pytest.raises(ValidationError):
            services.membership_change_role(
                actor=actor_for_api_key(key), membership=only_admin, role="executive"
            )
        with pytest.raises(ValidationError):
            services.membership_set_active(
                actor=actor_for_api_key(key), membership=only_admin, active=False
            )
        assert Membership.objects.get(pk=only_admin.pk).role == "program_admin"


def test_deactivated_member_loses_access(acme):
    with tenant_context(acme.tenant):
        target = Membership.objects.get(user=acme.manager)
    url = reverse("console_team_member", kwargs={"membership_uuid": target.uuid})
    assert acme.client(acme.admin).post(url, {"action": "deactivate"}).status_code == 302
    assert acme.client(acme.manager).get(reverse("console_home")).status_code == 403


# --- Portal team: partner admin manages own org only -----------------------------------------


def test_partner_admin_manages_own_team(acme):
    client = acme.client(acme.partner_admin)
    response = client.get(reverse("portal_team"))
    assert response.status_code == 200
    emails = {m.user.email for m in response.context["members"]}
    assert acme.partner_sales.email in emails and acme.other_partner_admin.email not in emails
    with tenant_context(acme.tenant):
        target = Membership.objects.get(user=acme.partner_sales)
    url = reverse("portal_team_member", kwargs={"membership_uuid": target.uuid})
    assert client.post(url, {"action": "role", "role": "partner_marketing"}).status_code == 302
    with tenant_context(acme.tenant):
        assert Membership.objects.get(pk=target.pk).role == "partner_marketing"


def test_partner_admin_cannot_grant_vendor_roles(acme):
    client = acme.client(acme.partner_admin)
    with tenant_context(acme.tenant):
        target = Membership.objects.get(user=acme.partner_sales)
    url = reverse("portal_team_member", kwargs={"membership_uuid": target.uuid})
    assert client.post(url, {"action": "role", "role": "program_admin"}).status_code == 400
    response = client.post(
        reverse("portal_team"), {"email": "boss@x.test", "role": "program_admin"}
    )
    assert response.status_code == 400
    with tenant_context(acme.tenant):
        assert Membership.objects.get(pk=target.pk).role == "partner_sales"
        assert not Invitation.objects.exists()


def test_partner_admin_invites_into_own_org(acme):
    response = acme.client(acme.partner_admin).post(
        reverse("portal_team"), {"email": "rep@p.test", "role": "partner_sales"}
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert Invitation.objects.get(email="rep@p.test").partner_organization == acme.partner


def test_partner_admin_gets_404_for_another_orgs_member(acme):
    with tenant_context(acme.tenant):
        other = Membership.objects.get(user=acme.other_partner_admin)
    url = reverse("portal_team_member", kwargs={"membership_uuid": other.uuid})
    assert acme.client(acme.partner_admin).get(url).status_code == 404
    assert acme.client(acme.partner_admin).post(url, {"action": "deactivate"}).status_code == 404


@pytest.mark.parametrize("role", ["partner_sales", "partner_presales", "partner_marketing"])
def test_partner_non_admin_cannot_manage_team(acme, role):
    client = acme.client(acme.users[role])
    assert client.get(reverse("portal_team")).status_code == 403
    assert (
        client.post(
            reverse("portal_team"), {"email": "a@b.test", "role": "partner_sales"}
        ).status_code
        == 403
    )
    with tenant_context(acme.tenant):
        target = Membership.objects.get(
            user=acme.partner_presales if role != "partner_presales" else acme.partner_sales
        )
    url = reverse("portal_team_member", kwargs={"membership_uuid": target.uuid})
    assert client.post(url, {"action": "deactivate"}).status_code == 403
    with tenant_context(acme.tenant):
        assert Membership.objects.get(pk=target.pk).is_active


# --- Query counts ----------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_team_page_query_count_does_not_grow(acme):
    client = acme.client(acme.admin)
    url = reverse("console_team")
    before = _queries(client, url)
    for _ in range(15):
        MembershipFactory(
            tenant=acme.tenant, role="partner_sales", partner_organization=acme.other_partner
        )
    assert _queries(client, url) == before


def test_audit_log_visible_to_admin_and_executive_only(acme, globex):
    with tenant_context(globex.tenant):
        AuditEvent.objects.create(
            tenant=globex.tenant,
            actor_label="x",
            action="secret.globex",
            target_type="t",
            target_id="1",
        )
    with tenant_context(acme.tenant):
        AuditEvent.objects.create(
            tenant=acme.tenant,
            actor_label="x",
            action="visible.acme",
            target_type="t",
            target_id="1",
        )
    for user in (acme.admin, acme.executive):
        response = acme.client(user).get(reverse("console_audit_log"))
        actions = {e.action for e in response.context["page"]}
        assert "visible.acme" in actions and "secret.globex" not in actions
    assert acme.client(acme.manager).get(reverse("console_audit_log")).status_code == 403


def test_team_filter_returns_only_the_table_for_htmx(acme):
    client = acme.client(acme.admin)
    response = client.get(reverse("console_team"), {"q": "partner_sales@"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "<html" not in html and acme.partner_sales.email in html and acme.manager.email not in html
    )
    full = client.get(reverse("console_team"), {"role": "executive"})
    assert [m.user for m in full.context["members"]] == [acme.executive]
    assert "<html" in full.content.decode()


def test_portal_team_filter_cannot_reach_beyond_own_org(acme):
    client = acme.client(acme.partner_admin)
    response = client.get(
        reverse("portal_team"), {"q": acme.other_partner_admin.email, "role": "program_admin"}
    )
    assert list(response.context["members"]) == []
    assert response.context["filters"]["role"] == ""  # a vendor role is not a portal filter


ENABLEMENT = ["learning", "sessions", "certifications", "assets", "playbook"]
ONBOARDING = ["onboarding_funnel", "onboarding_runs", "agreements", "cadence", "onboarding_gates"]
PORTAL_LEARNING = ["learning", "sessions", "certifications", "assets", "playbook", "search"]
PORTAL_DEALS = ["deals", "deal_board", "deal_register", "disputes"]
DEALS = ["deals", "deal_queue", "deal_extensions", "deal_locks", "disputes", "deal_reports"]
DEAL_SETUP = ["deal_rules", "deal_routing"]


PARTNERS = ["partner_list", "recruitment", "application_list"]
DEALS_READ = ["deals", "deal_locks", "disputes", "deal_reports", *DEAL_SETUP]
MDF = ["mdf", "mdf_requests", "mdf_funds", "mdf_payouts", "mdf_roi"]
CAMPAIGNS = ["campaign_templates", "campaigns"]
MDF_ALL = [*MDF, *CAMPAIGNS]
PORTAL_MARKETING = ["mdf", "campaigns", "leads"]


@pytest.mark.parametrize(
    ("role", "surface", "expected"),
    [
        (
            "admin",
            "console",
            ["home", "analytics", *PARTNERS, "partner_import", "program", *ONBOARDING]
            + [*DEALS, *DEAL_SETUP, *MDF_ALL, *ENABLEMENT, "team", "api_keys", "webhooks"]
            + ["crm_connections", "mail_log", "audit_log"],
        ),
        (
            "executive",
            "console",
            ["home", "analytics", *PARTNERS, "program", *ONBOARDING, *DEALS_READ]
            + [*MDF_ALL, *ENABLEMENT, "team", "audit_log"],
        ),
        (
            "manager",
            "console",
            ["home", "analytics", *PARTNERS, "program", *ONBOARDING, *DEALS]
            + [*DEAL_SETUP, *MDF_ALL, *ENABLEMENT, "mail_log"],
        ),
        (
            "marketing",
            "console",
            ["home", "analytics", *PARTNERS, "program", *ONBOARDING, *DEALS_READ, *MDF_ALL]
            + ENABLEMENT,
        ),
        # Direct sales: the deal-lock view and disputes.
        ("sales", "console", ["home", "deal_locks", "disputes"]),
        (
            "partner_admin",
            "portal",
            ["home", *PORTAL_DEALS, *PORTAL_MARKETING, *PORTAL_LEARNING, "tier", "roe"]
            + ["onboarding"]
            + ["agreement", "setup_wizard", "organization", "team", "api_keys", "webhooks"],
        ),
        (
            "partner_sales",
            "portal",
            ["home", *PORTAL_DEALS, "campaigns", "leads", *PORTAL_LEARNING, "tier", "roe"]
            + ["onboarding", "agreement", "organization"],
        ),
        # Partner marketing neither sees nor registers deals.
        (
            "partner_marketing",
            "portal",
            ["home", *PORTAL_MARKETING, *PORTAL_LEARNING, "tier", "roe", "onboarding"]
            + ["agreement", "organization"],
        ),
    ],
)
def test_menu_follows_the_role(acme, role, surface, expected):
    expected = [f"{surface}_{name}" for name in expected]
    response = acme.client(acme.users[role]).get(reverse(f"{surface}_home"), follow=True)
    menu = flatten(response.context[f"{surface}_menu"])
    assert [item.url_name for item in menu] == expected
    html = response.content.decode()
    for name in expected:
        assert f'href="{reverse(name)}"' in html


def test_navbar_links_are_rendered_once_per_menu_page_and_language(acme):
    """{% nav_links %} keeps the HTML per menu shape, current page and language: the same
    inputs give the HTML the template gives, and the active item follows the page."""
    from django.template import Context, Template
    from django.template.loader import render_to_string
    from django.utils import translation

    from prm import navigation
    from tenancy.navigation import menu
    from tenancy.templatetags import ui

    ui._NAV_HTML.clear()
    tag = Template("{% load ui %}{% nav_links items %}")
    with tenant_context(acme.tenant):
        admin = menu(acme.actor(acme.admin), navigation.CONSOLE)
        partner = menu(acme.actor(acme.partner_admin), navigation.PORTAL)

    def shown(items, current):
        return tag.render(Context({"items": items, "current_url_name": current}))

    def direct(items, current):
        context = {"items": items, "current_url_name": current}
        return render_to_string("components/nav_links.html", context)

    for items, current in ((admin, "console_home"), (admin, "console_team"), (partner, None)):
        assert shown(items, current) == direct(items, current)
    assert len(ui._NAV_HTML) == 3
    assert shown(admin, "console_team") == direct(admin, "console_team")  # from the cache
    assert len(ui._NAV_HTML) == 3
    assert 'aria-current="page"' in shown(admin, "console_home")
    assert shown(admin, "console_home") != shown(admin, "console_team")
    with translation.override("de"):  # another language: its own entry
        assert shown(admin, "console_home") == direct(admin, "console_home")
    assert len(ui._NAV_HTML) == 4
