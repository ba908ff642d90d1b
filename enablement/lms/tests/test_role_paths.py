"""Learning paths follow the role: tenancy's membership services call the LMS hook."""

import pytest

from enablement.lms.models import Enrollment
from enablement.lms.tests.factories import make_course, make_path
from tenancy import services as tenancy_services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def enrolled_titles(world, user) -> set[str]:
    with tenant_context(world.tenant):
        return set(Enrollment.objects.filter(user=user).values_list("course__title", flat=True))


def test_new_partner_user_is_enrolled_in_their_roles_path(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        make_path(acme.tenant, "partner_sales", [make_course(acme.tenant, title="Selling 101")])
    newcomer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        tenancy_services.membership_create(
            user=newcomer, role="partner_sales", partner_organization=acme.partner
        )
    assert enrolled_titles(acme, newcomer) == {"Selling 101"}


def test_role_change_assigns_the_new_roles_path(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        make_path(acme.tenant, "partner_presales", [make_course(acme.tenant, title="Architecture")])
        membership = Membership.objects.get(user=acme.partner_sales)
    assert "Architecture" not in enrolled_titles(acme, acme.partner_sales)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        tenancy_services.membership_change_role(
            actor=actor_for_user(acme.partner_admin, acme.tenant),
            membership=membership,
            role="partner_presales",
        )
    assert "Architecture" in enrolled_titles(acme, acme.partner_sales)
