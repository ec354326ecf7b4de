import datetime

import pytest
import time_machine

from pilar.audit.services import Actor
from pilar.casework.models import MonthlyReport
from pilar.offices.services import remembered
from pilar.registry.models import PillarKind
from pilar.stipends import services
from pilar.stipends.models import FundingSource
from pilar.tests_support import english_messages

D = datetime.date
JULY, AUGUST, SEPTEMBER, OCTOBER = D(2024, 7, 1), D(2024, 8, 1), D(2024, 9, 1), D(2024, 10, 1)
RATES = {"PSM": 400_000, "TKSK": 400_000, "TAGANA": 200_000, "PENDAMPING_KUBE": 300_000}


english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.fixture(autouse=True)
def november_2024():
    """Stipend tests run on 20 November 2024: July–October are over, October is reported."""
    with time_machine.travel(datetime.datetime(2024, 11, 20, 10, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def rates(office, system_actor):
    # Bukittinggi's rates and ceiling, whichever office is at the top by then (a test adding
    # the province office above it: docs/OFFICE.md, "Many offices").
    with remembered(office=office):
        return office_rates(system_actor)


def office_rates(system_actor):
    made = {}
    for code, amount in RATES.items():
        made[code] = services.stipend_rate_create(
            by=system_actor,
            kind=PillarKind.objects.get(code=code),
            amount=amount,
            valid_from=D(2024, 1, 1),
            funding_source=FundingSource.APBD,
        )
    services.budget_set(
        by=system_actor, year=2024, funding_source=FundingSource.APBD, amount=100_000_000
    )
    return made


@pytest.fixture
def banked(people):
    """Everyone in `people` has a bank account."""
    for n, person in enumerate(people.values()):
        person.bank_name, person.bank_account, person.bank_holder = (
            "Bank Nagari",
            f"1100{n:06d}",
            person.name,
        )
        person.save()
    return people


def report(person, month, status="verified", kind="PSM"):
    """A monthly report in `status` (set up directly: the casework tests cover its workflow)."""
    duty = person.assignments.get(kind__code=kind)
    return MonthlyReport.objects.create(
        person=person,
        kind=duty.kind,
        area=duty.area,
        month=month,
        status=status,
        summary={"activities": 1, "households": 1, "by_sector": {}, "by_type": {}},
        return_reason="Lengkapi" if status == "returned" else "",
    )


@pytest.fixture
def by(actors):
    """Actors acting through the services, one per role."""
    return {name: Actor(user=user) for name, user in actors.items()}


def drafted(by, *people, months=(JULY,), kinds=("PSM",)):
    """A draft batch of `months` and `kinds`, `people` each with a verified report for them."""
    for person in people:
        for month in months:
            report(person, month)
    return services.stipend_batch_draft(
        by=by["operator"],
        first_month=min(months),
        last_month=max(months),
        kinds=list(PillarKind.objects.filter(code__in=kinds)),
    )


def approved(by, *people, **options):
    """`drafted(...)`, then verified by finance and approved: the recipients are frozen."""
    batch = services.stipend_batch_verify(by=by["finance"], batch=drafted(by, *people, **options))
    return services.stipend_batch_approve(by=by["approver"], batch=batch)


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """A batch's background jobs run as they are queued, inside the test's transaction
    (test_jobs.py runs them through the real database backend and its worker)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def download(client, batch, url: str, what: str) -> bytes:
    """Print a batch document through the page (the job runs at once here), then download it
    from `url` (nominatif.pdf, receipts.pdf) as a user would."""
    client.post(f"/stipends/batches/{batch.pk}/print/", {"what": what})
    response = client.get(f"/stipends/batches/{batch.pk}/{url}")
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def confirmed(batch, **fields) -> dict:
    """The body of an irreversible step's form: the tick, and the summary the page showed
    (the batch's waiting lines and their total, as they are now)."""
    from django.db.models import Count, Sum

    found = batch.lines.filter(status="pending").aggregate(n=Count("pk"), t=Sum("amount"))
    return {"confirm": "yes", "lines": found["n"], "total": found["t"] or 0, **fields}
