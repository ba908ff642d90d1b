"""Deal-registration API: each area registers its viewsets."""

from . import disputes, extensions, lockview, pipeline, registration, reports, routing


def register(router) -> None:
    for area in (registration, lockview, disputes, pipeline, reports, routing, extensions):
        area.register(router)
