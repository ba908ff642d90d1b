"""The shared ground-floor helpers (tenancy/common/) every app uses."""

import pytest
from django.template import Context, Template

from tenancy.common.domains import is_valid_domain, normalize_domain
from tenancy.common.forms import CommaListField
from tenancy.common.markdown import markdown_to_safe_html
from tenancy.common.spreadsheets import csv_safe


@pytest.mark.parametrize(
    "value, domain",
    [
        ("HTTPS://www.Acme.com/partners?x", "acme.com"),
        ("jane@Sub.Acme.co.uk", "sub.acme.co.uk"),
        ("acme.com.", "acme.com"),
        ("", ""),
    ],
)
def test_normalize_domain(value, domain):
    assert normalize_domain(value) == domain


@pytest.mark.parametrize(
    "domain, valid",
    [("acme.com", True), ("a-b.example.org", True), ("acme", False), ("-acme.com", False)],
)
def test_is_valid_domain(domain, valid):
    assert is_valid_domain(domain) is valid


@pytest.mark.parametrize("text", ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_safe_neutralises_formulas(text):
    assert csv_safe(text) == "'" + text


def test_csv_safe_keeps_ordinary_text_and_blanks():
    assert csv_safe("Acme = good") == "Acme = good"
    assert csv_safe(None) == "" and csv_safe(12) == "12"


def test_markdown_is_sanitised_in_code_and_in_templates():
    text = "# Hi\n<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    for html in (
        str(markdown_to_safe_html(text)),
        Template("{% load markdown_safe %}{{ t|markdown_safe }}").render(Context({"t": text})),
    ):
        assert "<h1>Hi</h1>" in html
        assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_comma_list_field_trims_and_drops_duplicates():
    assert CommaListField().clean(" AWS, aws ,  Terraform,, ") == ["AWS", "Terraform"]


def test_a_reading_loads_each_key_once_and_nothing_outlives_it():
    from tenancy.common.reading import one_reading, read_once

    loads = []

    def load():
        loads.append(1)
        return len(loads)

    assert read_once(("k",), load) == 1 and read_once(("k",), load) == 2  # outside: every time
    with one_reading():
        assert read_once(("k",), load) == 3
        with one_reading():  # a nested reading shares the outer one
            assert read_once(("k",), load) == 3
        assert read_once(("other",), load) == 4
        assert read_once(("k",), load) == 3
    with one_reading():  # the next page asks again
        assert read_once(("k",), load) == 5
