from django.urls import path, re_path

from pilar.publik import views

app_name = "publik"
# An office by its area's Kemendagri code (13.75, a kota; 13, a province).
CODE = r"(?P<code>[0-9]{2}(?:\.[0-9]{2})?)"
urlpatterns = [
    path("", views.index, name="index"),
    path("data/", views.data_index, name="data"),
    path("data/catalog.json", views.catalog, name="catalog"),
    path("data/<slug:slug>.<str:fmt>", views.dataset_file, name="dataset"),
    re_path(rf"^{CODE}/$", views.office_page, name="office-of"),
    re_path(rf"^{CODE}/data/$", views.data_index, name="data-of"),
    re_path(
        rf"^{CODE}/data/(?P<slug>[-a-zA-Z0-9_]+)\.(?P<fmt>[a-z]+)$",
        views.dataset_file,
        name="dataset-of",
    ),
]
