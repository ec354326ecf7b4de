from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pilar.accounts"
    label = "accounts"
