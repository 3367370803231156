from django.urls import path

from . import views
from .import_views import import_urlpatterns

app_name = "retailers"

urlpatterns = [
    path("retailers/", views.retailer_list, name="list"),
    path("retailers/<int:pk>/", views.retailer_detail, name="detail"),
    path("retailers/<int:pk>/override/", views.retailer_override, name="override"),
    path("territories/<int:pk>/register.xlsx", views.territory_register, name="register"),
]

urlpatterns += import_urlpatterns
