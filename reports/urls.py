from .views import alerts, dashboards, exports, pay, tables, tiers

app_name = "reports"

urlpatterns = (
    pay.urlpatterns
    + tiers.urlpatterns
    + exports.urlpatterns
    + tables.urlpatterns
    + alerts.urlpatterns
    + dashboards.urlpatterns
)
