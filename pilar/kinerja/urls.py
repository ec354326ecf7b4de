from django.urls import path

from pilar.kinerja import views

app_name = "kinerja"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.mine, name="mine"),
]
