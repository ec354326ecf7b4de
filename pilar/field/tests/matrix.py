"""The field app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

`field:sync` takes POSTs only (GET: 405 for everyone); who may POST, and the JSON answers of
those who may not (401 signed out, 403 without a pillar's own account), is tested in
pilar/field/tests/test_permissions.py."""

PAGES = {
    "field:sync": lambda role: 405,
    # The outbox: pillars with a person of their own (the coordinator of A is also a PSM).
    "field:home": lambda role: 200 if role in {"pillar", "coordinator_a"} else 403,
    # The service worker and the manifest are public: a browser fetches them without cookies.
    "field:sw": lambda role: 200,
    "field:manifest": lambda role: 200,
}
PUBLIC = {"field:sw", "field:manifest"}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people) -> dict:
    return {"pages": {}}
