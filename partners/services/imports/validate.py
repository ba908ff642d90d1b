"""Partner import, step 2: checking every row against the column spec and the database as it is
now, and planning what each row creates or updates (`partner_import_validate`). Writes nothing
but the import's status."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from tenancy.common.domains import is_valid_domain, normalize_domain
from tenancy.models import Membership
from tenancy.roles import Role

from ...models import (
    ContactRole,
    EmployeeBand,
    ImportStatus,
    LifecycleState,
    PartnerContact,
    PartnerImport,
    PartnerOrganization,
    PartnerType,
    Region,
    RevenueBand,
    SalesMotion,
)
from ...selectors.imports import (
    COLUMNS,
    CONTACT_COLUMNS,
    FORMULA_PREFIXES,
    LIST_COLUMNS,
    PARTNER_COLUMNS,
    REQUIRED_COLUMNS,
)
from .progress import PROGRESS_EVERY, clear_progress, report_progress
from .read import ImportFileError, file_extension, normalise_header, read_table

logger = logging.getLogger(__name__)

MAX_ROWS = 50_000
MAX_ERRORS = 1000  # stored and shown; a count of the rest follows
PREVIEW_ROWS = 20
WRITE_BATCH = 500
# Who may be a partner's channel manager (the profile form's rule too).
MANAGER_ROLES = (Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: int | None, field: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append({"row": row, "field": field, "message": message})

    def as_list(self) -> list[dict[str, Any]]:
        items = sorted(self.items, key=lambda e: (e["row"] or 0, COLUMN_ORDER.get(e["field"], 99)))
        if self.count > len(self.items):
            more = self.count - len(self.items)
            items.append(
                {
                    "row": None,
                    "field": "",
                    "message": _("…and %(count)s more problems not listed.") % {"count": more},
                }
            )
        return items

    def __bool__(self) -> bool:
        return self.count > 0


COLUMN_ORDER = {name: i for i, name in enumerate(COLUMNS)}


def _quote(text: str) -> str:
    return "'" + (text if len(text) <= 60 else text[:57] + "...") + "'"


@lru_cache(maxsize=4096)
def _norm_choice(text: str) -> str:
    text = text.lower().replace("–", "-").replace("—", "-")
    return re.sub(r"[\s,$]+", "", text)


def _choice_table(choices, *, split_slash: bool = False) -> dict[str, str]:
    """Key or label (English and the active language) → key."""
    table: dict[str, str] = {}
    labels: list[tuple[str, str]] = []
    for value, label in choices.choices:
        labels.append((value, str(label)))
        with translation.override("en"):
            labels.append((value, str(label)))
    for value, _label in choices.choices:
        table[_norm_choice(value)] = value
    for value, label in labels:
        table.setdefault(_norm_choice(label), value)
        if split_slash:
            for part in label.split("/"):
                table.setdefault(_norm_choice(part), value)
    return table


def _choice_hint(choices) -> str:
    return ", ".join(choices.values)


@lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    table: dict[str, str] = {}
    with translation.override("en"):
        for country in countries:
            table[country.code.lower()] = country.code
            table[country.name.lower()] = country.code
            alpha3 = countries.alpha3(country.code)
            if alpha3:
                table[alpha3.lower()] = country.code
    for alias, code in {
        "usa": "US",
        "united states": "US",
        "america": "US",
        "uk": "GB",
        "great britain": "GB",
        "england": "GB",
        "scotland": "GB",
        "wales": "GB",
        "czech republic": "CZ",
        "the netherlands": "NL",
        "holland": "NL",
        "turkey": "TR",
        "uae": "AE",
        "korea": "KR",
        "republic of korea": "KR",
        "ivory coast": "CI",
        "cape verde": "CV",
        "swaziland": "SZ",
        "macedonia": "MK",
        "russian federation": "RU",
        "viet nam": "VN",
    }.items():
        table.setdefault(alias, code)
    return table


def split_list(text: str) -> list[str]:
    """Semicolons separate values; commas too when the cell has no semicolon."""
    parts = text.split(";") if ";" in text else text.split(",")
    seen: dict[str, str] = {}
    for part in parts:
        part = part.strip()
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())


_url_validator = URLValidator(schemes=["http", "https"])


def normalise_website(text: str) -> str:
    """'acme.com' → 'https://acme.com'; a value with a scheme is kept as written."""
    if "://" not in text and not re.match(r"^[a-z][a-z0-9+.\-]*:/", text, re.I):
        text = "https://" + text
    return text


# The same rule as the profile form's (partners.services.organization): a dotted host name.


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


@dataclass
class _Row:
    number: int
    cells: dict[str, str]  # column → text, for the file's columns
    values: dict[str, Any] = field(default_factory=dict)  # column → parsed, non-blank valid cells
    bad: set[str] = field(default_factory=set)  # columns whose cell has an error

    def has(self, column: str) -> bool:
        return bool(self.cells.get(column))

    @property
    def has_contact(self) -> bool:
        return any(self.cells.get(c) for c in CONTACT_COLUMNS)


@dataclass
class ContactPlan:
    row: int
    values: dict[str, str]  # model field → value
    existing: PartnerContact | None = None
    changed: tuple[str, ...] = ()


@dataclass
class PartnerPlan:
    row: int
    rows: int  # how many file rows this partner spans
    values: dict[str, Any]  # model field → value, for the file's columns
    contacts: list[ContactPlan]
    existing: PartnerOrganization | None = None
    changed: tuple[str, ...] = ()
    instance: PartnerOrganization | None = None

    @property
    def action(self) -> str:
        if self.existing is None:
            return "new"
        if self.changed or any(c.existing is None or c.changed for c in self.contacts):
            return "update"
        return "unchanged"


@dataclass
class Validation:
    total_rows: int
    errors: list[dict[str, Any]]
    plans: list[PartnerPlan]

    def counts(self) -> dict[str, int]:
        actions = [p.action for p in self.plans]
        contacts = [c for p in self.plans for c in p.contacts]
        return {
            "partners": len(self.plans),
            "new": actions.count("new"),
            "updated": actions.count("update"),
            "unchanged": actions.count("unchanged"),
            "contacts_new": sum(1 for c in contacts if c.existing is None),
            "contacts_updated": sum(1 for c in contacts if c.existing is not None and c.changed),
        }

    def preview(self) -> dict[str, Any]:
        """The counts and the file's first PREVIEW_ROWS partner/contact rows, as they will land."""
        entries = []
        for plan in self.plans:
            entries.append((plan.row, plan, plan.contacts[0] if plan.contacts else None, True))
            entries.extend((c.row, plan, c, False) for c in plan.contacts[1:])
        rows = []
        for row, plan, contact, first in sorted(entries, key=lambda e: e[0])[:PREVIEW_ROWS]:
            manager = plan.values.get("channel_manager")
            state = plan.values.get("state") or (
                plan.existing.state if plan.existing else LifecycleState.PROSPECT
            )
            rows.append(
                {
                    "row": row,
                    "action": plan.action if first else "contact",
                    "name": plan.values["name"],
                    "website": plan.values.get("website", ""),
                    "partner_type": _label(PartnerType, plan.values.get("partner_type")),
                    "state": _label(LifecycleState, state),
                    "channel_manager": manager.email if manager else "",
                    "contact": (
                        f"{contact.values['name']} <{contact.values['email']}>" if contact else ""
                    ),
                }
            )
        return {**self.counts(), "rows": rows}


def _label(choices, value: str | None) -> str:
    return str(choices(value).label) if value else ""


class _Validator:
    """Checks a table of rows against the column spec and the current tenant's data."""

    def __init__(self) -> None:
        self.errors = _Errors()
        self.types = _choice_table(PartnerType, split_slash=True)
        self.states = _choice_table(LifecycleState)
        self.motions = _choice_table(SalesMotion, split_slash=True)
        self.regions = _choice_table(Region)
        self.revenue = _choice_table(RevenueBand)
        self.employees = _choice_table(EmployeeBand)
        self.contact_roles = _choice_table(ContactRole)
        self.countries = _country_table()
        self.managers = {
            m.user.email.casefold(): m.user
            for m in Membership.objects.filter(
                is_active=True, role__in=MANAGER_ROLES
            ).select_related("user")
        }
        self.parsers: dict[str, Callable[[str], Any]] = {
            "name": self._text("name", PartnerOrganization),
            "legal_name": self._text("legal_name", PartnerOrganization),
            "website": self._website,
            "hq_country": self._country,
            "regions": self._list(self._region),
            "industries": self._list(self._list_item),
            "employee_band": self._employee_band,
            "revenue_band": self._choice(self.revenue, RevenueBand, _("a revenue band")),
            "partner_type": self._choice(self.types, PartnerType, _("a partner type")),
            "partner_types": self._list(self._choice(self.types, PartnerType, _("a partner type"))),
            "skills": self._list(self._list_item),
            "sales_motion": self._choice(self.motions, SalesMotion, _("a sales motion")),
            "co_marketing": self._yes_no,
            "state": self._choice(self.states, LifecycleState, _("a lifecycle state")),
            "channel_manager_email": self._manager,
            "contact_name": self._text("name", PartnerContact),
            "contact_email": self._email,
            "contact_title": self._text("title", PartnerContact),
            "contact_role": self._choice(self.contact_roles, ContactRole, _("a contact role")),
        }

    # -- cell parsers: text in, value out, ValueError(plain message) on a bad cell ---------------

    def _text(self, name: str, model) -> Callable[[str], str]:
        limit = _max_length(model, name)

        def parse(text: str) -> str:
            if len(text) > limit:
                raise ValueError(
                    _("This is too long (at most %(max)s characters).") % {"max": limit}
                )
            return text

        return parse

    def _website(self, text: str) -> str:
        url = normalise_website(text)
        try:
            _url_validator(url)
        except ValidationError:
            raise ValueError(
                _("%(value)s is not a valid web address.") % {"value": _quote(text)}
            ) from None
        if not is_valid_domain(normalize_domain(url)):
            raise ValueError(_("%(value)s is not a valid web address.") % {"value": _quote(text)})
        if len(url) > _max_length(PartnerOrganization, "website"):
            raise ValueError(
                _("%(value)s is too long for a web address.") % {"value": _quote(text)}
            )
        return url

    def _country(self, text: str) -> str:
        code = self.countries.get(text.strip().lower())
        if code is None:
            raise ValueError(
                _(
                    "%(value)s is not a country we know. Use an ISO code like DE or an English "
                    "name like Germany."
                )
                % {"value": _quote(text)}
            )
        return code

    def _region(self, text: str) -> str:
        region = self.regions.get(_norm_choice(text))
        if region is None:
            raise ValueError(
                _("%(value)s is not a region. Use %(choices)s.")
                % {"value": _quote(text), "choices": _choice_hint(Region)}
            )
        return region

    def _list_item(self, text: str) -> str:
        if len(text) > 100:
            raise ValueError(
                _("%(value)s is too long (at most 100 characters).") % {"value": _quote(text)}
            )
        return text

    def _list(self, item: Callable[[str], str]) -> Callable[[str], list[str]]:
        def parse(text: str) -> list[str]:
            values: list[str] = []
            for part in split_list(text):
                value = item(part)
                if value not in values:
                    values.append(value)
            return values

        return parse

    def _choice(self, table: dict[str, str], choices, what: str) -> Callable[[str], str]:
        def parse(text: str) -> str:
            value = table.get(_norm_choice(text))
            if value is None:
                raise ValueError(
                    _("%(value)s is not %(what)s we know. Use one of: %(choices)s.")
                    % {"value": _quote(text), "what": what, "choices": _choice_hint(choices)}
                )
            return value

        return parse

    def _employee_band(self, text: str) -> str:
        band = self.employees.get(_norm_choice(text))
        if band is not None:
            return band
        digits = re.sub(r"[\s,.']", "", text)
        if digits.isdigit() and int(digits) > 0:  # a head count: the band it falls in
            return max((b for b in EmployeeBand.values if int(b) <= int(digits)), key=int)
        labels = ", ".join(str(label) for label in EmployeeBand.labels)
        raise ValueError(
            _(
                "%(value)s is not an employee band. Use a head count (e.g. 120) or one of: "
                "%(bands)s."
            )
            % {"value": _quote(text), "bands": labels}
        )

    def _yes_no(self, text: str) -> bool:
        lowered = text.strip().lower()
        if lowered in {"yes", "y", "true", "1", "x"}:
            return True
        if lowered in {"no", "n", "false", "0"}:
            return False
        raise ValueError(_("%(value)s is not yes or no.") % {"value": _quote(text)})

    def _email(self, text: str) -> str:
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(
                _("%(value)s is not a valid email address.") % {"value": _quote(text)}
            ) from None
        if len(text) > _max_length(PartnerContact, "email"):
            raise ValueError(_("This is too long for an email address."))
        return text

    def _manager(self, text: str):
        user = self.managers.get(text.strip().casefold())
        if user is None:
            raise ValueError(
                _(
                    "%(value)s is not a channel manager or program admin of this program (check "
                    "the email address)."
                )
                % {"value": _quote(text)}
            )
        return user

    # -- the table ------------------------------------------------------------------------------

    def header(self, cells: list[str]) -> list[str | None] | None:
        """Column name per position; None for a blank header cell. None when unusable."""
        columns: list[str | None] = []
        seen: set[str] = set()
        for cell in cells:
            name = normalise_header(cell)
            if not name:
                columns.append(None)
                continue
            if name not in COLUMN_ORDER:
                self.errors.add(
                    1,
                    cell,
                    _(
                        "%(column)s is not a column we know (is it misspelt?). The columns are: "
                        "%(columns)s."
                    )
                    % {"column": _quote(cell), "columns": ", ".join(COLUMNS)},
                )
            elif name in seen:
                self.errors.add(1, name, _("This column appears twice."))
            seen.add(name)
            columns.append(name)
        for required in REQUIRED_COLUMNS:
            if required not in seen:
                self.errors.add(1, required, _("The required column is missing."))
        return None if self.errors else columns

    def parse_row(self, number: int, columns: list[str | None], cells: list[str]) -> _Row | None:
        row = _Row(number=number, cells={})
        for position, column in enumerate(columns):
            if column is None:
                continue
            text = cells[position] if position < len(cells) else ""
            # An apostrophe in front of = + - @ was added by our export to keep spreadsheets from
            # running the cell as a formula.
            if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
                text = text[1:]
            row.cells[column] = text
        extra = [c for c in cells[len(columns) :] if c]
        if not any(row.cells.values()) and not extra:
            return None  # a blank line
        if extra:
            self.errors.add(number, "", _("This row has more cells than the header has columns."))
        for column, text in row.cells.items():
            if not text:
                continue
            try:
                row.values[column] = self.parsers[column](text)
            except ValueError as error:
                row.bad.add(column)
                self.errors.add(number, column, str(error))
        if not row.has("name"):
            self.errors.add(number, "name", _("A name is required."))
        if row.has_contact and not (row.has("contact_name") and row.has("contact_email")):
            for column, what in (("contact_name", "name"), ("contact_email", "email")):
                if not row.has(column):
                    label = _("name") if what == "name" else _("email address")
                    self.errors.add(
                        number,
                        column,
                        _("A contact needs a %(what)s (or leave all contact cells blank).")
                        % {"what": label},
                    )
        return row

    # -- from rows to partners --------------------------------------------------------------------

    def plans(self, rows: list[_Row], columns: set[str]) -> list[PartnerPlan]:
        groups: dict[str, list[_Row]] = {}
        for row in rows:
            if row.has("name"):
                groups.setdefault(row.cells["name"].casefold(), []).append(row)
        plans = []
        for group in groups.values():
            plan = self._plan(group, columns)
            if plan is not None:
                plans.append(plan)
        self._match(plans, groups)
        return plans

    def _plan(self, group: list[_Row], columns: set[str]) -> PartnerPlan | None:
        main = group[0]
        for row in group[1:]:
            for column in PARTNER_COLUMNS:
                if column == "name" or not row.has(column) or column in row.bad | main.bad:
                    continue
                if row.values.get(column) != main.values.get(column):
                    self.errors.add(
                        row.number,
                        column,
                        _(
                            "This differs from row %(row)s, which is the same partner. Leave the "
                            "cell blank on extra contact rows, or repeat the same value."
                        )
                        % {"row": main.number},
                    )
            if not row.has_contact:
                self.errors.add(
                    row.number,
                    "name",
                    _("This row repeats row %(row)s (same partner, no contact): remove it.")
                    % {"row": main.number},
                )
        if "partner_type" in columns and not main.has("partner_type"):
            self.errors.add(main.number, "partner_type", _("A partner type is required."))
        values: dict[str, Any] = {}
        for column in PARTNER_COLUMNS:
            if column not in columns:
                continue
            value = main.values.get(column)
            if column == "state":
                if value:
                    values["state"] = value
            elif column == "channel_manager_email":
                values["channel_manager"] = value
            elif column in LIST_COLUMNS:
                values[column] = value or []
            elif column == "co_marketing":
                values[column] = bool(value)
            else:
                values[column] = value or ""
        if values.get("website"):
            values["domain"] = normalize_domain(values["website"])
        # As on the profile form: the primary type is always one of the types a partner plays.
        primary = values.get("partner_type")
        if primary and "partner_types" in values and primary not in values["partner_types"]:
            values["partner_types"] = [primary, *values["partner_types"]]
        contacts: list[ContactPlan] = []
        seen_emails: dict[str, int] = {}
        for row in group:
            if not row.has_contact or not row.has("contact_email") or not row.has("contact_name"):
                continue
            email = row.cells["contact_email"]
            if email.casefold() in seen_emails:
                self.errors.add(
                    row.number,
                    "contact_email",
                    _("%(email)s is already a contact of this partner on row %(row)s.")
                    % {"email": _quote(email), "row": seen_emails[email.casefold()]},
                )
                continue
            seen_emails[email.casefold()] = row.number
            contact = {"name": row.values.get("contact_name", ""), "email": email}
            if "contact_title" in columns:
                contact["title"] = row.values.get("contact_title", "")
            # A blank role says nothing: an existing contact keeps its role, a new one is the
            # primary contact if the partner has none yet (apply._one_primary_each), else "other".
            if row.values.get("contact_role"):
                contact["role"] = row.values["contact_role"]
                primary_row = next(
                    (c.row for c in contacts if c.values.get("role") == ContactRole.PRIMARY), None
                )
                if contact["role"] == ContactRole.PRIMARY and primary_row is not None:
                    self.errors.add(
                        row.number,
                        "contact_role",
                        _(
                            "A partner has one primary contact, and row %(row)s already is. "
                            "Give this contact another role."
                        )
                        % {"row": primary_row},
                    )
                    continue
            contacts.append(ContactPlan(row=row.number, values=contact))
        if any(row.bad for row in group) or "name" not in main.values:
            return None
        return PartnerPlan(row=main.number, rows=len(group), values=values, contacts=contacts)

    def _match(self, plans: list[PartnerPlan], groups: dict[str, list[_Row]]) -> None:
        """Find each partner's existing record (by domain, else by name) and what would change."""
        by_domain: dict[str, list[tuple[int, str]]] = {}
        by_name: dict[str, list[tuple[int, str]]] = {}
        for pk, name, domain in PartnerOrganization.objects.values_list("pk", "name", "domain"):
            if domain:
                by_domain.setdefault(domain, []).append((pk, name))
            by_name.setdefault(name.casefold(), []).append((pk, name))

        def pick(candidates: list[tuple[int, str]], name: str) -> int | None | bool:
            if len(candidates) == 1:
                return candidates[0][0]
            exact = [pk for pk, n in candidates if n == name] or [
                pk for pk, n in candidates if n.casefold() == name.casefold()
            ]
            return exact[0] if len(exact) == 1 else False  # False: ambiguous

        matched: list[tuple[PartnerPlan, int]] = []
        owner_of_domain: dict[str, PartnerPlan] = {}
        claimed: dict[int, PartnerPlan] = {}
        for plan in plans:
            name, domain = plan.values["name"], plan.values.get("domain", "")
            if domain:
                earlier = owner_of_domain.setdefault(domain, plan)
                if earlier is not plan:
                    self.errors.add(
                        plan.row,
                        "website",
                        _(
                            "The domain %(domain)s is also used by %(name)s on row %(row)s; each "
                            "partner needs its own website domain."
                        )
                        % {
                            "domain": domain,
                            "name": _quote(earlier.values["name"]),
                            "row": earlier.row,
                        },
                    )
                    continue
            pk = pick(by_domain[domain], name) if domain in by_domain else None
            if pk is False:
                self.errors.add(
                    plan.row,
                    "website",
                    _(
                        "Several partners already use the domain %(domain)s and none is named "
                        "%(name)s: rename the row to the partner you mean."
                    )
                    % {"domain": domain, "name": _quote(name)},
                )
                continue
            same_name = by_name.get(name.casefold(), [])
            if pk is None and same_name:
                pk = pick(same_name, name)
            elif pk is not None and any(other != pk for other, _n in same_name):
                holder = next(n for other, n in same_name if other != pk)
                self.errors.add(
                    plan.row,
                    "name",
                    _(
                        "%(name)s is already the name of another partner, but the website matches "
                        "a different one. Rename one of them."
                    )
                    % {"name": _quote(holder)},
                )
                continue
            if pk is None:
                continue
            if pk is False:
                self.errors.add(plan.row, "name", _("Several partners have this name."))
                continue
            if pk in claimed:
                self.errors.add(
                    plan.row,
                    "name",
                    _("This row and row %(row)s both match the existing partner %(name)s.")
                    % {"row": claimed[pk].row, "name": _quote(claimed[pk].values["name"])},
                )
                continue
            claimed[pk] = plan
            matched.append((plan, pk))
        self._compare(matched)

    def _compare(self, matched: list[tuple[PartnerPlan, int]]) -> None:
        pks = [pk for _plan, pk in matched]
        existing: dict[int, PartnerOrganization] = {}
        contacts: dict[tuple[int, str], PartnerContact] = {}
        for start in range(0, len(pks), WRITE_BATCH):
            chunk = pks[start : start + WRITE_BATCH]
            existing.update(PartnerOrganization.objects.in_bulk(chunk))
            for contact in PartnerContact.objects.filter(partner_id__in=chunk).order_by("pk"):
                contacts.setdefault((contact.partner_id, contact.email.casefold()), contact)
        for plan, pk in matched:
            partner = existing.get(pk)
            if partner is None:
                continue
            plan.existing = partner
            changed = []
            for name, value in plan.values.items():
                current = getattr(partner, name)
                if name == "hq_country":
                    current = current.code if current else ""
                if name == "channel_manager":
                    current, value = partner.channel_manager_id, value.pk if value else None
                if current != value:
                    changed.append(name)
            if "state" in changed:
                self.errors.add(
                    plan.row,
                    "state",
                    _(
                        "The file says %(new)s but %(name)s is %(current)s. The import does not "
                        "move existing partners through the lifecycle: do that on the partner's "
                        "page, or leave the cell blank."
                    )
                    % {
                        "new": LifecycleState(plan.values["state"]).label,
                        "name": _quote(partner.name),
                        "current": LifecycleState(partner.state).label,
                    },
                )
                changed.remove("state")
            primary = plan.values.get("partner_type")
            types = plan.values.get("partner_types", partner.partner_types)
            if primary and primary not in types:  # keep the primary type among the types
                plan.values["partner_types"] = [primary, *types]
                if "partner_types" not in changed:
                    changed.append("partner_types")
            plan.changed = tuple(changed)
            for contact in plan.contacts:
                found = contacts.get((pk, contact.values["email"].casefold()))
                if found is not None:
                    contact.existing = found
                    contact.changed = tuple(
                        k for k, v in contact.values.items() if getattr(found, k) != v
                    )


def validate_file(partner_import: PartnerImport, *, pct_from: int, pct_to: int) -> Validation:
    """Read and check the whole file. Reports progress between pct_from and pct_to."""
    with partner_import.file.open("rb") as handle:
        data = handle.read()
    table = read_table(data, file_extension(partner_import.file.name))
    validator = _Validator()
    if not table:
        validator.errors.add(None, "", _("The file is empty."))
        return Validation(0, validator.errors.as_list(), [])
    columns = validator.header(table[0][1])
    body = table[1:]
    total = sum(1 for _n, cells in body if any(cells))
    if columns is None:
        return Validation(total, validator.errors.as_list(), [])
    if total == 0:
        validator.errors.add(None, "", _("The file has no partner rows under the header row."))
    if total > MAX_ROWS:
        validator.errors.add(
            None,
            "",
            _("The file has %(count)s rows; import at most %(max)s at a time.")
            % {"count": total, "max": MAX_ROWS},
        )
        return Validation(total, validator.errors.as_list(), [])
    span = pct_to - pct_from
    rows: list[_Row] = []
    for index, (number, cells) in enumerate(body, start=1):
        row = validator.parse_row(number, columns, cells)
        if row is not None:
            rows.append(row)
        if index % PROGRESS_EVERY == 0:
            done = len(rows)
            report_progress(
                partner_import, done=done, total=total, pct=pct_from + span * 0.9 * done / total
            )
    plans = validator.plans(rows, {c for c in columns if c})
    report_progress(partner_import, done=total, total=total, pct=pct_to)
    return Validation(total, validator.errors.as_list(), plans if not validator.errors else [])


@transaction.atomic
def partner_import_validate(*, partner_import: PartnerImport) -> PartnerImport:
    """Check every row (the task body after upload). Writes nothing but the import's status."""
    partner_import = PartnerImport.objects.select_for_update().get(pk=partner_import.pk)
    if partner_import.status != ImportStatus.VALIDATING:
        return partner_import  # a second delivery, or already handled
    try:
        result = validate_file(partner_import, pct_from=0, pct_to=100)
    except ImportFileError as error:
        result = Validation(0, [{"row": None, "field": "", "message": str(error)}], [])
    partner_import.total_rows = result.total_rows
    partner_import.processed_rows = result.total_rows
    partner_import.errors = result.errors
    if result.errors:
        partner_import.status = ImportStatus.INVALID
        partner_import.preview = {}
        partner_import.created_count = partner_import.updated_count = 0
        partner_import.finished_at = timezone.now()
    else:
        partner_import.status = ImportStatus.READY
        partner_import.preview = result.preview()
        partner_import.created_count = partner_import.preview["new"]
        partner_import.updated_count = partner_import.preview["updated"]
    partner_import.save()
    clear_progress(partner_import)
    return partner_import
