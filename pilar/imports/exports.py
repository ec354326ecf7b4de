"""Files of the import workflow: the empty template, the roster in the template's columns, and
the report of rejected rows. Export -> edit -> import gives back the same registry."""

from __future__ import annotations

import datetime
import io

import xlsxwriter
from django.utils.translation import gettext as _

from pilar.imports.engine.columns import TEMPLATE_COLUMNS
from pilar.registry.models import PillarKind

SAMPLE = {
    "nik": "1375014508800003",
    "name": "Siti Rahmah",
    "sex": "P",
    "birth_place": "Bukittinggi",
    "birth_date": datetime.date(1980, 8, 5),
    "address": "Jl. Sudirman No. 5, RT 02/RW 01",
    "residence": "Bukik Cangang Kayu Ramang",
    "phone": "081234567890",
    "education": "SMA",
    "bank_name": "Bank Nagari",
    "bank_account": "1234567890",
    "bank_holder": "Siti Rahmah",
    "kind": "PSM",
    "kecamatan": "Guguak Panjang",
    "kelurahan": "Bukik Cangang Kayu Ramang",
    "sk_number": "188.45/123/WAKO-2024",
    "sk_date": datetime.date(2024, 1, 15),
    "sk_signer": "Wali Kota Bukittinggi",
    "start_date": datetime.date(2024, 2, 1),
    "end_date": None,
    "end_reason": "",
}
DATE_KEYS = {"birth_date", "sk_date", "start_date", "end_date"}
TEXT_KEYS = {"nik", "phone", "bank_account", "sk_number"}


def template_xlsx() -> bytes:
    """The roster template: a 'Pilar' sheet with the columns (NIK, phone and account formatted
    as text so Excel keeps every digit; lists for sex and kind), and a 'Petunjuk' sheet with an
    example row and what each column takes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "dd-mm-yyyy"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet = book.add_worksheet("Pilar")
    kinds = list(PillarKind.objects.values_list("code", flat=True))
    for col, column in enumerate(TEMPLATE_COLUMNS):
        sheet.write_string(0, col, column.header, bold)
        sheet.write_comment(0, col, str(column.hint))
        cell_format = text if column.key in TEXT_KEYS else date if column.key in DATE_KEYS else None
        sheet.set_column(col, col, max(14, len(column.header) + 4), cell_format)
        if column.key == "sex":
            sheet.data_validation(1, col, 10000, col, {"validate": "list", "source": ["L", "P"]})
        elif column.key == "kind" and kinds:
            sheet.data_validation(1, col, 10000, col, {"validate": "list", "source": kinds})
    sheet.freeze_panes(1, 0)
    hints = book.add_worksheet("Petunjuk")
    hints.write_row(0, 0, [_("Column"), _("Example"), _("What to write")], bold)
    for row, column in enumerate(TEMPLATE_COLUMNS, start=1):
        hints.write_string(row, 0, column.header)
        value = SAMPLE.get(column.key)
        if isinstance(value, datetime.date):
            hints.write_datetime(row, 1, datetime.datetime.combine(value, datetime.time()), date)
        elif value:
            hints.write_string(row, 1, str(value))
        hints.write_string(row, 2, str(column.hint), wrap)
    note_row = len(TEMPLATE_COLUMNS) + 2
    hints.write_string(
        note_row,
        0,
        _(
            "One row is one duty of one person: a person with two duties has two rows with the "
            "same NIK. Rows with a NIK already registered update that person; empty cells "
            "change nothing."
        ),
    )
    hints.set_column(0, 0, 24)
    hints.set_column(1, 1, 30)
    hints.set_column(2, 2, 70)
    book.close()
    return buffer.getvalue()


# Cells whose text is known to be wrong (digits Excel lost): the report leaves them empty, so a
# corrected report cannot bring the wrong number back in.
UNRECOVERABLE = {"nik_number", "nik_scientific", "nik_type", "number_cell"}


def rejected_report(batch) -> bytes:
    """The rejected rows as the file has them (read again from the stored file), with the row
    number and what to fix, so the office can correct them and import just these rows."""
    from pathlib import Path

    from pilar.imports.engine.records import ERROR, Problem, shown_problem
    from pilar.lib.exports import to_xlsx
    from pilar.lib.spreadsheet import Spreadsheet, text_from_cell

    headers = [c[1] or f"({_('no header')})" for c in batch.columns]
    width = len(headers)
    column_of = {field: int(index) for index, field in batch.mapping.items()}
    rejected = {
        r.number: r.problems
        for r in batch.rows.filter(status="rejected").only("number", "problems").iterator(2000)
    }
    rows = []
    with Spreadsheet(Path(batch.file.path)) as book:
        for number, raw in book.rows(batch.sheet):
            if number not in rejected:
                continue
            problems = [Problem.stored(p) for p in rejected[number]]
            cells = ([text_from_cell(c) for c in raw] + [""] * width)[:width]
            for problem in problems:
                if problem.code in UNRECOVERABLE and problem.key in column_of:
                    cells[column_of[problem.key]] = ""
            # Messages as the preview shows them: a NIK masked in the value and the message.
            shown = [shown_problem(p) for p in problems if p.severity == ERROR]
            text = "; ".join(
                p.message if not p.value or p.code in UNRECOVERABLE else f"{p.message} [{p.value}]"
                for p in shown
            )
            rows.append(cells + [number, text])
    return to_xlsx(headers + [_("Row in the file"), _("Problem")], rows, sheet="Pilar")
