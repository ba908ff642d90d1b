"""Unsubscribe links, one way for every mail people can opt out of (onboarding cadence mail,
partners' campaign mail): a signed token naming the tenant, the address and, where the opt-out is
narrower than the tenant, the list (`scope`, e.g. a partner's id). Each area keeps its own record
of who opted out and its own salt, so a token of one list never works on another.

The token is the credential (RFC 8058 one-click unsubscribe posts it without a session); a genuine
token of another tenant is answered like any object out of reach (404)."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .context import require_current_tenant


class UnsubscribeTokenOfAnotherTenant(LookupError):
    """A genuine token, but not of this tenant: answered 404 like any object out of reach."""


def unsubscribe_token(*, tenant, email: str, salt: str, scope: object = None) -> str:
    data = {"t": tenant.pk, "e": email.lower()}
    if scope is not None:
        data["s"] = scope
    return signing.dumps(data, salt=salt)


def unsubscribe_read(token: str, *, salt: str) -> tuple[str, object]:
    """(address, scope) behind a token of the current tenant. ValidationError for a bad token,
    UnsubscribeTokenOfAnotherTenant for a genuine one of another tenant."""
    tenant = require_current_tenant()
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature as exc:
        raise ValidationError(_("This unsubscribe link is not valid.")) from exc
    if not isinstance(data, dict) or not data.get("e"):
        raise ValidationError(_("This unsubscribe link is not valid."))
    if data.get("t") != tenant.pk:
        raise UnsubscribeTokenOfAnotherTenant(token)
    return str(data["e"]), data.get("s")
