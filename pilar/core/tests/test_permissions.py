"""The permission matrix: every page and every API route, with every role.

A new URL must be added to the tables below, or to its app's `tests/matrix.py`, or
`test_every_url_is_in_the_matrix` fails. An app's matrix module holds:
- `PAGES`: URL name → rule(role) giving the expected status of a GET;
- `API_READ`: API path → rule(role) for a GET;
- `API_WRITE`: (method, path) → (JSON body, rule(role)); a body the service refuses, so an
  allowed role gets 400 and nothing changes;
- `setup(actors, people)` → {"pages": {URL name: path}, "api": {"{placeholder}": value}} for
  the records the routes need, and optionally `unchanged(made)` asserting the writes changed
  nothing (`made["counts"]` holds what `counts()` returned once every matrix had set up, for
  matrices whose tables other matrices also fill);
- optionally `PUBLIC`: URL names and API paths open without signing in, whose rule holds for
  anonymous visitors too.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from pilar.accounts.tests import matrix as accounts_matrix
from pilar.backups.tests import matrix as backups_matrix
from pilar.casework.tests import matrix as casework_matrix
from pilar.core.api import api
from pilar.dashboard.tests import matrix as dashboard_matrix
from pilar.dtsen.tests import matrix as dtsen_matrix
from pilar.equipment.tests import matrix as equipment_matrix
from pilar.field.tests import matrix as field_matrix
from pilar.kinerja.tests import matrix as kinerja_matrix
from pilar.kube.tests import matrix as kube_matrix
from pilar.notices.tests import matrix as notices_matrix
from pilar.outcomes.tests import matrix as outcomes_matrix
from pilar.publik.tests import matrix as publik_matrix
from pilar.stipends.tests import matrix as stipends_matrix
from pilar.stipends.tests import matrix_person as stipends_person_matrix
from pilar.tagana.tests import matrix as tagana_matrix
from pilar.tests_support import PASSWORD
from pilar.trainings.tests import matrix as trainings_matrix
from pilar.trainings.tests import matrix_certificates as certificates_matrix
from pilar.verivali.tests import matrix as verivali_matrix

APP_MATRICES = [
    accounts_matrix,
    backups_matrix,
    casework_matrix,
    dashboard_matrix,
    outcomes_matrix,
    dtsen_matrix,
    equipment_matrix,
    field_matrix,
    kinerja_matrix,
    kube_matrix,
    notices_matrix,
    publik_matrix,
    stipends_matrix,
    stipends_person_matrix,
    tagana_matrix,
    trainings_matrix,
    certificates_matrix,
    verivali_matrix,
]

ROLES = [
    "anon",
    "admin",
    "operator",
    "approver",
    "finance",
    "coordinator_a",
    "coordinator_b",
    "pillar",
    "viewer",
    "norole",
]
STAFF = {"admin", "operator", "approver", "finance"}
EDIT = {"admin", "operator"}
PEOPLE = STAFF | {"coordinator_a", "coordinator_b", "pillar"}


def page_people(role):
    return 200 if role in PEOPLE else 403


def page_edit(role):
    return 200 if role in EDIT else 403


def page_detail_of_a1(role):
    # a1 is a PSM in kecamatan A and is the `pillar` user themself.
    if role in STAFF | {"coordinator_a", "pillar"}:
        return 200
    return 404 if role == "coordinator_b" else 403


PAGES = {
    "home": lambda role: 200 if role == "norole" else 302,
    "registry:person-list": page_people,
    "registry:person-create": page_edit,
    "registry:person-detail": page_detail_of_a1,
    "registry:person-edit": page_edit,
    # a1 has no photo: those who may see a1 get 404 (nothing to show), others 403 or 404.
    "registry:person-photo": lambda role: 404 if role in PEOPLE else 403,
    "registry:assignment-create": page_edit,
    "registry:duty-by-nik": page_edit,
    "registry:assignment-end": page_edit,
    "registry:headcount": lambda role: (
        200 if role in STAFF | {"coordinator_a", "coordinator_b", "viewer"} else 403
    ),
    "audit-list": lambda role: 200 if role == "admin" else 403,
    "office-settings": lambda role: 200 if role == "admin" else 403,
    "office-boundaries": lambda role: 200 if role == "admin" else 403,
    # A background export the admin asked for, still being written: its page is theirs only,
    # and there is nothing to download yet.
    "export-job": lambda role: 200 if role == "admin" else 404,
    "export-download": lambda role: 404,
    "imports:list": page_edit,
    "imports:upload": lambda role: 405,
    "imports:template": page_edit,
    "imports:detail": page_edit,
    "imports:progress": page_edit,
    "imports:sheet": lambda role: 405,
    "imports:mapping": lambda role: 405,
    "imports:commit": lambda role: 405,
    "imports:undo": lambda role: 405,
    "imports:rejected": page_edit,
    "accounts:login": lambda role: 302 if role != "anon" else 200,
    "accounts:logout": lambda role: 405,
    "accounts:language": lambda role: 405,
}


def walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", prefix + str(p.pattern)


def project_urls():
    return {
        name: route
        for name, route in walk(get_resolver().url_patterns)
        if not name.startswith(("admin:", "api:"))
    }


def public() -> set[str]:
    return set().union(*(getattr(matrix, "PUBLIC", set()) for matrix in APP_MATRICES))


def all_pages():
    pages = dict(PAGES)
    for matrix in APP_MATRICES:
        pages.update(matrix.PAGES)
    return pages


def test_every_url_is_in_the_matrix():
    assert set(project_urls()) == set(all_pages())


@pytest.fixture
def app_records(actors, people):
    made = {}
    for matrix in APP_MATRICES:
        made[matrix.__name__] = matrix.setup(actors, people)
    for matrix in APP_MATRICES:
        if hasattr(matrix, "counts"):
            made[matrix.__name__]["counts"] = matrix.counts()
    return made


@pytest.fixture
def batch(actors):
    """An import uploaded by the operator: its pages are for those who import."""
    from pilar.audit.services import Actor
    from pilar.imports.services import import_upload
    from pilar.imports.tests.files import template_row, upload, xlsx_bytes

    content = xlsx_bytes([template_row(nik="1375014506800001", name="Contoh")])
    return import_upload(
        by=Actor(user=actors["operator"]), upload=upload(content), filename="roster.xlsx"
    )


def url_for(name, route, people, batch=None):
    a1 = people["a1"]
    pk = a1.assignments.get(kind__code="PSM").pk if "assignment-end" in name else a1.pk
    if name.startswith("imports:") and batch is not None:
        pk = batch.pk
    path = "/" + route.replace("<int:pk>", str(pk))
    return path


def client_for(client, actors, role):
    if role != "anon":
        assert client.login(username=actors[role].username, password=PASSWORD)
    return client


@pytest.fixture
def export_job(actors):
    from pilar.audit.models import ExportJob

    return ExportJob.objects.create(
        user=actors["admin"],
        kind="casework.households",
        fmt="csv",
        status=ExportJob.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client, actors, people, batch, app_records, export_job, role):
    client = client_for(client, actors, role)
    paths = {
        "export-job": f"/exports/{export_job.pk}/",
        "export-download": f"/exports/{export_job.pk}/download/",
    }
    for made in app_records.values():
        paths.update(made.get("pages", {}))
    pages = all_pages()
    got = {}
    for name, route in project_urls().items():
        path = paths.get(name) or url_for(name, route, people, batch)
        status = client.get(path).status_code
        expected = pages[name](role)
        if role == "anon" and expected != 405 and name not in {"accounts:login", *public()}:
            expected = 302  # to the login page
        got[name] = (status, expected)
    wrong = {k: v for k, v in got.items() if v[0] != v[1]}
    assert not wrong, f"{role}: (got, expected) {wrong}"


def api_routes():
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


API_READ = {
    "/api/v1/regions": lambda role: 200,
    "/api/v1/kinds": lambda role: 200,
    "/api/v1/version": lambda role: 200,
    # Every signed-in user sees at least their own office.
    "/api/v1/offices": lambda role: 200,
    "/api/v1/people": page_people,
    "/api/v1/people/{person_id}": page_detail_of_a1,
    "/api/v1/assignments": page_people,
    "/api/v1/headcount": PAGES["registry:headcount"],
    "/api/v1/imports": page_edit,
    "/api/v1/imports/{import_id}": page_edit,
    "/api/v1/imports/{import_id}/rows": page_edit,
}
# Writes carry a schema-valid body that the service then refuses (bad NIK, end before start),
# so an allowed role gets 400 and nothing changes; a role without the right gets 403 first.
API_WRITE = {
    ("POST", "/api/v1/people"): {
        "nik": "123",
        "name": "X",
        "sex": "L",
        "birth_date": "1990-01-01",
    },
    ("PATCH", "/api/v1/people/{person_id}"): {"nik": "123"},
    ("POST", "/api/v1/assignments"): {
        "person_id": 0,
        "kind": "PSM",
        "area_code": "13.75.01",
        "start_date": "2024-01-01",
    },
    ("POST", "/api/v1/assignments/by-nik"): {
        "nik": "123",
        "name": "X",
        "kind": "PSM",
        "area_code": "13.75.01.1001",
        "start_date": "2024-01-01",
    },
    ("POST", "/api/v1/assignments/{assignment_id}/end"): {
        "end_date": "2000-01-01",
        "end_reason": "resigned",
    },
}


# Import writes, each with input the service refuses (an empty file; no NIK column; commit or
# undo of an import that was never checked).
API_IMPORT_WRITE = {
    ("POST", "/api/v1/imports"): None,
    ("POST", "/api/v1/imports/{import_id}/preview"): {"mapping": {}},
    ("POST", "/api/v1/imports/{import_id}/commit"): {"accept_warnings": True},
    ("POST", "/api/v1/imports/{import_id}/undo"): {},
}


def test_every_api_route_is_in_the_matrix():
    expected = {("GET", p) for p in API_READ} | set(API_WRITE) | set(API_IMPORT_WRITE)
    for matrix in APP_MATRICES:
        expected |= {("GET", p) for p in matrix.API_READ} | set(matrix.API_WRITE)
    assert api_routes() == expected


def fill_path(path: str, fill: dict) -> str:
    for k, v in fill.items():
        path = path.replace(k, str(v))
    return path


@pytest.mark.parametrize("role", ROLES)
def test_app_api_by_role(client, actors, people, app_records, role):
    client = client_for(client, actors, role)
    wrong = {}
    for matrix in APP_MATRICES:
        made = app_records[matrix.__name__]
        fill = made.get("api", {})
        for path, rule in matrix.API_READ.items():
            status = client.get(fill_path(path, fill)).status_code
            expected = 401 if role == "anon" and path not in public() else rule(role)
            if status != expected:
                wrong[path] = (status, expected)
        for (method, path), (body, rule) in matrix.API_WRITE.items():
            response = getattr(client, method.lower())(
                fill_path(path, fill), body, content_type="application/json"
            )
            expected = 401 if role == "anon" else rule(role)
            if response.status_code != expected:
                wrong[(method, path)] = (response.status_code, expected, response.content[:200])
            if expected == 400:
                assert response.json()["message"], (method, path)
        if hasattr(matrix, "unchanged"):
            matrix.unchanged(made)
    assert not wrong, f"{role}: (got, expected) {wrong}"


@pytest.mark.parametrize("role", ROLES)
def test_api_by_role(client, actors, people, batch, role):
    client = client_for(client, actors, role)
    a1 = people["a1"]
    fill = {
        "{person_id}": str(a1.pk),
        "{assignment_id}": str(a1.assignments.get(kind__code="PSM").pk),
        "{import_id}": str(batch.pk),
    }
    wrong = {}
    for path, rule in API_READ.items():
        url = path
        for k, v in fill.items():
            url = url.replace(k, v)
        status = client.get(url).status_code
        expected = 401 if role == "anon" else rule(role)
        if status != expected:
            wrong[path] = (status, expected)
    for (method, path), body in API_WRITE.items():
        url = path
        for k, v in fill.items():
            url = url.replace(k, v)
        if body.get("person_id") == 0:
            body = {**body, "person_id": a1.pk}
        response = getattr(client, method.lower())(url, body, content_type="application/json")
        expected = 401 if role == "anon" else (400 if role in EDIT else 403)
        if response.status_code != expected:
            wrong[(method, path)] = (response.status_code, expected)
        if expected == 400:
            assert response.json()["message"], (method, path)
    for (method, path), body in API_IMPORT_WRITE.items():
        url = path.replace("{import_id}", str(batch.pk))
        if body is None:
            empty = SimpleUploadedFile("kosong.xlsx", b"")
            response = client.post(url, {"file": empty})
        else:
            response = client.post(url, body, content_type="application/json")
        expected = 401 if role == "anon" else (400 if role in EDIT else 403)
        if response.status_code != expected:
            wrong[(method, path)] = (response.status_code, expected)
    assert not wrong, f"{role}: (got, expected) {wrong}"
    a1.refresh_from_db()
    assert a1.assignments.get(kind__code="PSM").end_date is None
    batch.refresh_from_db()
    assert batch.status == "mapping"
