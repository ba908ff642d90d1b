from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from tenancy import views as tenancy_views

handler403 = "tenancy.views_errors.handler403"
handler404 = "tenancy.views_errors.handler404"
handler500 = "tenancy.views_errors.handler500"

urlpatterns = [
    path("healthz", tenancy_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico before reading <link rel="icon">: answer, never 404.
    path("favicon.ico", tenancy_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("prm.api_urls")),
    path("", include("tenancy.urls")),
    path("", include("partners.urls")),
    path("", include("enablement.lms.urls")),
    path("", include("enablement.live.urls")),
    path("", include("enablement.certs.urls")),
    path("", include("enablement.assets.urls")),
    path("", include("onboarding.urls")),
    path("", include("dealreg.urls")),
    path("", include("mdf.urls")),
    path("", include("analytics.urls")),
    path("", include("integrations.urls")),
]

if settings.DEBUG:
    urlpatterns += [path("dev/mailbox/", tenancy_views.dev_mailbox, name="dev_mailbox")]
