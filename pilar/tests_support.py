"""Helpers shared by tests (not a test module)."""

from django.test import Client

PASSWORD = "correct-horse-battery"  # noqa: S105 (test users only)


def login(client: Client, user, password: str = PASSWORD) -> None:
    """Sign `client` in as `user` (a User or a username)."""
    username = getattr(user, "username", user)
    assert client.login(username=username, password=password), f"cannot log in as {username}"


def run_task_worker() -> None:
    """Process the queued background tasks as `pilar serve`'s worker does, then return."""
    from django.core.management import call_command

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
