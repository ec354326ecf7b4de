"""The public figures' rows of the permission matrix (see pilar/core/tests/test_permissions.py):
open to everyone, signed in or not, the same for every role."""


def everyone(role):
    return 200


PAGES = {
    "publik:index": everyone,
    "publik:office-of": everyone,
    "publik:data": everyone,
    "publik:data-of": everyone,
    "publik:catalog": everyone,
    "publik:dataset": everyone,
    "publik:dataset-of": everyone,
}
API_READ = {"/api/v1/public/headcount": everyone}
API_WRITE: dict = {}
PUBLIC = set(PAGES) | set(API_READ)


def setup(actors, people) -> dict:
    return {
        "pages": {
            "publik:office-of": "/publik/13.75/",
            "publik:data-of": "/publik/13.75/data/",
            "publik:dataset": "/publik/data/pilar-per-kelurahan.csv",
            "publik:dataset-of": "/publik/13.75/data/tali-kasih.json",
        }
    }
