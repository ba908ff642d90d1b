"""The OpenAPI document's examples: the operations a partner's integration uses end to end have
request and response examples, and every example in the document is valid against the schema it
illustrates (resolved references, OpenAPI 3.0's `nullable`, formats, and no field the schema
does not have). A list's example is one cursor page, `{"next", "previous", "results"}` (the
paginator's example page around one row) — wrapped once, not twice."""

from __future__ import annotations

import copy
import datetime
import json
import uuid
from functools import cache
from urllib.parse import urlsplit

import jsonschema
import pytest
from django.core.validators import EmailValidator
from drf_spectacular.settings import spectacular_settings

HOST = "https://acme.prm.example.com"
METHODS = ("get", "post", "put", "patch", "delete")

# (method, path): the examples it must have — "request", and response status codes.
PARTNER_JOURNEY = {
    ("get", "/api/v1/me/"): {"200"},
    ("post", "/api/v1/api-keys/"): {"request", "201"},
    ("post", "/api/v1/deal-registrations/"): {"request", "201", "400", "403"},
    ("get", "/api/v1/deal-registrations/"): {"200"},
    ("get", "/api/v1/deal-registrations/{id}/"): {"200"},
    ("get", "/api/v1/deal-pipeline/"): {"200"},
    ("get", "/api/v1/deal-pipeline/{id}/"): {"200"},
    ("get", "/api/v1/courses/"): {"200"},
    ("get", "/api/v1/certifications/"): {"200"},
    ("get", "/api/v1/certification-awards/"): {"200"},
    ("get", "/api/v1/assets/"): {"200"},
    ("get", "/api/v1/tier-progress/{id}/"): {"200"},
    ("post", "/api/v1/webhook-endpoints/"): {"request", "201"},
    ("get", "/api/v1/webhook-endpoints/{id}/deliveries/"): {"200"},
    # The 201 answer too, once its `claim` (null until a claim is made) is documented nullable.
    ("post", "/api/v1/mdf-requests/"): {"request"},
}


@cache
def document() -> dict:
    """The document as served (through JSON: what a client parses)."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    return json.loads(json.dumps(generator.get_schema(request=None, public=True)))


def as_json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema (2020-12): `nullable` becomes a null alternative, and an
    object with properties and no `additionalProperties` admits no other field (an example
    with a stale or misspelt field fails)."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        if "type" in node and not any(k in node for k in ("allOf", "oneOf", "anyOf", "$ref")):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            return {"anyOf": [node, {"type": "null"}]}
    return node


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value


@FORMATS.checks("date", raises=ValueError)
def _date(value) -> bool:
    return not isinstance(value, str) or bool(datetime.date.fromisoformat(value))


@FORMATS.checks("date-time", raises=ValueError)
def _datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.datetime.fromisoformat(value).tzinfo is not None  # with its offset


@FORMATS.checks("email", raises=Exception)
def _email(value) -> bool:
    if isinstance(value, str):
        EmailValidator()(value)
    return True


@FORMATS.checks("uri")
def _uri(value) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


def examples() -> list[tuple[str, str, str, str, dict, object]]:
    """(method, path, where: "request" or a status code, name, schema, value) of every example
    in the document."""
    found = []
    for path, operations in document()["paths"].items():
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            places = [("request", operation.get("requestBody", {}))]
            places += list(operation.get("responses", {}).items())
            for where, body in places:
                for media in body.get("content", {}).values():
                    for name, example in media.get("examples", {}).items():
                        found.append((method, path, where, name, media["schema"], example))
    return found


def validate(schema: dict, value) -> None:
    root = as_json_schema(schema)
    root["components"] = as_json_schema(document()["components"])
    jsonschema.Draft202012Validator(root, format_checker=FORMATS).validate(value)


def test_the_partner_journey_has_examples_in_the_document():
    shown: dict[tuple[str, str], set[str]] = {}
    for method, path, where, _name, _schema, _example in examples():
        shown.setdefault((method, path), set()).add(where)
    for (method, path), wanted in PARTNER_JOURNEY.items():
        missing = wanted - shown.get((method, path), set())
        assert not missing, f"{method.upper()} {path} has no example for {sorted(missing)}"


@pytest.mark.parametrize(
    "method, path, where, name, schema, example",
    examples(),
    ids=[f"{m.upper()} {p} {w} {n}" for m, p, w, n, _s, _e in examples()],
)
def test_every_example_is_valid_against_its_schema(method, path, where, name, schema, example):
    assert set(example) <= {"value", "summary", "description"}, example
    value = example["value"]
    try:
        validate(schema, value)
    except jsonschema.ValidationError as error:
        at = "/".join(str(part) for part in error.absolute_path) or "(the body)"
        pytest.fail(f"{method.upper()} {path} {where} example {name!r} at {at}: {error.message}")
    component = schema.get("$ref", "").rsplit("/", 1)[-1]
    if component.startswith("Paginated"):
        # One page (drf-spectacular wraps each row example in the paginator's example page),
        # not a page inside a page.
        assert set(value) == {"next", "previous", "results"}
        assert value["results"] and not {"next", "results"} <= set(value["results"][0])
        for link in (value["next"], value["previous"]):
            assert link is None or link.startswith(HOST + "/api/v1/"), link


def test_the_validation_refuses_what_it_should():
    """The checker itself: a wrong type, a stale field, a bad UUID and a missing required field
    are refused; null where the schema says nullable is accepted."""
    me = {"$ref": "#/components/schemas/Me"}
    good = {
        "email": None,
        "tenant": "acme",
        "role": "partner_sales",
        "partner_organization": "dc95f789-1be8-417f-ab08-a09240bccd4d",
        "via_api_key": True,
    }
    validate(me, good)
    for bad in (
        {**good, "via_api_key": "yes"},
        {**good, "stale_field": 1},
        {**good, "partner_organization": "not-a-uuid"},
        {k: v for k, v in good.items() if k != "tenant"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(me, copy.deepcopy(bad))
