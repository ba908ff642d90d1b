"""`{% load markdown_safe %}{{ text|markdown_safe }}`: Markdown rendered and sanitised
(tenancy/common/markdown.py)."""

from django import template
from django.utils.safestring import SafeString

from tenancy.common.markdown import markdown_to_safe_html

register = template.Library()


@register.filter(name="markdown_safe")
def markdown_safe(text: str) -> SafeString:
    return markdown_to_safe_html(text)
