"""Shared fixtures: two tenants, a user of every role in each, partner orgs, clients per host."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.hosts import UnknownHost, tenant_for_host
from tenancy.models import Tenant, User
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, TenantFactory, UserFactory, enable_totp

# Browser fixtures (`browser`, `page`) for browser tests in any app.
pytest_plugins = ["tests.browser.chromium"]

VENDOR_ROLE_NAMES = {
    Role.PROGRAM_ADMIN: "admin",
    Role.CHANNEL_MANAGER: "manager",
    Role.DIRECT_SALES: "sales",
    Role.MARKETING: "marketing",
    Role.EXECUTIVE: "executive",
}
PARTNER_ROLE_NAMES = {
    Role.PARTNER_ADMIN: "partner_admin",
    Role.PARTNER_SALES: "partner_sales",
    Role.PARTNER_PRESALES: "partner_presales",
    Role.PARTNER_MARKETING: "partner_marketing",
}


@dataclass
class World:
    """One tenant's cast: attribute per role (admin, manager, sales, marketing, executive,
    partner_admin, partner_sales, ...), the partner org they belong to and a second org."""

    tenant: Tenant
    users: dict[str, User] = field(default_factory=dict)
    partner: object = None
    other_partner: object = None
    other_partner_admin: User | None = None

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def host(self) -> str:
        return f"{self.tenant.slug}.localhost"

    def actor(self, user: User):
        """The user as an actor in this tenant (what a service call from a view gets)."""
        from tenancy.access import actor_for_user

        return actor_for_user(user, self.tenant)

    def warm_host_cache(self) -> None:
        """A running server answers this tenant's host from the cache; creating the tenant in the
        test cleared it, so query counts would otherwise include a lookup a server never makes.
        A tenant a test has disabled has nothing to warm: its requests answer 404."""
        with contextlib.suppress(UnknownHost):
            tenant_for_host(self.host())

    def client(self, user: User | None = None) -> Client:
        client = Client(HTTP_HOST=self.host())
        if user is not None:
            client.force_login(user)
        self.warm_host_cache()
        return client

    def api(self, user: User | None = None) -> APIClient:
        client = APIClient(HTTP_HOST=self.host())
        if user is not None:
            client.force_authenticate(user=None)
            client.force_login(user)
        self.warm_host_cache()
        return client


def build_world(slug: str) -> World:
    tenant = TenantFactory(slug=slug, name=slug.title())
    world = World(tenant=tenant)
    for role, name in VENDOR_ROLE_NAMES.items():
        user = UserFactory(email=f"{name}@{slug}.test")
        MembershipFactory(tenant=tenant, user=user, role=role)
        if role == Role.PROGRAM_ADMIN:
            enable_totp(user)
        world.users[name] = user
    world.partner = PartnerOrganizationFactory(
        tenant=tenant, name=f"{slug.title()} Partner One", channel_manager=world.users["manager"]
    )
    world.other_partner = PartnerOrganizationFactory(
        tenant=tenant, name=f"{slug.title()} Partner Two"
    )
    for role, name in PARTNER_ROLE_NAMES.items():
        user = UserFactory(email=f"{name}@{slug}-partner.test")
        MembershipFactory(tenant=tenant, user=user, role=role, partner_organization=world.partner)
        world.users[name] = user
    world.other_partner_admin = UserFactory(email=f"admin@{slug}-other.test")
    MembershipFactory(
        tenant=tenant,
        user=world.other_partner_admin,
        role=Role.PARTNER_ADMIN,
        partner_organization=world.other_partner,
    )
    return world


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Celery keeps "joining a result would block" in one process-wide flag, which every eager
    `apply_async` sets and restores around the task. Two threads running eager tasks at once (the
    concurrency tests) can restore it in the wrong order and leave it set, after which every
    `.apply().get()` in that test process fails. Each test starts with it cleared."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
    _set_task_join_will_block(False)


@pytest.fixture(scope="session", autouse=True)
def _nothing_written_to_var_media():
    """The whole run leaves the development media directory (var/media) as it found it: every
    upload and stored document of a test goes to that test's own MEDIA_ROOT (below)."""
    from django.conf import settings

    from tenancy.tests.files import stored_files

    var_media = settings.DATA_DIR / "media"
    before = set(stored_files(var_media))
    yield
    left = sorted(set(stored_files(var_media)) - before)
    assert not left, f"tests wrote into {var_media}: {left[:10]}"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded and stored files of a test go to its own temporary directory, never var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit and throttle counters live in the cache: start every test from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme(db) -> World:
    return build_world("acme")


@pytest.fixture
def globex(db) -> World:
    return build_world("globex")


@pytest.fixture
def in_tenant():
    """`with in_tenant(world.tenant): ...` for direct ORM access in assertions."""
    return tenant_context
