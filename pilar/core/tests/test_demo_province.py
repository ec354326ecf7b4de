"""`pilar demo --province` (pilar/core/province_demo.py): Bukittinggi's story unchanged in its
own office, Sumatera Barat's 19 kab/kota as offices under the province's, two kota paying and
training their own pillars, and the province seeing without acting. The demo is loaded once for
the module (it takes a while) and every test reads it inside its own transaction."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from pilar.accounts.access import hosts_others, is_top, office_of
from pilar.accounts.models import User
from pilar.core.province_demo import PROGRAMMES, SYNTHETIC
from pilar.offices.models import Office
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person
from pilar.stipends.demo import RATES as BUKITTINGGI_RATES
from pilar.stipends.models import StipendBatch, StipendRate
from pilar.tests_support import login
from pilar.trainings.models import Certificate, TrainingEvent

D = datetime.date
PASSWORD = "demo-pass-province-1"
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
# The first day the demo may be loaded (pilar/core/tests/test_demo.py): the output is the same
# whatever the date.
FIRST_DAY = datetime.datetime(2025, 12, 1, 8, tzinfo=datetime.UTC)
STORY = {"PSM": 300, "TAGANA": 31, "PENDAMPING_KUBE": 26, "TKSK": 3}


@pytest.fixture(scope="module")
def output(django_db_setup, django_db_blocker, tmp_path_factory):
    traveller = time_machine.travel(FIRST_DAY, tick=True)
    traveller.start()
    out = io.StringIO()
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(
                PASSWORD_HASHERS=[MD5], MEDIA_ROOT=tmp_path_factory.mktemp("demo-province")
            ),
        ):
            call_command("demo", province=True, password=PASSWORD, stdout=out)
        yield out.getvalue()
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
        traveller.stop()


# Loads the whole demo: on PostgreSQL beside the browser tests (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.demo_load]


def kota_batch(code: str) -> StipendBatch:
    return StipendBatch.objects.get(title__endswith=f"Kota {Area.objects.get(code=code).name}")


def test_the_province_holds_twenty_offices_from_the_public_list(output):
    offices = Office.objects.select_related("area")
    assert offices.count() == 20
    province = offices.get(area__code="13")
    assert province.name == "Dinas Sosial Provinsi Sumatera Barat"
    assert is_top(province) and hosts_others(province)
    cities = offices.exclude(pk=province.pk)
    assert sorted(o.area.code for o in cities) == [
        *(f"13.{n:02d}" for n in range(1, 13)),
        *(f"13.{n}" for n in range(71, 78)),
    ]
    assert Area.objects.get(code="13.09").label == "Kab. Kepulauan Mentawai"
    assert Area.objects.get(code="13.74.02.1008").name == "Balai-balai"
    assert Area.objects.filter(code__startswith="13.76.", level=Area.Level.KELURAHAN).count() == 47
    # The kota with generated data say so; the others hold none yet.
    for spec in PROGRAMMES:
        assert cities.get(area__code=spec.code).name.endswith(SYNTHETIC)
    empty = cities.exclude(area__code__in=["13.74", "13.75", "13.76"])
    assert empty.count() == 16
    assert not Assignment.objects.filter(area__code__regex=r"^13\.(0[1-9]|1[0-2]|7[1237])").exists()
    assert "prov-admin" in output and "padangpanjang-bendahara" in output


def test_bukittinggi_counts_360_for_its_admin_and_the_province(client, output):
    bukittinggi = Office.objects.get(area__code="13.75")
    for name in ("admin", "operator", "kepala", "bendahara", "viewer", "tksk-137501"):
        assert User.objects.get(username=name).office == bukittinggi, name
    login(client, "admin", PASSWORD)
    counted = client.get("/api/v1/headcount", {"as_of": "2024-10-22"}).json()
    assert counted["total"] == 360
    assert {k: n for k, n in counted["by_kind"].items() if n} == STORY
    # The province's administrator sees every office; Bukittinggi's rows still make 360.
    client.logout()
    login(client, "prov-admin", PASSWORD)
    counted = client.get("/api/v1/headcount", {"as_of": "2024-10-22"}).json()
    in_bukittinggi = {}
    for row in counted["by_kecamatan"]:
        if row["code"] == "13.75" or row["code"].startswith("13.75."):
            for kind, n in row["by_kind"].items():
                in_bukittinggi[kind] = in_bukittinggi.get(kind, 0) + n
    assert {k: n for k, n in in_bukittinggi.items() if n} == STORY
    assert counted["total"] == Assignment.objects.active_on(D(2024, 10, 22)).count() > 360
    client.logout()
    login(client, "prov-viewer", PASSWORD)
    viewed = client.get("/api/v1/headcount", {"as_of": "2024-10-22"}).json()
    assert viewed["total"] == counted["total"]


def test_each_kota_pays_its_own_people_at_its_own_rates(output):
    for spec in PROGRAMMES:
        office = Office.objects.get(area__code=spec.code)
        batch = kota_batch(spec.code)
        assert (batch.status, batch.first_month, batch.last_month) == (
            "paid",
            D(2025, 7, 1),
            D(2025, 9, 1),
        )
        assert batch.office == office
        lines = batch.lines.all()
        assert lines.count() > 3 * 30
        assert not lines.exclude(status="paid").exists()
        assert (
            not lines.exclude(area__code__startswith=spec.code + ".")
            .exclude(area__code=spec.code)
            .exists()
        )
        assert not lines.exclude(person__residence__code__startswith=spec.code + ".").exists()
        for code, amount in spec.rates.items():
            assert set(lines.filter(kind__code=code).values_list("amount", flat=True)) == {amount}
            assert amount != BUKITTINGGI_RATES[code]
        assert set(
            StipendRate.objects.filter(office=office).values_list("kind__code", "amount")
        ) == set(spec.rates.items())
        # Its training: everyone present passed and holds a certificate.
        event = TrainingEvent.objects.get(
            course__name__endswith=f"Kota {office.area.name}", start_date=spec.training_day
        )
        present = event.participants.filter(attendance__isnull=False).distinct()
        assert present.count() == event.participants.count() - spec.absent
        assert Certificate.objects.filter(participant__event=event).count() == present.count()
        assert not event.participants.exclude(
            person__residence__code__startswith=spec.code
        ).exists()
    people = Person.objects.filter(residence__code__startswith="13.74.")
    assert people.count() > 30
    assert not people.exclude(address__endswith=SYNTHETIC).exists()


def test_the_province_sees_the_kota_batches_and_may_not_move_money(client, output):
    login(client, "prov-admin", PASSWORD)
    assert office_of(User.objects.get(username="prov-admin")).area.code == "13"
    draft = StipendBatch.objects.filter(status="draft").first()
    assert client.post(f"/stipends/batches/{draft.pk}/verify/").status_code == 403
    assert client.post(f"/api/v1/stipends/batches/{draft.pk}/verify").status_code == 403
    assert StipendBatch.objects.get(pk=draft.pk).status == "draft"
    for spec in PROGRAMMES:
        batch = kota_batch(spec.code)
        assert client.get(f"/stipends/batches/{batch.pk}/").status_code == 200
        assert client.post(f"/stipends/batches/{batch.pk}/verify/").status_code == 403


def test_an_office_reaches_no_batch_of_another(client, output):
    login(client, "operator", PASSWORD)
    for spec in PROGRAMMES:
        batch = kota_batch(spec.code)
        assert client.get(f"/stipends/batches/{batch.pk}/").status_code == 404
        assert client.get(f"/api/v1/stipends/batches/{batch.pk}").status_code == 404
    client.logout()
    login(client, "padangpanjang-operator", PASSWORD)
    assert client.get(f"/stipends/batches/{kota_batch('13.76').pk}/").status_code == 404
    assert client.get(f"/stipends/batches/{kota_batch('13.74').pk}/").status_code == 200
