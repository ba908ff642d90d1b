"""The whole demo `make run` loads, assembled here because only the top floor knows every app:
tenancy's tenants and staff, the partner organisations with users of every partner role, then
each app's data in layer order. Idempotent: running it again changes nothing.
`manage.py seed_demo` runs `seed_demo` (settings.PRM_DEMO_SEED)."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction

from analytics.demo import seed as seed_analytics
from dealreg.demo import seed as seed_deals
from enablement.assets.demo import seed as seed_assets
from enablement.certs.demo import seed as seed_certs
from enablement.live.demo import seed as seed_live
from enablement.lms.demo import seed as seed_lms
from integrations.demo import seed as seed_integrations
from mdf.demo import seed as seed_mdf
from onboarding.demo import record_milestones
from onboarding.demo import seed as seed_onboarding
from partners.demo import seed_tenant as seed_partner_program
from partners.models import PartnerOrganization, PartnerType
from partners.services.organization import partner_organization_create
from tenancy import access
from tenancy.context import tenant_context
from tenancy.demo import (
    DEMO_PASSWORD,
    MULTI_VENDOR_USER,
    PARTNER_STAFF_FULL,
    PARTNER_STAFF_SMALL,
    TENANTS,
    DemoResult,
    Login,
    demo_member,
    demo_user,
    seed_tenant_and_staff,
)
from tenancy.roles import Role

__all__ = ["DEMO_PASSWORD", "PARTNERS", "seed_demo"]

PARTNERS = {
    "acme": [
        ("Northwind Solutions", PartnerType.RESELLER, "northwind", True),
        ("Contoso Managed Services", PartnerType.MSP, "contoso", False),
        ("Fabrikam Integrations", PartnerType.ISV, "fabrikam", False),
        ("Tailspin Referrals", PartnerType.REFERRAL, "tailspin", False),
    ],
    "globex": [
        ("Initech Resellers", PartnerType.RESELLER, "initech", True),
        ("Umbrella Cloud Marketplace", PartnerType.MARKETPLACE, "umbrella", False),
        ("Hooli Security Services", PartnerType.MSP, "hooli", False),
    ],
}

# Each app's demo, in layer order (a seeder may rely on what the ones before it created).
SEEDERS = (
    # The partner program (profiles, IPP, tiers, rules, strategy) on top of the people.
    seed_partner_program,
    # Enablement: courses and paths, live sessions, certifications, assets and playbook.
    seed_lms,
    seed_live,
    seed_certs,
    seed_assets,
    # Onboarding: agreements, signatures, workflows, cadence and mail log, milestones.
    seed_onboarding,
    # Deal registration: rules, routing, accounts, registrations in every status (first deals
    # when the onboarding demo planned them), locks, a conflict, an SLA breach, an extension
    # request and a dispute.
    seed_deals,
    # Onboarding milestones, each dated by the event behind it (a signature, an invitation, a
    # login, the wizard, a 101 completion, a download, a first registration), once all exist.
    record_milestones,
    # MDF: a fund allocated by tier rules, requests and claims in every state, payouts (after the
    # milestones: requests need partners whose onboarding unlocked MDF).
    seed_mdf,
    # Analytics: measurement costs, touches beyond the registering partner on a few won deals,
    # then the rollups computed once so the executive's dashboard opens on figures.
    seed_analytics,
    # Integrations: a (paused) webhook endpoint with the delivery log of the demo's deal events.
    seed_integrations,
)


@transaction.atomic
def seed_demo() -> DemoResult:
    result = DemoResult()
    password_hash = make_password(DEMO_PASSWORD)  # hash once: the demo has dozens of users
    for spec in TENANTS:
        tenant, staff = seed_tenant_and_staff(spec, result, password_hash)
        slug = tenant.slug
        managers = [staff["manager"], staff["manager2"]]
        with tenant_context(tenant):
            for index, (org_name, partner_type, domain, full_team) in enumerate(PARTNERS[slug]):
                org = PartnerOrganization.objects.filter(
                    name=org_name
                ).first() or partner_organization_create(
                    actor=access.SYSTEM,
                    name=org_name,
                    partner_type=partner_type,
                    website=f"https://{domain}.example",
                    channel_manager=managers[index % len(managers)],
                )
                for local, role in PARTNER_STAFF_FULL if full_team else PARTNER_STAFF_SMALL:
                    email = f"{local}@{domain}.example"
                    user = demo_user(email, f"{local.title()} at {org_name}", password_hash)
                    demo_member(user, role, org)
                    result.logins.append(Login(slug, email, Role(role).label, org_name))
            email, name, orgs = MULTI_VENDOR_USER
            org = PartnerOrganization.objects.get(name=orgs[slug])
            demo_member(demo_user(email, name, password_hash), Role.PARTNER_ADMIN, org)
            result.logins.append(Login(slug, email, Role.PARTNER_ADMIN.label, org.name))
            for seed_area in SEEDERS:
                seed_area(tenant, staff=staff)
    return result
