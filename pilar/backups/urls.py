from django.urls import path

from pilar.backups import views

app_name = "backups"
urlpatterns = [
    path("", views.backup_list, name="list"),
    path("now/", views.backup_now, name="now"),
    path("<str:name>", views.backup_download, name="download"),
]
