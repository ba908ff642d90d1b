"""Recording audit events: who changed what, when, from where — and saying it in words.

Services call `audit_record` inside their transaction, so an approval or a permission change and its
audit row commit (or roll back) together.

`audit_describe(event)` turns a row into what a person reads: "Role changed", "Role: Partner sales →
Partner admin", "Active: No → Yes" — never the stored action code, field name, model label or
Python list. Apps register words for their own actions, fields and choice values with
`register_audit_labels` (from AppConfig.ready()); anything unregistered still reads as words (a
model's verbose name, a field's verbose name, a code with its underscores turned to spaces).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .access import Actor
from .context import get_request_meta, require_current_tenant
from .models import AuditEvent


def audit_record(
    *, actor: Actor, action: str, target: models.Model, changes: dict[str, Any] | None = None
) -> AuditEvent:
    meta = get_request_meta()
    return AuditEvent.objects.create(
        tenant=require_current_tenant(),
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "uuid", None) or target.pk),
        target_label=str(target)[:254],
        changes=changes or {},
        ip_address=meta.get("ip"),
        user_agent=(meta.get("user_agent") or "")[:300],
    )


def audit_record_many(
    *, actor: Actor, action: str, targets: Iterable[tuple[models.Model, dict[str, Any]]]
) -> list[AuditEvent]:
    """`audit_record` for many targets at once (a sweep's batch): one INSERT, the same rows."""
    meta = get_request_meta()
    tenant = require_current_tenant()
    return AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                tenant=tenant,
                actor=actor.user,
                actor_label=actor.label,
                action=action,
                target_type=target._meta.label_lower,
                target_id=str(getattr(target, "uuid", None) or target.pk),
                target_label=str(target)[:254],
                changes=changes or {},
                ip_address=meta.get("ip"),
                user_agent=(meta.get("user_agent") or "")[:300],
            )
            for target, changes in targets
        ]
    )


# --- Words for people ---------------------------------------------------------------------------

_ACTIONS: dict[str, Any] = {}
_FIELDS: dict[str, Any] = {}
_CHOICES: dict[str, dict[str, Any]] = {}
# Keys whose list value is a list of things (not a [before, after] pair).
_LIST_FIELDS: set[str] = set()
# Keys whose list items are field names ("fields": ["name", "is_active"] → "Name, Active").
_FIELD_NAME_LISTS: set[str] = set()
# Keys whose text an app turns into words (e.g. a cadence subject's placeholders).
_FORMATTERS: dict[str, Callable[[str], str]] = {}


def register_audit_labels(
    *,
    actions: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    choices: Mapping[str, Any] | None = None,
    list_fields: Iterable[str] = (),
    formatters: Mapping[str, Callable[[str], str]] | None = None,
) -> None:
    """Words for an app's audit rows (and step details): `actions` {"partner.created": _("...")},
    `fields` {"is_active": _("Active")}, `choices` {"role": Role} (a TextChoices or a dict of
    code → label) for the values of a field, `list_fields` whose lists are things, not
    [before, after], `formatters` {"subject": fn} that turn a key's text into words. Call it from
    AppConfig.ready()."""
    _ACTIONS.update(actions or {})
    _FIELDS.update(fields or {})
    for key, options in (choices or {}).items():
        labels = dict(options.choices) if hasattr(options, "choices") else dict(options)
        _CHOICES.setdefault(key, {}).update(labels)
    _LIST_FIELDS.update(list_fields)
    _FORMATTERS.update(formatters or {})


@dataclass(frozen=True)
class AuditLine:
    label: str
    text: str


@dataclass(frozen=True)
class AuditDescription:
    action: str
    target_kind: str
    target: str
    changes: list[AuditLine]


_CODE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")  # snake_case: an identifier, not prose
_MONEY = re.compile(r"^(-?\d+(?:\.\d+)?) ([A-Z]{3})$")  # "614500.00 USD", as services store it
_ISO_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def _humanize(code: str) -> str:
    return capfirst(code.replace(".", " ").replace("_", " ").strip())


def _model(target_type: str):
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def field_label(key: str, model=None) -> str:
    """A change's key as words: registered label, else the model field's verbose name."""
    if key in _FIELDS:
        return str(_FIELDS[key])
    if model is not None:
        try:
            return capfirst(str(model._meta.get_field(key).verbose_name))
        except FieldDoesNotExist:  # a computed key, not one of the model's fields
            return _humanize(key)
    return _humanize(key)


def _time_text(value: str) -> str | None:
    if not _ISO_TIME.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(value) == 10:
        return formats.date_format(parsed.date(), "DATE_FORMAT")
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return formats.date_format(parsed, "DATETIME_FORMAT")


def _field_choices(model, key: str) -> dict[str, Any]:
    """The choices of `model`'s field `key` (or of the items of a list field), else {}."""
    if model is None:
        return {}
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return {}
    field = getattr(field, "base_field", field)  # ArrayField of choices
    return {str(code): label for code, label in (field.flatchoices or [])}


@lru_cache(maxsize=1)
def _every_choice_label() -> dict[str, Any]:
    """Code → label over every model field's choices, where all fields agree on the label (a code
    stored under a computed key, e.g. "partner_types": ["isv"], still reads as words)."""
    labels: dict[str, Any] = {}
    words: dict[str, set[str]] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            field = getattr(field, "base_field", field)
            for code, label in getattr(field, "flatchoices", None) or []:
                if isinstance(code, str) and code:
                    labels.setdefault(code, label)
                    words.setdefault(code, set()).add(str(label).lower())
    return {code: labels[code] for code, found in words.items() if len(found) == 1}


def describe_value(value: Any, key: str = "", model=None) -> str:
    """One stored value as words: Yes/No, "—" for nothing, choice labels for codes, dates in the
    one date format, [before, after] as "before → after", other lists joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime | date):
        return formats.date_format(
            value, "DATETIME_FORMAT" if isinstance(value, datetime) else "DATE_FORMAT"
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if isinstance(value, list | tuple):
        if key in _FIELD_NAME_LISTS:
            return ", ".join(field_label(str(item), model) for item in value) or "—"
        if len(value) == 2 and key not in _LIST_FIELDS:
            before, after = value
            return f"{describe_value(before, key, model)} → {describe_value(after, key, model)}"
        return ", ".join(describe_value(item, key, model) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(k, model)}: {describe_value(v, k, model)}" for k, v in value.items()
        )
    text = str(value)
    if key in _FORMATTERS:
        text = _FORMATTERS[key](text)
    if key in _CHOICES and text in _CHOICES[key]:
        return str(_CHOICES[key][text])
    own_choices = _field_choices(model, key)
    if text in own_choices:
        return str(own_choices[text])
    money = _MONEY.match(text)
    if money:
        from .templatetags.ui import money as money_format

        return money_format(money.group(1), money.group(2))
    time_text = _time_text(text)
    if time_text:
        return time_text
    if text in _every_choice_label():
        return str(_every_choice_label()[text])
    if _CODE.match(text):
        return _humanize(text)
    return text


def describe_changes(changes: Mapping[str, Any] | None, model=None) -> list[AuditLine]:
    return [
        AuditLine(field_label(key, model), describe_value(value, key, model))
        for key, value in (changes or {}).items()
    ]


def action_label(action: str) -> str:
    """ "partner.lifecycle_changed" → its registered words, else "Lifecycle changed"."""
    if action in _ACTIONS:
        return str(_ACTIONS[action])
    return _humanize(action.rsplit(".", 1)[-1])


def audit_describe(event: AuditEvent) -> AuditDescription:
    model = _model(event.target_type)
    kind = (
        capfirst(str(model._meta.verbose_name))
        if model is not None
        else _humanize(event.target_type.rsplit(".", 1)[-1])
    )
    return AuditDescription(
        action=action_label(event.action),
        target_kind=kind,
        target=event.target_label,
        changes=describe_changes(event.changes, model),
    )


def _register_tenancy_labels() -> None:
    from .outbox import DeliveryStatus
    from .roles import Role

    register_audit_labels(
        actions={
            "membership.created": _("Member added"),
            "membership.role_changed": _("Role changed"),
            "membership.activated": _("Access changed"),
            "invitation.created": _("Invitation sent"),
            "invitation.revoked": _("Invitation revoked"),
            "api_key.created": _("API key created"),
            "api_key.revoked": _("API key revoked"),
            "mail.send_again": _("Email sent again"),
            "mail.marked_sent": _("Email marked as sent"),
            "program.time_zone": _("Program time zone changed"),
        },
        fields={
            "is_active": _("Active"),
            "role": _("Role"),
            "partner_organization": _("Partner organization"),
            "email": _("Email"),
            "to": _("To"),
            "status": _("Status"),
            "reason": _("Reason"),
            "fields": _("Fields changed"),
            "time_zone": _("Time zone"),
            "scopes": _("Access"),
        },
        choices={"role": Role, "status": DeliveryStatus},
        list_fields=["scopes"],
        formatters={"scopes": _scope_words},
    )
    _FIELD_NAME_LISTS.add("fields")


def _scope_words(code: str) -> str:
    from .api.scopes import scope_choices

    return str(dict(scope_choices()).get(code, code))


_register_tenancy_labels()
