from .views import exports, pay, tiers

app_name = "reports"

urlpatterns = pay.urlpatterns + tiers.urlpatterns + exports.urlpatterns
