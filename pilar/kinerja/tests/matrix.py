"""Kinerja's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The office's performance is read by every role that reads the headcount (viewers by area only);
a pillar has their own page instead, which answers only a user who is a pillar."""

STAFF = {"admin", "operator", "approver", "finance"}
AGGREGATES = STAFF | {"coordinator_a", "coordinator_b", "viewer"}  # the headcount's readers
WITH_PILLAR_RECORD = {"coordinator_a", "pillar"}  # coordinator_b is no pillar

PAGES = {
    "kinerja:home": lambda role: 200 if role in AGGREGATES else 403,
    "kinerja:mine": lambda role: 200 if role in WITH_PILLAR_RECORD else 404,
}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people) -> dict:
    return {}
