"""Markdown rendered safely: `markdown` turns text into HTML, then `nh3` keeps only an allow-list.

Rules of engagement, agreements, cadence mails and playbook guidance are written by vendor staff
but shown to partners and to the public, so the rendered HTML is always sanitised: raw <script>,
event handlers (onerror=...) and javascript: links never survive. In templates:
`{% load markdown_safe %}{{ rules.body|markdown_safe }}` (tenancy/templatetags/markdown_safe.py).
"""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    "p",
    "br",
    "hr",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "a",
    "code",
    "pre",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def markdown_to_safe_html(text: str) -> SafeString:
    """Markdown → HTML restricted to ALLOWED_TAGS; links get rel="noopener noreferrer"."""
    html = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"])
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above
