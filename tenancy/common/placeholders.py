"""{{ placeholders }} in text people write (cadence mails, campaign templates): one way to fill
them, to list the unknown ones, and to show them as their human names.

`substitute` leaves an unknown placeholder as typed (a preview shows it). With
`for_markdown=True` the values are made inert for Markdown and HTML (escaped), except the names in
`raw`: values we build ourselves (links, validated addresses) that must stay clickable.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

from django.utils.html import format_html, format_html_join

PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")
# Anything that looks like a placeholder, to refuse the ones we do not know when saving.
ANY_PLACEHOLDER_RE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def substitute(
    text: str,
    values: Mapping[str, object],
    *,
    for_markdown: bool = False,
    raw: Iterable[str] = (),
) -> str:
    """Replace known {{ placeholders }}; unknown ones stay as typed."""
    raw = frozenset(raw)

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = str(values[name])
        if for_markdown and name not in raw:
            value = _MARKDOWN_SPECIAL_RE.sub(r"\\\1", html.escape(value, quote=False))
        return value

    return PLACEHOLDER_RE.sub(replace, text or "")


def unknown_placeholders(texts: Iterable[str], known: Iterable[str]) -> list[str]:
    """The placeholder names in `texts` that are not in `known`, sorted."""
    known = frozenset(known)
    found = {name for text in texts for name in ANY_PLACEHOLDER_RE.findall(text or "")}
    return sorted(found - known)


def merge_fields_text(text: str, labels: Mapping[str, object]) -> str:
    """`text` with each known {{ placeholder }} as its name in brackets: "the [Program name]"."""

    def name(match: re.Match) -> str:
        label = labels.get(match.group(1))
        return f"[{label}]" if label else match.group(0)

    return PLACEHOLDER_RE.sub(name, text or "")


def merge_fields_html(text: str, labels: Mapping[str, object]) -> str:
    """`text` escaped, each known {{ placeholder }} shown as a chip with its human name, the
    code in its tooltip."""
    parts, last = [], 0
    for match in PLACEHOLDER_RE.finditer(text or ""):
        parts.append(text[last : match.start()])
        label = labels.get(match.group(1))
        parts.append(
            format_html(
                '<span class="badge text-bg-light border fw-normal" title="{}">{}</span>',
                match.group(0),
                label,
            )
            if label
            else match.group(0)
        )
        last = match.end()
    parts.append((text or "")[last:])
    return format_html_join("", "{}", ((part,) for part in parts))  # escapes the plain parts
