"""SQL expressions for report figures that Django does not ship, on PostgreSQL and SQLite alike.

- `Median(expr)`: the median of the non-null values, the mean of the two middle ones for an even
  count (as `statistics.median`): `percentile_cont(0.5)` on PostgreSQL, an aggregate registered on
  each SQLite connection (`register_sqlite_functions`, connected in TenancyConfig.ready).
- `HoursBetween(start, end)`: `end - start` in hours, as a float.
- `PairList(a, b)`: a group's (a, b) pairs as a JSON list of two-item lists (cast values to text
  to keep decimals exact); None or [] for no rows.
- `JsonListItems(expr)`: one row per item of a JSON list of strings (PostgreSQL only: a
  set-returning function in the select list; a group by it counts a row once per item).
"""

from __future__ import annotations

import statistics

from django.db.models import Aggregate, CharField, FloatField, Func, JSONField


class _SqliteSpelling:
    """An aggregate spelt differently on SQLite. On a copy: Aggregate.as_sql passes its own
    `template` when the aggregate has a filter, so it cannot be given as an argument."""

    sqlite_function = ""
    sqlite_template = ""

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.function, clone.template = self.sqlite_function, self.sqlite_template
        return clone.as_sql(compiler, connection, **extra_context)


class Median(_SqliteSpelling, Aggregate):
    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    sqlite_function = "PRM_MEDIAN"
    sqlite_template = "%(function)s(%(expressions)s)"
    output_field = FloatField()


class PairList(_SqliteSpelling, Aggregate):
    function = "jsonb_agg"
    name = "PairList"
    template = "%(function)s(jsonb_build_array(%(expressions)s))"
    sqlite_function = "json_group_array"
    sqlite_template = "%(function)s(json_array(%(expressions)s))"
    arity = 2
    output_field = JSONField()


class HoursBetween(Func):
    arity = 2
    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)::double precision"
        return self.as_sql(
            compiler, connection, template=template, arg_joiner=" - ", **extra_context
        )

    def as_sql(self, compiler, connection, **extra_context):
        extra_context.setdefault("template", "((julianday(%(expressions)s)) * 24.0)")
        extra_context.setdefault("arg_joiner", ") - julianday(")
        return super().as_sql(compiler, connection, **extra_context)

    def __init__(self, start, end, **extra):
        # The SQL reads `end - start`.
        super().__init__(end, start, **extra)


class JsonListItems(Func):
    function = "jsonb_array_elements_text"
    arity = 1
    output_field = CharField()


class _SqliteMedian:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: the aggregates above on a new SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("PRM_MEDIAN", 1, _SqliteMedian)
