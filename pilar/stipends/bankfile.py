"""The bank transfer file of an approved batch: one transfer per recipient and account.

Built from the copy frozen at approval, never from the registry, so a later edit to a
person's account cannot redirect a payment. The reference column ties the bank's result file
back to the lines it pays (`TK<batch>-<person>`).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Min, Sum
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
    audit_record(
        by=by,
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note=f"transfer file {fmt}",
    )


def transfer_rows(batch: StipendBatch) -> Iterator[list]:
    """Rows of the transfer file, one per recipient account, in the order of the list."""
    grouped = (
        transfer_lines(batch)
        .values("person_id", "bank_account", "bank_holder", "bank_name", "name")
        .annotate(
            total=Sum("amount"),
            months=Count("pk"),
            first=Min("month"),
            last=Max("month"),
            kind=Min("kind__code"),
        )
        .order_by("name", "person_id")
    )
    for n, row in enumerate(grouped.iterator(chunk_size=5000), start=1):
        period = f"{row['first']:%m}/{row['first']:%Y}"
        if row["last"] != row["first"]:
            period = f"{row['first']:%m/%Y}-{row['last']:%m/%Y}"
        yield [
            n,
            reference(batch.pk, row["person_id"]),
            row["bank_account"],
            row["bank_holder"] or row["name"],
            row["bank_name"],
            row["total"],
            f"TALI KASIH {row['kind']} {period}"[:50],
        ]
