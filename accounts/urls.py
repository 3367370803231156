from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("org/", views.org_tree, name="org_tree"),
    path("territories/<int:pk>/", views.territory_detail, name="territory_detail"),
]
