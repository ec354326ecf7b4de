"""The DTSEN extract import's rows of the permission matrix (see
pilar/core/tests/test_permissions.py): every page and API route is for those who import
(Capability.IMPORTS: admin and operator).

The record: an extract uploaded by the operator, not yet mapped. Every write carries input the
service refuses, so an allowed role gets 400 and the import stays as it was."""

EDIT = {"admin", "operator"}


def edit(role):
    return 200 if role in EDIT else 403


def post_only(role):
    return 405


PAGES = {
    "dtsen:list": edit,
    "dtsen:upload": edit,
    "dtsen:households-extract": edit,
    "dtsen:detail": edit,
    "dtsen:progress": edit,
    "dtsen:rejected": edit,
    "dtsen:sheet": post_only,
    "dtsen:mapping": post_only,
    "dtsen:decide": post_only,
    "dtsen:commit": post_only,
    "dtsen:undo": post_only,
}

API_READ = {
    "/api/v1/household-imports": edit,
    "/api/v1/household-imports/{extract_id}": edit,
    "/api/v1/household-imports/{extract_id}/households": edit,
}


def refused(role):
    return 400 if role in EDIT else 403


API_WRITE = {
    # A JSON body where the file belongs: the request's form is wrong for everyone (422), before
    # any right is looked at (the upload's rights: pilar/dtsen/tests/test_api.py).
    ("POST", "/api/v1/household-imports"): ({}, lambda role: 422),
    # No KK, name, relation or kelurahan column.
    ("POST", "/api/v1/household-imports/{extract_id}/preview"): (
        {"mapping": {"A": "nik"}, "as_of": "2025-06-30"},
        refused,
    ),
    # Not checked yet: nothing to decide, save or undo.
    ("POST", "/api/v1/household-imports/{extract_id}/decisions"): (
        {"decisions": {"1": "keep"}},
        refused,
    ),
    ("POST", "/api/v1/household-imports/{extract_id}/commit"): ({"accept_valid": True}, refused),
    ("POST", "/api/v1/household-imports/{extract_id}/undo"): ({}, refused),
}


def setup(actors, people) -> dict:
    from pilar.audit.services import Actor
    from pilar.casework.models import Household
    from pilar.dtsen import services
    from pilar.dtsen.tests.web_support import extract_bytes, make_family, upload

    household = make_family()
    batch = services.extract_upload(
        by=Actor(user=actors["operator"]),
        upload=upload(extract_bytes(Household.objects.filter(pk=household.pk))),
        filename="dtsen.xlsx",
    )
    pk = batch.pk
    return {
        "batch": pk,
        "pages": {
            "dtsen:detail": f"/dtsen/{pk}/",
            "dtsen:progress": f"/dtsen/{pk}/progress/",
            "dtsen:rejected": f"/dtsen/{pk}/rejected.xlsx",
            "dtsen:sheet": f"/dtsen/{pk}/sheet/",
            "dtsen:mapping": f"/dtsen/{pk}/mapping/",
            "dtsen:decide": f"/dtsen/{pk}/decisions/",
            "dtsen:commit": f"/dtsen/{pk}/commit/",
            "dtsen:undo": f"/dtsen/{pk}/undo/",
        },
        "api": {"{extract_id}": pk},
    }


def unchanged(made) -> None:
    from pilar.dtsen.models import HouseholdImport

    batch = HouseholdImport.objects.get(pk=made["batch"])
    assert batch.status == HouseholdImport.Status.MAPPING
    assert not batch.households.exists() and not batch.rows.exists()
