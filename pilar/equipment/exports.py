"""The equipment lists as rows, for XLSX and CSV (the same rows the pages show)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from pilar.equipment.models import Handover, Return
from pilar.equipment.selectors import Figures
from pilar.lib.nik import mask_nik


def catalog_headers() -> list[str]:
    return [
        _("Item"),
        _("Category"),
        pgettext("measure", "Unit"),
        _("Asset register code"),
        _("Must be returned"),
        _("Received"),
        _("Handed over"),
        _("Returned in good condition"),
        _("Returned damaged"),
        _("Lost"),
        _("Repaired"),
        _("Written off"),
        _("Awaiting repair"),
        _("Held"),
        _("Available in stock"),
    ]


def catalog_rows(rows: Iterable[tuple]) -> Iterator[list]:
    for item, f in rows:
        f: Figures
        yield [
            item.name,
            item.get_category_display(),
            item.unit,
            item.asset_code,
            item.needs_return,
            f.received,
            f.handed,
            f.returned_good,
            f.returned_damaged,
            f.lost,
            f.repaired,
            f.written_off,
            f.awaiting_repair,
            f.held,
            f.in_stock,
        ]


def handover_headers() -> list[str]:
    return [
        _("BAST number"),
        _("Date of handover"),
        _("Place"),
        _("Handed over by"),
        _("Witnesses"),
        _("Training event"),
        _("Receivers"),
    ]


def handover_rows(handovers: Iterable[Handover]) -> Iterator[list]:
    for h in handovers:
        yield [
            h.number,
            h.handed_on,
            h.place,
            h.giver_name,
            "; ".join(f"{n} ({p})" if p else n for n, p in h.witness_list()),
            h.training_event.display_title if h.training_event else "",
            h.line_count,
        ]


def holding_headers(*, left: bool = False) -> list[str]:
    headers = [
        _("Name"),
        _("NIK"),
        _("Item"),
        _("Quantity held"),
        pgettext("measure", "Unit"),
        _("Held since"),
        _("Latest BAST"),
        _("Latest BAST date"),
    ]
    return headers + ([_("Last day of duty")] if left else [])


def holding_rows(rows: Iterable[dict], *, left: bool = False) -> Iterator[list]:
    for r in rows:
        row = [
            r["person__name"],
            mask_nik(r["person__nik"]),
            r["item__name"],
            r["held"],
            r["item__unit"],
            r["first_on"],
            r["last_number"],
            r["last_on"],
        ]
        yield row + ([r["left_on"]] if left else [])


def return_headers() -> list[str]:
    return [
        _("Date returned"),
        _("Name"),
        _("NIK"),
        _("Item"),
        _("Quantity"),
        pgettext("measure", "Unit"),
        _("Condition"),
        _("Reason"),
        _("Received by"),
        _("Correction"),
    ]


def return_rows(returns: Iterable[Return]) -> Iterator[list]:
    for r in returns:
        yield [
            r.returned_on,
            r.person.name,
            r.person.masked_nik,
            r.item.name,
            r.quantity,
            r.item.unit,
            r.get_condition_display(),
            r.reason,
            r.received_by,
            _correction(r),
        ]


def _correction(row) -> str:
    if row.reversed_at is None:
        return ""
    if row.replaced_by_id:
        return _("Amended: %(reason)s") % {"reason": row.reversal_reason}
    return _("Reversed: %(reason)s") % {"reason": row.reversal_reason}
