"""The field app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

`field:sync` takes POSTs only (GET: 405 for everyone); who may POST, and the JSON answers of
those who may not (401 signed out, 403 without a pillar's own account), is tested in
pilar/field/tests/test_permissions.py."""

PAGES = {
    "field:sync": lambda role: 405,
}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people) -> dict:
    return {"pages": {}}
