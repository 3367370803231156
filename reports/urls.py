from .views import alerts, exports, pay, tiers

app_name = "reports"

urlpatterns = pay.urlpatterns + tiers.urlpatterns + exports.urlpatterns + alerts.urlpatterns
