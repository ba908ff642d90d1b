"""Onboarding URLs: each area keeps its own urlpatterns."""

from . import agreements, progress, workflow

urlpatterns = [
    *agreements.urlpatterns,
    *workflow.urlpatterns,
    *progress.urlpatterns,
]
