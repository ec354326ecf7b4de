"""Verivali's pages and API routes in the permission matrix (see
pilar/core/tests/test_permissions.py).

The office's pages: the rounds are followed by the office's staff and the coordinators (each
seeing the figures of their own area), opened, assigned, closed and exported by the admin and
operator only.

The records: a round over kelurahan 13.75.01.1001 (kecamatan A) running today, a household
there accompanied by a1 (the `pillar` user), and a1's finding on it with a photo, waiting for
review. Recording is for users with a pillar record of their own (`pillar`, and `coordinator_a`,
a TKSK; the visit is not theirs: 404); the review is for the office and the coordinators,
coordinator_b seeing nothing of kecamatan A (the photo: 404)."""

from __future__ import annotations

STAFF = {"admin", "operator", "approver", "finance"}
RECORD = {"pillar", "coordinator_a"}
REVIEW = {"admin", "operator", "coordinator_a", "coordinator_b"}


def record(role):
    return 200 if role in RECORD else 403


def visit_of_a1(role):
    if role == "pillar":
        return 200
    return 404 if role == "coordinator_a" else 403


def review(role):
    return 200 if role in REVIEW else 403


def photo(role):
    if role in {"admin", "operator", "coordinator_a", "pillar"}:
        return 200
    return 404 if role in STAFF | {"coordinator_b"} else 403


def post_only(role):
    return 405


def follow(role):
    return 200 if role in STAFF | {"coordinator_a", "coordinator_b"} else 403


def run(role):
    return 200 if role in {"admin", "operator"} else 403


def write(allowed: set, hidden: set = frozenset()):
    """A write the service refuses (400) for those allowed; 404 where the record is out of the
    caller's scope; 403 for roles without the right."""
    return lambda role: 400 if role in allowed else 404 if role in hidden else 403


PAGES = {
    "verivali:my": record,
    "verivali:visit": visit_of_a1,
    "verivali:propose": record,
    "verivali:review": review,
    "verivali:finding-accept": post_only,
    "verivali:finding-return": post_only,
    "verivali:finding-photo": photo,
    "verivali:round-list": follow,
    "verivali:round-create": run,
    "verivali:round-detail": follow,
    "verivali:round-visits": follow,
    "verivali:round-close": post_only,
    "verivali:round-results": run,
    "verivali:visit-assign": run,
}
API_READ = {
    # A pillar's app lists the rounds (names and periods) to know which are open.
    "/api/v1/verivali/rounds": lambda role: 200 if role == "pillar" else follow(role),
    "/api/v1/verivali/rounds/{round_id}/progress": follow,
}
API_WRITE = {
    # Moved, without saying where to.
    ("POST", "/api/v1/verivali/visits/{visit_id}/finding"): (
        {"kind": "moved", "visited_on": "2026-01-01", "version": 1},
        # coordinator_a sees the visit (their kecamatan) but it is not theirs to record.
        write({"pillar", "coordinator_a"}),
    ),
    # A version the finding no longer has.
    ("POST", "/api/v1/verivali/findings/{finding_id}/accept"): (
        {"version": 999},
        write({"admin", "operator", "coordinator_a"}, {"coordinator_b"}),
    ),
    # Returned without a note.
    ("POST", "/api/v1/verivali/findings/{finding_id}/return"): (
        {"version": 1, "note": ""},
        write({"admin", "operator", "coordinator_a"}, {"coordinator_b"}),
    ),
}


def setup(actors, people) -> dict:
    import datetime
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from PIL import Image

    from pilar.audit.services import Actor
    from pilar.casework import services as casework
    from pilar.regions.models import Area
    from pilar.verivali import services

    by = Actor.system()
    kelurahan = Area.objects.get(code="13.75.01.1001")
    household = casework.household_create(
        by=by,
        data={"kk_number": "1375011501209101", "area": kelurahan, "address": "Jl. Verivali"},
        head={"name": "Pak Verivali", "sex": "L"},
    )
    today = timezone.localdate()
    casework.caseload_assign(
        by=by,
        household=household,
        person=people["a1"],
        start_date=today - datetime.timedelta(days=40),
    )
    round = services.round_open(
        by=Actor(user=actors["operator"]),
        data={
            "name": "Verivali matriks",
            "period_start": today - datetime.timedelta(days=5),
            "period_end": today + datetime.timedelta(days=5),
            "areas": [kelurahan],
        },
    )
    visit = round.visits.get(household=household)
    out = io.BytesIO()
    Image.new("RGB", (200, 150), (90, 140, 200)).save(out, "JPEG")
    finding = services.finding_record(
        by=Actor(user=actors["pillar"]),
        visit=visit,
        data={"kind": "confirmed", "visited_on": today},
        photo=SimpleUploadedFile("IMG.jpg", out.getvalue(), content_type="image/jpeg"),
    )
    return {
        "pages": {
            "verivali:visit": f"/verivali/visits/{visit.pk}/",
            "verivali:propose": f"/verivali/rounds/{round.pk}/propose/",
            "verivali:finding-accept": f"/verivali/findings/{finding.pk}/accept/",
            "verivali:finding-return": f"/verivali/findings/{finding.pk}/return/",
            "verivali:finding-photo": f"/verivali/findings/{finding.pk}/photo/",
            "verivali:round-detail": f"/verivali/{round.pk}/",
            "verivali:round-visits": f"/verivali/{round.pk}/visits/",
            "verivali:round-close": f"/verivali/{round.pk}/close/",
            "verivali:round-results": f"/verivali/{round.pk}/results.xlsx",
            "verivali:visit-assign": f"/verivali/visits/{visit.pk}/assign/",
        },
        "api": {
            "{round_id}": round.pk,
            "{visit_id}": visit.pk,
            "{finding_id}": finding.pk,
        },
        "finding": finding,
    }


def unchanged(made) -> None:
    """The refused writes changed nothing: the finding still waits, as recorded."""
    finding = made["finding"]
    finding.refresh_from_db()
    assert (finding.status, finding.kind, finding.version) == ("submitted", "confirmed", 1)
