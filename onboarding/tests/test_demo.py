"""The onboarding demo: every milestone stands on the event that makes it true and carries that
event's time, recomputed here from the raw tables (signatures, invitations, portal logins, the
setup wizard, 101 completions, downloads, registrations)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db.models import Min
from django.utils import timezone

from dealreg.models import DealRegistration
from enablement.assets.models import AssetEvent
from enablement.lms.models import Enrollment
from onboarding.models import (
    AgreementSignature,
    Milestone,
    MilestoneKey,
    PortalLogin,
    SetupWizardProgress,
)
from prm.demo import seed_demo
from tenancy.context import tenant_context
from tenancy.models import Invitation, Membership, Tenant

pytestmark = pytest.mark.django_db

K = MilestoneKey


def earliest(qs, partner_field: str, time_field: str) -> dict[int, object]:
    rows = (
        qs.exclude(**{f"{time_field}__isnull": True})
        .values(partner_field)
        .annotate(first=Min(time_field))
    )
    return {row[partner_field]: row["first"] for row in rows if row[partner_field] is not None}


def events_by_key() -> dict[str, dict[int, object]]:
    """{milestone key: {partner id: earliest event time}} straight from the event tables."""
    orgs_of_user = defaultdict(set)
    for user_id, org_id in Membership.objects.filter(
        partner_organization__isnull=False
    ).values_list("user_id", "partner_organization_id"):
        orgs_of_user[user_id].add(org_id)
    trained: dict[int, object] = {}
    for user_id, at in Enrollment.objects.filter(
        course__is_foundation=True, completed_at__isnull=False
    ).values_list("user_id", "completed_at"):
        for org_id in orgs_of_user.get(user_id, ()):
            trained[org_id] = min(at, trained.get(org_id, at))
    return {
        K.AGREEMENT_SIGNED: earliest(AgreementSignature.objects.all(), "partner_id", "signed_at"),
        K.TEAM_INVITED: earliest(Invitation.objects.all(), "partner_organization_id", "created_at"),
        K.FIRST_LOGIN: earliest(PortalLogin.objects.all(), "partner_id", "logged_in_at"),
        K.PROFILE_COMPLETE: earliest(
            SetupWizardProgress.objects.all(), "partner_id", "completed_at"
        ),
        K.TRAINING_101: trained,
        K.FIRST_ASSET: earliest(
            AssetEvent.objects.filter(kind="download"), "partner_organization_id", "at"
        ),
        K.FIRST_DEAL: earliest(DealRegistration.objects.all(), "partner_id", "submitted_at"),
    }


def test_every_demo_milestone_has_its_event_behind_it_with_its_time():
    seed_demo()
    for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
        with tenant_context(tenant):
            events = events_by_key()
            stored: dict[str, dict[int, object]] = defaultdict(dict)
            for partner_id, key, at in Milestone.objects.values_list(
                "partner_id", "key", "reached_at"
            ):
                stored[key][partner_id] = at
            for key in K.values:
                # No milestone without its event, none at another time, none left out.
                assert stored[key] == events[key], (tenant.slug, key)
            assert all(stored[key] for key in K.values), tenant.slug  # the story covers each step
            assert not Milestone.objects.filter(reached_at__gt=timezone.now()).exists()
            # The demo's partner users came in through the workflow's invitations, accepted at
            # their first login.
            members = Membership.objects.filter(partner_organization__isnull=False)
            accepted = set(
                Invitation.objects.filter(accepted_by__isnull=False).values_list(
                    "accepted_by_id", flat=True
                )
            )
            signed = set(events[K.AGREEMENT_SIGNED])
            assert {m.user_id for m in members if m.partner_organization_id in signed} <= accepted
