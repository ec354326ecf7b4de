import io

import pytest
from django.core.management import call_command

from pilar.accounts.models import User
from pilar.registry.models import Person


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
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "--reset" in again.getvalue()
    assert Person.objects.count() == people
    # The same seed gives the same people.
    names = list(Person.objects.order_by("nik").values_list("nik", "name")[:20])
    call_command("demo", reset=True, password="another-pass-1", stdout=io.StringIO())
    assert list(Person.objects.order_by("nik").values_list("nik", "name")[:20]) == names
    assert User.objects.get(username="kepala").check_password("another-pass-1")


@pytest.mark.django_db(transaction=True)
def test_demo_casework_covers_every_kelurahan_sector_and_report_state():
    import datetime

    from pilar.casework.models import Activity, Caseload, Household, MonthlyReport
    from pilar.kube.models import KubeGroup
    from pilar.regions.models import Area
    from pilar.tagana.models import Deployment

    call_command("demo", password="demo-pass-1", stdout=io.StringIO())
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
        states = set(
            MonthlyReport.objects.filter(month=datetime.date(2024, month, 1)).values_list(
                "status", flat=True
            )
        )
        assert {"submitted", "verified", "returned"} <= states, month
    assert MonthlyReport.objects.filter(status="reopened").exists()
    assert KubeGroup.objects.count() >= 26
    assert Activity.objects.filter(kube_group__isnull=False).exists()
    assert Deployment.objects.count() >= 2
