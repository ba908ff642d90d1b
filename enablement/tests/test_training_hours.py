"""One training-hours figure (enablement.training): course time + attended live sessions, rounded
half up once, the same on the portal ("N h spent"), the partner page's tier card and the tier
facts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from enablement import training
from enablement.live.models import RegistrationStatus
from enablement.live.tests.factories import LiveSessionFactory, RegistrationFactory
from enablement.lms.models import Enrollment
from enablement.lms.tests.factories import make_course
from partners.selectors.tiers import partner_facts
from partners.services.tiers import training_hours_provider, training_seconds
from tenancy.context import tenant_context


def _hand_data(world):
    """partner_admin: one attended 1-hour session, no course time → 3600 s (1.0 h).
    partner_sales: 900 s of course time (0.25 h shown 0.3 h), a session they registered for but
    did not attend, and a cancelled one marked attended by mistake → 900 s.
    partner_presales: nothing. Other partner's admin: 7200 s attended (not in this partner).
    Partner total 4500 s = 1.25 h → 1.3 h (half up)."""
    now = timezone.now()
    with tenant_context(world.tenant):
        attended = LiveSessionFactory(
            tenant=world.tenant,
            starts_at=now - timedelta(days=3),
            ends_at=now - timedelta(days=3) + timedelta(hours=1),
        )
        long = LiveSessionFactory(
            tenant=world.tenant,
            starts_at=now - timedelta(days=2),
            ends_at=now - timedelta(days=2) + timedelta(hours=2),
        )
        RegistrationFactory(
            tenant=world.tenant, session=attended, user=world.partner_admin, attended=True
        )
        RegistrationFactory(
            tenant=world.tenant, session=attended, user=world.partner_sales, attended=False
        )
        RegistrationFactory(
            tenant=world.tenant,
            session=long,
            user=world.partner_sales,
            status=RegistrationStatus.CANCELLED,
            attended=True,
        )
        RegistrationFactory(
            tenant=world.tenant, session=long, user=world.other_partner_admin, attended=True
        )
        course = make_course(world.tenant, modules=1)
        Enrollment.objects.create(
            tenant=world.tenant, course=course, user=world.partner_sales, seconds_spent=900
        )


def test_training_seconds_add_course_time_and_attended_sessions(acme):
    _hand_data(acme)
    with tenant_context(acme.tenant):
        seconds = training.training_seconds(
            [acme.partner_admin.pk, acme.partner_sales.pk, acme.partner_presales.pk]
        )
        assert seconds == {
            acme.partner_admin.pk: 3600,
            acme.partner_sales.pk: 900,
            acme.partner_presales.pk: 0,
        }
        assert training.training_hours([acme.partner_sales.pk]) == {
            acme.partner_sales.pk: Decimal("0.3")
        }
        assert training.partner_training_seconds(acme.partner) == 4500
        # Tiers read the same figure through the provider enablement registered.
        assert training_seconds(acme.partner) == 4500
        assert partner_facts(acme.partner).training_seconds == 4500
        assert partner_facts(acme.other_partner).training_seconds == 7200


def test_portal_shows_attended_session_hours_for_a_partner_admin(acme):
    _hand_data(acme)
    page = acme.client(acme.partner_admin).get(reverse("portal_learning")).content.decode()
    assert "1.0 h spent" in page
    page = acme.client(acme.partner_sales).get(reverse("portal_learning")).content.decode()
    assert "0.3 h spent" in page


def test_partner_page_tier_card_and_portal_tier_show_the_same_partner_figure(acme, globex):
    _hand_data(acme)
    fragment = reverse("tier_progress_fragment", args=[acme.partner.uuid])
    expected = "Training of the team: 1.3 h"
    assert expected in acme.client(acme.admin).get(fragment).content.decode()
    assert expected in acme.client(acme.partner_admin).get(reverse("portal_tier")).content.decode()
    # The other partner's card shows its own people only.
    other = reverse("tier_progress_fragment", args=[acme.other_partner.uuid])
    assert "Training of the team: 2.0 h" in acme.client(acme.admin).get(other).content.decode()
    assert globex.client(globex.admin).get(fragment).status_code == 404


def test_a_missing_training_provider_fails_loudly(acme):
    saved = training_hours_provider.items()
    training_hours_provider.unregister(saved[0][0])
    try:
        assert training_hours_provider.problems()
        with tenant_context(acme.tenant), pytest.raises(ImproperlyConfigured):
            training_seconds(acme.partner)
    finally:
        training_hours_provider.register(saved[0][1], key=saved[0][0])
