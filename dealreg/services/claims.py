"""A direct sales rep claims a customer account, unless a partner's approved registration holds it
(the lock)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record

from ..models import CustomerAccount
from ..selectors.locks import active_lock


@transaction.atomic
def account_claim(*, actor: Actor, account: CustomerAccount) -> CustomerAccount:
    """Make the acting direct rep the account's owner. Refused (ValidationError naming the partner
    and the lock's expiry) while an approved, unexpired registration locks the account, and when
    another rep already owns it. Claiming one's own account again changes nothing."""
    access.require(actor, Perm.ACCOUNTS_CLAIM)
    # NOTE: the row lock serialises a claim against an approval of the same account, which
    # locks the account row too before checking its owner.
    account = CustomerAccount.objects.select_for_update().get(pk=account.pk)
    lock = active_lock(account)
    if lock is not None:
        until = (
            formats.date_format(timezone.localtime(lock.expires_at), "SHORT_DATE_FORMAT")
            if lock.expires_at
            else _("further notice")
        )
        raise ValidationError(
            _(
                "%(account)s is locked to partner %(partner)s by an approved deal registration "
                "until %(until)s. Contact the partner's channel manager or raise a dispute."
            )
            % {"account": account.name, "partner": lock.partner.name, "until": until}
        )
    if account.owner_id is not None:
        if actor.user is not None and account.owner_id == actor.user.pk:
            return account
        raise ValidationError(
            _("%(account)s is already owned by %(owner)s.")
            % {"account": account.name, "owner": account.owner.email}
        )
    account.owner = actor.user
    account.claimed_at = timezone.now()
    account.save(update_fields=["owner", "claimed_at"])
    audit_record(
        actor=actor,
        action="account.claimed",
        target=account,
        changes={"owner": [None, actor.label]},
    )
    return account
