"""Deal-registration URLs: each area keeps its own urlpatterns."""

from . import (
    decisions,
    disputes,
    extensions,
    lockview,
    pipeline,
    registration,
    reports,
    routing,
    rules,
)

urlpatterns = [
    *registration.urlpatterns,
    *pipeline.urlpatterns,
    *decisions.urlpatterns,
    *rules.urlpatterns,
    *lockview.urlpatterns,
    *disputes.urlpatterns,
    *reports.urlpatterns,
    *routing.urlpatterns,
    *extensions.urlpatterns,
]
