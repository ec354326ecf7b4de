"""Opening an uploaded spreadsheet: which kind of file it is, its sheets, its rows.

XLSX, XLS and ODS are read with python-calamine (Rust; cells arrive as Python values, dates as
dates); CSV with the csv module in any common encoding and delimiter. A file is recognised by its
first bytes, never by its name, so a renamed PDF is refused and a CSV saved as .xls still reads.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import struct
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import olefile
import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted (password-protected) XLSX is an OLE file holding this stream.
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
SNIFF_CHARS = 8192
MAX_SHEETS = 1000
# Excel's own limit for the text of one cell; a longer cell is no roster value but an attack
# (or a damaged file), refused before it is normalised or stored.
MAX_CELL_CHARS = 32_767
MAX_COLUMNS = 16_384  # Excel's widest sheet (XFD); a CSV line of a million commas is no roster
# An XLSX or ODS is a zip of XML. Real workbooks inflate 5-30 times; a "zip bomb" (1.5 MB
# inflating to 1.5 GB) is refused from its directory, before a byte is inflated: no part and
# no workbook may inflate to more than INFLATE_FACTOR times the largest accepted upload, and a
# part from RATIO_FLOOR bytes on may not be more than MAX_RATIO times smaller packed.
INFLATE_FACTOR = 20
MAX_RATIO = 200
RATIO_FLOOR = 10 * 1024 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be taken in; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    name: str
    visible: bool


def sniff_format(path: Path) -> str:
    """'xlsx', 'ods', 'xls' or 'csv' from the file's first bytes; FileProblem for anything else."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head:
        raise FileProblem(_("The file is empty. Choose the spreadsheet that holds the roster."))
    if head.startswith(ZIP_MAGIC):
        names = check_archive(path)
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names and "mimetype" in names:
            return "ods"
        raise FileProblem(_not_a_spreadsheet())
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as fh:
            body = fh.read(4 * 1024 * 1024)
        if ENCRYPTED_MARK in body:
            raise FileProblem(_password_message())
        check_xls(path)
        return "xls"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem(_not_a_spreadsheet())
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"{\\rtf")):
        raise FileProblem(_not_a_spreadsheet())
    return "csv"


def inflate_limit() -> int:
    """The most bytes one part, and all parts together, of an XLSX or ODS may inflate to."""
    return INFLATE_FACTOR * settings.PILAR_IMPORT_MAX_MB * 1024 * 1024


def check_archive(source) -> set[str]:
    """The names in the zip `source` (a path or an open binary file) once its directory shows
    nothing that would inflate beyond reason; FileProblem otherwise. Reads only the directory."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise FileProblem(
            _("The file is damaged (an incomplete XLSX or ODS). Save it again and re-upload.")
        ) from exc
    limit = inflate_limit()
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        absurd = member.file_size >= RATIO_FLOOR and ratio > MAX_RATIO
        if member.file_size > limit or total > limit or absurd:
            raise FileProblem(
                _(
                    "The workbook would unpack to %(size)s MB (its part %(part)s alone to "
                    "%(part_size)s MB, %(ratio)s times its packed size); at most %(max)s MB "
                    "are read. This is not an ordinary roster: open it in Excel or LibreOffice, "
                    "delete what is not the roster, save it again and upload that."
                )
                % {
                    "size": _megabytes(sum(m.file_size for m in members)),
                    "part": member.filename[:80],
                    "part_size": _megabytes(member.file_size),
                    "ratio": round(ratio),
                    "max": _megabytes(limit),
                }
            )
    names = {m.filename for m in members}
    if "xl/workbook.xml" in names:
        parts = sorted(n for n in names if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n))
        _check_extent(source, parts, _xlsx_extent)
    elif "content.xml" in names and "mimetype" in names:
        _check_extent(source, ["content.xml"], _ods_extent)
    return names


# A reader lays a sheet out as a full grid, from its first to its farthest cell with a value:
# two cells, at A1 and at ALL1000000, are a billion cells (32 GB). An ODS row or cell may also
# say "repeated N times", expanded when it holds a value. The sheets' XML is scanned for both
# before the reader sees it.
XLSX_CELL_FAST = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,9})"[^>]*?(/?)>')
XLSX_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,9})"[^>]*?(/?)>')
ODS_TAG = re.compile(
    rb"<table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>"
)
ODS_ROWS = re.compile(rb'number-rows-repeated="([0-9]{1,9})"')
ODS_COLUMNS = re.compile(rb'number-columns-repeated="([0-9]{1,9})"')


def max_cells() -> int:
    """The largest grid a sheet may be: the largest roster, 50 columns wide."""
    return settings.PILAR_IMPORT_MAX_ROWS * 50


class _Extent:
    """The farthest row and column holding a value, and the cells counted, of one sheet."""

    def __init__(self):
        self.rows = self.columns = self.cells = 0
        self.row = self.column = self.repeat = 0  # ODS: where the reading is

    def check(self) -> None:
        limit = max_cells()
        if self.rows * self.columns > limit or self.cells > limit:
            raise FileProblem(
                _(
                    "A sheet reaches row %(rows)s and column %(columns)s (%(cells)s cells once "
                    "laid out); a roster takes at most %(max)s. Delete the far rows and columns "
                    "(or what is not the roster), save the file again and upload that."
                )
                % {
                    "rows": f"{self.rows:,}".replace(",", "."),
                    "columns": column_letter(max(self.columns - 1, 0)),
                    "cells": f"{max(self.rows * self.columns, self.cells):,}".replace(",", "."),
                    "max": f"{limit:,}".replace(",", "."),
                }
            )


def _xlsx_extent(data: bytes, extent: _Extent) -> None:
    refs = XLSX_CELL_FAST.findall(data)
    if len(refs) != data.count(b"<c ") or b":c " in data:
        refs = XLSX_CELL.findall(data)  # attributes in another order, or a prefix: slower
    # <c r="XFD1" s="3"/> is formatting only, no value: not laid out.
    valued = [(column, row) for column, row, closed in refs if not closed]
    if not valued:
        return
    extent.cells += len(valued)
    extent.rows = max(extent.rows, max(int(row) for _column, row in valued))
    widest = max({column for column, _row in valued}, key=lambda c: (len(c), c))
    extent.columns = max(extent.columns, _column_index(widest.decode()) + 1)


def _ods_extent(data: bytes, extent: _Extent) -> None:
    for kind, attributes, closed in ODS_TAG.findall(data):
        if kind == b"table":  # a new sheet
            extent.check()
            extent.rows = extent.columns = extent.cells = extent.row = 0
            continue
        if kind == b"table-row":
            found = ODS_ROWS.search(attributes)
            extent.row += extent.repeat
            extent.repeat = int(found.group(1)) if found else 1
            extent.column = 0
            continue
        found = ODS_COLUMNS.search(attributes)
        width = int(found.group(1)) if found else 1
        extent.column += width
        if closed and b"value-type" not in attributes:
            continue  # an empty cell, however often repeated, is not laid out
        extent.cells += extent.repeat * width
        extent.rows = max(extent.rows, extent.row + extent.repeat)
        extent.columns = max(extent.columns, extent.column)


# BIFF records (XLS) holding one cell with a value, and MULRK (several numbers in a row).
XLS_CELLS = {0x00FD, 0x0203, 0x027E, 0x0204, 0x0205, 0x0006, 0x00D6}
XLS_MULRK = 0x00BD
XLS_BOF = 0x0809


def check_workbook(source) -> None:
    """Refuse (FileProblem) an XLSX, ODS or XLS `source` (an open binary file) whose layout
    would exhaust the server, from its directory and cell positions; other files pass."""
    source.seek(0)
    head = source.read(len(OLE_MAGIC))
    source.seek(0)
    if head.startswith(ZIP_MAGIC):
        check_archive(source)
    elif head == OLE_MAGIC:
        check_xls(source)
    source.seek(0)


def check_xls(source) -> None:
    """FileProblem when a sheet of the XLS `source` (a path or an open binary file) reaches
    farther than max_cells() allows (its cell records read, nothing laid out)."""
    try:
        with olefile.OleFileIO(source) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if name is None:
                return  # not a workbook: the reader says so
            data = ole.openstream(name).read()
    except OSError:
        return  # a damaged file: the reader says so
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    extent = _Extent()
    pos, end = 0, len(data)
    while pos + 4 <= end:
        kind, length = struct.unpack_from("<HH", data, pos)
        body = pos + 4
        pos = body + length
        if kind == XLS_BOF:  # a new sheet (or the workbook's globals)
            extent.check()
            extent = _Extent()
        elif kind in XLS_CELLS and length >= 4:
            row, column = struct.unpack_from("<HH", data, body)
            extent.cells += 1
            extent.rows = max(extent.rows, row + 1)
            extent.columns = max(extent.columns, column + 1)
        elif kind == XLS_MULRK and length >= 6 and pos <= end:
            row, first = struct.unpack_from("<HH", data, body)
            (last,) = struct.unpack_from("<H", data, pos - 2)
            extent.cells += max(last - first + 1, 0)
            extent.rows = max(extent.rows, row + 1)
            extent.columns = max(extent.columns, last + 1)
    extent.check()


def _check_extent(source, parts: list[str], scan) -> None:
    """FileProblem when a sheet in `parts` would be laid out larger than max_cells(). Streams
    the parts (their size already bounded by check_archive)."""
    if hasattr(source, "seek"):
        source.seek(0)
    with zipfile.ZipFile(source) as archive:
        for part in parts:
            extent = _Extent()
            with archive.open(part) as stream:
                tail = b""
                while chunk := stream.read(1 << 20):
                    data = tail + chunk
                    # An unfinished tag goes on to the next chunk (a real one is short).
                    last_open = data.rfind(b"<")
                    if last_open >= 0 and data.find(b">", last_open) < 0:
                        data, tail = data[:last_open], data[last_open:]
                    else:
                        tail = b""
                    scan(data, extent)
                    extent.check()
                    if len(tail) > 1 << 20:
                        raise FileProblem(_not_a_spreadsheet())
            extent.check()


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f}".replace(",", ".")


def check_cells(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    """`rows` as they come, refusing (FileProblem) the first row wider than MAX_COLUMNS and
    the first cell longer than MAX_CELL_CHARS."""
    for number, cells in rows:
        if len(cells) > MAX_COLUMNS:
            raise FileProblem(
                _(
                    "Row %(row)s has %(count)s columns; a sheet has at most %(max)s (Excel's own "
                    "limit). Check the file's delimiter, or delete the empty columns, save it "
                    "again and upload that."
                )
                % {
                    "row": number,
                    "count": f"{len(cells):,}".replace(",", "."),
                    "max": f"{MAX_COLUMNS:,}".replace(",", "."),
                }
            )
        for index, cell in enumerate(cells):
            if cell.__class__ is str and len(cell) > MAX_CELL_CHARS:
                raise FileProblem(
                    _(
                        "Cell %(cell)s holds %(length)s characters; a cell takes at most "
                        "%(max)s (Excel's own limit). Correct that cell, save the file and "
                        "upload it again."
                    )
                    % {
                        "cell": f"{column_letter(index)}{number}",
                        "length": f"{len(cell):,}".replace(",", "."),
                        "max": f"{MAX_CELL_CHARS:,}".replace(",", "."),
                    }
                )
        yield number, cells


def _not_a_spreadsheet() -> str:
    return _(
        "This file is not a spreadsheet. Upload an Excel (XLSX or XLS), OpenDocument (ODS) or "
        "CSV file."
    )


def _password_message() -> str:
    return _(
        "The workbook is protected with a password. Open it in Excel, remove the password "
        "(File > Info > Protect Workbook) and save it, then upload it again."
    )


class Spreadsheet:
    """One uploaded file, opened for reading."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.format = sniff_format(self.path)
        self._book = None
        self._text: str | None = None
        self._csv_delimiter: str | None = None
        self._loaded: dict[str, object] = {}
        if self.format == "csv":
            self.sheets = [Sheet(name="CSV", visible=True)]
        else:
            try:
                self._book = python_calamine.CalamineWorkbook.from_path(str(self.path))
            except python_calamine.PasswordError as exc:
                raise FileProblem(_password_message()) from exc
            except Exception as exc:  # calamine raises several kinds for a broken file
                raise FileProblem(
                    _(
                        "The file cannot be read as a spreadsheet (%(error)s). Open it in Excel "
                        "or LibreOffice, save it again as XLSX, and upload that."
                    )
                    % {"error": str(exc)[:120]}
                ) from exc
            self.sheets = [
                Sheet(name=m.name, visible=m.visible == python_calamine.SheetVisibleEnum.Visible)
                for m in self._book.sheets_metadata
                if m.typ == python_calamine.SheetTypeEnum.WorkSheet
            ]
            if not self.sheets:
                raise FileProblem(_("The workbook has no worksheet."))
            if len(self.sheets) > MAX_SHEETS:
                raise FileProblem(
                    _(
                        "The workbook has %(count)s sheets; at most %(max)s are read. Save the "
                        "roster's sheet as a workbook of its own and upload that."
                    )
                    % {"count": len(self.sheets), "max": MAX_SHEETS}
                )

    def close(self) -> None:
        self._loaded.clear()
        if self._book is not None:
            self._book.close()

    def __enter__(self) -> Spreadsheet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Rows --------------------------------------------------------------------------------

    def rows(self, sheet: str) -> Iterator[tuple[int, list]]:
        """(row number as the spreadsheet shows it, cells) for every row of `sheet`; a cell
        longer than MAX_CELL_CHARS stops the reading with a FileProblem naming it."""
        return check_cells(self._rows(sheet))

    def _rows(self, sheet: str) -> Iterator[tuple[int, list]]:
        if self.format == "csv":
            yield from self._csv_rows()
            return
        data = self._sheet(sheet)
        # calamine yields rows from the sheet's first row, but cells from its first used
        # column: pad them so that column indexes match the letters the user sees.
        first_col = (data.start or (0, 0))[1]
        if not first_col:
            yield from enumerate(data.iter_rows(), start=1)
            return
        pad = [""] * first_col
        for offset, cells in enumerate(data.iter_rows()):
            yield offset + 1, pad + cells

    def load_with_formulas(self, sheet: str) -> dict[int, set[int]]:
        """Read `sheet` and find its formula cells at the same time: calamine parses without
        holding Python's lock, so the scan of the sheet's XML runs beside it for free."""
        if self.format == "csv":
            return {}
        with ThreadPoolExecutor(max_workers=1) as pool:
            scan = pool.submit(self.formula_cells, sheet)
            self._sheet(sheet)
            return scan.result()

    def first_visible(self) -> str:
        return next((s.name for s in self.sheets if s.visible), self.sheets[0].name)

    def row_count(self, sheet: str) -> int:
        if self.format == "csv":
            return sum(1 for _ in self._csv_rows())
        data = self._sheet(sheet)
        return (data.start or (0, 0))[0] + data.height

    def _sheet(self, name: str):
        # calamine reads a whole sheet at once: read it once per file, not once per question.
        if name not in self._loaded:
            self._loaded[name] = self._load(name)
        return self._loaded[name]

    def _load(self, name: str):
        try:
            return self._book.get_sheet_by_name(name)
        except python_calamine.WorksheetNotFound as exc:
            raise FileProblem(
                _("The workbook has no sheet named %(name)s.") % {"name": name}
            ) from exc
        except Exception as exc:
            raise FileProblem(
                _("The sheet %(name)s cannot be read (%(error)s).")
                % {"name": name, "error": str(exc)[:120]}
            ) from exc

    def merged_ranges(self, sheet: str) -> list:
        if self.format == "csv":
            return []
        return self._sheet(sheet).merged_cell_ranges or []

    def _decoded(self) -> str:
        if self._text is None:
            raw = self.path.read_bytes()
            if raw.startswith(codecs.BOM_UTF8):
                self._text = raw[3:].decode("utf-8", errors="replace")
            elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                self._text = raw.decode("utf-16", errors="replace")
            else:
                try:
                    self._text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    # Excel on Windows saves "CSV" in the ANSI code page: Windows-1252 here.
                    self._text = raw.decode("cp1252", errors="replace")
        return self._text

    def _delimiter(self) -> str:
        """The CSV's delimiter, guessed once from its start: the csv module's sniffer takes
        time growing with the square of the sample (13 s for 64 KB of hostile lines, 0.3 s
        for SNIFF_CHARS), and a roster's first lines say enough."""
        if self._csv_delimiter is None:
            sample = self._decoded()[:SNIFF_CHARS]
            try:
                self._csv_delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
            except csv.Error:
                first = sample.splitlines()[0] if sample else ""
                self._csv_delimiter = max(",;\t|", key=first.count)
        return self._csv_delimiter

    def _csv_rows(self) -> Iterator[tuple[int, list]]:
        text = self._decoded()
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter())
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FileProblem(
                    _(
                        "Line %(line)s of the CSV file holds a cell of more than %(max)s "
                        "characters (Excel's own limit). Correct that line, save the file and "
                        "upload it again."
                    )
                    % {"line": reader.line_num, "max": f"{MAX_CELL_CHARS:,}".replace(",", ".")}
                ) from exc
            raise FileProblem(
                _(
                    "The CSV file cannot be read after line %(line)s (%(error)s). Open it in a "
                    "spreadsheet program, check that line, and save it again."
                )
                % {"line": reader.line_num, "error": str(exc)[:120]}
            ) from exc

    # Formulas ----------------------------------------------------------------------------

    def formula_cells(self, sheet: str, limit: int = 10000) -> dict[int, set[int]]:
        """{row number: column indexes} of the cells that hold a formula (XLSX only).

        calamine gives a formula's last computed value, which is what the user saw in Excel; the
        check lets the preview say so, and refuse a formula that was never computed."""
        if self.format != "xlsx":
            return {}
        target = _xlsx_sheet_part(self.path, sheet)
        if target is None:
            return {}
        found: dict[int, set[int]] = {}
        pattern = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})([0-9]+)"[^>]*>\s*<(?:\w+:)?f[\s>/]')
        count = 0
        with zipfile.ZipFile(self.path) as archive, archive.open(target) as stream:
            tail = b""
            while chunk := stream.read(1 << 20):
                data = tail + chunk
                if b"<f" not in data and b":f" not in data:  # most sheets hold no formula
                    tail = data[-400:]
                    continue
                last_end = 0
                for match in pattern.finditer(data):
                    letters, row = match.group(1).decode(), int(match.group(2))
                    found.setdefault(row, set()).add(_column_index(letters))
                    last_end = match.end()
                    count += 1
                    if count >= limit:
                        return found
                tail = data[max(last_end, len(data) - 400) :]
        return found


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _xlsx_sheet_part(path: Path, sheet: str) -> str | None:
    """The zip member holding `sheet`'s cells, from the workbook and its relationships."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
        try:
            rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
        except KeyError:
            return None
    rel_id = None
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]*)"', tag) or re.search(r'\bid="([^"]*)"', tag)
        if name and rid and _xml_unescape(name.group(1)) == sheet:
            rel_id = rid.group(1)
            break
    if rel_id is None:
        return None
    for tag in re.findall(r"<Relationship\b[^>]*>", rels):
        if re.search(rf'\bId="{re.escape(rel_id)}"', tag):
            target = re.search(r'\bTarget="([^"]*)"', tag)
            if target:
                value = target.group(1)
                return value.lstrip("/") if value.startswith("/") else "xl/" + value
    return None


def _xml_unescape(value: str) -> str:
    return (
        value.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


# Cells as text -------------------------------------------------------------------------------


def text_from_cell(value: object) -> str:
    """Return the cell as text: whitespace runs (NBSP, tabs, newlines) become one space.

    Empty cells give ``""``; integral floats lose their ``.0`` (``3.0`` -> ``"3"``); booleans
    give ``"TRUE"``/``"FALSE"``; dates give their ISO form (a datetime at midnight gives just
    the date).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return " ".join(str(value).split())


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as the spreadsheet shows it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
