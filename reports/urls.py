from django.urls import path

from . import views
from .export_views import export_urlpatterns
from .tier_views import tier_urlpatterns

app_name = "reports"

urlpatterns = [
    path("pay/mine/", views.my_pay, name="my_pay"),
    path("pay/runs/", views.pay_run, name="pay_run"),
    path("pay/what-if/", views.what_if, name="what_if"),
]

urlpatterns += tier_urlpatterns + export_urlpatterns
