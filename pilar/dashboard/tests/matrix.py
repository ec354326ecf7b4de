"""The dashboard's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

Aggregates only: every role that reads the headcount, viewers included; never a pillar. The
office's monthly reports: the readers of the whole office's figures (staff, viewers), not a
coordinator of one kecamatan."""

STAFF = {"admin", "operator", "approver", "finance"}
AGGREGATES = STAFF | {"coordinator_a", "coordinator_b", "viewer"}  # the headcount's readers
WHOLE_OFFICE = STAFF | {"viewer"}


def whole_office(role):
    return 200 if role in WHOLE_OFFICE else 403


PAGES = {
    "dashboard:home": lambda role: 200 if role in AGGREGATES else 403,
    "dashboard:monthly-list": whole_office,
    "dashboard:monthly-generate": lambda role: 405,
    "dashboard:monthly-detail": whole_office,
    "dashboard:monthly-status": whole_office,
    "dashboard:monthly-pdf": whole_office,
    "dashboard:monthly-xlsx": whole_office,
}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people) -> dict:
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from pilar.dashboard.models import MonthlyOfficeReport
    from pilar.offices import current

    report = MonthlyOfficeReport.objects.create(
        office=current(),
        month=datetime.date(2024, 9, 1),
        status="done",
        requested_at=timezone.now(),
        generated_at=timezone.now(),
    )
    report.pdf.save("matrix.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    report.xlsx.save("matrix.xlsx", ContentFile(b"PK"), save=True)
    at = f"/dashboard/reports/{report.pk}/"
    return {
        "pages": {
            "dashboard:monthly-detail": at,
            "dashboard:monthly-status": f"{at}status/",
            "dashboard:monthly-pdf": f"{at}report.pdf",
            "dashboard:monthly-xlsx": f"{at}report.xlsx",
        }
    }
