"""Versioned documents (see partners.services.documents): what differs between two documents
(`DocumentKind`), which version is current, and the console's list of versions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, QuerySet

from tenancy.access import Perm

from ..models import PartnerOrganization


@dataclass(frozen=True)
class DocumentKind:
    """What differs between two versioned documents; the flow is the same."""

    name: (
        str  # audit actions are "<name>.draft_created", "<name>.draft_updated", "<name>.published"
    )
    model: type[models.Model]
    # Editable besides title and body (e.g. the summary of changes, the partner type).
    fields: tuple[str, ...]
    # See the module docstring.
    number_drafts: bool
    # Who accepts or signs the current version for their organisation, and the reverse name of
    # the records they leave on a version (counted in the console).
    accept_perm: Perm
    accept_relation: str
    # Versions are numbered, and one is current, per value of this field ("" = every partner).
    group_field: str | None = None
    # Set to the user who creates the draft / publishes it, when the model records it.
    author_field: str | None = None
    publisher_field: str | None = None
    # Refusals that name the document in the user's words.
    only_partner_users: str = ""
    not_current: str = ""
    # The form field an acceptance refusal belongs to (None: a message for the whole form).
    accept_error_field: str | None = None
    # Validates the group value (e.g. a known partner type); returns it cleaned.
    clean_group: Callable[[str], str] | None = None

    def group_of(self, document) -> str:
        return getattr(document, self.group_field) if self.group_field else ""

    def refuse(self, message: str) -> ValidationError:
        if self.accept_error_field:
            return ValidationError({self.accept_error_field: message})
        return ValidationError(message)


# --- Reading ----------------------------------------------------------------------------------


def published_versions(kind: DocumentKind) -> QuerySet:
    """Published versions, newest first."""
    return kind.model.objects.filter(published_at__isnull=False).order_by("-version")


def current_version(kind: DocumentKind, *, group: str = ""):
    """The newest published version of a group (of the whole document without groups)."""
    qs = published_versions(kind)
    if kind.group_field:
        qs = qs.filter(**{kind.group_field: group})
    return qs.first()


def current_for_partner(kind: DocumentKind, partner: PartnerOrganization | None):
    """The version a partner accepts or signs: its own group's current version, else the current
    version for every partner (group "")."""
    if kind.group_field and partner is not None and partner.partner_type:
        specific = current_version(kind, group=partner.partner_type)
        if specific is not None:
            return specific
    return current_version(kind)


def is_current(kind: DocumentKind, document) -> bool:
    if document.published_at is None:
        return False
    current = current_version(kind, group=kind.group_of(document))
    return current is not None and current.pk == document.pk


def console_groups(kind: DocumentKind, versions, *, labels: dict[str, str] | None = None):
    """Versions (drafts first, then published newest first) grouped for the console list: one
    group per group value ("" first), each with its current version. One pass over `versions`."""
    groups: dict[str, dict] = {}
    for document in versions:
        group = kind.group_of(document)
        entry = groups.setdefault(
            group,
            {
                "key": group,
                # Also under the group's own name (e.g. "partner_type") for the templates.
                **({kind.group_field: group} if kind.group_field else {}),
                "label": (labels or {}).get(group, ""),
                "versions": [],
                "current": None,
            },
        )
        if document.published_at is not None and entry["current"] is None:
            entry["current"] = document
        entry["versions"].append(document)
    return list(groups.values())


def console_versions(kind: DocumentKind, versions: QuerySet, *, labels=None) -> list[dict]:
    """The console list: `versions` (already scoped to the actor) grouped, each version with its
    `accept_count` (acceptances or signatures). One query whatever the number of versions."""
    order = [kind.group_field] if kind.group_field else []
    versions = versions.annotate(accept_count=Count(kind.accept_relation)).order_by(
        *order, F("published_at").desc(nulls_first=True), "-version"
    )
    return console_groups(kind, versions, labels=labels)
