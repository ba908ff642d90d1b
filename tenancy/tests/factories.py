"""Factories for tenancy. Tenant-owned rows are created inside their tenant's context."""

from __future__ import annotations

import time

import factory
import pyotp
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from tenancy.context import tenant_context
from tenancy.models import Membership, Tenant, User

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "correct-horse-battery-9"


def totp_code(secret: str = TOTP_SECRET, margin: float = 5.0) -> str:
    """The current TOTP code, with at least `margin` seconds of its 30-second window left.

    A code read in the window's last second can expire before the server checks it (allauth
    accepts only the current window), which made browser logins fail now and then on a busy
    machine; waiting out the end of the window makes the code valid for the whole login."""
    totp = pyotp.TOTP(secret)
    left = totp.interval - time.time() % totp.interval
    if left < margin:
        time.sleep(left + 0.05)
    return totp.now()


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its tenant's context, as the scoped manager requires."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = "channel_manager"


def enable_totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
