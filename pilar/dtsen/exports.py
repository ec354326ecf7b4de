"""Files of an extract import: the report of rejected rows — each with its cells as the stored
file has them, its row number and what to fix — so that the office can correct them and import
just these rows again (as the roster import's `pilar.imports.exports.rejected_report`).

A row is in the report when it was rejected itself, or when its household (its KK) was: a
household is saved whole or not at all, so all of its rows come back to be fixed together.
"""

from __future__ import annotations

from pathlib import Path

from django.http import HttpResponse
from django.utils.translation import gettext as _

from pilar.dtsen.models import ExtractHousehold, ExtractRow, HouseholdImport
from pilar.lib.exports import XLSX_TYPE, to_xlsx
from pilar.lib.spreadsheet import Spreadsheet, text_from_cell

REJECTED = "rejected"


def _reasons(batch: HouseholdImport) -> dict[int, list[str]]:
    """{row number: [what to fix, ...]} of every row to report."""
    reasons: dict[int, list[str]] = {}
    rows = batch.rows.filter(status=ExtractRow.Status.REJECTED).only("number", "problems")
    for row in rows.iterator(chunk_size=2000):
        reasons[row.number] = [_problem_text(p) for p in row.problems if p[0] == REJECTED]
    households = batch.households.filter(status=ExtractHousehold.Status.REJECTED).only(
        "kk_number", "rows", "problems"
    )
    for household in households.iterator(chunk_size=2000):
        texts = [_problem_text(p) for p in household.problems if p[0] == REJECTED]
        for number in household.rows or []:
            number = number[0] if isinstance(number, list | tuple) else number
            mine = reasons.setdefault(int(number), [])
            mine.extend(t for t in texts if t not in mine)
            if not mine:
                mine.append(
                    _("Another row of KK %(kk)s is rejected: the household is saved whole.")
                    % {"kk": household.kk_number}
                )
    return reasons


def _problem_text(problem: list) -> str:
    _severity, _field, value, message = problem
    return f"{message} [{value}]" if value and str(value) not in message else message


def rejected_report(batch: HouseholdImport) -> bytes:
    """The rows to fix, as the stored file has them, then the row number and the reasons."""
    headers = [c[1] or f"({_('no header')})" for c in batch.columns]
    width = len(headers)
    reasons = _reasons(batch)
    rows = []
    if reasons:
        with Spreadsheet(Path(batch.file.path)) as book:
            for number, raw in book.rows(batch.sheet or book.first_visible()):
                if number not in reasons:
                    continue
                cells = ([text_from_cell(c) for c in raw] + [""] * width)[:width]
                rows.append([*cells, number, "; ".join(reasons[number])])
    return to_xlsx([*headers, _("Row in the file"), _("Problem")], rows, sheet="DTSEN")


def rejected_response(batch: HouseholdImport) -> HttpResponse:
    response = HttpResponse(rejected_report(batch), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="pilar-dtsen-{batch.pk}-rejected.xlsx"'
    return response
