"""The permission matrix rows of a pillar's own months, one person's months and the arrears
(pilar/stipends/person_views.py; see pilar/core/tests/test_permissions.py).

`PERSON_PAGES` and `person_setup` join the stipends matrix's PAGES and setup; until then this
module serves as an app matrix of its own (PAGES, API_READ, API_WRITE, setup)."""

STAFF = {"admin", "operator", "approver", "finance"}
# Users linked to their own person record with the pillar role (coordinator_a is a TKSK).
OWN = {"pillar", "coordinator_a"}

PERSON_PAGES = {
    "stipends:mine": lambda role: 200 if role in OWN else 403,
    # a1 serves in kecamatan A; every stipend grant of the standard cast is office-wide.
    "stipends:person": lambda role: 200 if role in STAFF else 403,
    "stipends:arrears": lambda role: 200 if role in STAFF else 403,
    "stipends:confirm-account": lambda role: 405,
}


def person_setup(actors, people) -> dict:
    return {
        "pages": {
            "stipends:person": f"/stipends/people/{people['a1'].pk}/",
            "stipends:confirm-account": f"/stipends/people/{people['a1'].pk}/confirm-account/",
        }
    }


PAGES = PERSON_PAGES
API_READ: dict = {}
API_WRITE: dict = {}
setup = person_setup
