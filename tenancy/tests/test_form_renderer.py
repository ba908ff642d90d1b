"""The project's form renderer writes the input and select widgets out in Python: byte for byte
what Django's templates give, and Django's templates wherever something is different."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import django
import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe

from tenancy.common import form_renderer
from tenancy.common.form_renderer import FastTemplates

DJANGO_WIDGETS = Path(django.__file__).parent / "forms/templates"


class Everything(forms.Form):
    text = forms.CharField(max_length=20, help_text="Help", widget=forms.TextInput({"x-a": True}))
    email = forms.EmailField(required=False, widget=forms.EmailInput({"disabled": False}))
    number = forms.DecimalField(widget=forms.NumberInput({"step": "0.01", "min": 0}))
    url = forms.URLField(
        assume_scheme="https", widget=forms.URLInput({"placeholder": 'say "hi" & <go>'})
    )
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    search = forms.CharField(widget=forms.TextInput({"type": "search", "class": "a b"}))
    day = forms.DateField(widget=forms.DateInput({"type": "date"}))
    moment = forms.DateTimeField(widget=forms.DateTimeInput)
    hour = forms.TimeField(widget=forms.TimeInput)
    agree = forms.BooleanField(required=False)
    colour = forms.CharField(widget=forms.TextInput({"type": "color"}))
    plain = forms.ChoiceField(choices=[("", "Any"), ("a", "Alpha"), ("b<", "Beta & <b>")])
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("Europe", [("fr", "France"), ("de", "Germany")]), ("us", "USA")]
    )
    numbers = forms.TypedChoiceField(choices=[(1, 2026), (2, Decimal("1.50"))], coerce=int)
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", mark_safe("<b>Y</b>"))])
    nullable = forms.NullBooleanField()


DATA = {
    "text": "O'Brien & <Sons>",
    "email": "a@example.com",
    "number": "12.50",
    "url": "https://example.com/?a=1&b=2",
    "password": "secret",
    "hidden": mark_safe("<safe>"),
    "search": "",
    "day": "2026-12-07",
    "moment": "2026-12-07 10:00",
    "hour": "10:00",
    "agree": "on",
    "colour": "#ff0000",
    "plain": "b<",
    "grouped": "de",
    "numbers": "2",
    "many": ["x", "y"],
    "nullable": "true",
}


@pytest.mark.parametrize("bound", [False, True], ids=["empty", "filled"])
@pytest.mark.parametrize("field", list(Everything.base_fields))
def test_each_widget_renders_as_djangos_templates_do(field, bound):
    form = Everything(DATA if bound else None, initial={"day": datetime.date(2026, 1, 2)})
    form.is_valid()
    attrs = {"class": "form-control is-invalid", "aria-describedby": "x_helptext"}
    form.renderer = DjangoTemplates()
    expected = form[field].as_widget(attrs=attrs)
    form.renderer = FastTemplates()
    assert form[field].as_widget(attrs=attrs) == expected


def test_the_project_uses_it_and_it_takes_the_commonest_widgets():
    assert settings.FORM_RENDERER == "tenancy.common.form_renderer.FastTemplates"
    assert isinstance(get_default_renderer(), FastTemplates)
    renderer = FastTemplates()
    calls = []
    renderer.get_template = lambda name: (
        calls.append(name) or DjangoTemplates.get_template(renderer, name)
    )
    form = Everything(DATA)
    form.renderer = renderer
    for name in ("text", "plain", "grouped", "agree"):
        str(form[name])
    # Each template's origin was looked up once (is it still Django's?), none was rendered.
    assert sorted(set(calls)) == sorted(calls)
    assert all(name.startswith(form_renderer.WIDGETS) for name in calls)


@pytest.mark.parametrize("name", sorted(form_renderer.INPUTS - {form_renderer.INPUT}))
def test_each_input_template_is_still_only_djangos_input(name):
    """Django's templates the renderer stands in for still hold nothing but input.html (an
    upgrade that changes one shows here)."""
    body = (DJANGO_WIDGETS / name).read_text().strip()
    assert body == '{% include "django/forms/widgets/input.html" %}'


def test_a_template_someone_overrides_is_rendered_by_the_template_engine(tmp_path):
    override = tmp_path / "django/forms/widgets"
    override.mkdir(parents=True)
    (override / "select_option.html").write_text(
        '<option data-x value="{{ widget.value }}">{{ widget.label }}</option>'
    )
    renderer = FastTemplates()
    # Django's renderer looks in django/forms/templates and the apps' templates; an app (or
    # a DIRS entry) in front of Django's own is what an override is.
    renderer.__dict__["engine"] = renderer.backend(
        {"APP_DIRS": True, "DIRS": [tmp_path, DJANGO_WIDGETS], "NAME": "djangoforms", "OPTIONS": {}}
    )
    form = Everything(DATA)
    form.renderer = renderer
    assert '<option data-x value="a">Alpha</option>' in str(form["plain"])
    assert str(form["text"]).startswith('<input type="text"')  # not overridden: still fast
    assert renderer._overridden == {
        form_renderer.SELECT: False,
        form_renderer.OPTION: True,
        form_renderer.ATTRS: False,
        form_renderer.WIDGETS + "text.html": False,
        form_renderer.INPUT: False,
    }
