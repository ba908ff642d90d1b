"""Versioned documents: the console pages every document shares (versions list with the new-draft
form, one version with its edit form and preview, publish, the htmx preview). Each document
declares its `DocumentPages` and wires these views to its own URLs; what it shows beside a
published version (who accepted, who signed) comes from its `detail_extra` and template."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.views import apply_errors

from ..forms.documents import PREVIEW_TARGET, DocumentDraftForm
from ..selectors.documents import DocumentKind, is_current


@dataclass(frozen=True)
class DocumentPages:
    kind: DocumentKind
    form_class: type[DocumentDraftForm]
    # URL names; the detail and publish URLs take the version's uuid as their one argument.
    list_url: str
    detail_url: str
    publish_url: str
    # Page title and breadcrumb.
    heading: str
    # Column heading of the acceptance count ("Accepted by", "Signatures").
    count_label: str
    publish_confirm: str
    # "%(version)s" is replaced with the version published.
    published_message: str
    # Scoped to the actor: every version they may see, and the console list (grouped).
    versions_for: Callable[[Actor], QuerySet]
    console_list: Callable[[Actor], list[dict]]
    # The document's own services (they add what the document does besides the shared flow).
    create: Callable[..., Any]
    update: Callable[..., Any]
    publish: Callable[..., Any]
    # What the list and a version's page show besides the shared parts.
    list_extra: Callable[[Actor, list[dict]], dict] = lambda actor, groups: {}
    detail_extra: Callable[[Actor, Any], dict] = lambda actor, document: {}
    # Included under a published version's text (the acceptances or signatures).
    detail_extra_template: str = ""
    # Shown top right of the list (e.g. the public page).
    list_links: tuple[tuple[str, str], ...] = field(default=())
    # A badge beside a version's title naming its group (e.g. its partner type).
    group_label: Callable[[Any], str] = lambda document: ""

    def template_context(self) -> dict:
        return {"pages": self, "preview_target": PREVIEW_TARGET}


def console_list(request, pages: DocumentPages):
    """Versions list; program managers create a draft here."""
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = pages.form_class() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = pages.form_class(request.POST)
        saved = _save_draft(request, pages, form, lambda **data: pages.create(actor=actor, **data))
        if saved is not None:
            return saved
        status = 400
    groups = pages.console_list(actor)
    context = {
        **pages.template_context(),
        "groups": groups,
        "versions": [document for group in groups for document in group["versions"]],
        "can_manage": can_manage,
        "form": form,
        **pages.list_extra(actor, groups),
    }
    return render(request, "documents/console_list.html", context, status=status)


def console_detail(request, pages: DocumentPages, document_uuid):
    """One version: the rendered text; a draft's edit form; what a published version collected."""
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
    document = get_object_or_404(pages.versions_for(actor), uuid=document_uuid)
    is_draft = document.published_at is None
    can_edit = is_draft and actor.has(Perm.PROGRAM_MANAGE)
    form = pages.form_class.for_document(document) if can_edit else None
    status = 200
    if request.method == "POST":
        form = pages.form_class.for_document(document, request.POST)
        saved = _save_draft(
            request,
            pages,
            form,
            lambda **data: pages.update(actor=actor, document=document, **data),
        )
        if saved is not None:
            return saved
        status = 400
    context = {
        **pages.template_context(),
        "document": document,
        "is_draft": is_draft,
        "is_current": is_current(pages.kind, document),
        "can_edit": can_edit,
        "form": form,
        "group_label": pages.group_label(document),
        **(pages.detail_extra(actor, document) if not is_draft else {}),
    }
    return render(request, "documents/console_detail.html", context, status=status)


def console_publish(request, pages: DocumentPages, document_uuid):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    document = get_object_or_404(pages.versions_for(actor), uuid=document_uuid)
    try:
        document = pages.publish(actor=actor, document=document)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, pages.published_message % {"version": document.version})
    return redirect(pages.detail_url, document.uuid)


def console_preview(request):
    """htmx: the Markdown of the edit form, rendered exactly as partners will see it."""
    access.require_console(request, Perm.PROGRAM_MANAGE)
    return render(request, "documents/_preview.html", {"body": request.POST.get("body", "")})


def _save_draft(request, pages: DocumentPages, form, save):
    """Save a valid form's draft with `save(**cleaned_data)`: the redirect to the draft, or None
    when the form or the service refused it (the errors are on the form)."""
    if not form.is_valid():
        return None
    try:
        document = save(**form.cleaned_data)
    except ValidationError as error:
        apply_errors(form, error)
        return None
    messages.success(request, _("Draft saved. Preview it, then publish it."))
    return redirect(pages.detail_url, document.uuid)
