"""Versioned documents: one flow for every text the program publishes and partners accept or sign
(the rules of engagement, the partner agreement).

A draft is written and edited by program managers; publishing freezes its text and makes it the
current version (of its group, e.g. a partner type); a partner user accepts or signs the current
version for their organisation. What differs between two documents is declared once in a
`DocumentKind`: the model, the fields besides title and body, how versions are numbered, and who
may accept. What a kind records when someone accepts (an acceptance per person, a signature per
organisation) stays with the kind and is passed to `document_accept`.

Numbering, two policies:
- `number_drafts=False` (rules of engagement): a draft carries a provisional number (the model
  requires one); publishing gives it the next number after the newest published version, so
  published versions count 1, 2, 3... without gaps.
- `number_drafts=True` (agreements): a draft is numbered when created (the next number of its
  group) and keeps it; publishing an older draft after a newer version is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant

from ..models import PartnerOrganization
from ..selectors.documents import DocumentKind, current_for_partner

# --- Writing ----------------------------------------------------------------------------------


def _extra(kind: DocumentKind, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(kind.fields)
    if unknown:
        raise TypeError(f"{kind.name}: unknown fields {sorted(unknown)}")
    cleaned = {}
    for name, value in fields.items():
        if name == kind.group_field:
            value = (value or "").strip()
            if kind.clean_group is not None:
                value = kind.clean_group(value)
        elif isinstance(value, str):
            value = value.strip()
        cleaned[name] = value
    return cleaned


def _audit(kind: DocumentKind, actor: Actor, document, verb: str, **changes) -> None:
    changes = {"title": document.title, **changes}
    if kind.group_field:
        changes[kind.group_field] = kind.group_of(document)
    audit_record(actor=actor, action=f"{kind.name}.{verb}", target=document, changes=changes)


def _next_number(kind: DocumentKind, *, group: str) -> int:
    """The next number: of the group (drafts numbered at creation), or a provisional one above
    every version (drafts numbered when published). The rows are locked: two drafts created
    together must not get the same number."""
    qs = kind.model.objects.select_for_update()
    if kind.number_drafts and kind.group_field:
        qs = qs.filter(**{kind.group_field: group})
    return max(qs.values_list("version", flat=True), default=0) + 1


@transaction.atomic
def document_draft_create(kind: DocumentKind, *, actor: Actor, title: str, body: str, **fields):
    access.require(actor, Perm.PROGRAM_MANAGE)
    extra = _extra(kind, fields)
    document = kind.model(
        tenant=require_current_tenant(),
        title=(title or "").strip(),
        body=body or "",
        **extra,
    )
    if kind.group_field and kind.group_field not in extra:
        setattr(document, kind.group_field, "")
    document.version = _next_number(kind, group=kind.group_of(document))
    if kind.author_field:
        setattr(document, kind.author_field, actor.user)
    document.full_clean()
    document.save()
    if kind.number_drafts:
        _audit(kind, actor, document, "draft_created", version=document.version)
    else:
        _audit(kind, actor, document, "draft_created")
    return document


@transaction.atomic
def document_draft_update(
    kind: DocumentKind, *, actor: Actor, document, title: str, body: str, **fields
):
    """Edit a draft. Moving a numbered draft to another group gives it that group's next number."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    extra = _extra(kind, {k: v for k, v in fields.items() if v is not None})
    document = kind.model.objects.select_for_update().get(pk=document.pk)
    if document.published_at is not None:
        raise ValidationError(
            _("A published version cannot be changed; create a new draft instead.")
        )
    update_fields = ["title", "body", *extra]
    group = extra.get(kind.group_field) if kind.group_field else None
    if group is not None and group != kind.group_of(document) and kind.number_drafts:
        document.version = _next_number(kind, group=group)
        update_fields.append("version")
    document.title = (title or "").strip()
    document.body = body or ""
    for name, value in extra.items():
        setattr(document, name, value)
    document.full_clean()
    document.save(update_fields=update_fields)
    _audit(kind, actor, document, "draft_updated")
    return document


@transaction.atomic
def document_publish(kind: DocumentKind, *, actor: Actor, document):
    """Make a draft the current version of its group. Its text is frozen from now on."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    # Lock the group's versions: two publishers must not hand out the same number.
    versions = kind.model.objects.select_for_update().order_by("pk")
    if kind.group_field:
        versions = versions.filter(**{kind.group_field: kind.group_of(document)})
    versions = list(versions)
    document = next((v for v in versions if v.pk == document.pk), None)
    if document is None:
        raise ValidationError(_("This version no longer exists."))
    if document.published_at is not None:
        raise ValidationError(
            _("Version %(version)s is already published.") % {"version": document.version}
        )
    newest = max((v.version for v in versions if v.published_at is not None), default=0)
    old_number = document.version
    if kind.number_drafts:
        if newest > document.version:
            # NOTE: the current version is the highest published number; publishing an older
            # draft after a newer one would silently never become current.
            raise ValidationError(
                _("Version %(newer)s is already published; create a new draft instead.")
                % {"newer": newest}
            )
    else:
        number = newest + 1
        holder = next((v for v in versions if v.version == number and v.pk != document.pk), None)
        if holder is not None:
            # Another draft holds the number provisionally: move it out of the way.
            holder.version = max(v.version for v in versions) + 1
            holder.save(update_fields=["version"])
        document.version = number
    document.published_at = timezone.now()
    update_fields = ["version", "published_at"]
    if kind.publisher_field:
        setattr(document, kind.publisher_field, actor.user)
        update_fields.append(kind.publisher_field)
    document.save(update_fields=update_fields)
    if kind.number_drafts:
        _audit(kind, actor, document, "published", version=document.version)
    else:
        # The number a draft had was provisional: the audit says which it became.
        _audit(kind, actor, document, "published", version=[old_number, document.version])
    return document


@transaction.atomic
def document_accept(
    kind: DocumentKind,
    *,
    actor: Actor,
    document,
    record: Callable[[PartnerOrganization, Any], Any],
    existing: Callable[[PartnerOrganization], Any] | None = None,
    check: Callable[[], None] | None = None,
):
    """A partner user accepts (or signs) `document` for their organisation.

    In order: the role may accept; `check()` (the kind's own input checks, e.g. a ticked box)
    raises its field errors; the organisation is locked (its acceptances are serialised);
    `existing(partner)` answers an acceptance already made (or raises); the document must be the
    organisation's current version; then `record(partner, document)` writes the kind's record and
    returns what the caller gets back.
    """
    access.require(actor, kind.accept_perm)
    if actor.user is None or actor.partner_organization_id is None:
        raise PermissionDenied(kind.only_partner_users)
    if check is not None:
        check()
    partner = PartnerOrganization.objects.select_for_update().get(pk=actor.partner_organization_id)
    if existing is not None:
        found = existing(partner)
        if found is not None:
            return found
    current = current_for_partner(kind, partner)
    if document.published_at is None or current is None or current.pk != document.pk:
        raise kind.refuse(kind.not_current)
    return record(partner, current)
