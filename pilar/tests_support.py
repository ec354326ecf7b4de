"""Helpers shared by tests (not a test module)."""

from django.test import Client

PASSWORD = "correct-horse-battery"  # noqa: S105 (test users only)


def login(client: Client, user, password: str = PASSWORD) -> None:
    """Sign `client` in as `user` (a User or a username)."""
    username = getattr(user, "username", user)
    assert client.login(username=username, password=password), f"cannot log in as {username}"
