"""Cadence steps on console pages: placeholders shown by their human names."""

from __future__ import annotations

from django import template

from ..services.cadence import merge_fields_html

register = template.Library()


@register.filter
def merge_fields(text: str) -> str:
    """`{{ step.subject|merge_fields }}`: "Getting started with the [Program name]"."""
    return merge_fields_html(text)
