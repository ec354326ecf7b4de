from django.urls import path

from pilar.dtsen import views

app_name = "dtsen"
urlpatterns = [
    path("", views.extract_list, name="list"),
    path("upload/", views.extract_upload, name="upload"),
    path("households.xlsx", views.households_extract, name="households-extract"),
    path("<int:pk>/", views.extract_detail, name="detail"),
    path("<int:pk>/progress/", views.extract_progress, name="progress"),
    path("<int:pk>/sheet/", views.extract_sheet, name="sheet"),
    path("<int:pk>/mapping/", views.extract_mapping, name="mapping"),
    path("<int:pk>/decisions/", views.extract_decide, name="decide"),
    path("<int:pk>/commit/", views.extract_commit, name="commit"),
    path("<int:pk>/undo/", views.extract_undo, name="undo"),
    path("<int:pk>/rejected.xlsx", views.extract_rejected, name="rejected"),
]
