"""Tabular exports: the same rows to XLSX (XlsxWriter) and CSV (UTF-8 with BOM, for Excel).

Downloads read their rows from the read replica when there is one (pilar/lib/replica.py) and
hold bounded memory whatever their size (docs/PERFORMANCE.md, "Pages at national
scale"): CSV streams as the rows are read; XLSX is written row by row to a temporary file
(XlsxWriter's `constant_memory`) and sent from it. A small download (up to `SMALL_ROWS` rows,
or an XLSX file up to `SMALL_BYTES`) is answered in one piece with its length.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence

import xlsxwriter
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from pilar.lib.params import InputError
from pilar.lib.replica import replica_rows

XLSX_MAX_ROWS = 1_048_576
SMALL_ROWS = 2000
SMALL_BYTES = 4 * 1024 * 1024
CSV_CHUNK_ROWS = 500

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> object:
    """A CSV cell that Excel cannot run as a formula: text starting with = + - @ gets a '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _write_xlsx(target, options: dict, headers: Sequence[str], rows: Iterable[Sequence], sheet):
    book = xlsxwriter.Workbook(target, {"strings_to_numbers": False, **options})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    text = book.add_format({"num_format": "@"})
    widths = [len(h) + 2 for h in headers]
    last_row = 0
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, bold)
    for r, row in enumerate(rows, start=1):
        last_row = r
        if r == XLSX_MAX_ROWS - 1:
            # A worksheet holds 1,048,576 rows: say so in the last one rather than drop the
            # rest silently.
            ws.write_string(r, 0, _("More rows than a worksheet holds: download the CSV."), bold)
            break
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                ws.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_fmt)
                width = 12
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
                width = 6
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
                width = len(str(value))
            else:
                # Text stays text: a NIK or phone must never become a number in Excel.
                ws.write_string(r, c, str(value), text)
                width = len(str(value))
            widths[c] = min(max(widths[c], width + 2), 60)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, last_row, len(headers) - 1)
    book.close()


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence], *, sheet: str = "Data") -> bytes:
    buffer = io.BytesIO()
    _write_xlsx(buffer, {"in_memory": True}, headers, rows, sheet)
    return buffer.getvalue()


def xlsx_file(headers: Sequence[str], rows: Iterable[Sequence], *, sheet: str = "Data"):
    """The workbook in an anonymous temporary file (gone when closed), positioned at its start:
    rows are written one by one and flushed (`constant_memory`), so memory stays flat."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's response closes it
    try:
        _write_xlsx(out, {"constant_memory": True}, headers, rows, sheet)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The CSV (UTF-8 with BOM) in pieces of `CSV_CHUNK_ROWS` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for n, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(v) for v in row])
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")


def export_format(request) -> str | None:
    """The download a list's `format` parameter asks for ("xlsx" or "csv"), None for the page
    itself. Any other value is refused with InputError: a 400 naming the field, on every list
    alike (pilar.core.middleware.InputErrorMiddleware)."""
    fmt = request.GET.get("format")
    if not fmt:
        return None
    if fmt not in FORMATS:
        raise InputError("format", _("Unknown format; use xlsx or csv."))
    return fmt


def file_response(
    fmt: str,
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    on_done: Callable[[int], None] | None = None,
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """An XLSX or CSV download of `rows` named `filename`.<fmt>, in bounded memory.

    `on_done(n)` is called with the number of rows once they are all read: before answering for
    XLSX and small CSV, when the stream ends (or the client goes away) for a streamed CSV."""
    # The rows are read from the read replica when there is one (pilar/lib/replica.py).
    counted = _Counter(replica_rows(rows))
    name = f"{filename}.{fmt}"
    if fmt == "xlsx":
        out = xlsx_file(headers, counted)
        if on_done is not None:
            on_done(counted.n)
        size = out.seek(0, io.SEEK_END)
        out.seek(0)
        if size <= SMALL_BYTES:
            with out:
                response = HttpResponse(out.read(), content_type=XLSX_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX_TYPE)
    # CSV: the first rows decide. A short list is answered whole; a long one streams.
    head = list(itertools.islice(counted, SMALL_ROWS + 1))
    if len(head) <= SMALL_ROWS:
        if on_done is not None:
            on_done(counted.n)
        response = HttpResponse(to_csv(headers, head), content_type="text/csv; charset=utf-8")
    else:
        chunks = csv_chunks(headers, itertools.chain(head, counted))
        response = StreamingHttpResponse(
            _finishing(chunks, counted, on_done, translation.get_language()),
            content_type="text/csv; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class _Counter:
    """Iterates `rows` once, counting them in `n`."""

    def __init__(self, rows: Iterable[Sequence]):
        self._rows, self.n = iter(rows), 0

    def __iter__(self):
        return self

    def __next__(self):
        row = next(self._rows)
        self.n += 1
        return row


def _finishing(chunks: Iterator[bytes], counted: _Counter, on_done, language) -> Iterator[bytes]:
    """The chunks, then `on_done`: all in the request's language, since a stream is read after
    the view has returned (labels in the rows and the audit entry are translated as they are
    made)."""
    with translation.override(language):
        try:
            yield from chunks
        finally:
            if on_done is not None:
                on_done(counted.n)


def write_file(fmt: str, path, headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    """The export written to the file at `path` (a background export), in bounded memory as
    a download is: CSV chunk by chunk, XLSX row by row (`constant_memory`)."""
    if fmt == "xlsx":
        _write_xlsx(str(path), {"constant_memory": True}, headers, rows, "Data")
        return
    with open(path, "wb") as out:
        for chunk in csv_chunks(headers, rows):
            out.write(chunk)
