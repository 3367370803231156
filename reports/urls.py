from .views import alerts, exports, pay, tables, tiers

app_name = "reports"

urlpatterns = (
    pay.urlpatterns
    + tiers.urlpatterns
    + exports.urlpatterns
    + tables.urlpatterns
    + alerts.urlpatterns
)
