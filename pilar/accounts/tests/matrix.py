"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

Web push (docs/NOTICES.md, "Web push"): any signed-in user may turn notifications on for their
own browser; subscribing and unsubscribing take a POST only (a signed-out POST gets 401 JSON,
tested in test_push.py)."""

PAGES = {
    "accounts:push-key": lambda role: 200,
    "accounts:push-subscribe": lambda role: 405,
    "accounts:push-unsubscribe": lambda role: 405,
}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people):
    return {}
