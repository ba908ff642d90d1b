from drf_spectacular.generators import SchemaGenerator

from ..context import tenant_context
from ..models import Tenant


class TenantAgnosticSchemaGenerator(SchemaGenerator):
    """Builds the OpenAPI schema inside a tenant that owns no rows.

    Introspection (django-filter, serializers) builds querysets through the scoped managers; an
    unsaved tenant lets it do so without any tenant's data being reachable.
    """

    def get_schema(self, request=None, public=False):
        with tenant_context(Tenant(name="schema", slug="schema")):
            return super().get_schema(request=request, public=public)


# Every operation can answer these, with a JSON body: {"detail": "..."} (with extra keys for
# some refusals, e.g. a locked benefit's missing steps) or, for invalid input, the fields'
# messages {"field": ["..."]}.
ERROR_RESPONSES = {
    "400": "The input is not valid: each field's messages, or `detail`.",
    "401": "No valid credentials (API key or session).",
    "403": "The key's role or scope does not allow this.",
    "404": "Not found in this tenant (or not visible to this key).",
    "429": "Too many requests: wait as many seconds as `Retry-After` says.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    },
    "additionalProperties": True,
    "description": "An error: `detail`, or each invalid field's messages.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: the error answers every operation can give are in
    the schema (a client, and the API's property test, can rely on the document)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                answer = responses.setdefault(code, {"description": description})
                answer.setdefault("content", {"application/json": {"schema": reference}})
    return result
