"""Charts, one way for every page: a `Chart` is data (categories, named series, a unit); the
template `components/chart.html` draws it with Apache ECharts (static/js/charts.js, SVG, from the
pinned npm package) and always shows the same numbers as a table, for screen readers and for
anyone who would rather read."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Series:
    name: str
    values: list[Any]
    color: str = ""


@dataclass
class Chart:
    key: str  # unique on the page: the element ids derive from it
    title: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    kind: str = "bar"  # "bar" or "line"
    stacked: bool = False
    unit: str = ""  # a currency code or a word shown after each number
    places: int = 2

    @property
    def data_id(self) -> str:
        return f"chart-{self.key}-data"

    @property
    def spec(self) -> dict:
        """What charts.js reads (through json_script): plain numbers, no markup."""
        return {
            "kind": self.kind,
            "stacked": self.stacked,
            "unit": self.unit,
            "places": self.places,
            "categories": [str(c) for c in self.categories],
            "series": [
                {
                    "name": str(s.name),
                    "color": s.color,
                    "data": [float(v) if isinstance(v, Decimal) else v for v in s.values],
                }
                for s in self.series
            ],
        }

    @property
    def rows(self) -> list[tuple[str, list[Any]]]:
        """The table under the chart: one row per category, one column per series."""
        return [
            (category, [series.values[index] for series in self.series])
            for index, category in enumerate(self.categories)
        ]

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(any(s.values) for s in self.series)
