"""The outcomes page's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

Aggregates only: every role that reads the headcount, viewers included; never a pillar."""

STAFF = {"admin", "operator", "approver", "finance"}
AGGREGATES = STAFF | {"coordinator_a", "coordinator_b", "viewer"}  # the headcount's readers

PAGES = {
    "outcomes:home": lambda role: 200 if role in AGGREGATES else 403,
}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people) -> dict:
    return {}
