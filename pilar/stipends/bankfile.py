"""The bank transfer file of an approved batch: one transfer per recipient and account.

Kept as sent (`SentFile`): the first request of an approved batch produces round 1 and stores
its bytes; every later download, at any status, returns those bytes. Built from the copy
frozen at approval, never from the registry, so a later edit to a
person's account cannot redirect a payment. The reference column ties the bank's result file
back to the lines it pays (`TK<batch>-<person>`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.lib.exports import XLSX_TYPE, to_csv, to_xlsx
from pilar.lib.months import month_runs
from pilar.stipends.access import office_wide
from pilar.stipends.models import SentFile, StipendBatch, StipendLine

logger = logging.getLogger("pilar.stipends")

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
TRANSFER = SentFile.Kind.TRANSFER
FORMATS = ("xlsx", "csv")


def transfer_filename(batch: StipendBatch, number: int = 1) -> str:
    """`transfer-tali-kasih-12` for the first round, `transfer-tali-kasih-12-2` after."""
    return f"transfer-tali-kasih-{batch.pk}" + (f"-{number}" if number > 1 else "")


def _refuse_unpayable(batch: StipendBatch) -> None:
    if batch.status not in PAYABLE:
        raise ValidationError(
            _(
                "The bank transfer file is made once the batch is approved; this batch is "
                "“%(status)s”."
            )
            % {"status": batch.get_status_display()}
        )


def may_handle_files(by: Actor) -> None:
    """Transfer files carry every recipient's account: only finance with an office-wide grant
    produces, lists or downloads them (page, API and CLI alike); anyone else gets a 403, logged
    with who asked."""
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    if user is not None and not office_wide(user, Capability.STIPENDS_VERIFY):
        logger.warning("transfer files refused to %s (role not allowed)", user.get_username())
        raise PermissionDenied


def as_download(sent: SentFile) -> HttpResponse:
    """A file as sent, byte for byte, with its checksum in a header."""
    content_type = XLSX_TYPE if sent.fmt == "xlsx" else "text/csv; charset=utf-8"
    response = HttpResponse(bytes(sent.content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{sent.filename}"'
    response["X-Checksum-SHA256"] = sent.sha256
    return response


def _produce(by: Actor, batch: StipendBatch, number: int) -> list[SentFile]:
    """Round `number` of the batch's transfer file, in both formats from the same rows, stored
    with their checksums. The caller holds the batch's row lock."""
    from pilar.stipends.failures import refuse_failed_accounts

    refuse_failed_accounts(transfer_lines(batch))
    rows = list(transfer_rows(batch))
    if not rows:
        # An empty file would be kept for ever as "sent".
        raise ValidationError(
            _("No transfer is waiting in this batch: there is nothing to put in a file.")
        )
    lines = transfer_lines(batch).count()
    total = sum(row[5] for row in rows)
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    made = []
    for fmt in FORMATS:
        content = (to_xlsx if fmt == "xlsx" else to_csv)(TRANSFER_HEADERS, rows)
        made.append(
            SentFile.objects.create(
                batch=batch,
                kind=TRANSFER,
                number=number,
                fmt=fmt,
                filename=f"{transfer_filename(batch, number)}.{fmt}",
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                transfers=len(rows),
                lines=lines,
                total=total,
                created_by=user,
            )
        )
    if batch.transfer_file_at is None:
        # From now on the bank may be paying: the batch can no longer go back to draft.
        StipendBatch.objects.filter(pk=batch.pk, transfer_file_at__isnull=True).update(
            transfer_file_at=timezone.now()
        )
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=batch,
        changes={
            "transfer_file": number,
            "transfers": len(rows),
            "total": total,
            **{f"sha256_{f.fmt}": f.sha256 for f in made},
        },
        note=f"transfer file no. {number}",
    )
    return made


def _rounds(batch: StipendBatch):
    return SentFile.objects.filter(batch=batch, kind=TRANSFER)


def transfer_file_sent(*, by: Actor, batch: StipendBatch, fmt: str) -> SentFile:
    """The newest transfer file of the batch in `fmt`, exactly as first produced: produced
    (round 1) at the first request of an approved batch, then the same bytes at any later
    status. Each request is logged as a look at every recipient's account number."""
    may_handle_files(by)
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Choose XLSX or CSV.")})
    sent = _rounds(batch).filter(fmt=fmt).order_by("-number").first()
    if sent is None and batch.transfer_file_at is not None:
        # A file went out before files were kept: what is made now would not be that file.
        raise ValidationError(
            _(
                "This batch's transfer file went out on %(day)s, before files were kept as "
                "sent: it cannot be downloaded again."
            )
            % {"day": date_format(timezone.localtime(batch.transfer_file_at), "j F Y")}
        )
    if sent is None:
        _refuse_unpayable(batch)
        try:
            with transaction.atomic():
                locked = StipendBatch.objects.select_for_update().get(pk=batch.pk)
                sent = _rounds(locked).filter(fmt=fmt).order_by("-number").first()
                if sent is None:  # nobody produced it while we waited for the lock
                    _refuse_unpayable(locked)
                    sent = next(f for f in _produce(by, locked, 1) if f.fmt == fmt)
        except IntegrityError:
            # Another request produced round 1 at the same moment (SQLite takes no row
            # lock): that one is the file as sent.
            sent = _rounds(batch).filter(fmt=fmt).order_by("-number").first()
            if sent is None:
                raise
    sent_file_opened(by=by, sent=sent)
    return sent


def sent_file_opened(*, by: Actor, sent: SentFile) -> None:
    """Log a download of a file as sent: who, when, which file and its checksum."""
    may_handle_files(by)
    audit_record(
        by=by,
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=sent.batch,
        note=f"transfer file {sent.fmt} no. {sent.number} sha256 {sent.sha256[:16]}",
    )


def transfer_round_new(*, by: Actor, batch: StipendBatch) -> list[SentFile]:
    """A new round of the transfer file for the lines still waiting, once the bank has
    answered for some of the last round's (paid or failed): refused while the last file's
    lines all still wait (that file may be at the bank: download it again instead)."""
    may_handle_files(by)
    with transaction.atomic():
        locked = StipendBatch.objects.select_for_update().get(pk=batch.pk)
        _refuse_unpayable(locked)
        waiting = transfer_lines(locked).count()
        if not waiting:
            raise ValidationError(
                _("No transfer is waiting in this batch: there is nothing to send again.")
            )
        last = _rounds(locked).order_by("-number").first()
        if last is not None and last.lines == waiting:
            raise ValidationError(
                _(
                    "Every line of transfer file no. %(number)s still waits for the bank's "
                    "answer: download that file again rather than sending its transfers twice."
                )
                % {"number": last.number}
            )
        # After a file that went out before files were kept (round 1, not stored), round 2.
        number = (last.number + 1) if last else (2 if locked.transfer_file_at else 1)
        try:
            with transaction.atomic():
                return _produce(by, locked, number)
        except IntegrityError:
            raise ValidationError(
                _("Transfer file no. %(number)s was just produced by someone else: look at it.")
                % {"number": number}
            ) from None


def round_allowed(batch: StipendBatch) -> bool:
    """Whether a file may be produced now (the page offers the button only then): the batch is
    payable, transfers wait, and not all of them wait in the last file (which may be at the
    bank: it is downloaded again instead)."""
    if batch.status not in PAYABLE:
        return False
    waiting = transfer_lines(batch).count()
    if not waiting:
        return False
    last = _rounds(batch).order_by("-number").first()
    return last is None or last.lines != waiting


def transfer_rounds(batch: StipendBatch) -> list[dict]:
    """The batch's transfer files, oldest round first: each round with its XLSX and CSV."""
    rounds: dict[int, dict] = {}
    for sent in _rounds(batch).defer("content").select_related("created_by"):
        rnd = rounds.setdefault(sent.number, {"number": sent.number, "sent": sent, "files": []})
        rnd["files"].append(sent)
    return list(rounds.values())


def months_in_figures(months) -> str:
    """Months in figures as a bank's description field takes them: 03,07-09/2024."""
    return ",".join(
        ",".join(
            f"{r[0].month:02d}" if len(r) == 1 else f"{r[0].month:02d}-{r[-1].month:02d}"
            for r in runs
        )
        + f"/{year}"
        for year, runs in month_runs(months).items()
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
            f"TALI KASIH {kinds} {months_in_figures(row[6] for row in group)}"[:50],
        ]
