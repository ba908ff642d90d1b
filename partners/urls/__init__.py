"""Partner-program URLs: each area keeps its own urlpatterns."""

from . import applications, imports, ipp, organization, program, roe, strategy, tiers

urlpatterns = [
    *organization.urlpatterns,
    *applications.urlpatterns,
    *program.urlpatterns,
    *ipp.urlpatterns,
    *tiers.urlpatterns,
    *roe.urlpatterns,
    *strategy.urlpatterns,
    *imports.urlpatterns,
]
