from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "pilar.registry"
    label = "registry"
