"""API pagination: every list pages by cursor (keyset), never by offset or page number.

`CursorPagination` (the default) keeps each list's own order (the view's `cursor_ordering`, else
the queryset's ordering as far as it is made of the model's own non-null fields) and adds the
row's uuid as the tie-break, so every row comes exactly once across pages, and a page costs the
same at the first row or the millionth. `KeysetPagination` is the mechanism, with a fixed
ordering (newest first)."""

from __future__ import annotations

import base64
import binascii
import json
from functools import reduce

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class KeysetPagination(BasePagination):
    """Next/previous cursors over a unique ordering, never a count or an offset: a page is the
    first `page_size` rows of an index after the cursor's row, whatever the list's length
    (`{"next": url, "previous": url, "results": [...]}`).

    `ordering` must end in a unique field and be served by an index behind the tenant (and any
    equality filter) for a page to cost milliseconds. The cursor carries the boundary row's
    ordering values (public ones only: never the sequential id)."""

    ordering: tuple[str, ...] = ("-created_at", "-uuid")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_param = "cursor"
    invalid_cursor_message = _("This page link is not valid; start again from the first page.")

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        cursor = self.decode_cursor(request, queryset.model)
        reverse, position = cursor if cursor else (False, None)
        ordering = self.ordering if not reverse else tuple(_flip(f) for f in self.ordering)
        queryset = queryset.order_by(*ordering)
        if position is not None:
            queryset = queryset.filter(_after(ordering, position))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        self.next_position = self.previous_position = None
        if rows:
            if more if not reverse else position is not None:
                self.next_position = self.position_of(rows[-1])
            if position is not None if not reverse else more:
                self.previous_position = self.position_of(rows[0])
        return rows

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        try:
            size = int(raw) if raw else self.page_size
        except ValueError:
            size = self.page_size
        return max(1, min(size, self.max_page_size))

    def position_of(self, row) -> list:
        position = []
        for field in self.ordering:
            value = row
            for part in field.lstrip("-").split("__"):
                value = getattr(value, part)
            position.append(value)
        return position

    def field_of(self, model, name: str):
        return _resolve(model, name)

    def encode_cursor(self, reverse: bool, position: list) -> str:
        raw = json.dumps([int(reverse), [str(value) for value in position]])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode_cursor(self, request, model):
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            reverse, values = json.loads(raw)
            if len(values) != len(self.ordering):
                raise ValueError
            position = [
                self.field_of(model, field.lstrip("-")).to_python(value)
                for field, value in zip(self.ordering, values, strict=True)
            ]
            if any(value is None for value in position):
                raise ValueError
        except (ValueError, TypeError, binascii.Error, DjangoValidationError):
            message = self.invalid_cursor_message
            raise ValidationError({self.cursor_query_param: [message]}) from None
        return bool(reverse), position

    def link(self, reverse: bool, position) -> str | None:
        if position is None:
            return None
        url = remove_query_param(self.base_url, "page")
        return replace_query_param(
            url, self.cursor_query_param, self.encode_cursor(reverse, position)
        )

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self.link(False, self.next_position),
                "previous": self.link(True, self.previous_position),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    **link,
                    "description": "The next page; null on the last.",
                    # drf-spectacular wraps each list example in a page with these values.
                    "example": f"{EXAMPLE_LIST_URL}?cursor={EXAMPLE_CURSOR}",
                },
                "previous": {
                    **link,
                    "description": "The page before; null on the first.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "A page's position, as given in `next` / `previous`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (at most {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]


# The page links in the OpenAPI document's list examples (one page of any list).
EXAMPLE_LIST_URL = "https://acme.prm.example.com/api/v1/deal-registrations/"
EXAMPLE_CURSOR = "WzAsWyIyMDI2LTEyLTA3IDA5OjE1OjAwKzAwOjAwIiwiZDc0ZTc3ODQiXV0"


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def _after(ordering: tuple[str, ...], position: list) -> Q:
    """Rows after `position` in `ordering` (lexicographic), plus a bound on the first field alone
    so the database starts the index scan at the cursor instead of filtering from the top."""
    strictly = []
    for i, field in enumerate(ordering):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        equal = {f.lstrip("-"): position[j] for j, f in enumerate(ordering[:i])}
        strictly.append(Q(**equal, **{f"{name}__{op}": position[i]}))
    first = ordering[0].lstrip("-")
    bound = "lte" if ordering[0].startswith("-") else "gte"
    return Q(**{f"{first}__{bound}": position[0]}) & reduce(lambda a, b: a | b, strictly)


class CursorPagination(KeysetPagination):
    """The default for every list (see the module docstring). A list whose order the keyset
    cannot express (an expression, a nullable field: "best score first, unscored last") keeps
    its order with a cursor that holds the position instead: the same opaque `next` /
    `previous` links, each row once while the list does not change."""

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        ordering, complete = self.ordering_for(queryset, view)
        if complete:
            self.ordering = ordering
            self.by_position = False
            return super().paginate_queryset(queryset, request, view)
        own = list(queryset.query.order_by) or list(queryset.model._meta.ordering or ())
        return self.paginate_by_position(queryset.order_by(*own, "pk"), request)

    # --- Lists in an order a keyset cannot follow -------------------------------------------

    def paginate_by_position(self, queryset: QuerySet, request):
        self.request = request
        self.by_position = True
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        start = self.decode_position(request)
        rows = list(queryset[start : start + self.page_size + 1])
        more = len(rows) > self.page_size
        self.next_start = start + self.page_size if more else None
        self.previous_start = max(start - self.page_size, 0) if start > 0 else None
        return rows[: self.page_size]

    def decode_position(self, request) -> int:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return 0
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            kind, start = json.loads(raw)
            if kind != "p" or not isinstance(start, int) or start < 0:
                raise ValueError
        except (ValueError, TypeError, binascii.Error):
            message = self.invalid_cursor_message
            raise ValidationError({self.cursor_query_param: [message]}) from None
        return start

    def position_link(self, start: int | None) -> str | None:
        if start is None:
            return None
        raw = json.dumps(["p", start])
        encoded = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        url = remove_query_param(self.base_url, "page")
        return replace_query_param(url, self.cursor_query_param, encoded)

    def get_paginated_response(self, data):
        if not getattr(self, "by_position", False):
            return super().get_paginated_response(data)
        return Response(
            {
                "next": self.position_link(self.next_start),
                "previous": self.position_link(self.previous_start),
                "results": data,
            }
        )

    # --- The keyset's ordering ----------------------------------------------------------------

    @staticmethod
    def ordering_for(queryset: QuerySet, view) -> tuple[tuple[str, ...], bool]:
        """(ordering, complete): the keyset ordering for the list's own order, and whether it
        follows that order fully (else the list pages by position)."""
        explicit = getattr(view, "cursor_ordering", None)
        if explicit:
            return tuple(explicit), True
        model = queryset.model
        wanted = list(queryset.query.order_by) or list(model._meta.ordering or ())
        tie = "uuid" if _has_uuid(model) else "pk"
        ordering: list[str] = []
        for item in wanted:
            if not isinstance(item, str) or item.lstrip("-") == "?":
                return (), False  # an expression
            name = item.lstrip("-")
            try:
                field = _resolve(model, name)
            except FieldDoesNotExist:
                return (), False  # an annotation, or a path through a nullable relation
            if field.primary_key or (field.unique and "__" not in name):
                # A unique field ends the ordering. A sequential id gives way to the creation
                # time (what it stood for) and the uuid: the id never leaves in a cursor.
                if field.primary_key and tie == "uuid":
                    sign = "-" if item.startswith("-") else ""
                    if _has_field(model, "created_at") and "created_at" not in {
                        f.lstrip("-") for f in ordering
                    }:
                        ordering.append(f"{sign}created_at")
                    ordering.append(f"{sign}uuid")
                else:
                    ordering.append(item)
                return tuple(ordering), True
            if field.null or field.is_relation:
                return (), False  # NULLs have no place in a keyset comparison
            ordering.append(item)
        descending = bool(ordering) and ordering[0].startswith("-")
        ordering.append(f"-{tie}" if descending else tie)
        return tuple(ordering), True


def _resolve(model, path: str):
    """The model field at `path` ("partner__name"), following non-null foreign keys only."""
    parts = path.split("__")
    for part in parts[:-1]:
        relation = model._meta.get_field(part)
        if not relation.many_to_one or relation.null:
            raise FieldDoesNotExist(path)
        model = relation.related_model
    last = parts[-1]
    return model._meta.pk if last == "pk" else model._meta.get_field(last)


def _has_field(model, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return not field.null


def _has_uuid(model) -> bool:
    try:
        return model._meta.get_field("uuid").unique
    except FieldDoesNotExist:
        return False
