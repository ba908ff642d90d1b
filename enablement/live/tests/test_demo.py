"""The demo seed: upcoming sessions (one with a waitlist), past ones with attendance; idempotent."""

from __future__ import annotations

import pytest
from django.utils import timezone

from enablement.live import demo
from enablement.live.models import LiveSession, Registration, RegistrationStatus
from enablement.training import training_hours
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_is_realistic_and_idempotent(acme):
    for _ in range(6):  # enough partner users to fill the nearly-full session
        MembershipFactory(
            tenant=acme.tenant,
            user=UserFactory(),
            role=Role.PARTNER_SALES,
            partner_organization=acme.partner,
        )
    staff = {"admin": acme.admin, "manager": acme.manager, "marketing": acme.marketing}
    with tenant_context(acme.tenant):
        demo.seed(acme.tenant, staff=staff)
        demo.seed(acme.tenant, staff=staff)
        now = timezone.now()
        assert LiveSession.objects.filter(starts_at__gt=now).count() == 4
        assert LiveSession.objects.filter(starts_at__lt=now).count() == 2
        assert Registration.objects.filter(status=RegistrationStatus.WAITLISTED).exists()
        attended = Registration.objects.filter(attended=True)
        assert attended.exists()
        assert all(r.session.starts_at < now for r in attended)
        hours = training_hours(attended.values_list("user_id", flat=True))
        assert all(value > 0 for value in hours.values())
        for session in LiveSession.objects.all():
            confirmed = session.registrations.filter(status=RegistrationStatus.CONFIRMED)
            assert confirmed.count() <= session.capacity
