"""The one place that answers "who is this, and may they do X (to this object)?".

Views and API views call only this module for access decisions:
- `get_actor(request)` says who is acting (a member through a session, or an API key);
- `require(actor, perm)` raises PermissionDenied (403) when the role lacks the permission;
- `require_console(request, *perms)` / `require_portal(request, *perms)` are a page's one access
  check: the actor of a tenant host (404 elsewhere), on that surface, with those permissions;
- `scope_*(actor, queryset)` narrow a tenant-scoped queryset to the rows the actor may see, in SQL,
  so an insider asking for an object outside their reach gets 404, never a hint it exists.
Tenant isolation itself is not decided here: the scoped manager already limits every query to the
current tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .context import get_current_tenant
from .roles import PARTNER_ROLES, VENDOR_ROLES, Role

if TYPE_CHECKING:
    from .models import ApiKey, Membership, Tenant, User


class Perm(StrEnum):
    CONSOLE_VIEW = "console.view"  # open the vendor console (read)
    PORTAL_VIEW = "portal.view"  # open the partner portal
    STAFF_VIEW = "staff.view"  # see the tenant's users and invitations
    STAFF_MANAGE = "staff.manage"  # invite vendor staff and partner users, change roles, deactivate
    PARTNER_TEAM_MANAGE = "partner_team.manage"  # a partner admin's own team
    PARTNERS_VIEW = "partners.view"
    PARTNERS_MANAGE = "partners.manage"
    PARTNER_PROFILE_EDIT = "partner_profile.edit"  # a partner admin's own organisation
    PROGRAM_VIEW = "program.view"  # tiers, IPP, rules of engagement, strategy pages (read)
    PROGRAM_MANAGE = "program.manage"  # edit them; import partners
    TIERS_DECIDE = "tiers.decide"  # approve/reject tier proposals (managers: their partners)
    ROE_ACCEPT = "roe.accept"  # accept the rules of engagement for one's organisation
    API_KEYS_MANAGE = "api_keys.manage"
    AUDIT_VIEW = "audit.view"
    AGREEMENT_SIGN = "agreement.sign"  # sign the partner agreement for one's organisation
    DEALS_VIEW = "deals.view"  # see deal registrations (vendor: in scope; partner: their own)
    DEALS_REGISTER = "deals.register"  # register deals for one's organisation
    DEALS_DECIDE = "deals.decide"  # approve/reject registrations and extensions (managers: theirs)
    DEAL_LOCKS_VIEW = "deal_locks.view"  # the deal-lock view: is this account claimed, until when
    ACCOUNTS_CLAIM = "accounts.claim"  # a direct rep claims an unlocked account
    DISPUTES_RAISE = "disputes.raise"  # raise and comment on a dispute over an account
    DISPUTES_DECIDE = "disputes.decide"  # decide a dispute (program admin)
    APPLICATIONS_CLAIM = "applications.claim"  # take an application from the unassigned queue
    PARTNER_USERS_INVITE = "partner_users.invite"  # invite people into partners one manages
    MDF_VIEW = "mdf.view"  # see funds, requests and claims (vendor: in scope; partner: their own)
    MDF_REQUEST = "mdf.request"  # request funds and claim them for one's organisation
    MDF_DECIDE = "mdf.decide"  # approve/reject requests and claims (managers: their partners)
    MDF_MANAGE = "mdf.manage"  # funds, allocations and payouts
    CAMPAIGNS_VIEW = "campaigns.view"  # campaign gallery, campaigns and leads (partner: their own)
    CAMPAIGNS_MANAGE = "campaigns.manage"  # build and publish campaign templates
    CAMPAIGNS_RUN = "campaigns.run"  # co-brand, launch and mail campaigns for one's organisation
    ANALYTICS_VIEW = "analytics.view"  # KPI dashboards (vendor: partners in scope)
    ANALYTICS_MANAGE = "analytics.manage"  # measurement settings, deal touches, refresh rollups


_ALL_VENDOR_READ = {
    Perm.CONSOLE_VIEW,
    Perm.PARTNERS_VIEW,
    Perm.PROGRAM_VIEW,
    Perm.DEALS_VIEW,
    Perm.DEAL_LOCKS_VIEW,
    Perm.MDF_VIEW,
    Perm.CAMPAIGNS_VIEW,
    Perm.ANALYTICS_VIEW,
}
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.PROGRAM_ADMIN: frozenset(
        _ALL_VENDOR_READ
        | {
            Perm.STAFF_VIEW,
            Perm.STAFF_MANAGE,
            Perm.PARTNERS_MANAGE,
            Perm.PROGRAM_MANAGE,
            Perm.TIERS_DECIDE,
            Perm.API_KEYS_MANAGE,
            Perm.AUDIT_VIEW,
            Perm.DEALS_DECIDE,
            Perm.DISPUTES_RAISE,
            Perm.DISPUTES_DECIDE,
            Perm.APPLICATIONS_CLAIM,
            Perm.MDF_DECIDE,
            Perm.MDF_MANAGE,
            Perm.CAMPAIGNS_MANAGE,
            Perm.ANALYTICS_MANAGE,
        }
    ),
    Role.CHANNEL_MANAGER: frozenset(
        _ALL_VENDOR_READ
        | {
            Perm.PARTNERS_MANAGE,
            Perm.TIERS_DECIDE,
            Perm.DEALS_DECIDE,
            Perm.DISPUTES_RAISE,
            Perm.APPLICATIONS_CLAIM,
            Perm.PARTNER_USERS_INVITE,
            Perm.MDF_DECIDE,
        }
    ),
    Role.DIRECT_SALES: frozenset(
        {Perm.CONSOLE_VIEW, Perm.DEAL_LOCKS_VIEW, Perm.ACCOUNTS_CLAIM, Perm.DISPUTES_RAISE}
    ),
    # Marketing runs the MDF program: funds, allocations, the second approval, payouts.
    Role.MARKETING: frozenset(
        _ALL_VENDOR_READ | {Perm.MDF_DECIDE, Perm.MDF_MANAGE, Perm.CAMPAIGNS_MANAGE}
    ),
    # Executives read everything in the console and change nothing.
    Role.EXECUTIVE: frozenset(_ALL_VENDOR_READ | {Perm.AUDIT_VIEW, Perm.STAFF_VIEW}),
    Role.PARTNER_ADMIN: frozenset(
        {
            Perm.PORTAL_VIEW,
            Perm.PARTNER_TEAM_MANAGE,
            Perm.API_KEYS_MANAGE,
            Perm.PARTNERS_VIEW,
            Perm.PARTNER_PROFILE_EDIT,
            Perm.ROE_ACCEPT,
            Perm.AGREEMENT_SIGN,
            Perm.DEALS_VIEW,
            Perm.DEALS_REGISTER,
            Perm.DISPUTES_RAISE,
            Perm.MDF_VIEW,
            Perm.MDF_REQUEST,
            Perm.CAMPAIGNS_VIEW,
            Perm.CAMPAIGNS_RUN,
        }
    ),
    # Sales reps work the leads campaigns bring (and register them as deals).
    Role.PARTNER_SALES: frozenset(
        {
            Perm.PORTAL_VIEW,
            Perm.PARTNERS_VIEW,
            Perm.DEALS_VIEW,
            Perm.DEALS_REGISTER,
            Perm.CAMPAIGNS_VIEW,
        }
    ),
    Role.PARTNER_PRESALES: frozenset(
        {Perm.PORTAL_VIEW, Perm.PARTNERS_VIEW, Perm.DEALS_VIEW, Perm.DEALS_REGISTER}
    ),
    Role.PARTNER_MARKETING: frozenset(
        {
            Perm.PORTAL_VIEW,
            Perm.PARTNERS_VIEW,
            Perm.MDF_VIEW,
            Perm.MDF_REQUEST,
            Perm.CAMPAIGNS_VIEW,
            Perm.CAMPAIGNS_RUN,
        }
    ),
}

# Roles each inviter may hand out (a partner admin only into their own organisation, a channel
# manager only into the partners they manage).
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.PROGRAM_ADMIN: frozenset(VENDOR_ROLES | PARTNER_ROLES),
    Role.PARTNER_ADMIN: frozenset(PARTNER_ROLES),
    Role.CHANNEL_MANAGER: frozenset(PARTNER_ROLES),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting in the current tenant, and as what."""

    tenant: Tenant | None
    user: User | None = None
    membership: Membership | None = None
    api_key: ApiKey | None = None
    mfa_satisfied: bool = True
    # A change no person made (a CRM sync...): what the audit log names as its author.
    system_label: str = ""

    @property
    def role(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.role
        if self.membership is not None and self.membership.is_active:
            return self.membership.role
        return None

    @property
    def partner_organization_id(self) -> int | None:
        if self.api_key is not None:
            return self.api_key.partner_organization_id
        if self.membership is not None:
            return self.membership.partner_organization_id
        return None

    @property
    def is_member(self) -> bool:
        return self.role is not None

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES

    @property
    def is_vendor(self) -> bool:
        return self.role in VENDOR_ROLES

    @property
    def responsible_user(self) -> User | None:
        """The person answerable for what this actor does: the signed-in user, or the creator of
        the API key (a key acts for whoever made it, and works only while they may)."""
        if self.api_key is not None:
            return self.api_key.created_by
        return self.user

    def is_acting_on_self(self, membership: Membership) -> bool:
        """True when `membership` is the acting person's own (through a session or a key)."""
        person = self.responsible_user
        return person is not None and membership.user_id == person.pk

    @property
    def label(self) -> str:
        if self.api_key is not None:
            return f"API key {self.api_key.name} ({self.api_key.prefix})"
        if self.user is not None:
            return self.user.email
        return self.system_label or "system"

    def has(self, perm: Perm) -> bool:
        role = self.role
        return role is not None and self.mfa_satisfied and perm in ROLE_PERMS.get(role, ())


SYSTEM = Actor(tenant=None)


def roles_with(perm: Perm) -> list[str]:
    """The roles that hold `perm` (e.g. whom to tell in a partner: its marketing people)."""
    return sorted(role for role, perms in ROLE_PERMS.items() if perm in perms)


def mfa_required_for(role: str | None) -> bool:
    return role in settings.PRM_MFA_REQUIRED_ROLES


def user_has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def is_platform_operator(request) -> bool:
    """Platform operators: staff with TOTP enrolled, at a platform host (no tenant)."""
    user = request.user
    return (
        getattr(request, "tenant", None) is None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user_has_totp(user)
    )


def actor_for_user(user, tenant: Tenant | None) -> Actor:
    from .models import Membership

    if tenant is None or user is None or not user.is_authenticated:
        return Actor(tenant=tenant)
    membership = (
        Membership.objects.select_related("partner_organization")
        .filter(user=user, is_active=True)
        .first()
    )
    mfa_ok = True
    if membership is not None and mfa_required_for(membership.role):
        mfa_ok = user_has_totp(user)
    return Actor(tenant=tenant, user=user, membership=membership, mfa_satisfied=mfa_ok)


def actor_for_api_key(key: ApiKey) -> Actor:
    return Actor(tenant=key.tenant, api_key=key, user=None)


def get_actor(request) -> Actor:
    """The actor of a Django or DRF request, computed once per request."""
    django_request = getattr(request, "_request", request)
    cached = getattr(django_request, "_prm_actor", None)
    auth = getattr(request, "auth", None)
    from .models import ApiKey

    if isinstance(auth, ApiKey):
        actor = actor_for_api_key(auth)
    elif cached is not None:
        return cached
    else:
        actor = actor_for_user(getattr(django_request, "user", None), get_current_tenant())
    django_request._prm_actor = actor
    return actor


def require_mfa(actor: Actor) -> None:
    """Raise PermissionDenied when the actor's role needs TOTP and they have not set it up."""
    if actor.role is not None and not actor.mfa_satisfied:
        raise PermissionDenied(_("Set up two-factor authentication to continue."))


def require(actor: Actor, perm: Perm) -> None:
    """Raise PermissionDenied unless the actor's role carries `perm` in this tenant."""
    require_mfa(actor)
    if not actor.has(perm):
        raise PermissionDenied(_("Your role does not allow this."))


def require_tenant(request) -> Actor:
    """The actor of a page on a tenant's host (else 404: nothing exists here). Pages open to
    both surfaces check their permission next; console and portal pages use the two below."""
    if getattr(request, "tenant", None) is None:
        raise Http404  # not a tenant's host: nothing here exists
    return get_actor(request)


def require_console(request, *perms: Perm) -> Actor:
    """The actor of a console page: a tenant host (else 404), the console and every perm in
    `perms` (else 403)."""
    actor = require_tenant(request)
    for perm in (Perm.CONSOLE_VIEW, *perms):
        require(actor, perm)
    return actor


def require_portal(request, *perms: Perm) -> Actor:
    """The actor of a portal page: a tenant host (else 404), the portal and every perm in `perms`
    (else 403)."""
    actor = require_tenant(request)
    for perm in (Perm.PORTAL_VIEW, *perms):
        require(actor, perm)
    return actor


def require_any(actor: Actor, *perms: Perm) -> None:
    """Raise PermissionDenied unless the actor's role carries at least one of `perms`."""
    require_mfa(actor)
    if not any(actor.has(perm) for perm in perms):
        raise PermissionDenied(_("Your role does not allow this."))


def require_file_reader(actor: Actor) -> None:
    """Downloads of program files (assets, course files, certificates) are for portal users and
    program staff; the row itself is then looked up through a scoped selector (outsiders: 404)."""
    require_any(actor, Perm.PORTAL_VIEW, Perm.PROGRAM_VIEW)


def may_grant_role(actor: Actor, role: str, partner_organization_id: int | None) -> bool:
    grantable = GRANTABLE_ROLES.get(actor.role or "", frozenset())
    if role not in grantable:
        return False
    if actor.role == Role.PARTNER_ADMIN:
        return partner_organization_id == actor.partner_organization_id
    if actor.role == Role.CHANNEL_MANAGER:
        from .models import member_organization_model

        return (
            partner_organization_id is not None
            and actor.user is not None
            and member_organization_model()
            .objects.filter(pk=partner_organization_id, channel_manager=actor.user)
            .exists()
        )
    return True


def may_own_api_key(owner: Actor, key: ApiKey) -> bool:
    """May `owner` (the key's creator, as a member) hold this key: manage keys, and give its role
    (a partner admin only for their own organisation)."""
    return owner.role is not None and (
        Perm.API_KEYS_MANAGE in ROLE_PERMS.get(owner.role, ())
        and may_grant_role(owner, key.role, key.partner_organization_id)
    )


# --- Row visibility (SQL) ------------------------------------------------------------------


def sees_every_partner(actor: Actor) -> bool:
    """The roles `scope_partner_organizations` does not narrow: a selector may then skip the
    partner filter altogether (a million-row list walks its index without a semi-join)."""
    return actor.role in (Role.PROGRAM_ADMIN, Role.EXECUTIVE, Role.MARKETING)


def scope_partner_organizations(actor: Actor, qs: QuerySet) -> QuerySet:
    """Program admins, executives and marketing see every partner; a channel manager sees the
    partners assigned to them; a partner user sees their own organisation; anyone else none.
    The role alone decides: no per-object grants (docs/architecture.md, "Access")."""
    role = actor.role
    if sees_every_partner(actor):
        return qs
    if role in PARTNER_ROLES:
        return qs.filter(pk=actor.partner_organization_id)
    if role == Role.CHANNEL_MANAGER and actor.user is not None:
        return qs.filter(channel_manager=actor.user)
    return qs.none()


def scope_partner_owned(actor: Actor, qs: QuerySet, field: str = "partner") -> QuerySet:
    """Rows of a partner (revenue, proposals, contacts...): visible when the partner is."""
    from .models import member_organization_model

    visible = scope_partner_organizations(actor, member_organization_model().objects.all())
    return qs.filter(**{f"{field}__in": visible.values("pk")})


def may_manage_partner(actor: Actor, partner) -> bool:
    """Change a partner's record: program admins any; channel managers their own partners."""
    if not actor.has(Perm.PARTNERS_MANAGE):
        return False
    if actor.role == Role.CHANNEL_MANAGER:
        return actor.user is not None and partner.channel_manager_id == actor.user.pk
    return True


def may_decide_application(actor: Actor, partner) -> bool:
    """Approve or reject an application: program admins any; a channel manager the applications
    assigned to them (the applicant's prospect is theirs: by a routing rule, round robin or a
    claim)."""
    return may_manage_partner(actor, partner)


def may_claim_application(actor: Actor) -> bool:
    """Take an application from the unassigned queue (it becomes the claimer's)."""
    return actor.user is not None and actor.has(Perm.APPLICATIONS_CLAIM)


def may_invite_partner_users(actor: Actor, partner) -> bool:
    """Invite people into a partner: program admins any; its channel manager (onboarding it
    alone); a partner admin their own organisation (the portal's team page)."""
    if actor.has(Perm.STAFF_MANAGE):
        return True
    if actor.has(Perm.PARTNER_USERS_INVITE):
        return actor.user is not None and partner.channel_manager_id == actor.user.pk
    return actor.has(Perm.PARTNER_TEAM_MANAGE) and actor.partner_organization_id == partner.pk


def may_take_attendance(actor: Actor, session) -> bool:
    """Mark attendance of a live session: program managers, and the session's instructor account."""
    if actor.has(Perm.PROGRAM_MANAGE):
        return True
    return (
        actor.is_vendor
        and actor.mfa_satisfied
        and actor.user is not None
        and session.instructor_id == actor.user.pk
    )


def scope_memberships(actor: Actor, qs: QuerySet) -> QuerySet:
    """Whose memberships an actor may list, as the pages show them: the console team page's
    readers (staff.view) everyone; a partner user their own organisation's people; other vendor
    staff the people of the partners they can see (a partner's page), never the vendor's staff.
    Pickers of channel managers use `tenancy.selectors.partner_managers` instead."""
    if actor.has(Perm.STAFF_VIEW):
        return qs
    if actor.is_partner:
        return qs.filter(partner_organization_id=actor.partner_organization_id)
    if actor.has(Perm.PARTNERS_VIEW):
        return scope_partner_owned(actor, qs, field="partner_organization")
    return qs.none()


def scope_api_keys(actor: Actor, qs: QuerySet) -> QuerySet:
    if actor.role == Role.PROGRAM_ADMIN:
        return qs
    if actor.role == Role.PARTNER_ADMIN:
        return qs.filter(partner_organization_id=actor.partner_organization_id)
    return qs.none()


def may_manage_membership(actor: Actor, membership: Membership) -> bool:
    if actor.has(Perm.STAFF_MANAGE):
        return True
    return (
        actor.has(Perm.PARTNER_TEAM_MANAGE)
        and membership.partner_organization_id is not None
        and membership.partner_organization_id == actor.partner_organization_id
    )
