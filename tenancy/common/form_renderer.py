"""The project's form renderer (settings.FORM_RENDERER): Django's own, with its commonest widget
templates — `<input>` of every kind and `<select>` with its options — written out in Python.

Every filter bar and form renders its widgets through the template engine, one `{% include %}`
per option and per attribute list: a list page's filter bar (a search box and three selects)
cost ~4 ms of a 40 ms page. The output is byte for byte what Django's templates give
(tenancy/tests/test_form_renderer.py compares them widget by widget); a template the project or
a library overrides, a widget with another template or an option with its own template goes
through Django's templates as before.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import SafeData, SafeString

WIDGETS = "django/forms/widgets/"
SELECT = WIDGETS + "select.html"
OPTION = WIDGETS + "select_option.html"
INPUT = WIDGETS + "input.html"
ATTRS = WIDGETS + "attrs.html"
# Django's templates whose whole body is `{% include "django/forms/widgets/input.html" %}`
# (the test checks each one still is).
INPUTS = frozenset(
    WIDGETS + name + ".html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "search",
        "tel",
        "date",
        "datetime",
        "time",
        "checkbox",
        "color",
    )
)

# What a template's `{{ value }}` does outside any template: localize, then escape (autoescape
# on, as the renderer's engine has it).
_CONTEXT = Context(autoescape=True)


def _shown(value) -> str:
    """`{{ value }}`."""
    return render_value_in_context(value, _CONTEXT)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: str() of it, escaped unless it was safe already."""
    return str(value) if isinstance(value, SafeData) else escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_shown(name)}")
        if value is not True:
            out.append(f'="{_formatted(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _select(widget: dict) -> str:
    """django/forms/widgets/select.html with select_option.html included per option (the
    renderer strips what a template leaves around it: the last newline)."""
    out = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _options_are_plain(widget: dict) -> bool:
    return all(
        option.get("template_name") == OPTION
        for _name, choices, _index in widget["optgroups"]
        for option in choices
    )


class FastTemplates(DjangoTemplates):
    """Django's DjangoTemplates renderer (the project's templates first, then the apps'), with
    the input and select widget templates rendered in Python when nobody has overridden them."""

    def __init__(self):
        super().__init__()
        self._overridden: dict[str, bool] = {}

    def _ours(self, template_name: str) -> bool:
        """Whether `template_name` is still Django's own (no project or app template in front
        of it); answered once per name."""
        known = self._overridden.get(template_name)
        if known is None:
            origin = self.get_template(template_name).origin.name
            known = self._overridden[template_name] = not origin.replace("\\", "/").endswith(
                "django/forms/templates/" + template_name
            )
        return not known

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None and request is None:
            if template_name in INPUTS and all(map(self._ours, (template_name, INPUT, ATTRS))):
                return SafeString(_input(widget))
            if (
                template_name == SELECT
                and all(map(self._ours, (SELECT, OPTION, ATTRS)))
                and _options_are_plain(widget)
            ):
                return SafeString(_select(widget))
        return super().render(template_name, context, request)
