"""The demo data `make run` loads: two tenants with staff of every role and partner organisations
with users of every partner role. Idempotent: running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from dealreg.demo import seed as seed_deals
from enablement.assets.demo import seed as seed_assets
from enablement.certs.demo import seed as seed_certs
from enablement.live.demo import seed as seed_live
from enablement.lms.demo import seed as seed_lms
from onboarding.demo import seed as seed_onboarding
from partners.demo import seed_tenant as seed_partner_program
from partners.models import PartnerOrganization, PartnerType
from partners.services.organization import partner_organization_create

from . import access, services
from .context import tenant_context
from .models import Membership, Tenant, User
from .roles import Role

DEMO_PASSWORD = "demo-pass-2026"
# Program admins must use TOTP; the demo enrols them with this secret so anyone can add it to an
# authenticator app, or compute a code:
#   python -c "import pyotp; print(pyotp.TOTP('<secret>').now())"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

TENANTS = [
    {
        "slug": "acme",
        "name": "Acme Cloud",
        "brand_color": "#d9480f",
        "support_email": "partners@acme.example",
    },
    {
        "slug": "globex",
        "name": "Globex Security",
        "brand_color": "#1864ab",
        "support_email": "alliances@globex.example",
    },
]

STAFF = [
    ("admin", "Ada Admin", Role.PROGRAM_ADMIN),
    ("manager", "Max Manager", Role.CHANNEL_MANAGER),
    ("manager2", "Mia Manager", Role.CHANNEL_MANAGER),
    ("sales", "Sam Sales", Role.DIRECT_SALES),
    ("marketing", "Mona Marketing", Role.MARKETING),
    ("exec", "Eve Executive", Role.EXECUTIVE),
]

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
PARTNER_STAFF_FULL = [
    ("admin", Role.PARTNER_ADMIN),
    ("sales", Role.PARTNER_SALES),
    ("presales", Role.PARTNER_PRESALES),
    ("marketing", Role.PARTNER_MARKETING),
]
PARTNER_STAFF_SMALL = [("admin", Role.PARTNER_ADMIN), ("sales", Role.PARTNER_SALES)]
# One partner person who works with both vendors: one login, two portals.
MULTI_VENDOR_USER = (
    "pat@multivendor.example",
    "Pat Multi",
    {"acme": "Contoso Managed Services", "globex": "Hooli Security Services"},
)


@dataclass
class Login:
    tenant: str
    email: str
    role: str
    organization: str = ""
    totp_secret: str = ""


@dataclass
class DemoResult:
    logins: list[Login] = field(default_factory=list)


def _user(email: str, full_name: str, password_hash: str) -> User:
    from allauth.account.models import EmailAddress

    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, "password": password_hash}
    )
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _ensure_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def _member(user: User, role: str, org: PartnerOrganization | None = None) -> None:
    if not Membership.objects.filter(user=user).exists():
        services.membership_create(user=user, role=role, partner_organization=org)


@transaction.atomic
def seed_demo() -> DemoResult:
    result = DemoResult()
    password_hash = make_password(DEMO_PASSWORD)  # hash once: the demo has dozens of users
    for spec in TENANTS:
        tenant = Tenant.objects.filter(slug=spec["slug"]).first() or services.tenant_create(**spec)
        slug = tenant.slug
        with tenant_context(tenant):
            managers = []
            for local, name, role in STAFF:
                email = f"{local}@{slug}.example"
                user = _user(email, name, password_hash)
                _member(user, role)
                if role == Role.CHANNEL_MANAGER:
                    managers.append(user)
                secret = ""
                if role in settings.PRM_MFA_REQUIRED_ROLES:
                    _ensure_totp(user)
                    secret = DEMO_TOTP_SECRET
                result.logins.append(Login(slug, email, Role(role).label, totp_secret=secret))
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
                    user = _user(email, f"{local.title()} at {org_name}", password_hash)
                    _member(user, role, org)
                    result.logins.append(Login(slug, email, Role(role).label, org_name))
            email, name, orgs = MULTI_VENDOR_USER
            org = PartnerOrganization.objects.get(name=orgs[slug])
            _member(_user(email, name, password_hash), Role.PARTNER_ADMIN, org)
            result.logins.append(Login(slug, email, Role.PARTNER_ADMIN.label, org.name))
            staff = {
                local: User.objects.get(email=f"{local}@{slug}.example") for local, _, _ in STAFF
            }
            # The partner program (profiles, IPP, tiers, rules, strategy) on top of the people.
            seed_partner_program(tenant, staff=staff)
            # Enablement: courses and paths, live sessions, certifications, assets and playbook.
            for seed_area in (seed_lms, seed_live, seed_certs, seed_assets):
                seed_area(tenant, staff=staff)
            # Onboarding: agreements, signatures, workflows, cadence and mail log, deals.
            seed_onboarding(tenant, staff=staff)
            # Deal registration: rules, routing, accounts, registrations in every status,
            # locks, a conflict, an SLA breach, an extension request and a dispute.
            seed_deals(tenant, staff=staff)
    return result
