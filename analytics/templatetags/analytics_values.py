"""One metric's value in its unit — every analytics figure (KPIs, breakdown tables, satisfaction,
customer value, the board report): `{% metric_value metric value currency %}`."""

from django import template
from django.utils.translation import gettext

from tenancy.templatetags.ui import money, number

register = template.Library()


@register.simple_tag
def metric_value(metric, value, currency="") -> str:
    """`value` as `metric.unit` says: money with the currency, a ratio with "×", a percentage,
    hours, a score, an NPS with its sign, years, or a plain number; no value is "—"."""
    if value is None:
        return "—"
    unit = metric.unit
    if unit == "money":
        return money(value, currency)
    if unit == "ratio":
        return f"{number(value, 2)}×"
    if unit == "percent":
        return f"{number(value, 1)} %"
    if unit == "hours":
        return f"{number(value, 1)} h"
    if unit == "score":
        return number(value, 1)
    if unit == "nps":
        return f"{'+' if value > 0 else ''}{number(value)}"
    if unit == "years":
        return f"{number(value, 1)} {gettext('years')}"
    return number(value)
