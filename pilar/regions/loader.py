"""Load an area tree from CSV rows: `code,name[,kind][,aliases]`.

Codes may be dotted (13.75.01.1001) or plain digits (1375011001). The level follows from the
code's length; the kind (kota/kabupaten, kelurahan/desa) from the Kemendagri convention unless
the file names it. Aliases are separated by `;`. Used by `pilar load-regions`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
class LoadResult:
    created: int = 0
    updated: int = 0
    aliases: int = 0


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return list(csv.DictReader(handle, dialect=dialect))


def load_areas(rows: Iterable[dict[str, str]], *, area_model, alias_model) -> LoadResult:
    """Create or update areas from rows; all problems are collected and raised together."""
    parsed: list[tuple[int, str, str, str, list[str]]] = []
    errors: list[str] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            code = normalize_code(row.get("code", ""))
        except ValueError:
            errors.append(
                _("Row %(row)s: code %(code)r is not a Kemendagri code such as 13.75.01.1001.")
                % {"row": number, "code": row.get("code", "")}
            )
            continue
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
    if errors:
        raise ValidationError(errors)

    result = LoadResult()
    existing = {a.code: a for a in area_model.objects.all()}
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
            area.name, area.kind = name, kind
            area.save(update_fields=["name", "kind"])
            result.updated += 1
        for alias in aliases:
            _alias, made = alias_model.objects.get_or_create(area=area, name=alias)
            result.aliases += int(made)
    if errors:
        raise ValidationError(errors)
    return result
