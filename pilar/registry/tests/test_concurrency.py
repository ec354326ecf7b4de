"""Two operators give the last TKSK place of a kecamatan at the same moment: one wins."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from pilar.audit.services import Actor
from pilar.regions.models import Area
from pilar.registry import services
from pilar.registry.models import Assignment, PillarKind


@pytest.mark.django_db(transaction=True)
def test_concurrent_tksk_appointments_respect_the_quota(make_person):
    candidates = [make_person(f"Calon {i}") for i in range(2)]
    kind = PillarKind.objects.get(code="TKSK")
    kecamatan = Area.objects.get(code="13.75.02")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def appoint(person):
        try:
            barrier.wait(timeout=10)
            services.assignment_create(
                by=Actor.system(),
                person=person,
                kind=kind,
                area=kecamatan,
                start_date=datetime.date(2024, 1, 2),
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        except Exception as exc:  # a lock error would be a failure of the rule's enforcement
            outcomes.append(f"error: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=appoint, args=(p,)) for p in candidates]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert Assignment.objects.filter(kind=kind, area=kecamatan).count() == 1
