"""The bank's result file for a batch's transfers: read, checked, then recorded all at once.

The bank returns the transfer file (bankfile.py) with a status per row. Each row is matched by
its reference (`TK<batch>-<person>`: one transfer per person, the sum of that person's transfer
lines in the batch) and must name the account and the amount the batch sent. A file with any
problem marks nothing: every problem is listed with its row number, the treasurer corrects the
file (or asks the bank) and uploads it again. Uploading the same file twice changes nothing the
second time: lines already paid or failed are left as they are.

XLSX, XLS and ODS are read with python-calamine and CSV with the csv module, through the
spreadsheet reader the imports use too (pilar/lib/spreadsheet.py).
"""

from __future__ import annotations

import datetime
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.lib.money import rupiah
from pilar.lib.spreadsheet import FileProblem, Spreadsheet, text_from_cell
from pilar.stipends import services
from pilar.stipends.bankfile import reference
from pilar.stipends.models import StipendBatch, StipendLine

LineStatus = StipendLine.Status
HEADER_SCAN_ROWS = 15
PROBLEMS_SHOWN = 50

# What each column may be called, compared without case, spaces or punctuation.
COLUMNS = {
    "reference": (
        "Referensi",
        {
            "referensi",
            "reference",
            "ref",
            "noref",
            "noreferensi",
            "nomorreferensi",
            "kodereferensi",
            "refno",
            "referenceno",
            "referencenumber",
        },
    ),
    "account": (
        "Nomor Rekening",
        {
            "nomorrekening",
            "norekening",
            "norek",
            "rekening",
            "rekeningtujuan",
            "norekeningtujuan",
            "nomorrekeningtujuan",
            "account",
            "accountno",
            "accountnumber",
            "beneficiaryaccount",
        },
    ),
    "amount": (
        "Jumlah",
        {"jumlah", "jumlahrp", "nominal", "nilai", "jumlahtransfer", "amount", "amountrp"},
    ),
    "status": ("Status", {"status", "statustransfer", "statustransaksi", "hasil", "result"}),
    "description": (
        "Keterangan",
        {
            "keterangan",
            "ket",
            "alasan",
            "catatan",
            "pesan",
            "description",
            "desc",
            "reason",
            "remark",
            "remarks",
            "message",
        },
    ),
}
REQUIRED = ["reference", "account", "amount", "status"]
PAID_WORDS = {"BERHASIL", "SUKSES", "SUCCESS", "SUCCESSFUL", "OK", "PAID"}
FAILED_WORDS = {"GAGAL", "FAILED", "FAIL", "REJECT", "REJECTED", "DITOLAK"}
REFERENCE = re.compile(r"TK(\d+)-(\d+)", re.ASCII)  # 0-9 only, not look-alike digits
AMOUNT = re.compile(r"(\d{1,3}(?:([.,])\d{3})?(?:\2\d{3})*|\d+)(?:[.,](\d{1,2}))?", re.ASCII)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass
class Transfer:
    """What the batch sent one person: the account, and the lines the transfer pays."""

    person_id: int
    account: str
    line_ids: list[int] = field(default_factory=list)
    pending_ids: list[int] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    total: int = 0
    pending: int = 0


@dataclass
class Problem:
    row: int | None  # the row number the spreadsheet shows; None for the file as a whole
    message: str


@dataclass
class Row:
    """One row of the file matched to a transfer, and what the bank says happened."""

    number: int
    transfer: Transfer
    paid: bool
    reason: str
    line_ids: list[int]


@dataclass
class BankResult:
    problems: list[Problem] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    not_in_file: int = 0  # transfers of the batch the file does not mention

    @property
    def outcomes(self) -> list[services.Outcome]:
        return [
            services.Outcome(StipendLine(pk=pk), row.paid, row.reason)
            for row in self.rows
            for pk in row.line_ids
        ]

    def messages(self, limit: int = PROBLEMS_SHOWN) -> list[str]:
        shown = [p.message for p in self.problems[:limit]]
        if len(self.problems) > limit:
            shown.append(
                _("… and %(count)s more problems.") % {"count": len(self.problems) - limit}
            )
        return shown


def _transfers(batch: StipendBatch) -> dict[int, Transfer]:
    """Every transfer the batch made or will make, by person: lines paid by transfer that are
    waiting, paid or failed (a failed line stays matched, so a repeated file still reads)."""
    transfers: dict[int, Transfer] = {}
    lines = (
        batch.lines.filter(
            method=StipendLine.Method.TRANSFER,
            reverses__isnull=True,
            status__in=[LineStatus.PENDING, LineStatus.PAID, LineStatus.FAILED],
        )
        .order_by("person_id", "pk")
        .values_list("pk", "person_id", "bank_account", "amount", "status")
    )
    for pk, person_id, account, amount, status in lines.iterator(chunk_size=5000):
        transfer = transfers.get(person_id)
        if transfer is None:
            transfer = transfers[person_id] = Transfer(person_id, account)
        transfer.line_ids.append(pk)
        transfer.statuses.add(status)
        transfer.total += amount
        if status == LineStatus.PENDING:
            transfer.pending_ids.append(pk)
            transfer.pending += amount
    return transfers


def _same_account(cell, sent: str) -> bool:
    got, sent = (re.sub(r"[\s.\-']", "", value) for value in (text_from_cell(cell), sent))
    if isinstance(cell, int | float):
        # A spreadsheet that stored the account as a number lost its leading zeros.
        got, sent = got.lstrip("0"), sent.lstrip("0")
    return got == sent


def _amount(cell) -> int | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return int(cell) if float(cell).is_integer() else None
    text = re.sub(r"(?i)^rp\.?|\s", "", text_from_cell(cell))
    match = AMOUNT.fullmatch(text)
    if match is None or int(match.group(3) or 0):
        return None
    return int(re.sub(r"[.,]", "", match.group(1)))


def _find_header(book: Spreadsheet) -> tuple[str, int, dict[str, int]] | None:
    """The sheet, the header row and {field: column index} naming the most known columns."""
    best = None
    for sheet in [s.name for s in book.sheets if s.visible] or [book.sheets[0].name]:
        for number, cells in book.rows(sheet):
            if number > HEADER_SCAN_ROWS:
                break
            found: dict[str, int] = {}
            for index, cell in enumerate(cells):
                key = _key(text_from_cell(cell))
                for name, (_label, names) in COLUMNS.items():
                    if key in names and name not in found:
                        found[name] = index
            score = sum(1 for name in REQUIRED if name in found)
            if best is None or score > best[0]:
                best = (score, sheet, number, found)
        if best and best[0] == len(REQUIRED):
            break
    return best[1:] if best and best[0] else None


def bank_result_check(*, batch: StipendBatch, upload) -> BankResult:
    """Read the bank's result file and match every row to a transfer of the batch.

    `upload` is an uploaded file (or any binary file object). Nothing is written; the result
    lists the problems (each naming its row and what to do) and the rows that matched.
    """
    if not batch.frozen:
        raise ValidationError(
            _(
                "The batch is “%(status)s”: a bank result belongs to an approved batch whose "
                "transfer file was sent."
            )
            % {"status": batch.get_status_display()}
        )
    with tempfile.TemporaryDirectory(prefix="pilar-bank-") as folder:
        path = Path(folder) / "result"
        _save(upload, path)
        try:
            with Spreadsheet(path) as book:
                return _check(batch, book)
        except FileProblem as exc:
            return BankResult(problems=[Problem(None, exc.message)])


def _save(upload, path: Path) -> None:
    limit = settings.PILAR_IMPORT_MAX_MB * 1024 * 1024
    if hasattr(upload, "seek"):
        upload.seek(0)
    size = 0
    with open(path, "wb") as out:
        for chunk in iter(lambda: upload.read(1 << 20), b""):
            size += len(chunk)
            if size > limit:
                raise ValidationError(
                    {
                        "file": _(
                            "The file is larger than %(max)s MB, too large for a bank result. "
                            "Upload the result of this batch only, as XLSX or CSV."
                        )
                        % {"max": settings.PILAR_IMPORT_MAX_MB}
                    }
                )
            out.write(chunk)
    if not size:
        raise ValidationError({"file": _("The file is empty. Choose the bank's result file.")})


def _check(batch: StipendBatch, book: Spreadsheet) -> BankResult:
    result = BankResult()
    header = _find_header(book)
    found = header[2] if header else {}
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        result.problems.append(
            Problem(
                header[1] if header else None,
                _(
                    "The file has no column for: %(missing)s. Its header row must name the "
                    "columns Referensi, Nomor Rekening, Jumlah, Status and Keterangan (or "
                    "Reference, Account, Amount, Status, Description)."
                )
                % {"missing": ", ".join(COLUMNS[name][0] for name in missing)},
            )
        )
        return result
    sheet, header_row, columns = header
    transfers = _transfers(batch)
    seen: dict[int, int] = {}
    for number, cells in book.rows(sheet):
        if number <= header_row:
            continue

        values = {name: cells[i] if i < len(cells) else None for name, i in columns.items()}
        ref = text_from_cell(values["reference"]).upper().replace(" ", "")
        status = text_from_cell(values["status"]).upper()
        if not ref and not status:
            continue  # an empty line, or a total under the rows
        matched = _match(batch, number, ref, status, values, transfers, seen)
        if isinstance(matched, Row):
            result.rows.append(matched)
        else:
            result.problems.append(Problem(number, matched))
    if not result.rows and not result.problems:
        result.problems.append(
            Problem(None, _("The file has no result rows under its header row."))
        )
    result.not_in_file = len(transfers) - len(seen)
    return result


def _match(batch, number, ref, status, values, transfers, seen) -> Row | str:
    """The row matched to its transfer, or what is wrong with it."""
    if not ref:
        return _(
            "Row %(row)s has no reference. Copy the reference (TK…) of the transfer from the "
            "transfer file into that row."
        ) % {"row": number}
    match = REFERENCE.fullmatch(ref)
    if match is None:
        return _(
            "Row %(row)s: “%(ref)s” is not the reference of a tali kasih transfer (they read "
            "like %(example)s). Check the Referensi column."
        ) % {"row": number, "ref": ref[:40], "example": reference(batch.pk, 123)}
    batch_id, person_id = int(match.group(1)), int(match.group(2))
    if batch_id != batch.pk:
        return _(
            "Row %(row)s: %(ref)s belongs to batch %(other)s, not to this batch (%(batch)s). "
            "Upload the result of each batch on that batch's page."
        ) % {"row": number, "ref": ref, "other": batch_id, "batch": batch.pk}
    transfer = transfers.get(person_id)
    if transfer is None:
        return _(
            "Row %(row)s: this batch made no transfer with the reference %(ref)s. Check the row "
            "against the transfer file, or delete it."
        ) % {"row": number, "ref": ref}
    if person_id in seen:
        return _(
            "Row %(row)s repeats the reference %(ref)s of row %(first)s. Keep one of the two rows."
        ) % {"row": number, "ref": ref, "first": seen[person_id]}
    seen[person_id] = number
    if not _same_account(values["account"], transfer.account):
        return _(
            "Row %(row)s (%(ref)s): the account is “%(account)s”, but the batch sent this "
            "transfer to %(sent)s. Check the row with the bank; nothing is marked until every "
            "row matches."
        ) % {
            "row": number,
            "ref": ref,
            "account": text_from_cell(values["account"]) or "-",
            "sent": transfer.account,
        }
    amount = _amount(values["amount"])
    if amount is None:
        return _(
            "Row %(row)s (%(ref)s): the amount “%(amount)s” is not a whole number of rupiah."
        ) % {"row": number, "ref": ref, "amount": text_from_cell(values["amount"])[:30]}
    if amount == transfer.pending and transfer.pending_ids:
        line_ids = transfer.pending_ids
    elif amount == transfer.total:
        line_ids = transfer.line_ids
    else:
        return _(
            "Row %(row)s (%(ref)s): the amount is Rp %(amount)s, but the batch sent Rp "
            "%(sent)s. Check the row with the bank; nothing is marked until every row matches."
        ) % {
            "row": number,
            "ref": ref,
            "amount": rupiah(amount),
            "sent": rupiah(transfer.pending if transfer.pending_ids else transfer.total),
        }
    if status in PAID_WORDS:
        if LineStatus.FAILED in transfer.statuses:
            return _(
                "Row %(row)s (%(ref)s): the bank now says this transfer went through, but an "
                "earlier result recorded it as failed and its months returned to the unpaid "
                "list. Ask the bank which is right; if the money did go out, take these months "
                "out of any newer batch so that they are not paid twice."
            ) % {"row": number, "ref": ref}
        return Row(number, transfer, True, "", line_ids)
    if status in FAILED_WORDS:
        if LineStatus.PAID in transfer.statuses:
            return _(
                "Row %(row)s (%(ref)s): the bank now says this transfer failed, but an earlier "
                "result recorded it as paid. Ask the bank which is right; if the money came "
                "back, reverse the payment on the batch's page."
            ) % {"row": number, "ref": ref}
        # Control characters (a NUL above all) never reach the database.
        reason = re.sub(r"[\x00-\x1f\x7f]+", " ", text_from_cell(values.get("description")))
        return Row(number, transfer, False, reason.strip()[:250], line_ids)
    return _(
        "Row %(row)s (%(ref)s): the status “%(status)s” is not known. Write BERHASIL (or "
        "SUKSES, SUCCESS, OK) for a transfer that went through and GAGAL (or FAILED, REJECT) "
        "for one that did not."
    ) % {"row": number, "ref": ref, "status": status[:30] or "-"}


def bank_result_apply(
    *, by: Actor, batch: StipendBatch, upload, paid_on: datetime.date
) -> dict[str, int]:
    """Record the bank's result file: each matched transfer's lines paid on `paid_on`, or
    failed with the bank's reason (a failed month returns to the unpaid pool).

    Refused, marking nothing, if any row has a problem (ValidationError on "file" listing
    them all).
    Returns how many lines were paid, failed or left unchanged (decided earlier), the rows
    read, and how many of the batch's transfers the file does not mention.
    """
    services._require(by, Capability.STIPENDS_VERIFY, batch)
    result = bank_result_check(batch=batch, upload=upload)
    if result.problems:
        raise ValidationError({"file": result.messages()})
    summary = {"rows": len(result.rows), "not_in_file": result.not_in_file}
    waiting = {pk for row in result.rows for pk in row.transfer.pending_ids}
    outcomes = result.outcomes
    if not any(o.line.pk in waiting for o in outcomes):
        # Every line is decided already (the same file again): nothing to record.
        return {"paid": 0, "failed": 0, "unchanged": len(outcomes), **summary}
    with transaction.atomic():
        counts = services.stipend_batch_record(
            by=by, batch=batch, outcomes=outcomes, paid_on=paid_on
        )
        audit_record(
            by=by,
            action=AuditEntry.Action.LOAD,
            obj=batch,
            changes={**counts, **summary},
            note=_("Bank result file: %(name)s")
            % {"name": Path(getattr(upload, "name", "") or "upload").name[:200]},
        )
    return {**counts, **summary}
