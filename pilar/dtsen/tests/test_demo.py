"""The demo's DTSEN extract (pilar/dtsen/demo.py): the demo's households are created by importing
it, and the same file checked again finds every household unchanged. The whole demo takes a
minute to load: `assert_demo_extract_is_kept_and_checks_again` runs on the demo loaded once per
day by pilar/core/tests/test_demo_today.py; the test here imports the demo's families alone."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from faker import Faker

from pilar.accounts.models import User
from pilar.audit.services import Actor
from pilar.casework.demo import CaseworkDemo
from pilar.casework.models import DecileRecord, Household, HouseholdMember
from pilar.dtsen import services
from pilar.dtsen.demo import EXTRACT_NAME, DemoExtract, recheck_demo_extract
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.registry.reference import ensure_reference_data
from pilar.tests_support import english_messages
from pilar.verivali.models import Finding

english = pytest.fixture(autouse=True, name="english")(english_messages)

SEED = 20241022  # the demo's (pilar/core/management/commands/demo.py)
CHANGING_KINDS = {"corrected", "moved", "deceased", "split", "better_off"}


def counts(batch: HouseholdImport) -> dict:
    households = batch.summary["households"]
    return {k: v for k, v in households.items() if v}


@pytest.mark.django_db
def test_the_demo_families_imported_from_their_extract_then_checked_again_all_unchanged():
    ensure_reference_data()
    fake = Faker("id_ID")
    fake.seed_instance(SEED)
    by = Actor.system()
    work = CaseworkDemo(rng=random.Random(SEED + 1), fake=fake, by=by, users={})
    families, _links = work.families()
    extract = DemoExtract(by=by, seed=SEED + 30)
    saved = extract(families)

    batch = extract.batch
    assert batch.status == HouseholdImport.Status.COMMITTED
    assert Path(batch.file.path).is_file()
    assert batch.summary["rows_rejected"] == 0
    assert counts(batch) == {"new": len(families)}
    # The households and members the import made are the families written to the file, its
    # untidiness (NIKs as numbers, header variants, relation codes, date formats) undone.
    assert [h.kk_number for h in saved] == [f.kk_number for f in families]
    fields = ["kk_number", "address", "rt_rw", "dtsen_id", "decile", "area_id"]
    assert [tuple(getattr(h, f) for f in fields) for h in saved] == [
        tuple(getattr(h, f) for f in fields) for h in families
    ]
    member = ["nik", "name", "sex", "birth_date", "relation"]
    written = sorted(
        tuple(getattr(m, f) for f in member) for h in families for m in h.current_members
    )
    assert sorted(HouseholdMember.objects.values_list(*member)) == written
    assert Household.objects.count() == len(families)

    again = recheck_demo_extract(by=by)
    assert again.summary["rows_rejected"] == 0
    assert counts(again) == {"unchanged": len(families)}
    with pytest.raises(ValidationError, match="nothing to save"):
        services.extract_request_commit(by=by, batch=again, accept_valid=False)


def assert_demo_extract_is_kept_and_checks_again(client) -> None:
    """On the loaded demo: every household came from the kept extract, listed at /dtsen/;
    checked again, the file finds unchanged every household but those the story changed since
    (moved away in 2024, the later releases' deciles, and the round's accepted findings that
    change what the extract lists)."""
    batch = HouseholdImport.objects.get(filename=EXTRACT_NAME)
    client.force_login(User.objects.get(username="operator"))
    assert EXTRACT_NAME in client.get("/dtsen/").content.decode()
    assert client.get(f"/dtsen/{batch.pk}/").status_code == 200
    assert batch.status == HouseholdImport.Status.COMMITTED
    assert Path(batch.file.path).is_file()
    assert batch.as_of is not None and batch.committed_at.date() == batch.as_of
    made = set(
        ExtractHousehold.objects.filter(batch=batch, status="new").values_list(
            "kk_number", flat=True
        )
    )
    assert made == set(Household.objects.values_list("kk_number", flat=True))

    again = recheck_demo_extract(by=Actor.system())
    assert again.summary["rows_rejected"] == 0
    # Households the story closed or saw move stay so, the extract still listing them (a
    # warning each); the active ones whose records an accepted finding changed differ.
    closed = set(
        Household.objects.exclude(status=Household.Status.ACTIVE).values_list("pk", flat=True)
    )
    # The later DTSEN releases' deciles (pilar/casework/demo.py, `decile_releases`) too: the
    # households whose decile now differs from the extract's.
    first = dict(DecileRecord.objects.filter(reference=batch.pk).values_list("household", "decile"))
    released = {
        pk for pk, decile in Household.objects.values_list("pk", "decile") if first[pk] != decile
    }
    changed_since = (
        set(
            Finding.objects.filter(status="accepted", kind__in=CHANGING_KINDS).values_list(
                "visit__household", flat=True
            )
        )
        | released
    ) - closed
    assert changed_since and closed
    items = ExtractHousehold.objects.filter(batch=again)
    not_unchanged = set(items.exclude(status="unchanged").values_list("household", flat=True))
    assert not_unchanged == changed_since
    assert counts(again)["unchanged"] == len(made) - len(changed_since)
    kept = items.filter(household__in=closed)
    assert all(any(p[0] == "warning" for p in item.problems) for item in kept)


def assert_the_households_download_as_an_extract_that_reads_back_unchanged(client, tmp_path):
    """Export and import round-trip on the loaded demo: the household list downloaded as an
    extract (/dtsen/households.xlsx), checked as a new extract, changes nothing."""
    client.force_login(User.objects.get(username="operator"))
    response = client.get("/dtsen/households.xlsx")
    assert response.status_code == 200
    path = tmp_path / "rumah-tangga.xlsx"
    path.write_bytes(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    again = services.check_in_memory(path, by=Actor(user=User.objects.get(username="operator")))
    households = again.summary["households"]
    assert again.summary["rows_rejected"] == 0, again.summary
    # Every household, those the story closed or saw move included: an extract that still
    # lists them does not reopen them (a warning says so).
    assert households["unchanged"] == Household.objects.count(), households
    assert sum(households.values()) == households["unchanged"], households
