"""The background work of an extract import — check, commit, undo — and what the services share
with it: the right to import, how an import's status moves (compare-and-set, so a double click
starts one piece of work), the recovery of work whose worker vanished. `pilar/dtsen/tasks.py`
runs these as django-tasks; `pilar/dtsen/services.py` exposes them.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import logging
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, ProtectedError, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework.models import Household
from pilar.dtsen.engine.cells import REJECTED, Reader, Row
from pilar.dtsen.engine.decide import MISSING, Decider, Decision, read_all
from pilar.dtsen.engine.sheet import default_sheet, missing_columns, read_rows, sheet_layout
from pilar.dtsen.engine.undo import later_changes, undo
from pilar.dtsen.engine.write import Writer
from pilar.dtsen.models import ExtractHousehold, ExtractRow, HouseholdImport
from pilar.imports.engine.layout import Layout
from pilar.lib.jobs import Heartbeat, recover_stale
from pilar.lib.nik import mask_nik
from pilar.lib.params import MAX_ID
from pilar.lib.spreadsheet import FileProblem, Spreadsheet

logger = logging.getLogger(__name__)
STORE_BATCH = 1000
PROGRESS_EVERY = 5000
Status = HouseholdImport.Status


def require_right(by: Actor) -> None:
    """Extracts write households in bulk: the roles that may import (Capability.IMPORTS); the
    command line runs as the office itself."""
    user = by.signed_in_user
    if by.user is not None and (user is None or not can(user, Capability.IMPORTS)):
        raise PermissionDenied(_("Your role does not allow imports."))


def claim(batch: HouseholdImport, from_status: list[str], to_status: str, **extra) -> bool:
    """Move `batch` to `to_status` if (and only if) it is still in one of `from_status`."""
    extract_recover(ids=[batch.pk])
    if to_status in HouseholdImport.WORKING:
        extra["heartbeat_at"] = timezone.now()
    done = HouseholdImport.objects.filter(pk=batch.pk, status__in=from_status).update(
        status=to_status, **extra
    )
    if done:
        batch.refresh_from_db()
    return bool(done)


def _recovered(batch: HouseholdImport) -> dict:
    if batch.status == Status.COMMITTING:
        status = Status.PREVIEW
        message = _(
            "The worker stopped while saving (it was killed or the server restarted); nothing "
            "was saved. Save again."
        )
    elif batch.status == Status.UNDOING:
        status = Status.COMMITTED
        message = _(
            "The worker stopped while undoing (it was killed or the server restarted); nothing "
            "was undone. Undo again."
        )
    else:
        status = Status.FAILED
        message = _(
            "The worker stopped while checking (it was killed or the server restarted). Check "
            "the file again."
        )
    return {"status": status, "message": message, "heartbeat_at": None}


def extract_recover(*, ids: list[int] | None = None) -> int:
    """Mark the extract imports (those of `ids`, else all) whose worker vanished."""
    if ids is None:
        batches = HouseholdImport.objects.all()
    else:
        batches = HouseholdImport.objects.filter(pk__in=[i for i in ids if 0 < i <= MAX_ID])
    return recover_stale(batches, list(HouseholdImport.WORKING), _recovered)


# Deciding a file ----------------------------------------------------------------------------


@contextlib.contextmanager
def few_collections():
    """One small record per row is kept for the whole sheet; the cyclic collector would walk
    that growing heap again and again (the roster import met the same, docs/PERFORMANCE.md).
    Nothing here makes cycles: no cyclic collection while the check runs."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def decide_file(
    path: Path,
    *,
    sheet: str | None,
    header_row: int | None,
    mapping: dict[str, str] | None,
    as_of: datetime.date | None,
    user=None,
    on_rows=None,
    office=None,
) -> tuple[Decision, Layout | None]:
    """Read every row of the sheet and decide every family against the database. Without a
    sheet, header row or mapping, the sheet's own layout gives them (and is returned).
    `office`: the office whose area bounds the rows (an import's own; by default the office
    the work acts for)."""
    today = timezone.localdate()
    reader = Reader(user=user, today=today, office=office)

    def progress(count: int) -> None:
        if on_rows is not None and count % PROGRESS_EVERY == 0:
            on_rows(count)

    layout = None
    with few_collections():
        # The workbook is opened (and its sheet read) once, for the layout and the rows, and
        # closed before deciding: its parsed sheet is not held beside the decisions.
        with Spreadsheet(Path(path)) as book:
            if sheet is None or header_row is None or mapping is None:
                layout = sheet_layout(book, sheet or default_sheet(book))
                sheet, header_row, mapping = layout.sheet, layout.header_row, layout.mapping
                _require_columns(layout)
            rows = read_all(
                reader,
                read_rows(book, sheet=sheet, header_row=header_row, mapping=mapping),
                progress,
            )
        return Decider(reader, as_of or today).decide(rows), layout


def _require_columns(layout: Layout) -> None:
    missing = missing_columns(layout.mapping.values())
    if missing:
        raise FileProblem(
            _("Columns not recognised in sheet %(sheet)s: %(keys)s (headers: %(headers)s).")
            % {
                "sheet": layout.sheet,
                "keys": ", ".join(missing),
                "headers": ", ".join(h for h in layout.headers if h),
            }
        )


def _batch_decision(batch: HouseholdImport, on_rows=None) -> Decision:
    decision, _layout = decide_file(
        Path(batch.file.path),
        sheet=batch.sheet,
        header_row=batch.header_row,
        mapping=batch.mapping,
        as_of=batch.as_of,
        user=batch.created_by,
        on_rows=on_rows,
        office=batch.office,
    )
    return decision


def _status(family) -> str:
    return REJECTED if family.rejected else family.status


def extract_check(*, batch_id: int) -> HouseholdImport:
    """Check every row and store what saving would do, for the preview. Writes nothing else."""
    batch = HouseholdImport.objects.get(pk=batch_id)
    if batch.status != Status.CHECKING:
        return batch
    heartbeat = Heartbeat(HouseholdImport.objects.filter(pk=batch.pk, status=Status.CHECKING))
    heartbeat.beat(force=True)
    try:
        decision = _batch_decision(batch, on_rows=lambda n: heartbeat.beat(progress_done=n))
        with transaction.atomic():
            ExtractRow.objects.filter(batch=batch).delete()
            ExtractHousehold.objects.filter(batch=batch).delete()
            _store(batch, decision, heartbeat)
            HouseholdImport.objects.filter(pk=batch.pk, status=Status.CHECKING).update(
                status=Status.PREVIEW,
                summary=decision.summary(),
                progress_done=len(decision.rows),
                progress_total=len(decision.rows),
                heartbeat_at=None,
            )
    except FileProblem as exc:
        _fail(batch, exc.message)
    except Exception as exc:  # noqa: BLE001 - never leave an import stuck in "checking"
        logger.exception("extract %s: check failed", batch.pk)
        _fail(
            batch,
            _(
                "The check stopped on an unexpected error (%(error)s). Check the file again; if "
                "it happens again, tell the office's administrator."
            )
            % {"error": str(exc)[:200]},
        )
    return HouseholdImport.objects.get(pk=batch.pk)


def _fail(batch: HouseholdImport, message: str) -> None:
    HouseholdImport.objects.filter(pk=batch.pk).update(
        status=Status.FAILED, message=message, heartbeat_at=None
    )


def _store(batch: HouseholdImport, decision: Decision, heartbeat: Heartbeat) -> None:
    # The rows with a problem (rejected, or a warning): what the preview and the rejected-rows
    # report show; a row read cleanly is in its household's `rows` and in the file.
    rows = [r for r in decision.rows if r.problems]
    for start in range(0, len(rows), STORE_BATCH * 5):
        ExtractRow.objects.bulk_create(
            [
                ExtractRow(
                    batch=batch,
                    number=r.number,
                    status=ExtractRow.Status.REJECTED if r.rejected else ExtractRow.Status.OK,
                    kk_number=r.kk,
                    nik=r.nik,
                    name=r.name[:150],
                    problems=r.problems,
                )
                for r in rows[start : start + STORE_BATCH * 5]
            ],
            batch_size=STORE_BATCH,
        )
        heartbeat.beat()
    # A chunk of families at a time: their plans are worded for storing, not kept.
    families = list(decision.families.values())
    for start in range(0, len(families), STORE_BATCH):
        ExtractHousehold.objects.bulk_create(
            [
                ExtractHousehold(
                    batch=batch,
                    kk_number=f.kk,
                    household_id=f.household_id,
                    area_id=f.area_id,
                    status=_status(f),
                    rows=[r.number for r in f.rows],
                    plan=f.plan,
                    problems=f.problems,
                )
                for f in families[start : start + STORE_BATCH]
            ]
        )
        heartbeat.beat()
    ExtractHousehold.objects.bulk_create(
        [
            ExtractHousehold(
                batch=batch,
                kk_number=m.kk,
                household_id=m.household_id,
                area_id=m.area_id,
                status=MISSING,
                plan=m.plan,
                accompanied=m.accompanied,
            )
            for m in decision.missing
        ],
        batch_size=STORE_BATCH,
    )


# Commit -------------------------------------------------------------------------------------


class StaleDatabase(Exception):
    def __init__(self, kks: list[str]):
        super().__init__(kks)
        self.kks = kks


def _compare(batch: HouseholdImport, decision: Decision) -> dict[int, str]:
    """Raise StaleDatabase unless every family and missing household would be saved as the
    preview showed; return the decisions on missing households {household id: keep/close}."""
    missing_shown: dict[int, tuple] = {}
    decisions: dict[int, str] = {}
    families = decision.families
    seen: set[str] = set()
    stale: list[str] = []
    stored = ExtractHousehold.objects.filter(batch=batch).values_list(
        "kk_number", "status", "plan", "household_id", "accompanied", "decision"
    )
    # Read a chunk at a time: the stored plans of a large extract are not held all at once.
    for kk, status, plan, household_id, accompanied, decided in stored.iterator(2000):
        if status == MISSING:
            missing_shown[household_id] = (kk, accompanied)
            if decided:
                decisions[household_id] = decided
            continue
        seen.add(kk)
        family = families.get(kk)
        if family is None or (_status(family), family.plan) != (status, plan):
            stale.append(kk)
    stale += [kk for kk in families if kk not in seen]
    fresh = {m.household_id: (m.kk, m.accompanied) for m in decision.missing}
    stale += [v[0] for k, v in fresh.items() if missing_shown.get(k) != v]
    stale += [v[0] for k, v in missing_shown.items() if k not in fresh]
    if stale:
        raise StaleDatabase(stale)
    return decisions


def _lock_in(batch: HouseholdImport, status: str) -> bool:
    return bool(
        list(
            HouseholdImport.objects.select_for_update()
            .filter(pk=batch.pk, status=status)
            .values_list("pk", flat=True)
        )
    )


def extract_commit(*, batch_id: int, by: Actor) -> HouseholdImport:
    """Write what the preview showed, in one transaction — all or nothing. When the database
    changed since the preview, nothing is written: the extract is checked again."""
    batch = HouseholdImport.objects.get(pk=batch_id)
    if batch.status != Status.COMMITTING:
        return batch
    Heartbeat(HouseholdImport.objects.filter(pk=batch.pk)).beat(force=True)
    try:
        with transaction.atomic():
            # Held until the end: a reader sees the worker is alive; a second task waits here,
            # then finds the import saved.
            if not _lock_in(batch, Status.COMMITTING):
                return HouseholdImport.objects.get(pk=batch.pk)
            decision = _batch_decision(batch)
            decisions = _compare(batch, decision)
            result = Writer(batch, by, decision).write(decisions)
            # The households it created, on their rows of the preview: a verification round
            # opened on "the households of this import" finds them there.
            ExtractHousehold.objects.filter(
                batch=batch, status=ExtractHousehold.Status.NEW, household__isnull=True
            ).update(
                household_id=Subquery(
                    Household.objects.filter(kk_number=OuterRef("kk_number")).values("pk")[:1]
                )
            )
            mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
            summary = {**decision.summary(), "closed": result["closed"]}
            HouseholdImport.objects.filter(pk=batch.pk).update(
                status=Status.COMMITTED,
                committed_by=by.signed_in_user,
                committed_at=timezone.now(),
                audit_mark=mark or 0,
                summary=summary,
                message="",
                heartbeat_at=None,
            )
            counts = summary["households"]
            audit_record(
                by=by,
                action=AuditEntry.Action.LOAD,
                obj=batch,
                batch=batch.pk,
                note=_(
                    "saved: %(new)s new, %(updated)s updated, %(moved)s moved households, "
                    "%(closed)s closed"
                )
                % {**counts, "closed": result["closed"]},
            )
    except StaleDatabase as exc:
        moved = HouseholdImport.objects.filter(pk=batch.pk, status=Status.COMMITTING).update(
            status=Status.CHECKING
        )
        if moved:
            extract_check(batch_id=batch.pk)
            HouseholdImport.objects.filter(pk=batch.pk).update(
                message=_(
                    "Nothing was saved: the households changed after the check, so KK "
                    "%(kks)s would now be saved differently. The file has been checked again; "
                    "read the preview and save again."
                )
                % {"kks": ", ".join(mask_nik(kk) for kk in exc.kks[:10])}
            )
    except (IntegrityError, ValidationError, FileProblem) as exc:
        HouseholdImport.objects.filter(pk=batch.pk, status=Status.COMMITTING).update(
            status=Status.PREVIEW,
            heartbeat_at=None,
            message=_("Nothing was saved: the database refused a record (%(error)s).")
            % {"error": str(exc)[:200]},
        )
    except Exception as exc:  # noqa: BLE001 - never leave an import stuck in "saving"
        logger.exception("extract %s: commit failed", batch.pk)
        HouseholdImport.objects.filter(pk=batch.pk, status=Status.COMMITTING).update(
            status=Status.PREVIEW,
            heartbeat_at=None,
            message=_(
                "Nothing was saved: an unexpected error stopped the saving (%(error)s). Try "
                "again; if it happens again, tell the office's administrator."
            )
            % {"error": str(exc)[:200]},
        )
    return HouseholdImport.objects.get(pk=batch.pk)


# Undo ---------------------------------------------------------------------------------------


def undo_refusal(later: list[AuditEntry]) -> ValidationError:
    shown = "; ".join(
        _("%(what)s %(action)s on %(when)s by %(who)s")
        % {
            "what": e.object_repr or f"{e.object_type} #{e.object_id}",
            "action": e.get_action_display(),
            "when": date_format(timezone.localtime(e.at), "DATETIME_FORMAT"),
            "who": e.username or e.get_source_display(),
        }
        for e in later[:5]
    )
    return ValidationError(
        {
            "undo": [
                _(
                    "This extract cannot be undone: %(count)s later changes touch the households "
                    "it wrote (%(shown)s). Undo or correct those first."
                )
                % {"count": len(later), "shown": shown}
            ]
        }
    )


def extract_undo(*, batch_id: int, by: Actor) -> HouseholdImport:
    """Take back everything the extract wrote, in one transaction; refused (with the records
    named) when later writes touch them."""
    Heartbeat(HouseholdImport.objects.filter(pk=batch_id, status=Status.UNDOING)).beat(force=True)
    try:
        with transaction.atomic():
            batch = HouseholdImport.objects.select_for_update().get(pk=batch_id)
            if batch.status != Status.UNDOING:
                return batch
            later = later_changes(batch)
            if later:
                raise undo_refusal(later)
            count = undo(batch, by)
            HouseholdImport.objects.filter(pk=batch.pk).update(
                status=Status.UNDONE,
                undone_by=by.signed_in_user,
                undone_at=timezone.now(),
                message="",
                heartbeat_at=None,
            )
            audit_record(
                by=by,
                action=AuditEntry.Action.UPDATE,
                obj=batch,
                batch=batch.pk,
                note=_("undone: %(count)s records taken back") % {"count": count},
            )
    except ValidationError as exc:
        HouseholdImport.objects.filter(pk=batch_id, status=Status.UNDOING).update(
            status=Status.COMMITTED, heartbeat_at=None, message=" ".join(exc.messages)
        )
    except ProtectedError:
        HouseholdImport.objects.filter(pk=batch_id, status=Status.UNDOING).update(
            status=Status.COMMITTED,
            heartbeat_at=None,
            message=_(
                "Nothing was undone: records written since (activities, caseloads) refer to "
                "households this extract created. Remove those first."
            ),
        )
    except Exception as exc:  # noqa: BLE001 - never leave an import stuck in "undoing"
        logger.exception("extract %s: undo failed", batch_id)
        HouseholdImport.objects.filter(pk=batch_id, status=Status.UNDOING).update(
            status=Status.COMMITTED,
            heartbeat_at=None,
            message=_("Nothing was undone: an unexpected error stopped it (%(error)s).")
            % {"error": str(exc)[:200]},
        )
    return HouseholdImport.objects.get(pk=batch_id)


# The command line's dry run -----------------------------------------------------------------


@dataclass
class DryRun:
    layout: Layout
    decision: Decision
    summary: dict

    @property
    def problem_rows(self) -> list[Row]:
        return [r for r in self.decision.rows if r.problems]


def check_in_memory(path: Path, *, as_of: datetime.date | None = None, by: Actor | None = None):
    """The CLI's dry run: the same check on the recognised columns, nothing stored."""
    decision, layout = decide_file(
        Path(path),
        sheet=None,
        header_row=None,
        mapping=None,
        as_of=as_of,
        user=by.signed_in_user if by else None,
    )
    return DryRun(layout=layout, decision=decision, summary=decision.summary())
