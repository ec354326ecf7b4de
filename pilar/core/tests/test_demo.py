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
