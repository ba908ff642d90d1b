"""The invite link in the welcome kit: it sets a password and lands the person in the portal with
the role their contact role gave them; used again, or after it expired, it says so clearly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from onboarding.tests.test_workflow import make_101, make_partner, sign
from partners.models import ContactRole
from tenancy.context import tenant_context
from tenancy.models import Membership

pytestmark = pytest.mark.django_db


def welcome_link(world, email: str) -> str:
    message = next(m for m in mail.outbox if m.to == [email])
    assert "welcome kit" in message.subject
    url = re.search(r"http://\S+?(/invitations/[^/\s]+/)", message.body)
    return url.group(1)


def accept(world, path: str, **kwargs):
    return world.client().post(
        path,
        **kwargs,
        data={
            "full_name": "Sam Seller",
            "password1": "lantern-harbour-71",
            "password2": "lantern-harbour-71",
        },
    )


def test_the_welcome_kit_link_joins_the_portal_with_the_contact_role(
    acme, django_capture_on_commit_callbacks
):
    make_101(acme)
    partner = make_partner(acme, contacts=[("sam@newco.test", ContactRole.SALES)])
    sign(acme, partner, django_capture_on_commit_callbacks)
    path = welcome_link(acme, "sam@newco.test")

    response = accept(acme, path, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/portal/")
    with tenant_context(acme.tenant):
        membership = Membership.objects.get(user__email="sam@newco.test")
    assert membership.role == "partner_sales" and membership.partner_organization == partner
    # The same link a second time: a clear page, no second account.
    again = acme.client().get(path)
    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_an_expired_welcome_kit_link_says_so(acme, django_capture_on_commit_callbacks):
    partner = make_partner(acme, contacts=[("late@newco.test", ContactRole.MARKETING)])
    sign(acme, partner, django_capture_on_commit_callbacks)
    path = welcome_link(acme, "late@newco.test")

    later = timezone.now() + timedelta(days=settings.PRM_INVITATION_DAYS, hours=1)
    with time_machine.travel(later):
        response = accept(acme, path)

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    with tenant_context(acme.tenant):
        assert not Membership.objects.filter(user__email="late@newco.test").exists()
