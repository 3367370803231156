from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("assessment/my-score/", views.my_score, name="my_score"),
    path("assessment/scores/<int:pk>/", views.score_detail, name="score_detail"),
    path("assessment/ranking/", views.ranking, name="ranking"),
    path("assessment/inspect/", views.inspect, name="inspect"),
    path("assessment/inspections/", views.inspection_list, name="inspections"),
    path("assessment/inspections/<int:pk>/appeal/", views.appeal_file, name="appeal_file"),
    path("assessment/visits/<int:pk>/appeal/", views.appeal_visit, name="appeal_visit"),
    path(
        "assessment/information/<int:pk>/appeal/",
        views.appeal_info_item,
        name="appeal_info_item",
    ),
    path("assessment/inspections/<int:pk>/photo/", views.inspection_photo, name="inspection_photo"),
    path("assessment/appeals/", views.appeal_list, name="appeals"),
    path("assessment/appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("assessment/months/", views.months, name="months"),
    path("assessment/adjustments/", views.adjustments, name="adjustments"),
    path("assessment/coverage/", views.coverage, name="coverage"),
    path("assessment/audit/", views.audit, name="audit"),
]
