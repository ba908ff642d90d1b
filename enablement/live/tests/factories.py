"""Live-session factories."""

from datetime import timedelta

import factory
from django.utils import timezone

from enablement.live.models import LiveSession, Registration, RegistrationStatus
from tenancy.tests.factories import TenantFactory, TenantOwnedFactory, UserFactory


class LiveSessionFactory(TenantOwnedFactory):
    class Meta:
        model = LiveSession

    tenant = factory.SubFactory(TenantFactory)
    title = factory.Sequence(lambda n: f"Live session {n}")
    description = "Hands-on walkthrough."
    instructor_name = "Ada Lovelace"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    join_url = "https://meet.example.com/live"
    capacity = 10


class RegistrationFactory(TenantOwnedFactory):
    class Meta:
        model = Registration

    session = factory.SubFactory(LiveSessionFactory, tenant=factory.SelfAttribute("..tenant"))
    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    status = RegistrationStatus.CONFIRMED
