"""The certificates' rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The records: a training event with a1 (the `pillar` user, a PSM in kecamatan A) certified, and
a finished print of the event. coordinator_a sees the certificate, coordinator_b does not
(404); viewers and users without a role have no training capability (403). Printing is the
office's job (TRAININGS_EDIT). The public verification page and its API are open to everyone,
anonymous included (`PUBLIC`).
"""

from __future__ import annotations

STAFF = {"admin", "operator", "approver", "finance"}
EDIT = {"admin", "operator"}
VIEW = STAFF | {"coordinator_a", "coordinator_b", "pillar"}


def view(role):
    return 200 if role in VIEW else 403


def certificate_of_a1(role):
    if role in STAFF | {"coordinator_a", "pillar"}:
        return 200
    return 404 if role == "coordinator_b" else 403


def post_only(role):
    return 405


def page_edit(role):
    return 200 if role in EDIT else 403


def write(role):
    return 400 if role in EDIT else 403


def everyone(role):
    return 200


PAGES = {
    "trainings:certificate-list": view,
    "trainings:certificate-expiring": view,
    "trainings:certificate-mine": view,
    "trainings:certificate-detail": certificate_of_a1,
    "trainings:certificate-pdf": certificate_of_a1,
    "trainings:certificate-revoke": post_only,
    "trainings:certificate-issue": post_only,
    "trainings:certificate-issue-event": post_only,
    "trainings:certificate-print-event": post_only,
    "trainings:certificate-print-status": page_edit,
    "trainings:certificate-print-file": page_edit,
    "certificate-verify": everyone,
    "certificate-verify-form": everyone,
}
API_READ = {
    "/api/v1/certificates": view,
    "/api/v1/certificates/{certificate_id}": certificate_of_a1,
    "/api/v1/certificates/verify/{code}": everyone,
}
# Bodies the service refuses: an unknown participant or event, a revocation without a reason.
API_WRITE = {
    ("POST", "/api/v1/certificates"): ({"participant_id": 0}, write),
    ("POST", "/api/v1/certificates/issue-for-event"): ({"event_id": 0}, write),
    ("POST", "/api/v1/certificates/{certificate_id}/revoke"): ({"reason": " "}, write),
}
PUBLIC = {"certificate-verify", "certificate-verify-form", "/api/v1/certificates/verify/{code}"}


def setup(actors, people) -> dict:
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from pilar.audit.services import Actor
    from pilar.trainings.certificates.services import certificate_issue
    from pilar.trainings.models import CertificatePrint
    from pilar.trainings.tests.certificate_support import enrol, make_event

    event = make_event("Pelatihan Matriks")
    participant = enrol(event, people["a1"])
    certificate = certificate_issue(by=Actor.system(), participant=participant)
    job = CertificatePrint.objects.create(
        event=event, status="done", total=1, done=1, finished_at=timezone.now()
    )
    job.file.save("matrix.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    on_event = f"/trainings/events/{event.pk}/certificates"
    return {
        "pages": {
            "trainings:certificate-detail": f"/trainings/certificates/{certificate.pk}/",
            "trainings:certificate-pdf": f"/trainings/certificates/{certificate.pk}/pdf/",
            "trainings:certificate-revoke": f"/trainings/certificates/{certificate.pk}/revoke/",
            "trainings:certificate-issue": f"/trainings/participants/{participant.pk}/certificate/",
            "trainings:certificate-issue-event": f"{on_event}/issue/",
            "trainings:certificate-print-event": f"{on_event}/print/",
            "trainings:certificate-print-status": f"/trainings/certificate-prints/{job.pk}/",
            "trainings:certificate-print-file": f"/trainings/certificate-prints/{job.pk}/file/",
            "certificate-verify": f"/c/{certificate.code}/",
        },
        "api": {"{certificate_id}": certificate.pk, "{code}": certificate.code},
        "certificate": certificate,
    }


def unchanged(made) -> None:
    from pilar.trainings.models import Certificate

    certificate = made["certificate"]
    certificate.refresh_from_db()
    assert certificate.revoked_at is None and certificate.revoke_reason == ""
    assert Certificate.objects.count() == 1
