"""The DTSEN extract of `pilar demo`: Bukittinggi's households come from it.

The casework demo generates the families (pilar/casework/demo.py, `CaseworkDemo.families`);
here they are written to a DTSEN-style extract — the ministry's columns
(pilar/dtsen/columns.py), synthetic people, and the untidiness of real extracts (the writer's
`messy`: NIKs as numbers or behind an apostrophe, header variants, relation codes, mixed date
formats...) — and that file is imported through the real import, as an operator would: upload,
mapping, check, commit. The households and members the demo then accompanies are the ones the
import created; the file stays in the media directory, listed at /dtsen/ as a saved import.
"""

from __future__ import annotations

import datetime
import io
import random

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pilar.audit.services import Actor
from pilar.casework.models import Household
from pilar.dtsen.models import HouseholdImport
from pilar.dtsen.writer import write_extract

# The extract the office started from: the release of January 2024, before the casework story.
EXTRACT_AS_OF = datetime.date(2024, 1, 2)
EXTRACT_NAME = "ekstrak-dtsen-bukittinggi-2024-01.xlsx"


def extract_bytes(households, *, seed: int) -> bytes:
    """`households` (saved or not, with `current_members`) as a messy extract."""
    out = io.BytesIO()
    write_extract(households, out, messy=random.Random(seed))
    return out.getvalue()


def import_extract(content: bytes, *, by: Actor, filename: str = EXTRACT_NAME) -> HouseholdImport:
    """Upload, map (as guessed from the headers), check and save `content` through the import's
    services, the way the page and the task worker do it one after the other; the import as
    saved. Fails loudly when the file does not import cleanly: the demo's extract must."""
    from pilar.dtsen import services

    batch = services.extract_upload(
        by=by, upload=SimpleUploadedFile(filename, content), filename=filename
    )
    batch = check_extract(batch, by=by)
    batch = services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    # The task the request queued (after the demo's transaction) then finds it saved.
    batch = services.extract_commit(batch_id=batch.pk, by=by)
    if batch.status != HouseholdImport.Status.COMMITTED:
        raise RuntimeError(f"the demo's extract was not saved: {batch.status} {batch.message}")
    return batch


def check_extract(batch: HouseholdImport, *, by: Actor) -> HouseholdImport:
    """The mapping as the upload guessed it, then the check (as the task worker runs it)."""
    from pilar.dtsen import services

    batch = services.extract_set_mapping(
        by=by, batch=batch, header_row=batch.header_row, mapping=batch.mapping, as_of=EXTRACT_AS_OF
    )
    batch = services.extract_check(batch_id=batch.pk)
    if batch.status != HouseholdImport.Status.PREVIEW:
        raise RuntimeError(f"the demo's extract did not check: {batch.status} {batch.message}")
    return batch


class DemoExtract:
    """The `save` of `CaseworkDemo.households`: the families written to the extract, the
    extract imported, the households as the import made them returned in the families' order.
    Keeps the import for the demo's output."""

    def __init__(self, *, by: Actor, seed: int) -> None:
        self.by, self.seed = by, seed
        self.batch: HouseholdImport | None = None

    def __call__(self, made: list[Household]) -> list[Household]:
        self.batch = import_extract(extract_bytes(made, seed=self.seed), by=self.by)
        # The import was the office's first step, in January 2024 (the story's start).
        at = timezone.make_aware(datetime.datetime.combine(EXTRACT_AS_OF, datetime.time(9)))
        HouseholdImport.objects.filter(pk=self.batch.pk).update(
            created_at=at, committed_at=at + datetime.timedelta(minutes=20)
        )
        saved = Household.objects.select_related("area").in_bulk(
            [h.kk_number for h in made], field_name="kk_number"
        )
        missing = [h.kk_number for h in made if h.kk_number not in saved]
        if missing:
            raise RuntimeError(f"the demo's extract did not create KK {missing[:5]}")
        return [saved[h.kk_number] for h in made]

    def describe(self) -> str:
        """Where the file is, its page and what it held."""
        batch = self.batch
        summary = batch.summary or {}
        households = ", ".join(f"{k} {n}" for k, n in summary.get("households", {}).items() if n)
        return (
            f"{settings.MEDIA_ROOT / batch.file.name} (/dtsen/{batch.pk}/): "
            f"{summary.get('rows', 0)} persons, households {households}"
        )


def recheck_demo_extract(*, by: Actor) -> HouseholdImport:
    """The demo's own extract uploaded again and checked (the preview; saving it would find
    nothing to save when every household is unchanged)."""
    from pilar.dtsen import services

    first = HouseholdImport.objects.filter(filename=EXTRACT_NAME).order_by("pk").first()
    with first.file.open("rb") as fh:
        content = fh.read()
    batch = services.extract_upload(
        by=by, upload=SimpleUploadedFile(EXTRACT_NAME, content), filename=EXTRACT_NAME
    )
    return check_extract(batch, by=by)
