from django.urls import path

from pilar.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("", views.home, name="home"),
]
