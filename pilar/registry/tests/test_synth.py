import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pilar.accounts.models import Role
from pilar.lib.nik import validate_nik
from pilar.registry.headcount import headcount
from pilar.registry.models import Assignment, Person


def test_synth_refuses_without_confirmation(monkeypatch, reference):
    monkeypatch.delenv("PILAR_ALLOW_SYNTH", raising=False)
    with pytest.raises(CommandError, match="PILAR_ALLOW_SYNTH"):
        call_command("synth", people=10, stdout=io.StringIO())


def test_synth_builds_a_consistent_registry_and_resets(make_user, people, monkeypatch):
    monkeypatch.setenv("PILAR_ALLOW_SYNTH", "1")
    real = Person.objects.count()
    real_duties = Assignment.objects.count()
    call_command(
        "synth",
        people=3000,
        provinces=2,
        cities=2,
        kecamatan=3,
        kelurahan=4,
        stdout=io.StringIO(),
    )
    assert Person.objects.count() == 3000 + real
    for person in Person.objects.order_by("?")[:50]:
        validate_nik(person.nik, birth_date=person.birth_date, sex=person.sex)
    day = datetime.date(2025, 6, 30)
    admin = make_user("synth-admin", Role.ADMIN)
    hc = headcount(as_of=day, user=admin)
    assert hc.total == Assignment.objects.active_on(day).count()  # real people included
    assert sum(r.total for r in hc.by_kecamatan) == hc.total
    assert 0 < Assignment.objects.filter(end_date__lt=day).count() < 3000 * 0.2
    with pytest.raises(CommandError):
        call_command("synth", people=10, stdout=io.StringIO())  # refuses without --reset
    call_command("synth", people=0, reset=True, stdout=io.StringIO())
    assert Person.objects.count() == real  # the reset removed only what synth made
    assert Assignment.objects.count() == real_duties
