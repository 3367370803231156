from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("org/", views.org_tree, name="org_tree"),
    path("territories/<int:pk>/", views.territory_detail, name="territory_detail"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("people/", views.people, name="people"),
    path(
        "people/<int:pk>/password-reset/",
        views.person_password_reset,
        name="person_password_reset",
    ),
    path("initial-codes/", views.code_sheets, name="code_sheets"),
    path("initial-codes/<int:pk>/download/", views.code_sheet_download, name="code_sheet_download"),
]
