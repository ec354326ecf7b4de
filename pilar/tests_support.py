"""Helpers shared by tests (not a test module)."""

from django.test import Client


def login(client: Client, username: str, password: str) -> None:
    assert client.login(username=username, password=password), f"cannot log in as {username}"
