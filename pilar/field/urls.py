from django.urls import path  # noqa: F401 (the views come with issue 22)

app_name = "field"
urlpatterns: list = []
