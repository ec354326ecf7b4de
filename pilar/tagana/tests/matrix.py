"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py)."""

PAGES: dict = {}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people) -> dict:
    return {"pages": {}, "api": {}}
