"""Writes for tenancy: tenants, invitations, memberships, API keys and object grants.

Every service takes the acting `Actor`, checks what the actor may do through `access`, writes in one
transaction with its audit event, and enqueues follow-up work on commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .access import Actor, Perm
from .audit import audit_record
from .context import require_current_tenant, tenant_context
from .models import ApiKey, Invitation, Membership, Tenant
from .registry import Registry
from .roles import PARTNER_ROLES, VENDOR_ROLES, Role

User = get_user_model()

INVITATION_SALT = "prm.invitation"
API_KEY_PREFIX = "prm"


# --- Tenants ----------------------------------------------------------------------------------


@transaction.atomic
def tenant_create(*, name: str, slug: str, **fields) -> Tenant:
    tenant = Tenant(name=name, slug=slug.lower(), **fields)
    tenant.full_clean()
    tenant.save()
    return tenant


# --- Memberships ------------------------------------------------------------------------------

# Other areas react to a membership appearing or changing role (e.g. the LMS assigns the learning
# path of the role). They register here from their AppConfig.ready(), so tenancy imports none of
# them; hooks run inside the service's transaction and defer side effects with on_commit.
# fn(membership=...) is called after a membership is created or its role changes.
membership_changed = Registry("tenancy.membership_changed", required=True)


# fn(invitation=...) is called after an invitation is created (onboarding's "team invited").
invitation_created = Registry("tenancy.invitation_created", required=True)


def _membership_changed(membership: Membership) -> None:
    membership_changed.run(membership=membership)


def run_membership_changed_hooks(membership: Membership) -> None:
    """For memberships written outside these services (the platform admin)."""
    _membership_changed(membership)


def _validate_role_and_org(role: str, partner_organization) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role in PARTNER_ROLES and partner_organization is None:
        raise ValidationError(
            {"partner_organization": _("Partner roles need a partner organisation.")}
        )
    if role in VENDOR_ROLES and partner_organization is not None:
        raise ValidationError(
            {"partner_organization": _("Vendor staff do not belong to a partner.")}
        )


@transaction.atomic
def membership_create(
    *, user, role: str, partner_organization=None, actor: Actor = access.SYSTEM
) -> Membership:
    """Give a user a role in the current tenant (used by invitations, seeding and onboarding)."""
    _validate_role_and_org(role, partner_organization)
    tenant = require_current_tenant()
    membership = Membership.objects.filter(user=user).first()
    if membership is not None:
        raise ValidationError(_("%(email)s is already a member here.") % {"email": user.email})
    membership = Membership.objects.create(
        tenant=tenant, user=user, role=role, partner_organization=partner_organization
    )
    audit_record(
        actor=actor,
        action="membership.created",
        target=membership,
        changes={"role": role, "partner_organization": str(partner_organization or "")},
    )
    _membership_changed(membership)
    return membership


def _ensure_not_last_admin(membership: Membership) -> None:
    if membership.role != Role.PROGRAM_ADMIN or not membership.is_active:
        return
    others = Membership.objects.filter(role=Role.PROGRAM_ADMIN, is_active=True).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise ValidationError(_("A tenant needs at least one active program admin."))


@transaction.atomic
def membership_change_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    if not access.may_manage_membership(actor, membership):
        raise PermissionDenied(_("You may not manage this user."))
    if actor.is_acting_on_self(membership):
        raise ValidationError({"role": _("You cannot change your own role.")})
    if not access.may_grant_role(actor, role, membership.partner_organization_id):
        raise ValidationError({"role": _("You may not give this role.")})
    _validate_role_and_org(role, membership.partner_organization)
    if membership.role == role:
        return membership
    _ensure_not_last_admin(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        target=membership,
        changes={"role": [old, role]},
    )
    # Keys made under the old role that the new one could not make stop for good.
    _revoke_keys_of(actor=actor, membership=membership, reason="role_changed")
    _membership_changed(membership)
    return membership


@transaction.atomic
def membership_set_active(*, actor: Actor, membership: Membership, active: bool) -> Membership:
    if not access.may_manage_membership(actor, membership):
        raise PermissionDenied(_("You may not manage this user."))
    if actor.is_acting_on_self(membership):
        # Through a page or through a key they made: nobody switches their own access on or off.
        raise ValidationError(
            _("You cannot reactivate yourself.") if active else _("You cannot deactivate yourself.")
        )
    if membership.is_active == active:
        return membership
    if not active:
        _ensure_not_last_admin(membership)
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="membership.activated" if active else "membership.deactivated",
        target=membership,
        changes={"is_active": [not active, active]},
    )
    if not active:
        # Revoked, not suspended: reactivating the person does not bring their keys back.
        _revoke_keys_of(actor=actor, membership=membership, reason="member_deactivated")
    return membership


def _revoke_keys_of(*, actor: Actor, membership: Membership, reason: str) -> None:
    """Revoke the active keys `membership`'s user created in this tenant that they could no longer
    create: all of them when the membership is inactive, else those beyond their current role."""
    keys = ApiKey.objects.filter(created_by_id=membership.user_id, revoked_at__isnull=True)
    owner = Actor(tenant=membership.tenant, user=membership.user, membership=membership)
    now = timezone.now()
    for key in keys.select_for_update():
        if membership.is_active and access.may_own_api_key(owner, key):
            continue
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoked", target=key, changes={"reason": reason})


# --- Invitations ------------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(str(invitation.uuid))


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation behind a token, in the current tenant.

    ValidationError for a bad, expired or used token; Invitation.DoesNotExist when the token is
    genuine but its invitation is not in this tenant."""
    max_age = timedelta(days=settings.PRM_INVITATION_DAYS)
    try:
        invitation_uuid = signing.TimestampSigner(salt=INVITATION_SALT).unsign(
            token, max_age=max_age
        )
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This invitation has expired. Ask for a new one.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This invitation link is not valid.")) from exc
    # Raises Invitation.DoesNotExist for a token of another tenant: the view answers 404.
    invitation = Invitation.objects.select_related("partner_organization").get(uuid=invitation_uuid)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation was already used, revoked or has expired."))
    return invitation


@transaction.atomic
def invitation_create(
    *, actor: Actor, email: str, role: str, partner_organization=None, send_email: bool = True
) -> Invitation:
    """Invite a person into the tenant with a role. `actor` may be access.SYSTEM for automated
    provisioning (onboarding); `send_email=False` when the caller sends its own mail carrying
    the invitation link (the welcome kit)."""
    is_system = actor is access.SYSTEM
    if not is_system and not any(
        actor.has(perm)
        for perm in (Perm.STAFF_MANAGE, Perm.PARTNER_TEAM_MANAGE, Perm.PARTNER_USERS_INVITE)
    ):
        raise PermissionDenied(_("Your role does not allow inviting users."))
    if actor.role == Role.PARTNER_ADMIN and partner_organization is None:
        partner_organization = actor.membership.partner_organization if actor.membership else None
    _validate_role_and_org(role, partner_organization)
    org_id = partner_organization.pk if partner_organization is not None else None
    if not is_system and not access.may_grant_role(actor, role, org_id):
        raise ValidationError({"role": _("You may not give this role.")})
    email = User.objects.normalize_email(email).lower()
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member here.")})
    tenant = require_current_tenant()
    # A fresh invitation replaces any pending one for the same address.
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation = Invitation(
        tenant=tenant,
        email=email,
        role=role,
        partner_organization=partner_organization,
        invited_by=None if is_system else actor.user,
        expires_at=timezone.now() + timedelta(days=settings.PRM_INVITATION_DAYS),
    )
    invitation.full_clean(exclude=["tenant"])
    invitation.save()
    audit_record(
        actor=actor,
        action="invitation.created",
        target=invitation,
        changes={"email": email, "role": role},
    )
    invitation_created.run(invitation=invitation)
    if send_email:
        invitation_send_email(invitation=invitation)
    return invitation


@transaction.atomic
def invitation_create_first_admin(*, email: str) -> Invitation:
    """Bootstrap a new tenant: invite its first program admin (platform operator action)."""
    tenant = require_current_tenant()
    if Membership.objects.filter(role=Role.PROGRAM_ADMIN).exists():
        raise ValidationError(_("This tenant already has a program admin."))
    invitation = Invitation(
        tenant=tenant,
        email=User.objects.normalize_email(email).lower(),
        role=Role.PROGRAM_ADMIN,
        expires_at=timezone.now() + timedelta(days=settings.PRM_INVITATION_DAYS),
    )
    invitation.full_clean(exclude=["tenant"])
    invitation.save()
    audit_record(
        actor=access.SYSTEM,
        action="invitation.created",
        target=invitation,
        changes={"role": Role.PROGRAM_ADMIN},
    )
    invitation_send_email(invitation=invitation)
    return invitation


def invitation_accept_url(invitation: Invitation) -> str:
    from django.urls import reverse

    from .hosts import tenant_base_url

    path = reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})
    return tenant_base_url(invitation.tenant) + path


def invitation_send_email(*, invitation: Invitation) -> None:
    """Write the invitation mail into the outbox, in the inviting transaction."""
    from .emails import INVITATION, email_enqueue, person_address

    context = {
        "invitation": invitation,
        "tenant": invitation.tenant,
        "accept_url": invitation_accept_url(invitation),
        "role": invitation.get_role_display(),
    }
    subject = _("You are invited to %(tenant)s's partner program") % {
        "tenant": invitation.tenant.name
    }
    organization = invitation.partner_organization
    email_enqueue(
        kind=INVITATION,
        to=invitation.email,
        subject=subject,
        body_text=render_to_string("emails/invitation.txt", context),
        body_html=render_to_string("emails/invitation.html", context),
        reply_to=person_address(invitation.invited_by),
        partner_uuid=organization.uuid if organization is not None else None,
        source_uuid=invitation.uuid,
        sensitive=True,  # the accept link is a credential
    )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user=None, password: str | None = None, full_name: str = ""
) -> Membership:
    """Join the tenant. An existing user (logged in as the invited email) just gains a membership;
    a new person sets a password and their email counts as verified (the link went to it)."""
    from allauth.account.models import EmailAddress

    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation was already used, revoked or has expired."))
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(
                _("You already have an account: log in first, then open the link again.")
            )
        new_user = User(email=invitation.email, full_name=full_name.strip())
        validate_password(password or "", user=new_user)
        new_user.set_password(password)
        new_user.save()
        user = new_user
    elif user.email.lower() != invitation.email.lower():
        raise PermissionDenied(_("This invitation was sent to another email address."))
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=invitation.email,
        defaults={"email": invitation.email, "verified": True, "primary": True},
    )
    membership = membership_create(
        user=user,
        role=invitation.role,
        partner_organization=invitation.partner_organization,
        actor=Actor(tenant=invitation.tenant, user=user),
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    org_id = invitation.partner_organization_id
    if not (
        actor.has(Perm.STAFF_MANAGE)
        or (actor.has(Perm.PARTNER_TEAM_MANAGE) and org_id == actor.partner_organization_id)
    ):
        raise PermissionDenied(_("You may not revoke this invitation."))
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="invitation.revoked", target=invitation)
    return invitation


# --- API keys -----------------------------------------------------------------------------------


def hash_api_key(secret: str) -> str:
    # Keys are 256-bit random secrets, so a fast hash is safe (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, actor: Actor, name: str, role: str, partner_organization=None, scopes=None
) -> tuple[ApiKey, str]:
    """Create a key; the plaintext is returned once and never stored. `scopes` (default: all
    its role allows) limit it to areas of the API, or to reading them (tenancy.api.scopes); a
    key making a key cannot give it more than its own."""
    from .api import scopes as api_scopes

    access.require(actor, Perm.API_KEYS_MANAGE)
    requested = list(scopes) if scopes else [api_scopes.ALL]
    unknown = sorted(set(requested) - api_scopes.known_scopes())
    if unknown:
        raise ValidationError({"scopes": _("Unknown scope: %(s)s.") % {"s": ", ".join(unknown)}})
    if actor.api_key is not None and not api_scopes.covers(actor.api_key.scopes, requested):
        raise ValidationError(
            {"scopes": _("A key cannot give a new key more than its own scopes.")}
        )
    requested = api_scopes.normalize(requested)
    if actor.role == Role.PARTNER_ADMIN:
        # Its own organisation, whether a person or one of its keys makes the key.
        if actor.api_key is not None:
            partner_organization = actor.api_key.partner_organization
        else:
            partner_organization = (
                actor.membership.partner_organization if actor.membership else None
            )
    _validate_role_and_org(role, partner_organization)
    if not access.may_grant_role(
        actor, role, partner_organization.pk if partner_organization else None
    ):
        raise ValidationError({"role": _("You may not give a key this role.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the key a name.")})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    key = ApiKey.objects.create(
        tenant=require_current_tenant(),
        name=name.strip()[:100],
        prefix=prefix,
        key_hash=hash_api_key(plaintext),
        role=role,
        partner_organization=partner_organization,
        created_by=actor.responsible_user,
        scopes=requested,
    )
    audit_record(
        actor=actor,
        action="api_key.created",
        target=key,
        changes={"role": role, "scopes": requested},
    )
    return key, plaintext


@transaction.atomic
def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    access.require(actor, Perm.API_KEYS_MANAGE)
    if not access.scope_api_keys(actor, ApiKey.objects.filter(pk=key.pk)).exists():
        raise PermissionDenied(_("You may not revoke this key."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoked", target=key)
    return key


def api_key_authenticate(plaintext: str) -> ApiKey | None:
    """The active key for a bearer string, across tenants (the key names its tenant)."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    if "\x00" in plaintext:  # Postgres refuses NUL in text: not a key, not a 500
        return None
    key = (
        ApiKey.objects.unscoped()
        .select_related("tenant", "partner_organization", "created_by")
        .filter(prefix=parts[1])
        .first()
    )
    if key is None or key.revoked_at is not None or not key.tenant.is_active:
        return None
    if not secrets.compare_digest(key.key_hash, hash_api_key(plaintext)):
        return None
    if not api_key_owner_in_good_standing(key):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        with tenant_context(key.tenant):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def api_key_owner_in_good_standing(key: ApiKey) -> bool:
    """A key acts for the person who made it, so it works only while they could make it now: an
    active user, an active member of the key's tenant, in a role that may give the key's role.
    Checked on every call, so a deactivation done outside the services (the platform admin, a
    deleted user) stops the key too."""
    creator = key.created_by
    if creator is None or not creator.is_active:
        return False
    # The key names its tenant; authentication runs before any tenant is set, hence unscoped.
    membership = (
        Membership.objects.unscoped()
        .filter(tenant_id=key.tenant_id, user=creator, is_active=True)
        .first()
    )
    if membership is None:
        return False
    owner = Actor(tenant=key.tenant, user=creator, membership=membership)
    return access.may_own_api_key(owner, key)
