"""Uploads validated by content, version history, tracking, audit of visibility changes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enablement.assets import services
from enablement.assets.models import AssetEvent, AssetType
from enablement.assets.tests import factories as f
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

# The content checks themselves are tested once, in tenancy/tests/test_uploads.py.


def test_versions_number_up_and_the_newest_is_current(acme):
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.admin, acme.tenant)
        asset = services.asset_create(
            actor=actor, title="Deck", type=AssetType.DECK, file=f.pdf_upload(), notes="first"
        )
        services.asset_version_add(actor=actor, asset=asset, url="https://example.com/v2")
        services.asset_version_add(actor=actor, asset=asset, file=f.pdf_upload("v3.pdf"))
        versions = list(asset.versions.order_by("-number"))
    assert [v.number for v in versions] == [3, 2, 1]
    assert versions[0].is_file and versions[0].original_name == "v3.pdf"
    assert versions[1].url == "https://example.com/v2" and not versions[1].is_file
    assert versions[2].notes == "first" and versions[2].uploaded_by == acme.admin
    assert versions[2].file.read() == f.MINIMAL_PDF


def test_disguised_executable_leaves_no_version(acme):
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.admin, acme.tenant)
        asset = f.AssetFactory(tenant=acme.tenant)
        with pytest.raises(ValidationError):
            services.asset_version_add(actor=actor, asset=asset, file=f.elf_disguised_as_pdf())
        assert not asset.versions.exists()


def test_only_program_managers_write(acme):
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.executive, acme.tenant)
        with pytest.raises(PermissionDenied):
            services.asset_create(actor=actor, title="x", type=AssetType.DECK)


def test_visibility_change_is_audited_and_bad_values_refused(acme):
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.admin, acme.tenant)
        asset = f.AssetFactory(tenant=acme.tenant)
        services.asset_update(actor=actor, asset=asset, partner_roles=["partner_sales"])
        services.asset_update(actor=actor, asset=asset, title="Renamed")
        events = list(AuditEvent.objects.filter(action="asset.visibility_changed"))
        with pytest.raises(ValidationError):
            services.asset_update(actor=actor, asset=asset, partner_roles=["program_admin"])
    assert len(events) == 1
    assert events[0].changes["after"]["partner_roles"] == ["partner_sales"]


def test_events_record_user_and_org(acme):
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.partner_sales, acme.tenant)
        asset = f.AssetFactory(tenant=acme.tenant)
        services.asset_event_record(actor=actor, asset=asset, kind="download")
        event = AssetEvent.objects.get()
    assert (event.user, event.partner_organization_id, event.kind) == (
        acme.partner_sales,
        acme.partner.pk,
        "download",
    )
