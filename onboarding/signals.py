"""Receivers for other apps' events (connected in apps.py)."""

from __future__ import annotations

from tenancy.context import get_current_tenant


def record_first_login(sender, request, user, **kwargs) -> None:
    """A partner user's login in a tenant: the partner reached "first portal login"."""
    from tenancy.models import Membership

    from .models import MilestoneKey
    from .services.progress import milestone_reach

    if get_current_tenant() is None:
        return
    membership = (
        Membership.objects.filter(user=user, is_active=True, partner_organization__isnull=False)
        .select_related("partner_organization")
        .first()
    )
    if membership is not None:
        milestone_reach(partner=membership.partner_organization, key=MilestoneKey.FIRST_LOGIN)


def enrol_new_member_in_101(*, membership, **kwargs) -> None:
    """tenancy membership hook: someone joined (or changed role in) a partner organisation. When
    that organisation is onboarding, enrol them in the 101 course like its first users."""
    from .services.workflow import enroll_new_member_in_101

    enroll_new_member_in_101(membership=membership)
