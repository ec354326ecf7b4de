"""Load an area tree from CSV rows: `code,name[,kind][,aliases]`.

Codes may be dotted (13.75.01.1001) or plain digits (1375011001). The level follows from the
code's length; the kind (kota/kabupaten, kelurahan/desa) from the Kemendagri convention unless
the file names it. Aliases are separated by `;`. The file is read as the roster import reads
its files (any common encoding and separator, or a workbook). Used by `pilar load-regions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pilar.lib.spreadsheet import FileProblem, Spreadsheet, text_from_cell

SEGMENT_LENGTHS = (2, 2, 2, 4)


def normalize_code(raw: str) -> str:
    """`1375011001` or ` 13.75.01.1001 ` → `13.75.01.1001`; raises ValueError when malformed."""
    code = raw.strip()
    if "." in code:
        parts = code.split(".")
    else:
        parts, rest = [], code
        for length in SEGMENT_LENGTHS:
            if not rest:
                break
            parts.append(rest[:length])
            rest = rest[length:]
        if rest:
            raise ValueError(code)
    if not 1 <= len(parts) <= 4:
        raise ValueError(code)
    for part, length in zip(parts, SEGMENT_LENGTHS, strict=False):
        if len(part) != length or not part.isdigit():
            raise ValueError(code)
    return ".".join(parts)


def default_kind(code: str) -> str:
    parts = code.split(".")
    if len(parts) == 1:
        return "provinsi"
    if len(parts) == 2:
        # Kemendagri numbers kota from 71 upwards, kabupaten below.
        return "kota" if int(parts[1]) >= 71 else "kabupaten"
    if len(parts) == 3:
        return "kecamatan"
    return "kelurahan" if parts[3].startswith("1") else "desa"


KINDS_BY_LEVEL = {
    1: {"provinsi"},
    2: {"kota", "kabupaten"},
    3: {"kecamatan"},
    4: {"kelurahan", "desa"},
}


@dataclass
class Rename:
    code: str
    old: str
    new: str


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    aliases: int = 0
    renames: list[Rename] = field(default_factory=list)


# The header's words, English and Indonesian, to the loader's columns.
COLUMNS = {
    "code": "code",
    "kode": "code",
    "name": "name",
    "nama": "name",
    "kind": "kind",
    "jenis": "kind",
    "aliases": "aliases",
    "alias": "aliases",
}
HEADER_HINT = "code,name[,kind][,aliases]"


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: text}) for each area in the file at `path`, read as the roster
    import reads its files (`pilar.lib.spreadsheet.Spreadsheet`: CSV in UTF-8, UTF-16 or
    Windows-1252 separated by commas, semicolons, tabs or bars; or the first sheet of an XLSX,
    XLS or ODS). Raises ValidationError naming the problem: no such file, an empty file, a
    missing header or column, a header with no area below it."""

    if not path.is_file():
        raise ValidationError(_("%(file)s: no such file.") % {"file": path})
    with path.open("rb") as handle:
        head = handle.read(65536)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ValidationError(
            _(
                "%(file)s is empty. Its first line must be the header %(header)s, then one "
                "line per area."
            )
            % {"file": path.name, "header": HEADER_HINT}
        )
    try:
        with Spreadsheet(path) as book:
            lines = [
                (number, [text_from_cell(cell) for cell in cells])
                for number, cells in book.rows(book.first_visible())
            ]
    except FileProblem as exc:
        raise ValidationError(f"{path.name}: {exc.message}") from exc
    lines = [(number, cells) for number, cells in lines if any(cells)]
    if not lines:
        raise ValidationError(
            _("%(file)s holds no text. Its first line must be the header %(header)s.")
            % {"file": path.name, "header": HEADER_HINT}
        )
    header_line, header = lines[0]
    keys = [COLUMNS.get(cell.strip().lower(), "") for cell in header]
    missing = [c for c in ("code", "name") if c not in keys]
    if missing:
        if header and _is_code(header[0]):
            raise ValidationError(
                _(
                    "Line %(line)s holds an area (%(code)s), not the header: add the header "
                    "line %(header)s above it."
                )
                % {"line": header_line, "code": header[0], "header": HEADER_HINT}
            )
        raise ValidationError(
            _(
                "The header (line %(line)s) has no column %(missing)s; it reads "
                "“%(found)s”. The columns are %(header)s, separated by commas or semicolons."
            )
            % {
                "line": header_line,
                "missing": ", ".join(missing),
                "found": " | ".join(header)[:200],
                "header": HEADER_HINT,
            }
        )
    rows = []
    for number, cells in lines[1:]:
        row = {key: cell for key, cell in zip(keys, cells, strict=False) if key}
        rows.append((number, row))
    if not rows:
        raise ValidationError(
            _("%(file)s has the header but no area below it.") % {"file": path.name}
        )
    return rows


def _is_code(text: str) -> bool:
    try:
        normalize_code(text)
    except ValueError:
        return False
    return True


def load_areas(rows: Iterable, *, area_model, alias_model) -> LoadResult:
    """Create or update areas from rows (dicts, or (line number, dict) pairs as `read_rows`
    gives); all problems are collected and raised together: malformed codes and kinds, a code
    given twice, a kelurahan that a new code would move to another kecamatan, a parent that is
    nowhere. Renames of existing areas are listed in the result."""
    parsed: list[tuple[int, str, str, str, list[str]]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    line_of: dict[str, int] = {}
    for index, item in enumerate(rows, start=2):  # line 1 is the header
        number, row = item if isinstance(item, tuple) else (index, item)
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            code = normalize_code(row.get("code", ""))
        except ValueError:
            errors.append(
                _("Row %(row)s: code %(code)r is not a Kemendagri code such as 13.75.01.1001.")
                % {"row": number, "code": row.get("code", "")}
            )
            continue
        if code in seen:
            errors.append(
                _("Rows %(first)s and %(second)s both give code %(code)s; keep one of them.")
                % {"first": seen[code], "second": number, "code": code}
            )
            continue
        seen[code] = number
        name = row.get("name", "")
        if not name:
            errors.append(_("Row %(row)s: the name is empty.") % {"row": number})
            continue
        level = len(code.split("."))
        kind = (row.get("kind") or default_kind(code)).lower()
        if kind not in KINDS_BY_LEVEL[level]:
            errors.append(
                _("Row %(row)s: kind %(kind)r does not fit code %(code)s; use one of %(kinds)s.")
                % {
                    "row": number,
                    "kind": kind,
                    "code": code,
                    "kinds": ", ".join(sorted(KINDS_BY_LEVEL[level])),
                }
            )
            continue
        aliases = [a.strip() for a in row.get("aliases", "").split(";") if a.strip()]
        parsed.append((level, code, name, kind, aliases))
        line_of[code] = number

    existing = {a.code: a for a in area_model.objects.select_related("parent")}
    errors += _moves(parsed, existing, line_of)
    if errors:
        raise ValidationError(errors)

    result = LoadResult()
    for level, code, name, kind, aliases in sorted(parsed):
        parent = None
        if level > 1:
            parent_code = code.rsplit(".", 1)[0]
            parent = existing.get(parent_code)
            if parent is None:
                errors.append(
                    _("Area %(code)s: its parent %(parent)s is neither in the file nor loaded.")
                    % {"code": code, "parent": parent_code}
                )
                continue
        area = existing.get(code)
        if area is None:
            area = area_model.objects.create(
                code=code, name=name, level=level, kind=kind, parent=parent
            )
            existing[code] = area
            result.created += 1
        elif (area.name, area.kind) != (name, kind):
            if area.name != name:
                result.renames.append(Rename(code=code, old=area.name, new=name))
            area.name, area.kind = name, kind
            area.save(update_fields=["name", "kind"])
            result.updated += 1
        for alias in aliases:
            _alias, made = alias_model.objects.get_or_create(area=area, name=alias)
            result.aliases += int(made)
    if errors:
        raise ValidationError(errors)
    return result


def _moves(parsed, existing: dict, line_of: dict[str, int]) -> list[str]:
    """Rows that would move a kelurahan already loaded to another kecamatan: a code in another
    kecamatan of the same kota/kabupaten given the name of that kelurahan (the only one of that
    name there), while the file renames the kelurahan at its own code, or lists its kecamatan
    without it. (A kelurahan's kecamatan is part of its code, so it moves only by taking a new
    code; the people, households and duties recorded under the old one would stay behind.) A
    file that does not speak of the old kecamatan moves nothing: desa of one name in several
    kecamatan are common."""
    in_file = {code: name for _level, code, name, _kind, _aliases in parsed}
    covered = {code if len(code.split(".")) == 3 else code.rsplit(".", 1)[0] for code in in_file}
    by_name: dict[tuple[str, str], list] = {}
    for area in existing.values():
        if area.level == 4:
            by_name.setdefault((area.code[:5], area.name.casefold()), []).append(area)
    errors = []
    for level, code, name, _kind, _aliases in parsed:
        if level != 4:
            continue
        kecamatan = code.rsplit(".", 1)[0]
        namesakes = [a for a in by_name.get((code[:5], name.casefold()), []) if a.code != code]
        if len(namesakes) != 1 or namesakes[0].parent.code == kecamatan:
            continue
        old = namesakes[0]
        if old.code in in_file:
            dropped = in_file[old.code].casefold() != old.name.casefold()
        else:
            dropped = old.parent.code in covered
        if not dropped:
            continue
        errors.append(
            _(
                "Row %(row)s: code %(code)s would move kelurahan %(name)s (%(old)s, "
                "Kec. %(old_kecamatan)s) to another kecamatan (%(kecamatan)s). A kelurahan "
                "keeps its code; if both exist, list %(old)s with its name too."
            )
            % {
                "row": line_of[code],
                "code": code,
                "name": old.name,
                "old": old.code,
                "old_kecamatan": old.parent.name,
                "kecamatan": kecamatan,
            }
        )
    return errors
