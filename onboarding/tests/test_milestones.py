"""Milestones stand on events and are dated by them: a portal login (recorded at each partner
user's login), the invitation's time, the signature's time, the wizard's completion, the first
registration's submission. Nothing is stamped "now" because the app happened to look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.signals import user_logged_in
from django.utils import timezone

from onboarding.models import Milestone, MilestoneKey, PortalLogin, SetupWizardProgress
from onboarding.services.progress import milestone_reach, milestones_refresh, partner_milestones
from onboarding.tests.factories import AgreementSignatureFactory
from tenancy.context import tenant_context
from tenancy.models import Invitation

pytestmark = pytest.mark.django_db

K = MilestoneKey
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def stored(world, partner) -> dict[str, datetime]:
    with tenant_context(world.tenant):
        return dict(Milestone.objects.filter(partner=partner).values_list("key", "reached_at"))


def test_a_partner_users_login_is_recorded_and_its_first_one_is_the_milestone(acme):
    with tenant_context(acme.tenant):
        user_logged_in.send(sender=type(acme.partner_sales), request=None, user=acme.partner_sales)
        first = PortalLogin.objects.get()
        assert first.user == acme.partner_sales and first.partner == acme.partner
        user_logged_in.send(sender=type(acme.partner_admin), request=None, user=acme.partner_admin)
        assert PortalLogin.objects.count() == 2
    # The milestone is the partner's first login, not moved by the second.
    assert stored(acme, acme.partner) == {K.FIRST_LOGIN: first.logged_in_at}


def test_vendor_staff_logins_record_nothing(acme):
    with tenant_context(acme.tenant):
        user_logged_in.send(sender=type(acme.admin), request=None, user=acme.admin)
        assert not PortalLogin.objects.exists()
        assert not Milestone.objects.exists()


def test_no_login_no_first_login_milestone(acme):
    with tenant_context(acme.tenant):
        assert K.FIRST_LOGIN not in partner_milestones(acme.partner)


def test_first_login_is_read_from_the_earliest_recorded_login(acme):
    with tenant_context(acme.tenant):
        for days in (5, 2, 9):
            PortalLogin.objects.create(
                tenant=acme.tenant,
                user=acme.partner_sales,
                partner=acme.partner,
                logged_in_at=T0 + timedelta(days=days),
            )
        assert partner_milestones(acme.partner)[K.FIRST_LOGIN] == T0 + timedelta(days=2)


def test_team_invited_is_the_invitations_time_and_needs_an_invitation(acme):
    with tenant_context(acme.tenant):
        assert K.TEAM_INVITED not in partner_milestones(acme.partner)
        Invitation.objects.create(
            tenant=acme.tenant,
            email="new@partner.test",
            role="partner_sales",
            partner_organization_id=acme.partner.pk,
            created_at=T0,
            expires_at=T0 + timedelta(days=14),
        )
        assert partner_milestones(acme.partner)[K.TEAM_INVITED] == T0


def test_agreement_signed_is_the_signature_time(acme):
    with tenant_context(acme.tenant):
        AgreementSignatureFactory(partner=acme.partner, signed_at=T0)
        assert partner_milestones(acme.partner)[K.AGREEMENT_SIGNED] == T0


def test_profile_complete_is_when_the_wizard_finished_not_when_someone_looked(acme):
    # The demo partner's profile may already be full: that alone is no event.
    with tenant_context(acme.tenant):
        assert K.PROFILE_COMPLETE not in partner_milestones(acme.partner)
        SetupWizardProgress.objects.create(
            tenant=acme.tenant,
            partner=acme.partner,
            completed_steps=["company", "market", "capabilities"],
            completed_at=T0,
        )
        assert partner_milestones(acme.partner)[K.PROFILE_COMPLETE] == T0


PROFILE = {
    "website": "https://www.acme-partner.example/",
    "hq_country": "DE",
    "regions": ["EMEA"],
    "industries": ["Retail"],
    "employee_band": "51",
    "revenue_band": "10",
    "skills": ["Kubernetes"],
    "sales_motion": "solution",
}


def test_profile_completed_on_the_profile_page_is_reached_when_saved(acme):
    from partners.services.organization import partner_update_profile
    from tenancy.access import actor_for_user

    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.admin, acme.tenant)
        for name in PROFILE:  # start from an empty profile
            setattr(acme.partner, name, [] if isinstance(PROFILE[name], list) else "")
        acme.partner.save()
        partner_update_profile(actor=actor, partner=acme.partner, website=PROFILE["website"])
        assert not Milestone.objects.filter(key=K.PROFILE_COMPLETE).exists()  # half done
        before = timezone.now()
        partner_update_profile(actor=actor, partner=acme.partner, **PROFILE)
        after = timezone.now()
        reached = Milestone.objects.get(key=K.PROFILE_COMPLETE).reached_at
        assert before <= reached <= after
        # A later save does not move it.
        partner_update_profile(actor=actor, partner=acme.partner, skills=["Terraform"])
        assert Milestone.objects.get(key=K.PROFILE_COMPLETE).reached_at == reached


def test_an_earlier_event_found_later_moves_the_milestone_back(acme):
    with tenant_context(acme.tenant):
        milestone_reach(partner=acme.partner, key=K.FIRST_LOGIN, at=T0 + timedelta(days=3))
        PortalLogin.objects.create(
            tenant=acme.tenant, user=acme.partner_sales, partner=acme.partner, logged_in_at=T0
        )
        milestones_refresh([acme.partner.pk], keys=[K.FIRST_LOGIN])
    assert stored(acme, acme.partner)[K.FIRST_LOGIN] == T0


def test_milestone_reach_takes_the_event_time_and_never_guesses_now(acme):
    with tenant_context(acme.tenant):
        with pytest.raises(TypeError):
            milestone_reach(partner=acme.partner, key=K.FIRST_LOGIN)  # type: ignore[call-arg]
        with pytest.raises(ValueError):
            milestone_reach(partner=acme.partner, key=K.FIRST_LOGIN, at=None)  # type: ignore
        milestone_reach(partner=acme.partner, key=K.FIRST_LOGIN, at=T0)
        # A later event keeps the earliest.
        milestone_reach(partner=acme.partner, key=K.FIRST_LOGIN, at=timezone.now())
    assert stored(acme, acme.partner) == {K.FIRST_LOGIN: T0}


def test_a_real_login_through_the_login_page_records_the_portal_login(acme):
    from tenancy.tests.factories import PASSWORD

    client = acme.client()
    response = client.post(
        "/accounts/login/", {"login": acme.partner_admin.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        login = PortalLogin.objects.get()
        assert login.user == acme.partner_admin and login.partner == acme.partner
        assert Milestone.objects.get(key=K.FIRST_LOGIN).reached_at == login.logged_in_at
