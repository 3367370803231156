from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from accounts import views as accounts_views
from assessment import api as assessment_api
from reports import api as reports_api
from retailers import api as retailers_api
from visits import api as visits_api

router = DefaultRouter()
accounts_api.register(router)
retailers_api.register(router)
visits_api.register(router)
assessment_api.register(router)
reports_api.register(router)

admin.site.site_header = _("Customer manager system administration")
admin.site.site_title = _("Customer manager system")

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("login/", accounts_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("", include("retailers.urls")),
    path("", include("visits.urls")),
    path("", include("assessment.urls")),
    path("", include("reports.urls")),
    path("", include("health.urls")),
    path("", include("jobs.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

handler404 = "config.openapi.not_found"

# Nothing under MEDIA_ROOT is served as such, in any mode: see accounts/private_files.py.
