from django.urls import path

from pilar.field import sync

app_name = "field"
urlpatterns = [
    path("sync/", sync.sync, name="sync"),
]
