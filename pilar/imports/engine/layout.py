"""The first look at a roster sheet (`sheet_layout`): which row holds the headers, which columns
they name (`columns.guess_mapping`), a few sample rows, and notes on what to check by hand; and
which sheet of a workbook holds the roster (`default_sheet`). The file itself is opened and its
rows produced by `pilar.lib.spreadsheet`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from pilar.imports.engine.columns import guess_field, guess_mapping
from pilar.lib.spreadsheet import FileProblem, Spreadsheet, column_letter, text_from_cell

HEADER_SCAN_ROWS = 15
SCANNED_SHEETS = 20  # sheets looked through for a NIK column; others are chosen by hand
SAMPLE_ROWS = 3


@dataclass
class Layout:
    """What the first look at a sheet found: where the header is, what the columns are."""

    sheet: str
    header_row: int  # 1-based, as the spreadsheet shows it
    headers: list[str]
    samples: list[list[str]]
    mapping: dict[str, str]
    notes: list[str] = field(default_factory=list)


def default_sheet(book: Spreadsheet) -> str:
    """The first of the first SCANNED_SHEETS visible sheets with a recognisable header row,
    else the first visible one."""
    visible = [s.name for s in book.sheets if s.visible] or [book.sheets[0].name]
    for name in visible[:SCANNED_SHEETS]:
        layout = sheet_layout(book, name)
        if "nik" in layout.mapping.values():
            return name
    return visible[0]


def sheet_layout(
    book: Spreadsheet,
    sheet: str,
    *,
    guess: Callable[[str], str | None] = guess_field,
    mapping: Callable[[list[str]], dict[str, str]] = guess_mapping,
    empty: str | None = None,
) -> Layout:
    """Find the header row (the row among the first few that names the most known columns:
    offices put a title such as 'DAFTAR PSM KOTA BUKITTINGGI' above it), and sample rows.

    A roster's columns by default; another sheet of the same shape (a DTSEN extract) gives its
    own header guesser, mapping and the words for an empty sheet (`empty`, with %(name)s)."""
    head: list[tuple[int, list]] = []
    for number, cells in book.rows(sheet):
        head.append((number, cells))
        if len(head) >= HEADER_SCAN_ROWS + SAMPLE_ROWS:
            break
    notes: list[str] = []
    hidden = [s.name for s in book.sheets if not s.visible]
    if hidden:
        notes.append(
            _("Hidden sheets are not read unless you choose them: %(names)s.")
            % {"names": ", ".join(hidden)}
        )
    if not any(any(text_from_cell(c) for c in cells) for _n, cells in head):
        raise FileProblem(
            (empty or _("The sheet %(name)s is empty. Choose the sheet that holds the roster."))
            % {"name": sheet}
        )
    best_index, best_score = 0, -1
    for index, (_number, cells) in enumerate(head[:HEADER_SCAN_ROWS]):
        score = sum(1 for c in cells if guess(text_from_cell(c)))
        if score > best_score:
            best_index, best_score = index, score
    header_number, header_cells = head[best_index]
    headers = [text_from_cell(c) for c in header_cells]
    samples = [[text_from_cell(c) for c in cells] for _n, cells in head[best_index + 1 :]]
    samples = [s for s in samples if any(s)][:SAMPLE_ROWS]
    width = max([len(headers)] + [len(s) for s in samples])
    headers += [""] * (width - len(headers))
    for (r0, c0), (r1, c1) in book.merged_ranges(sheet):
        if r0 <= header_number - 1 <= r1 and c1 > c0:
            notes.append(
                _(
                    "Header cells %(first)s%(row)s:%(last)s%(row)s are merged; only column "
                    "%(first)s got the header. Map the other columns by hand if they hold data."
                )
                % {"first": column_letter(c0), "last": column_letter(c1), "row": header_number}
            )
    unnamed = [
        column_letter(i)
        for i, h in enumerate(headers)
        if not h and any(i < len(s) and s[i] for s in samples)
    ]
    if unnamed:
        notes.append(
            _("Columns without a header but with data: %(columns)s.")
            % {"columns": ", ".join(unnamed)}
        )
    return Layout(
        sheet=sheet,
        header_row=header_number,
        headers=headers,
        samples=samples,
        mapping=mapping(headers),
        notes=notes,
    )
