"""Recording and removing a partner's touch on a deal (program admins only, audited); the next
incremental refresh moves the credit; measurement settings changes are validated and audited."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from analytics import rollups, services
from analytics.models import AttributionMonth, DealTouch, TouchKind
from analytics.settings import analytics_settings
from tenancy.audit import AuditEvent
from tenancy.context import tenant_context

from . import reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(acme):
    with time_machine.travel(reference.TODAY, tick=False):
        partners = reference.build(acme)
    with (
        time_machine.travel(reference.TODAY + timedelta(minutes=10), tick=False),
        tenant_context(acme.tenant),
    ):
        rollups.refresh()
    return partners


def _linear(partner) -> Decimal:
    return AttributionMonth.objects.filter(
        partner=partner, model="linear", month=date(2026, 11, 1)
    ).aggregate(total=Sum("influenced") + Sum("sourced"))["total"] or Decimal(0)


def test_removing_a_touch_moves_its_credit_at_the_next_refresh(built, acme):
    with tenant_context(acme.tenant):
        # November: the won deal's 6,000 split three ways, plus partner two's own 3,000.
        assert _linear(built["three"]) == Decimal("2000.00")
        touch = DealTouch.objects.get(partner=built["three"])
        with pytest.raises(PermissionDenied):
            services.touch_delete(actor=acme.actor(acme.manager), touch=touch)
        with time_machine.travel(reference.TODAY + timedelta(minutes=20), tick=False):
            services.touch_delete(actor=acme.actor(acme.admin), touch=touch)
        with time_machine.travel(reference.TODAY + timedelta(minutes=30), tick=False):
            result = rollups.refresh()
        assert result.kind == "incremental"
        assert _linear(built["three"]) == Decimal("0")
        assert _linear(built["one"]) == Decimal("3000.00")
        assert AuditEvent.objects.filter(action="analytics.touch_removed").count() == 1


def test_recording_a_touch_is_checked_and_audited(built, acme):
    with tenant_context(acme.tenant):
        deal = built["won_deal"]
        with pytest.raises(PermissionDenied):
            services.touch_record(
                actor=acme.actor(acme.executive),
                registration=deal,
                partner=built["three"],
                kind=TouchKind.INFLUENCE,
                touched_on=date(2026, 10, 1),
            )
        with pytest.raises(ValidationError):  # the registration is not a recorded touch
            services.touch_record(
                actor=acme.actor(acme.admin),
                registration=deal,
                partner=built["three"],
                kind=TouchKind.REGISTERED,
                touched_on=date(2026, 10, 1),
            )
        services.touch_record(
            actor=acme.actor(acme.admin),
            registration=deal,
            partner=built["three"],
            kind=TouchKind.INFLUENCE,
            touched_on=date(2026, 10, 1),
            note="  Webinar  ",
        )
        touch = DealTouch.objects.filter(kind=TouchKind.INFLUENCE).get()
        assert touch.note == "Webinar"
        assert AuditEvent.objects.filter(action="analytics.touch_recorded").exists()


def test_settings_changes_are_validated_and_audited(built, acme):
    with tenant_context(acme.tenant):
        with pytest.raises(PermissionDenied):
            services.settings_update(actor=acme.actor(acme.manager), cost_rule="equal")
        with pytest.raises(ValidationError):
            services.settings_update(actor=acme.actor(acme.admin), cost_rule="nonsense")
        services.settings_update(actor=acme.actor(acme.admin), cost_rule="equal")
        assert analytics_settings().cost_rule == "equal"
        assert AuditEvent.objects.filter(action="analytics.settings_changed").count() == 1
