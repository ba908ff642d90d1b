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


@register.simple_tag(takes_context=True)
def nav_links(context, items):
    """A surface's navbar links (components/nav_links.html), rendered once per menu shape, page,
    language and URL configuration in each process: the same inputs give the same HTML."""
    from django.urls import get_script_prefix, get_urlconf
    from django.utils.translation import get_language

    from tenancy.navigation import NavGroup

    shape = tuple(
        (str(item.label), tuple(child.url_name for child in item.children))
        if isinstance(item, NavGroup)
        else item.url_name
        for item in items
    )
    current = context.get("current_url_name")
    key = (shape, current, get_language(), get_script_prefix(), get_urlconf())
    html = _NAV_HTML.get(key)
    if html is None:
        from django.template.loader import render_to_string

        html = render_to_string(
            "components/nav_links.html", {"items": items, "current_url_name": current}
        )
        if len(_NAV_HTML) >= _NAV_HTML_MAX:
            _NAV_HTML.clear()
        _NAV_HTML[key] = html
    return html


_NAV_HTML: dict[tuple, str] = {}
_NAV_HTML_MAX = 2048


@register.filter
def nav_flatten(items) -> list:
    """Navigation items with dropdown groups opened up (tenancy.navigation.flatten)."""
    from tenancy.navigation import flatten

    return flatten(items)


# --- Numbers: one format everywhere (thousands separators, halves rounded up) -------------------


def _grouped(value, places: int) -> str:
    from django.utils.formats import number_format
    from django.utils.translation import get_language

    from tenancy.common.numbers import round_half_up

    rounded = round_half_up(value, places)
    language = get_language()
    plain = _PLAIN_GROUPING.get(language)
    if plain is None:
        plain = _PLAIN_GROUPING[language] = _groups_like_python()
    if plain:  # what number_format gives here, without its per-call format lookups
        return f"{rounded if rounded else rounded.copy_abs():,.{places}f}"
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


# {language: whether its formats are "1,234.5" (Python's own "," grouping)}: prm/formats.
_PLAIN_GROUPING: dict[str | None, bool] = {}


def _groups_like_python() -> bool:
    from django.utils.formats import get_format

    return (
        get_format("DECIMAL_SEPARATOR") == "."
        and get_format("THOUSAND_SEPARATOR") == ","
        and get_format("NUMBER_GROUPING") == 3
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


# --- Times: one format, in the viewer's zone, labelled ------------------------------------------


@register.simple_tag
def time_range(start, end, html=True):
    """A span of time on one day in the viewer's zone: "Fri 4 Dec 2026, 14:00–15:30 CET" (across
    days, both ends in full). The same words as time_span, for sessions and slots; `html=False`
    for plain-text mail."""
    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.html import format_html

    if not start or not end:
        return time_span(start or end)
    start, end = timezone.localtime(start), timezone.localtime(end)
    if start.date() == end.date():
        text = "{} {}, {}–{} {}".format(
            date_format(start, "D"),
            date_format(start, "DATE_FORMAT"),
            date_format(start, "TIME_FORMAT"),
            date_format(end, "TIME_FORMAT"),
            date_format(end, "T"),
        )
    else:
        text = f"{date_format(start, 'DATETIME_FORMAT')} – {date_format(end, 'DATETIME_FORMAT')}"
    if not html:  # plain-text mail
        return text
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        start.isoformat(),
        timezone.get_current_timezone_name(),
        text,
    )


@register.simple_tag
def time_span(value, fmt: str = "DATETIME_FORMAT"):
    """`<time>` for a datetime in the viewer's zone with its abbreviation: "4 Dec 2026, 14:05 CET"
    (prm/formats; the zone is tenancy.timezones'). The tooltip names the zone in full. A date
    renders as "4 Dec 2026"; nothing as "—"."""
    from datetime import datetime

    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.html import format_html

    if value is None or value == "":
        return "—"
    if not isinstance(value, datetime):
        return format_html(
            '<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "DATE_FORMAT")
        )
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        timezone.get_current_timezone_name(),
        date_format(value, fmt),
    )


# --- Status badges: one look per meaning, told apart by colour, icon and text -------------------

# tone -> (Bootstrap classes, bootstrap-icons name)
TONES = {
    "success": ("text-bg-success", "check-circle"),
    "danger": ("text-bg-danger", "x-circle"),
    "warning": ("text-bg-warning", "hourglass-split"),
    "info": ("text-bg-info", "arrow-right-circle"),
    "primary": ("text-bg-primary", "record-circle"),
    "secondary": ("text-bg-secondary", "dash-circle"),
    "neutral": ("text-bg-light border", "circle"),
}

# A status code -> its tone, for every app's statuses (codes are shared words: "approved" is
# green wherever it appears). Unknown codes are neutral.
STATUS_TONES = {
    **dict.fromkeys(
        (
            "active",
            "approved",
            "accepted",
            "attended",
            "completed",
            "confirmed",
            "current",
            "done",
            "met",
            "new",
            "on_time",
            "decided_on_time",
            "paid",
            "passed",
            "published",
            "sent",
            "signed",
            "upgrade",
            "valid",
            "won",
        ),
        "success",
    ),
    **dict.fromkeys(
        (
            "breached",
            "decided_late",
            "expired",
            "failed",
            "gave_up",
            "invalid",
            "lost",
            "rejected",
            "revoked",
            "suspended",
        ),
        "danger",
    ),
    **dict.fromkeys(
        (
            "contracted",
            "downgrade",
            "changes_requested",
            "due_soon",
            "manager_review",
            "marketing_review",
            "not_signed",
            "pending",
            "queued",
            "sending",
            "submitted",
            "superseded",
            "update",
            "waitlisted",
            "waiting",
        ),
        "warning",
    ),
    **dict.fromkeys(
        # "applied": a partner that applied, waiting for a decision (a tier proposal that was
        # applied passes tone="success").
        (
            "applied",
            "awaiting_decision",
            "claimed",
            "in_progress",
            "running",
            "started",
            "under_review",
        ),
        "info",
    ),
    **dict.fromkeys(("ready", "scheduled"), "primary"),
    **dict.fromkeys(
        (
            "archived",
            "cancelled",
            "closed",
            "deactivated",
            "draft",
            "inactive",
            "merged",
            "paused",
            "retired",
            "skipped",
            "unsubscribed",
            "withdrawn",
        ),
        "secondary",
    ),
}


def status_tone(value) -> str:
    return STATUS_TONES.get(str(getattr(value, "value", value)), "neutral")


@register.filter
def score_tone(score) -> str:
    """The tone of a 0-100 fit score: 75+ success, 50+ primary, 25+ warning, else secondary."""
    if score is None or score == "":
        return "neutral"
    score = float(score)
    if score >= 75:
        return "success"
    if score >= 50:
        return "primary"
    return "warning" if score >= 25 else "secondary"


@register.simple_tag
def status_badge(value, label=None, tone=None, title=None):
    """`{% status_badge deal.status deal.get_status_display %}`: the status's colour, an icon
    (colour is not the only signal) and its human label; `data-status` keeps the code for tests
    and scripts. `tone=` overrides the map (see TONES)."""
    from django.utils.html import format_html

    code = str(getattr(value, "value", value))
    if label is None:
        label = getattr(value, "label", None) or code.replace("_", " ").capitalize()
    classes, icon = TONES.get(tone or status_tone(code), TONES["neutral"])
    if title:
        return format_html(
            '<span class="badge {}" data-status="{}" title="{}">'
            '<i class="bi bi-{} me-1" aria-hidden="true"></i>{}</span>',
            classes,
            code,
            title,
            icon,
            label,
        )
    return format_html(
        '<span class="badge {}" data-status="{}"><i class="bi bi-{} me-1" aria-hidden="true"></i>'
        "{}</span>",
        classes,
        code,
        icon,
        label,
    )


@register.simple_tag
def score_badge(score, title="", suffix=""):
    """A 0-100 fit score coloured by its band (score_tone): `{% score_badge p.ipp_score %}`."""
    from django.utils.html import format_html

    classes, _icon = TONES[score_tone(score)]
    return format_html(
        '<span class="badge {}" title="{}" data-score>{}{}</span>', classes, title, score, suffix
    )
