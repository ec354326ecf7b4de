"""The permission matrix across offices (docs/OFFICE.md, "Many offices"; issue 20).

The app matrices' records (`setup(actors, people)` of each pilar/*/tests/matrix.py, and the
registry's people, an import and an export of pilar/core/tests/test_permissions.py) are made
in Bukittinggi's office (13.75). Then:

- users of another office (Kota Padang Panjang, 13.74: admin, operator, approver, finance, a
  coordinator over 13.74.01, a pillar serving in 13.74.01.1001) request every page and API
  route: a path carrying a Bukittinggi record's id answers 404 (or 403 where the role lacks
  the capability), never anything else — a POST-only page is posted to, a write sent with the
  matrices' bodies; a list answers without any Bukittinggi record's name; and the writes
  change nothing (each matrix's `unchanged`);
- users of the province hosting both (admin, viewer) send every write, page and API: 403.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from pilar.accounts.models import Role
from pilar.core.tests.test_permissions import (
    API_IMPORT_WRITE,
    API_READ,
    API_WRITE,
    APP_MATRICES,
    fill_path,
    project_urls,
    public,
    url_for,
)
from pilar.stipends.models import StipendRate

pytestmark = pytest.mark.django_db

# The apps whose records a matrix makes; their rows' names must not reach another office.
RECORD_APPS = [
    "registry",
    "casework",
    "kube",
    "tagana",
    "stipends",
    "trainings",
    "equipment",
    "dtsen",
    "verivali",
    "imports",
]
NAME_FIELDS = {"name", "title", "head_name", "number", "kk_number", "event_title", "filename"}
# Pages whose writes are about the user's own session, not an office's records.
# The user's own session and browser: signing in and out, the language, web push on this
# browser (docs/NOTICES.md, "Web push"): any user's, whatever their office.
OWN_SESSION = {
    "accounts:login",
    "accounts:logout",
    "accounts:language",
    "accounts:push-key",
    "accounts:push-subscribe",
    "accounts:push-unsubscribe",
}
# What the province's own users do by design (docs/OFFICE.md, "Many offices"): edit the
# hosting office's own settings; back up the installation (its administrator, the top office);
# print a batch's payment list or receipts to read them (a copy of what it may see, with NIKs
# masked: docs/STIPENDS.md, "Many offices"), which changes nothing of the batch.
PROVINCE_OWN = {"office-settings", "backups:now", "stipends:batch-print"}
# A user's own notices (docs/NOTICES.md): marking one's own read or unread, or all of them, is
# the province's users' own business too; another user's notice is a 404 (the app's tests).
USER_OWN = {"notices:read", "notices:unread", "notices:read-all", "notices:settings"}
PROVINCE_OWN_API = re.compile(r"^/api/v1/stipends/batches/\d+/print$")
OK_FOR_ANOTHER_OFFICE = {403, 404}
# Writes naming no record that another office may make for itself (checked: in its own office).
OWN_OFFICE_CREATES = {("POST", "/api/v1/stipends/rates"): StipendRate}


def record_models():
    for label in RECORD_APPS:
        yield from apps.get_app_config(label).get_models()


def named_rows() -> dict[tuple[str, int], list[str]]:
    found = {}
    for model in record_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if f.name in NAME_FIELDS and isinstance(f, models.CharField)
        ]
        if not fields:
            continue
        for row in model.objects.values("pk", *fields):
            texts = [row[f] for f in fields if row[f] and len(row[f]) >= 5]
            if texts:
                found[(model._meta.label, row["pk"])] = texts
    return found


@pytest.fixture
def baseline(reference, office, other_office):
    """The rows every installation holds before any office records anything (reference data:
    kinds, categories, activity types)."""
    return set(named_rows())


@pytest.fixture
def bkt_records(actors, people):
    """Every app matrix's records, as test_permissions makes them: Bukittinggi's."""
    made = {}
    for matrix in APP_MATRICES:
        made[matrix.__name__] = matrix.setup(actors, people)
    for matrix in APP_MATRICES:
        if hasattr(matrix, "counts"):
            made[matrix.__name__]["counts"] = matrix.counts()
    return made


@pytest.fixture
def bkt_import(actors):
    from pilar.audit.services import Actor
    from pilar.imports.services import import_upload
    from pilar.imports.tests.files import template_row, upload, xlsx_bytes

    content = xlsx_bytes([template_row(nik="1375014506800001", name="Contoh")])
    return import_upload(
        by=Actor(user=actors["operator"]), upload=upload(content), filename="roster.xlsx"
    )


@pytest.fixture
def bkt_export(actors):
    from pilar.audit.models import ExportJob

    return ExportJob.objects.create(
        user=actors["admin"],
        kind="casework.households",
        fmt="csv",
        status=ExportJob.Status.RUNNING,
        heartbeat_at=timezone.now(),
    )


@pytest.fixture
def bkt_names(baseline, bkt_records, bkt_import, bkt_export, people):
    """The names (people, households, groups, events, trainings, items, documents' numbers)
    of Bukittinggi's records, read before any user of another office exists."""
    names = set()
    for key, texts in named_rows().items():
        if key not in baseline:
            names.update(texts)
    assert "Ani Kecamatan A" in names and "Pak Matriks" in names
    return names


def page_paths(people, bkt_import, bkt_records, bkt_export):
    """Every page (URL name → (path, whether it carries a record's id))."""
    given = {
        "export-job": f"/exports/{bkt_export.pk}/",
        "export-download": f"/exports/{bkt_export.pk}/download/",
    }
    for made in bkt_records.values():
        given.update(made.get("pages", {}))
    paths = {}
    for name, route in project_urls().items():
        path = given.get(name) or url_for(name, route, people, bkt_import)
        paths[name] = (path, "<" in route)
    return paths


def api_reads(people, bkt_import, bkt_records):
    """Every API GET: (filled path, whether it carries a record's id)."""
    a1 = people["a1"]
    core = {
        "{person_id}": a1.pk,
        "{assignment_id}": a1.assignments.get(kind__code="PSM").pk,
        "{import_id}": bkt_import.pk,
    }
    reads = [(fill_path(p, core), "{" in p) for p in API_READ]
    for matrix in APP_MATRICES:
        fill = bkt_records[matrix.__name__].get("api", {})
        reads += [(fill_path(p, fill), "{" in p) for p in matrix.API_READ if p not in public()]
    return reads


def api_writes(people, bkt_import, bkt_records):
    """Every API write: (method, filled path, body, whether the path carries a record's id);
    a body of None is the import's upload (a file)."""
    a1 = people["a1"]
    core = {
        "{person_id}": a1.pk,
        "{assignment_id}": a1.assignments.get(kind__code="PSM").pk,
        "{import_id}": bkt_import.pk,
    }
    writes = []
    for (method, path), body in API_WRITE.items():
        if body.get("person_id") == 0:
            body = {**body, "person_id": a1.pk}
        writes.append((method, fill_path(path, core), body, "{" in path))
    for (method, path), body in API_IMPORT_WRITE.items():
        writes.append((method, fill_path(path, core), body, "{" in path))
    for matrix in APP_MATRICES:
        fill = bkt_records[matrix.__name__].get("api", {})
        for (method, path), (body, rule) in matrix.API_WRITE.items():
            if rule("admin") == 422:
                body = None  # an upload: the matrix's JSON body is refused before any right
            writes.append((method, fill_path(path, fill), body, "{" in path))
    return writes


def send(client, method, path, body):
    if body is None:
        return client.post(path, {"file": SimpleUploadedFile("kosong.xlsx", b"")})
    return getattr(client, method.lower())(path, body, content_type="application/json")


def leaked(response, names: set[str]) -> list[str]:
    """The Bukittinggi names in `response` (a page, JSON, a CSV; a file's packed contents,
    such as an XLSX, are not read)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode(errors="replace")
    return sorted(n for n in names if n in text)


def unchanged(bkt_records) -> dict:
    wrong = {}
    for matrix in APP_MATRICES:
        if hasattr(matrix, "unchanged"):
            try:
                matrix.unchanged(bkt_records[matrix.__name__])
            except AssertionError as exc:
                wrong[f"{matrix.__name__}.unchanged"] = str(exc)[:300]
    return wrong


OTHER_OFFICE_ROLES = ["admin", "operator", "approver", "finance", "coordinator", "pillar"]


@pytest.fixture
def other_office_user(make_user, make_person, make_assignment, other_office):
    def make(role: str):
        if role == "coordinator":
            return make_user("pp-tksk", Role.COORDINATOR, area="13.74.01", office=other_office)
        if role == "pillar":
            person = make_person("Putri Padang Panjang", kelurahan="13.74.01.1001")
            make_assignment(person, "PSM", "13.74.01.1001")
            return make_user("pp-psm", Role.PILLAR, person=person, office=other_office)
        return make_user(f"pp-{role}", role, office=other_office)

    return make


@pytest.mark.parametrize("role", OTHER_OFFICE_ROLES)
def test_another_office_reaches_no_record_of_bukittinggi(
    client,
    baseline,
    bkt_records,
    bkt_import,
    bkt_export,
    bkt_names,
    people,
    other_office_user,
    role,
):
    client.force_login(other_office_user(role))
    wrong = {}
    pages = page_paths(people, bkt_import, bkt_records, bkt_export)
    # Not vacuous: most routes carry a record's id.
    assert sum(has_id for _path, has_id in pages.values()) > 100
    for name, (path, has_id) in pages.items():
        if name in public() or name in OWN_SESSION:
            continue
        response = client.get(path)
        if has_id:
            if response.status_code == 405:
                response = client.post(path, {})
            if response.status_code not in OK_FOR_ANOTHER_OFFICE:
                wrong[name] = (path, response.status_code)
        elif response.status_code == 200 and leaked(response, bkt_names):
            wrong[name] = (path, leaked(response, bkt_names))
    for path, has_id in api_reads(people, bkt_import, bkt_records):
        response = client.get(path)
        if has_id and response.status_code not in OK_FOR_ANOTHER_OFFICE:
            wrong[("GET", path)] = response.status_code
        elif response.status_code == 200 and leaked(response, bkt_names):
            wrong[("GET", path)] = leaked(response, bkt_names)
    for method, path, body, has_id in api_writes(people, bkt_import, bkt_records):
        response = send(client, method, path, body)
        status = response.status_code
        if (method, path) in OWN_OFFICE_CREATES and status == 201:
            # The matrix's body is refused in Bukittinggi (its rate overlaps); another office
            # has no rate yet, so the same body sets up that office's own.
            made = OWN_OFFICE_CREATES[(method, path)].objects.get(pk=response.json()["id"])
            if made.office_id == bkt_records["pilar.stipends.tests.matrix"]["rate"].office_id:
                wrong[(method, path)] = "created in Bukittinggi's office"
            continue
        if (has_id and status not in OK_FOR_ANOTHER_OFFICE) or status < 400 or status >= 500:
            wrong[(method, path)] = (status, response.content[:200])
        elif leaked(response, bkt_names):
            wrong[(method, path)] = leaked(response, bkt_names)
    wrong.update(unchanged(bkt_records))
    assert not wrong, f"{role} of another office: {wrong}"


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_the_province_acts_on_nothing(
    client, baseline, bkt_records, bkt_import, bkt_export, people, make_user, province_office, role
):
    client.force_login(make_user(f"prov-{role}", role, office=province_office))
    wrong = {}
    for name, (path, _has_id) in page_paths(people, bkt_import, bkt_records, bkt_export).items():
        if name in public() or name in OWN_SESSION | PROVINCE_OWN | USER_OWN:
            continue
        get = client.get(path).status_code
        response = client.post(path, {})
        # A write page (a form, or a POST-only action) refuses the province; a page that only
        # reads answers a POST as it answers a GET, or 405.
        if response.status_code not in {403, 405} and (get == 405 or response.status_code != get):
            wrong[name] = (path, get, response.status_code)
    for method, path, body, _has_id in api_writes(people, bkt_import, bkt_records):
        if PROVINCE_OWN_API.match(path):
            continue
        response = send(client, method, path, body)
        if response.status_code != 403:
            wrong[(method, path)] = (response.status_code, response.content[:200])
    wrong.update(unchanged(bkt_records))
    assert not wrong, f"province {role}: {wrong}"
