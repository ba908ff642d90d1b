"""Pages of the asset library and the playbook: portal (browse, detail, download, playbook) and
console (CRUD, versions, visibility, counts; playbook stages). Thin: access, selector/service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page
from tenancy.uploads import stored_file_response
from tenancy.views import apply_errors, require_tenant

from . import selectors, services
from .filters import AssetFilter, ConsoleAssetFilter, language_label
from .forms import AssetCreateForm, AssetForm, AssetVersionForm, StageAssetForm, StageForm
from .models import EventKind, PlaybookStageAsset


def _current_version(asset):
    newest = asset.newest_versions  # prefetched by selectors.asset_library
    return newest[0].number if newest else None


ASSET_SORTS = {
    "title": "title",
    "type": ("type", "title"),
    "product": ("product", "title"),
    "updated": "updated_at",
}
PORTAL_ASSET_COLUMNS = [
    Column(_lazy("Title"), "title"),
    Column(_lazy("Type"), "get_type_display"),
    Column(_lazy("Product"), "product"),
    Column(_lazy("Sales stage"), "stage.name"),
    Column(_lazy("Language"), lambda a: language_label(a.language)),
    Column(_lazy("Current version"), _current_version),
    Column(_lazy("Updated"), "updated_at"),
]
CONSOLE_ASSET_SORTS = {
    **ASSET_SORTS,
    "versions": ("version_count", "title"),
    "views": ("view_count", "title"),
    "downloads": ("download_count", "title"),
    "status": ("is_published", "title"),
}
CONSOLE_ASSET_COLUMNS = [
    *PORTAL_ASSET_COLUMNS[:5],
    Column(_lazy("Tiers"), lambda a: [t.name for t in a.tiers.all()]),
    Column(_lazy("Partner types"), "partner_type_labels"),
    Column(_lazy("Partner roles"), "partner_role_labels"),
    Column(_lazy("Versions"), "version_count"),
    Column(_lazy("Views"), "view_count"),
    Column(_lazy("Downloads"), "download_count"),
    Column(_lazy("Published"), "is_published"),
    Column(_lazy("Updated"), "updated_at"),
]


# --- Portal ----------------------------------------------------------------------------------


@login_required
def portal_assets(request):
    actor = access.require_portal(request)
    listing = list_page(
        request,
        selectors.asset_library(actor),
        filterset_class=AssetFilter,
        sorts=ASSET_SORTS,
        default_sort="title",
        columns=PORTAL_ASSET_COLUMNS,
        filename="assets",
        page_size=25,
    )
    if listing.export is not None:
        return listing.export
    context = {"listing": listing}
    if request.htmx:
        return render(request, "enablement/assets/_portal_asset_list.html", context)
    return render(request, "enablement/assets/portal_assets.html", context)


@login_required
def portal_asset_detail(request, asset_uuid):
    actor = access.require_portal(request)
    asset = get_object_or_404(selectors.asset_detail(actor), uuid=asset_uuid)
    services.asset_event_record(actor=actor, asset=asset, kind=EventKind.VIEW)
    return render(request, "enablement/assets/portal_asset_detail.html", {"asset": asset})


def _download_actor(request):
    actor = require_tenant(request)
    access.require_file_reader(actor)
    return actor


def _serve(actor, asset, version):
    if version is None:
        raise Http404
    services.asset_event_record(actor=actor, asset=asset, kind=EventKind.DOWNLOAD, version=version)
    if not version.file:
        return redirect(version.url)
    return stored_file_response(
        version.file,
        filename=version.original_name or version.file.name.rsplit("/", 1)[-1],
        content_type=version.content_type or "application/octet-stream",
    )


@login_required
def asset_download(request, asset_uuid):
    """The current version of a visible asset (a file streamed as an attachment, or a link)."""
    actor = _download_actor(request)
    asset = get_object_or_404(selectors.assets_visible_to(actor), uuid=asset_uuid)
    return _serve(actor, asset, asset.versions.order_by("-number").first())


@login_required
def asset_version_download(request, asset_uuid, version_uuid):
    actor = _download_actor(request)
    asset = get_object_or_404(selectors.assets_visible_to(actor), uuid=asset_uuid)
    version = get_object_or_404(selectors.versions_of(actor, asset), uuid=version_uuid)
    return _serve(actor, asset, version)


@login_required
def portal_playbook(request):
    actor = access.require_portal(request)
    return render(
        request,
        "enablement/assets/portal_playbook.html",
        {"stages": selectors.playbook_stages(actor)},
    )


# --- Console ---------------------------------------------------------------------------------


@login_required
def console_assets(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = AssetCreateForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = AssetCreateForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                asset = services.asset_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Asset created."))
                return redirect("console_asset_detail", asset_uuid=asset.uuid)
        status = 400
    listing = list_page(
        request,
        selectors.console_assets(actor),
        filterset_class=ConsoleAssetFilter,
        sorts=CONSOLE_ASSET_SORTS,
        default_sort="title",
        columns=CONSOLE_ASSET_COLUMNS,
        filename="assets",
    )
    if listing.export is not None:
        return listing.export
    context = {"listing": listing, "can_manage": can_manage, "form": form}
    return render(request, "enablement/assets/console_assets.html", context, status=status)


@login_required
def console_asset_detail(request, asset_uuid):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    asset = get_object_or_404(selectors.asset_detail(actor), uuid=asset_uuid)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = AssetForm.for_asset(asset) if can_manage else None
    version_form = AssetVersionForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        action = request.POST.get("action")
        status = 400
        try:
            if action == "update":
                form = AssetForm.for_asset(asset, request.POST)
                if form.is_valid():
                    services.asset_update(actor=actor, asset=asset, **form.cleaned_data)
                    messages.success(request, _("Asset saved."))
                    return redirect("console_asset_detail", asset_uuid=asset.uuid)
            elif action == "version":
                version_form = AssetVersionForm(request.POST, request.FILES)
                if version_form.is_valid():
                    services.asset_version_add(
                        actor=actor, asset=asset, **version_form.cleaned_data
                    )
                    messages.success(request, _("New version uploaded."))
                    return redirect("console_asset_detail", asset_uuid=asset.uuid)
            elif action == "delete":
                services.asset_delete(actor=actor, asset=asset)
                messages.success(request, _("Asset deleted."))
                return redirect("console_assets")
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as error:
            apply_errors(version_form if action == "version" else form, error)
    context = {
        "asset": asset,
        "form": form,
        "version_form": version_form,
        "can_manage": can_manage,
        "events": selectors.asset_events(asset)[:50],
    }
    return render(request, "enablement/assets/console_asset_detail.html", context, status=status)


@login_required
def console_playbook(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = StageForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = StageForm(request.POST)
        if form.is_valid():
            try:
                stage = services.stage_save(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Stage added."))
                return redirect("console_playbook_stage", stage_uuid=stage.uuid)
        status = 400
    context = {
        "stages": selectors.playbook_stages(actor),
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "enablement/assets/console_playbook.html", context, status=status)


@login_required
def console_playbook_stage(request, stage_uuid):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    stage = get_object_or_404(selectors.playbook_stages(actor), uuid=stage_uuid)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    initial = {"name": stage.name, "position": stage.position, "guidance": stage.guidance}
    form = StageForm(initial=initial) if can_manage else None
    link_form = StageAssetForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        action = request.POST.get("action")
        status = 400
        try:
            if action == "update":
                form = StageForm(request.POST)
                if form.is_valid():
                    services.stage_save(actor=actor, stage=stage, **form.cleaned_data)
                    messages.success(request, _("Stage saved."))
                    return redirect("console_playbook_stage", stage_uuid=stage.uuid)
            elif action == "add_asset":
                link_form = StageAssetForm(request.POST)
                if link_form.is_valid():
                    services.stage_asset_add(actor=actor, stage=stage, **link_form.cleaned_data)
                    messages.success(request, _("Asset added to the stage."))
                    return redirect("console_playbook_stage", stage_uuid=stage.uuid)
            elif action == "remove_asset":
                link = get_object_or_404(
                    PlaybookStageAsset.objects.filter(stage=stage),
                    uuid=request.POST.get("link", "") or None,
                )
                services.stage_asset_remove(actor=actor, link=link)
                messages.success(request, _("Asset removed from the stage."))
                return redirect("console_playbook_stage", stage_uuid=stage.uuid)
            elif action == "delete":
                services.stage_delete(actor=actor, stage=stage)
                messages.success(request, _("Stage deleted."))
                return redirect("console_playbook")
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as error:
            apply_errors(link_form if action == "add_asset" else form, error)
    context = {"stage": stage, "form": form, "link_form": link_form, "can_manage": can_manage}
    return render(request, "enablement/assets/console_playbook_stage.html", context, status=status)
