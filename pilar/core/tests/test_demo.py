import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from pilar.accounts.models import User
from pilar.registry.models import Person

# Loads the whole demo: on PostgreSQL beside the browser tests (scripts/test.sh).
pytestmark = pytest.mark.demo_load

# The demo continues to the day it is loaded (README): these tests load it on the first day it
# may be (its fixed story ends in November 2025), so they neither grow nor change with the date.
FIRST_DAY = time_machine.travel(datetime.datetime(2025, 12, 1, 8, tzinfo=datetime.UTC), tick=True)


@FIRST_DAY
@pytest.mark.django_db(
    transaction=True
)  # flush (--reset) cannot run inside a test transaction on PostgreSQL
def test_demo_prints_a_generated_password_once_and_refuses_to_load_twice():
    out = io.StringIO()
    call_command("demo", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert "shown once" in last
    password = last.rsplit(" ", 1)[-1]
    assert User.objects.get(username="kepala").check_password(password)
    assert {"admin", "operator", "kepala", "bendahara", "viewer", "tksk-137501"} <= set(
        User.objects.values_list("username", flat=True)
    )
    people = Person.objects.count()
    if connection.vendor == "postgresql":
        # The planner knows what was loaded (a table last analyzed empty plans as if it were).
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_person'")
            assert cursor.fetchone()[0] == people
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "--reset" in again.getvalue()
    assert Person.objects.count() == people
    # The same seed gives the same people.
    names = list(Person.objects.order_by("nik").values_list("nik", "name")[:20])
    call_command("demo", reset=True, password="another-pass-1", stdout=io.StringIO())
    assert list(Person.objects.order_by("nik").values_list("nik", "name")[:20]) == names
    assert User.objects.get(username="kepala").check_password("another-pass-1")


def assert_demo_casework_and_tali_kasih_tell_the_story():
    """On the demo (loaded once for several checks by pilar/core/tests/test_demo_today.py)."""
    import datetime

    from pilar.casework.models import Activity, Caseload, Household, MonthlyReport
    from pilar.kube.models import KubeGroup
    from pilar.regions.models import Area
    from pilar.tagana.models import Deployment

    kelurahan = Area.objects.filter(level=Area.Level.KELURAHAN, code__startswith="13.75.")
    assert set(Household.objects.values_list("area", flat=True).distinct()) == set(
        kelurahan.values_list("pk", flat=True)
    )
    assert 2500 <= Household.objects.count() <= 4000
    assert Household.objects.filter(decile__isnull=True).count() == 0
    # Every PSM serving on the training day accompanies households of their own kelurahan.
    psm = Person.objects.filter(
        assignments__kind__code="PSM",
        assignments__start_date__lte=datetime.date(2024, 10, 22),
    )
    assert Caseload.objects.filter(person__in=psm).values("person").distinct().count() >= 290
    assert set(Activity.objects.values_list("sector", flat=True).distinct()) == {
        "rehabilitasi",
        "perlindungan",
        "jaminan",
        "pemberdayaan",
    }
    assert not Activity.objects.filter(date__year=2024, month__year=2023).exists()
    for month in range(7, 11):
        # Every state in July–October 2024, settled in November 2024 by the demo's continuation
        # (test_demo_today checks every state in the months still open on the loading day).
        reports = MonthlyReport.objects.filter(month=datetime.date(2024, month, 1))
        assert set(reports.values_list("status", flat=True)) == {"verified"}, month
        assert reports.filter(submit_count=2).exists(), month  # returned, then sent again
    assert MonthlyReport.objects.filter(status="reopened").exists()
    assert KubeGroup.objects.count() >= 26
    assert Activity.objects.filter(kube_group__isnull=False).exists()
    assert Deployment.objects.count() >= 2
    assert_tali_kasih_story()
    assert_trainings_and_equipment_story()


def assert_trainings_and_equipment_story():
    """22 October 2024: the 360 invited, attendance, certificates for those who passed, and one
    BAST handing a vest and a field bag to each attendee; radios to Tagana earlier, one still
    held by a member who left; stock adds up."""
    import datetime

    from pilar.equipment.models import Handover, Item
    from pilar.equipment.selectors import HoldingFilter, item_figures, returns_due
    from pilar.trainings.models import Certificate, TrainingEvent
    from pilar.trainings.selectors import required_training_missing

    day = TrainingEvent.objects.get(start_date=datetime.date(2024, 10, 22))
    assert day.participants.count() == 360
    attended = day.participants.filter(attendance__isnull=False).distinct()
    assert attended.count() == 356
    assert Certificate.objects.filter(participant__event=day).count() == 356
    bast = Handover.objects.get(training_event=day)
    assert bast.handed_on == datetime.date(2024, 10, 22)
    assert set(bast.lines.values_list("item__name", flat=True)) == {
        "Rompi Pilar Sosial",
        "Tas Lapangan",
    }
    assert bast.lines.count() == 2 * 356
    assert set(bast.lines.values_list("person", flat=True)) == set(
        attended.values_list("person", flat=True)
    )
    # The refreshers of 2022 and 2023 (the demo continued to today holds one every November).
    tagana = TrainingEvent.objects.filter(course__name="Pelatihan Tagana")
    assert tagana.filter(start_date__year__lt=2024).count() == 2
    radio = Item.objects.get(name="Radio HT")
    assert radio.handover_lines.filter(person__assignments__kind__code="TAGANA").exists()
    due = list(returns_due(None, HoldingFilter()))
    assert any(row["item__name"] == "Radio HT" for row in due)
    for figures in item_figures().values():
        assert figures.in_stock == figures.received - figures.held - figures.lost >= 0
    revoked = Certificate.objects.get(revoked_at__isnull=False)
    # ... and replaced: its holder has a new certificate in force.
    assert revoked.participant.certificates.filter(revoked_at__isnull=True).count() == 1
    # Not every PSM serving has the basic training: the requirements list has work to show.
    psm = Person.objects.filter(assignments__kind__code="PSM", assignments__end_date__isnull=True)
    kind = psm.first().assignments.filter(kind__code="PSM").first().kind
    missing = [p for p in psm.distinct()[:40] if required_training_missing(p, kind)]
    assert 0 < len(missing) < 40


def assert_tali_kasih_story():
    """2024 paid through June; July–September one batch paid on 22 October 2024 to the 360
    serving minus those blocked, at each kind's rate; October drafted in November."""
    import datetime

    from django.core.exceptions import ValidationError
    from django.db.models import Count, Sum
    from django.utils import timezone, translation

    from pilar.audit.services import Actor
    from pilar.lib.months import months_between
    from pilar.registry.models import Assignment, PillarKind
    from pilar.stipends import services
    from pilar.stipends.demo import RATES
    from pilar.stipends.eligibility import State, entitlements
    from pilar.stipends.models import StipendBatch, StipendLine

    D = datetime.date
    kinds = list(PillarKind.objects.filter(code__in=RATES))
    batches = StipendBatch.objects.count()
    q1, q2, q3, october = StipendBatch.objects.order_by("first_month")[:4]
    # January–June: two quarterly batches paid late; every month not blocked is paid.
    assert (q1.first_month, q1.last_month, q1.status, q1.paid_on) == (
        D(2024, 1, 1), D(2024, 3, 1), "paid", D(2024, 4, 29)
    )  # fmt: skip
    assert (q2.first_month, q2.last_month, q2.status, q2.paid_on) == (
        D(2024, 4, 1), D(2024, 6, 1), "paid", D(2024, 7, 30)
    )  # fmt: skip
    first_half = entitlements(
        months=list(months_between(D(2024, 1, 1), D(2024, 6, 1))), kinds=kinds
    )
    assert {e.state for e in first_half} == {State.PAID, State.BLOCKED}
    assert {tuple(e.reasons) for e in first_half if e.state == State.BLOCKED} == {("no_account",)}
    # July–September: one batch, approved and paid on the training day.
    assert (q3.first_month, q3.last_month, q3.status, q3.paid_on) == (
        D(2024, 7, 1), D(2024, 9, 1), "paid", D(2024, 10, 22)
    )  # fmt: skip
    assert timezone.localtime(q3.approved_at).date() == D(2024, 10, 22)
    assert q3.verified_at < q3.approved_at
    assert not q3.lines.exclude(status="paid").exists()
    per_kind = {
        code: (lines, total, amounts)
        for code, lines, total, amounts in q3.lines.values("kind__code")
        .annotate(n=Count("pk"), total=Sum("amount"), amounts=Count("amount", distinct=True))
        .values_list("kind__code", "n", "total", "amounts")
    }
    assert set(per_kind) == set(RATES)
    for code, (lines, total, amounts) in per_kind.items():
        assert amounts == 1 and total == lines * RATES[code], code
    assert RATES["PSM"] == RATES["TKSK"] == 400_000 and RATES["TAGANA"] == 200_000
    # 360 serving minus those blocked in every month they served, each with a reason.
    quarter = list(months_between(D(2024, 7, 1), D(2024, 9, 1)))
    found = entitlements(months=quarter, kinds=kinds)
    serving = {e.person_id for e in found}
    paid = set(q3.lines.values_list("person_id", flat=True))
    blocked = serving - paid
    assert len(serving) == Assignment.objects.active_on(D(2024, 10, 22)).count() == 360
    assert 0 < len(blocked) < 40
    reasons = {code for e in found if e.person_id in blocked for code in e.reasons}
    assert "no_account" in reasons
    assert all(e.reasons for e in found if e.state == State.BLOCKED)
    assert {e.state for e in found if e.person_id in paid} <= {State.PAID, State.BLOCKED}
    report_blocked = {e.person_id for e in found if any(r.startswith("report_") for r in e.reasons)}
    assert report_blocked & paid  # blocked for a month's report, paid for the others
    # October: drafted in November 2024, paid with the rest of the quarter in January 2025.
    assert (october.first_month, october.last_month, october.status, october.paid_on) == (
        D(2024, 10, 1), D(2024, 10, 1), "paid", D(2025, 1, 22)
    )  # fmt: skip
    assert timezone.localtime(october.created_at).date() == D(2024, 11, 19)
    # Drafting July–September again, or approving the paid batch again, adds no line.
    holding = StipendLine.objects.holding().count()
    operator = Actor(user=User.objects.get(username="operator"))
    kepala = Actor(user=User.objects.get(username="kepala"))
    with translation.override("en"):
        with pytest.raises(ValidationError, match="Nobody is eligible"):
            services.stipend_batch_draft(
                by=operator, first_month=D(2024, 7, 1), last_month=D(2024, 9, 1), kinds=kinds,
                year=2024, arrears_from=D(2024, 1, 1),
            )  # fmt: skip
        with pytest.raises(ValidationError, match="now"):
            services.stipend_batch_approve(by=kepala, batch=q3)
    assert StipendLine.objects.holding().count() == holding
    assert StipendBatch.objects.count() == batches
