"""Casework's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The records: a household of kecamatan A accompanied by a1 (the `pillar` user), a1's activity
and a1's report, submitted and verified. coordinator_a is in their kecamatan, coordinator_b
is not."""

from pilar.audit.services import Actor
from pilar.casework import report_services, services
from pilar.casework.models import ActivityType, Household, MonthlyReport
from pilar.lib.months import previous_month
from pilar.regions.models import Area

STAFF = {"admin", "operator", "approver", "finance"}
VIEW = STAFF | {"coordinator_a", "coordinator_b", "pillar"}
EDIT = {"admin", "operator", "coordinator_a", "coordinator_b"}
RECORD = {"pillar", "coordinator_a"}  # users linked to their own person record


def view(role):
    return 200 if role in VIEW else 403


def of_a1(role):
    """A record of kecamatan A that belongs to a1."""
    if role in STAFF | {"coordinator_a", "pillar"}:
        return 200
    return 404 if role == "coordinator_b" else 403


def edit_household(role):
    if role in {"admin", "operator", "coordinator_a"}:
        return 200
    return 404 if role == "coordinator_b" else 403


def post_only(role):
    return 405


PAGES = {
    "casework:household-list": view,
    "casework:household-create": lambda role: 200 if role in EDIT else 403,
    "casework:household-detail": of_a1,
    "casework:household-edit": edit_household,
    "casework:member-add": post_only,
    "casework:note-add": post_only,
    "casework:member-leave": post_only,
    "casework:caseload-assign": post_only,
    "casework:caseload": view,
    "casework:caseload-reassign": post_only,
    "casework:caseload-end": post_only,
    "casework:activity-list": view,
    "casework:activity-create": lambda role: 200 if role in RECORD else 403,
    "casework:activity-detail": of_a1,
    "casework:activity-photo": of_a1,
    "casework:activity-cancel": post_only,
    "casework:follow-up-done": post_only,
    "casework:follow-ups": view,
    "casework:report-status": view,
    # Aggregates: the headcount's readers, viewers included.
    "casework:summary": lambda role: (
        200 if role in STAFF | {"coordinator_a", "coordinator_b", "viewer"} else 403
    ),
    # Users without a person record of their own are sent to the status table.
    "casework:my-reports": lambda role: 200 if role in RECORD else (302 if role in VIEW else 403),
    "casework:report-submit": post_only,
    "casework:report-detail": of_a1,
    "casework:report-verify": post_only,
    "casework:report-return": post_only,
    "casework:report-reopen": post_only,
}


def write(allowed: set[str], hidden: set[str] = frozenset()):
    """A write whose body the service refuses: 400 for `allowed`, 404 where the record is out
    of scope, 403 for the rest."""
    return lambda role: 400 if role in allowed else (404 if role in hidden else 403)


API_READ = {
    "/api/v1/households": view,
    "/api/v1/households/{household_id}": of_a1,
    "/api/v1/activities": view,
    "/api/v1/follow-ups": view,
    "/api/v1/reports/status": view,
    "/api/v1/reports/{report_id}": of_a1,
}
HOUSEHOLD_EDIT = {"admin", "operator", "coordinator_a"}
API_WRITE = {
    # A KK number of 3 digits.
    ("POST", "/api/v1/households"): (
        {"kk_number": "123", "area_code": "13.75.01.1001", "address": "x"},
        write(EDIT),
    ),
    # A second head of household.
    ("POST", "/api/v1/households/{household_id}/members"): (
        {"name": "Kepala Kedua", "sex": "L", "relation": "head"},
        write(HOUSEHOLD_EDIT, {"coordinator_b"}),
    ),
    # Nobody with id 0.
    ("POST", "/api/v1/households/{household_id}/caseload"): (
        {"person_id": 0, "start_date": "2024-01-02"},
        write(HOUSEHOLD_EDIT, {"coordinator_b"}),
    ),
    # A day before anyone served.
    ("POST", "/api/v1/activities"): (
        {"date": "2000-01-03", "activity_type": "HOME_VISIT"},
        write(RECORD),
    ),
    # A month in the future.
    ("POST", "/api/v1/reports"): ({"kind": "PSM", "month": "2099-01-01"}, write(RECORD)),
    # The report is verified already: nothing more to verify, return or reopen without reason.
    ("POST", "/api/v1/reports/{report_id}/verify"): (
        {},
        write({"coordinator_a"}, {"coordinator_b"}),
    ),
    ("POST", "/api/v1/reports/{report_id}/return"): (
        {"reason": ""},
        write({"coordinator_a"}, {"coordinator_b"}),
    ),
    ("POST", "/api/v1/reports/{report_id}/reopen"): (
        {"reason": ""},
        write({"admin", "operator"}),
    ),
}


def _photo():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 60)).save(out, "JPEG")
    return SimpleUploadedFile("kunjungan.jpg", out.getvalue(), content_type="image/jpeg")


def setup(actors, people) -> dict:
    by = Actor.system()
    a1 = people["a1"]
    household = services.household_create(
        by=by,
        data={
            "kk_number": "1375011501209001",
            "area": Area.objects.get(code="13.75.01.1001"),
            "address": "Jl. Matriks",
        },
        head={"name": "Pak Matriks", "sex": "L"},
    )
    last_month = previous_month(services.today())
    services.caseload_assign(by=by, household=household, person=a1, start_date=last_month)
    activity = services.activity_record(
        by=Actor(user=actors["pillar"]),
        person=a1,
        photo=_photo(),
        data={
            "date": last_month,
            "activity_type": ActivityType.objects.get(code="HOME_VISIT"),
            "households": [household],
        },
    )
    report = report_services.report_submit(
        by=Actor(user=actors["pillar"]), person=a1, kind=activity.kind, month=last_month
    )
    report_services.report_verify(by=Actor(user=actors["coordinator_a"]), report=report)
    member = household.members.get()
    pages = {
        "casework:household-detail": f"/households/{household.pk}/",
        "casework:household-edit": f"/households/{household.pk}/edit/",
        "casework:member-add": f"/households/{household.pk}/members/",
        "casework:note-add": f"/households/{household.pk}/notes/",
        "casework:caseload-assign": f"/households/{household.pk}/caseload/",
        "casework:member-leave": f"/members/{member.pk}/leave/",
        "casework:caseload-end": f"/caseloads/{household.caseloads.get().pk}/end/",
        "casework:activity-detail": f"/activities/{activity.pk}/",
        "casework:activity-photo": f"/activities/{activity.pk}/photo/",
        "casework:activity-cancel": f"/activities/{activity.pk}/cancel/",
        "casework:follow-up-done": f"/activities/{activity.pk}/follow-up-done/",
        "casework:report-detail": f"/reports/{report.pk}/",
        "casework:report-verify": f"/reports/{report.pk}/verify/",
        "casework:report-return": f"/reports/{report.pk}/return/",
        "casework:report-reopen": f"/reports/{report.pk}/reopen/",
    }
    api = {
        "{household_id}": household.pk,
        "{activity_id}": activity.pk,
        "{report_id}": report.pk,
    }
    return {"pages": pages, "api": api, "report": report, "household": household}


def unchanged(made) -> None:
    report = MonthlyReport.objects.get(pk=made["report"].pk)
    assert report.status == "verified"
    household = Household.objects.get(pk=made["household"].pk)
    assert household.members.count() == 1
