"""API pagination: page numbers for small lists; keyset cursors for lists that reach millions."""

from __future__ import annotations

import base64
import binascii
import json
from functools import reduce

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


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
        return [getattr(row, field.lstrip("-")) for field in self.ordering]

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
                model._meta.get_field(field.lstrip("-")).to_python(value)
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
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The page before; null on the first."},
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
