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
