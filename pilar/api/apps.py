from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pilar.api"
    label = "api"
