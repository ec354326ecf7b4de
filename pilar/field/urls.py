from django.urls import path

from pilar.field import sync, views

app_name = "field"
urlpatterns = [
    path("", views.home, name="home"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sync/", sync.sync, name="sync"),
]
