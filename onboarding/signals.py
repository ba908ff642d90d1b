"""Receivers for other apps' events (connected in apps.py)."""

from __future__ import annotations

from tenancy.context import get_current_tenant


def record_portal_login(sender, request, user, **kwargs) -> None:
    """A login in a tenant: when the user belongs to a partner, record it (the first one per
    partner is its "first portal login" milestone), dated now, the moment it happens."""
    from django.utils import timezone

    from .services.progress import portal_login_record

    if get_current_tenant() is None:
        return
    portal_login_record(user=user, at=timezone.now())


def enrol_new_member_in_101(*, membership, **kwargs) -> None:
    """tenancy membership hook: someone joined (or changed role in) a partner organisation. When
    that organisation is onboarding, enrol them in the 101 course like its first users."""
    from .services.workflow import enroll_new_member_in_101

    enroll_new_member_in_101(membership=membership)
