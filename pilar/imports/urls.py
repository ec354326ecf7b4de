from django.urls import path

from pilar.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("upload/", views.import_upload, name="upload"),
    path("template.xlsx", views.import_template, name="template"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/sheet/", views.import_sheet, name="sheet"),
    path("<int:pk>/mapping/", views.import_mapping, name="mapping"),
    path("<int:pk>/commit/", views.import_commit, name="commit"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
    path("<int:pk>/rejected.xlsx", views.import_rejected, name="rejected"),
]
