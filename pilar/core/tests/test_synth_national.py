"""`pilar synth --national`: the country's shape, an office per synthetic kab/kota and province,
the first offices identical whatever --offices, and --reset removing the offices too."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pilar.accounts.access import is_top, top_office
from pilar.accounts.models import User
from pilar.lib.nik import validate_nik
from pilar.offices.models import Office
from pilar.regions.models import Area
from pilar.registry.models import Person


@pytest.fixture
def synth(monkeypatch, reference):
    monkeypatch.setenv("PILAR_ALLOW_SYNTH", "1")

    def run(**options):
        out = io.StringIO()
        call_command("synth", national=True, **options, stdout=out)
        return out.getvalue()

    return run


def test_the_national_plan_has_the_country_shape(synth):
    out = synth(people=0, dry_run=True)
    assert "37 provinces" in out and "13," not in out  # Sumatera Barat's code is left alone
    assert "514 kab/kota, 7,196 kecamatan, 82,754 desa" in out
    assert not Area.objects.filter(name__endswith=" [synth]").exists()  # dry run


def _first_office_people():
    return sorted(
        Person.objects.filter(residence__code__startswith="11.01.").values_list(
            "nik", "name", "birth_date", "residence__code"
        )
    )


def test_national_offices_identical_first_office_and_reset(synth):
    real_offices = set(Office.objects.values_list("pk", flat=True))
    real_areas = Area.objects.count()
    out = synth(offices=1, people=14 * 20)
    assert "1 provinces 11" in out
    kab = Area.objects.get(code="11.01")
    assert Area.objects.filter(parent=kab).count() == 14
    assert Area.objects.filter(parent__parent=kab).count() == 7 * 11 + 7 * 12
    offices = Office.objects.exclude(pk__in=real_offices)
    # the kab/kota's, its province's and the national one (none had no area)
    assert offices.count() == 3
    assert all(o.name.endswith(" [synth]") for o in offices)
    national = offices.get(area__isnull=True)
    assert top_office() == national and is_top(national)
    office = offices.get(area=kab)
    assert not is_top(office)
    one = _first_office_people()
    assert len(one) == 280
    for nik, _name, born, _code in one[:40]:
        validate_nik(nik, birth_date=born)

    # Two offices: the first one's people are the same rows.
    synth(offices=2, people=2 * 14 * 20, reset=True)
    assert _first_office_people() == one
    assert Office.objects.exclude(pk__in=real_offices).count() == 4

    # A user of a synthetic office holds it: the reset says so and deletes nothing.
    second = Office.objects.exclude(pk__in=real_offices).get(area__code="11.02")
    user = User.objects.create(username="bench-kota", office=second)
    with pytest.raises(CommandError, match="remove those first"):
        synth(people=0, reset=True)
    user.delete()
    synth(people=0, reset=True)
    assert set(Office.objects.values_list("pk", flat=True)) == real_offices
    assert Area.objects.count() == real_areas


def test_offices_out_of_range_is_refused(synth):
    with pytest.raises(CommandError, match="--offices"):
        call_command("synth", "--national", "--offices", "515", "--dry-run")
