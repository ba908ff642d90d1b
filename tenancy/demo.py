"""The people of the demo `make run` loads: two tenants with staff of every role, the logins and
their password. The demo as a whole (partner organisations and their users, then every app's
data) is assembled by prm/demo.py, which knows every app; the `seed_demo` command runs it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from . import services
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


def demo_user(email: str, full_name: str, password_hash: str) -> User:
    from allauth.account.models import EmailAddress

    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, "password": password_hash}
    )
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def ensure_demo_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def demo_member(user: User, role: str, org=None) -> None:
    if not Membership.objects.filter(user=user).exists():
        services.membership_create(user=user, role=role, partner_organization=org)


def seed_tenant_and_staff(
    spec: dict, result: DemoResult, password_hash: str
) -> tuple[Tenant, dict[str, User]]:
    """One demo tenant (an entry of TENANTS) and its staff: (tenant, {"admin": User, ...})."""
    tenant = Tenant.objects.filter(slug=spec["slug"]).first() or services.tenant_create(**spec)
    slug = tenant.slug
    staff: dict[str, User] = {}
    with tenant_context(tenant):
        for local, name, role in STAFF:
            email = f"{local}@{slug}.example"
            user = demo_user(email, name, password_hash)
            demo_member(user, role)
            staff[local] = user
            secret = ""
            if role in settings.PRM_MFA_REQUIRED_ROLES:
                ensure_demo_totp(user)
                secret = DEMO_TOTP_SECRET
            result.logins.append(Login(slug, email, Role(role).label, totp_secret=secret))
    return tenant, staff
