"""Small template helpers for Bootstrap markup."""

from django import template

register = template.Library()

# Django's BoundField.widget_type -> the Bootstrap class its <input>/<select> needs.
_WIDGET_CLASSES = {
    "checkbox": "form-check-input",
    "radioselect": "form-check-input",
    "checkboxselectmultiple": "form-check-input",
    "select": "form-select",
    "selectmultiple": "form-select",
    "nullbooleanselect": "form-select",
}


@register.filter
def widget_class(bound_field) -> str:
    """The Bootstrap class for the widget: form-control, form-select or form-check-input."""
    return _WIDGET_CLASSES.get(bound_field.widget_type, "form-control")


@register.filter
def add_class(bound_field, css_classes: str):
    """Render a form field's widget with extra CSS classes, keeping the widget's own.

    Adds `is-invalid` when the field has errors, so Bootstrap shows the invalid-feedback below it.
    """
    classes = [bound_field.field.widget.attrs.get("class", ""), css_classes]
    if bound_field.errors:
        classes.append("is-invalid")
    return bound_field.as_widget(attrs={"class": " ".join(c for c in classes if c)})


@register.filter
def nav_active(item, current_url_name) -> bool:
    """Whether a navigation item is the page being shown (tenancy.navigation.NavItem)."""
    return item.is_active(current_url_name)


@register.filter
def nav_flatten(items) -> list:
    """Navigation items with dropdown groups opened up (tenancy.navigation.flatten)."""
    from tenancy.navigation import flatten

    return flatten(items)


# --- Numbers: one format everywhere (thousands separators, halves rounded up) -------------------


def _grouped(value, places: int) -> str:
    from django.utils.formats import number_format

    from tenancy.common.numbers import round_half_up

    return number_format(
        round_half_up(value, places), decimal_pos=places, use_l10n=True, force_grouping=True
    )


@register.filter
def number(value, places=0) -> str:
    """`1027247` → "1,027,247"; `number:1` keeps one decimal. Empty stays "—"."""
    if value is None or value == "":
        return "—"
    return _grouped(value, int(places))


@register.filter
def money(amount, currency="") -> str:
    """`614500` with "USD" → "614,500.00 USD": two decimals, grouped, the ISO code after."""
    if amount is None or amount == "":
        return "—"
    text = _grouped(amount, 2)
    return f"{text} {currency}" if currency else text


@register.filter
def hours(seconds, places=1) -> str:
    """Seconds as hours, half up: 900 → "0.3"."""
    from tenancy.common.numbers import hours_from_seconds

    return _grouped(hours_from_seconds(seconds, int(places)), int(places))


# --- Lists (tenancy.common.lists.list_page) -----------------------------------------------------


@register.simple_tag
def list_query(listing, **changes) -> str:
    """The list's query string with `changes` applied: `{% list_query listing page=2 %}`."""
    return listing.query(**{k: str(v) if v is not None else None for k, v in changes.items()})


@register.simple_tag
def sort_link(listing, key: str, label) -> str:
    """A sortable column header: a link that sorts by `key`, then reverses; shows the direction."""
    from django.utils.html import format_html
    from django.utils.translation import gettext

    direction = listing.sort_direction(key)
    icons = {"asc": "bi-caret-up-fill", "desc": "bi-caret-down-fill"}
    states = {"asc": gettext("sorted ascending"), "desc": gettext("sorted descending")}
    if not direction:
        return format_html(
            '<a class="link-body-emphasis text-decoration-none" href="{}">{}</a>',
            listing.sort_query(key),
            label,
        )
    return format_html(
        '<a class="link-body-emphasis text-decoration-none" href="{}">{} '
        '<i class="bi {}" aria-hidden="true"></i><span class="visually-hidden">({})</span></a>',
        listing.sort_query(key),
        label,
        icons[direction],
        states[direction],
    )
