"""Locks: which approved, unexpired registration holds an account."""

from __future__ import annotations

from django.utils import timezone

from ..models import CustomerAccount, DealRegistration, DealStatus


def active_lock(account: CustomerAccount | None) -> DealRegistration | None:
    """The approved registration holding `account` now (not past its expiry), else None."""
    if account is None or account.pk is None:
        return None
    return (
        DealRegistration.objects.filter(account=account, status=DealStatus.APPROVED)
        .exclude(expires_at__lt=timezone.now())
        .select_related("partner", "partner__channel_manager", "account")
        .first()
    )
