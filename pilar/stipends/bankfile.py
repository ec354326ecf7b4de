"""The bank transfer file of an approved batch: one transfer per recipient and account.

Built from the copy frozen at approval, never from the registry, so a later edit to a
person's account cannot redirect a payment. The reference column ties the bank's result file
back to the lines it pays (`TK<batch>-<person>`).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.stipends.models import StipendBatch, StipendLine

TRANSFER_HEADERS = [
    "No",
    "Referensi",
    "Nomor Rekening",
    "Nama Pemilik Rekening",
    "Nama Bank",
    "Jumlah",
    "Keterangan",
]


def reference(batch_id: int, person_id: int) -> str:
    return f"TK{batch_id}-{person_id}"


def transfer_lines(batch: StipendBatch):
    """The lines a transfer file pays: waiting, by bank transfer, in an approved batch."""
    return batch.lines.filter(status=StipendLine.Status.PENDING, method=StipendLine.Method.TRANSFER)


PAYABLE = {StipendBatch.Status.APPROVED, StipendBatch.Status.PARTLY_PAID}


def transfer_filename(batch: StipendBatch) -> str:
    return f"transfer-tali-kasih-{batch.pk}"


def open_transfer_file(*, by: Actor, batch: StipendBatch, fmt: str) -> None:
    """Before the file is handed out: refuse a batch not approved for payment, and log the
    look at every recipient's account number."""
    if batch.status not in PAYABLE:
        raise ValidationError(
            _(
                "The bank transfer file is made once the batch is approved; this batch is "
                "“%(status)s”."
            )
            % {"status": batch.get_status_display()}
        )
    if batch.transfer_file_at is None:
        # From now on the bank may be paying: the batch can no longer go back to draft.
        StipendBatch.objects.filter(pk=batch.pk, transfer_file_at__isnull=True).update(
            transfer_file_at=timezone.now()
        )
    audit_record(
        by=by,
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note=f"transfer file {fmt}",
    )


def month_runs(months) -> str:
    """Months in figures as a bank's description field takes them: 03,07-09/2024."""
    by_year: dict[int, list[list[int]]] = {}
    for month in sorted(set(months)):
        runs = by_year.setdefault(month.year, [])
        if runs and runs[-1][-1] == month.month - 1:
            runs[-1].append(month.month)
        else:
            runs.append([month.month])
    return ",".join(
        ",".join(f"{r[0]:02d}" if len(r) == 1 else f"{r[0]:02d}-{r[-1]:02d}" for r in runs)
        + f"/{year}"
        for year, runs in by_year.items()
    )


def transfer_rows(batch: StipendBatch) -> Iterator[list]:
    """Rows of the transfer file, one per recipient, in the order of the list: the months
    and kinds it pays summed, and named in the description the recipient's statement shows."""
    lines = (
        transfer_lines(batch)
        .order_by("name", "person_id", "month")
        .values_list(
            "person_id", "bank_account", "bank_holder", "bank_name", "name", "amount", "month"
        )
        .annotate(kind=F("kind__code"))
    )
    people = groupby(lines.iterator(chunk_size=5000), key=itemgetter(0))
    for n, (_person, rows) in enumerate(people, start=1):
        group = list(rows)
        person_id, account, holder, bank, name = group[0][:5]
        kinds = "+".join(sorted({row[7] for row in group}))
        yield [
            n,
            reference(batch.pk, person_id),
            account,
            holder or name,
            bank,
            sum(row[5] for row in group),
            f"TALI KASIH {kinds} {month_runs(row[6] for row in group)}"[:50],
        ]
