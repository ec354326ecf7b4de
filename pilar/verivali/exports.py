"""The round's results file for the ministry's system (docs/VERIVALI.md): sheet 1, one row per
changed or proposed household or member of the accepted findings, under the extract's own
column names (pilar/dtsen/columns.py) with the change type, a remark and the visit's day;
sheet 2, the round per kelurahan. Full NIKs (the ministry matches on them): only the office
downloads it, and each download is audited (the view)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator

import xlsxwriter
from django.db.models import Count, Q, QuerySet

from pilar.dtsen.columns import EXTRACT_COLUMNS, RELATION_HEADER_WORD
from pilar.regions.models import Area
from pilar.verivali.models import Finding, Round, Visit, visit_scope_q

# The change types as the office writes them in the file (Indonesian, not translated: the file
# goes to the ministry whatever the user's language).
CHANGE_TYPE = {
    "corrected": "Data Dikoreksi",
    "moved": "Pindah",
    "deceased": "Meninggal",
    "split": "Pisah KK",
    "not_found": "Tidak Ditemukan",
    "better_off": "Tidak Layak Lagi/Mampu",
    "proposed": "Usulan Baru",
    "new_member": "Anggota Baru",
}
FIELD_WORD = {
    "address": "alamat",
    "rt_rw": "RT/RW",
    "decile": "desil",
    "kk_number": "No KK",
    "dtsen_id": "ID DTSEN",
    "nik": "NIK",
    "name": "nama",
    "sex": "jenis kelamin",
    "birth_date": "tanggal lahir",
    "relation": "hubungan",
}
HEADERS = [c.header for c in EXTRACT_COLUMNS] + [
    "Jenis Perubahan",
    "Keterangan",
    "Tanggal Kunjungan",
]
SUMMARY_HEADERS = [
    "Kode Wilayah",
    "Kelurahan/Desa",
    "Kecamatan",
    "Jumlah Rumah Tangga",
    "Sudah Dikunjungi",
    "Diterima",
    "Dikembalikan",
    "Menunggu Pemeriksaan",
    "Belum Dikunjungi",
    "Dikonfirmasi",
    *[CHANGE_TYPE[k] for k in CHANGE_TYPE if k != "new_member"],
]


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.date) or value in (None, ""):
        return value or None
    return datetime.date.fromisoformat(str(value))


def _row(household: dict, member: dict | None, change: str, remark: str, day) -> list:
    member = member or {}
    values = {
        **household,
        "nik": member.get("nik") or "",
        "name": member.get("name") or "",
        "relation": RELATION_HEADER_WORD.get(member.get("relation") or "", ""),
        "sex": member.get("sex") or "",
        "birth_date": _date(member.get("birth_date")),
    }
    return [values.get(c.key) for c in EXTRACT_COLUMNS] + [CHANGE_TYPE[change], remark, day]


def _place(area: Area) -> dict:
    return {
        "area_code": area.code_digits,
        "kelurahan": area.name,
        "kecamatan": area.parent.name if area.parent_id else "",
    }


def _member_values(member) -> dict:
    return {k: getattr(member, k) for k in ("nik", "name", "relation", "sex", "birth_date")}


def _finding_rows(finding: Finding) -> Iterator[list]:
    visit = finding.visit
    day = finding.visited_on
    note = finding.note
    if finding.kind == Finding.Kind.PROPOSED:
        data = visit.proposed
        household = {
            "dtsen_id": data.get("dtsen_id") or "",
            "kk_number": data["kk_number"],
            "address": data["address"],
            "rt_rw": data.get("rt_rw") or "",
            "decile": data.get("decile"),
            **_place(visit.area),
        }
        for member in data["members"]:
            yield _row(household, member, "proposed", note, day)
        return
    record = visit.household
    changes = finding.changes or {}
    household = {
        "dtsen_id": record.dtsen_id,
        "kk_number": record.kk_number,
        "address": record.address,
        "rt_rw": record.rt_rw,
        "decile": record.decile,
        **_place(record.area),
    }
    # The after-values are the finding's own, whatever changed on the record since.
    household.update({k: changes[k] for k in FIELD_WORD if k in changes and k in household})
    members = {m.pk: m for m in record.members.all()}
    head = next(
        (m for m in members.values() if m.relation == "head" and m.left_on is None),
        next(iter(members.values()), None),
    )
    head_values = _member_values(head) if head else None
    corrected = [FIELD_WORD[k] for k in FIELD_WORD if k in changes and k in household]
    if corrected:
        remark = "Dikoreksi: " + ", ".join(corrected) + (f". {note}" if note else "")
        yield _row(household, head_values, "corrected", remark, day)
    for member_id, values in (changes.get("members") or {}).items():
        member = members.get(int(member_id))
        after = {**(_member_values(member) if member else {}), **values}
        remark = "Dikoreksi: " + ", ".join(FIELD_WORD[k] for k in values)
        yield _row(household, after, "corrected", remark, day)
    for values in changes.get("new_members") or []:
        yield _row(household, values, "new_member", note, day)
    kind = finding.kind
    if kind == Finding.Kind.MOVED:
        yield _row(household, head_values, "moved", f"Pindah ke {finding.moved_to}", day)
    elif kind == Finding.Kind.DECEASED:
        member = finding.deceased_member
        remark = f"Meninggal {finding.deceased_on:%d-%m-%Y}" + (f". {note}" if note else "")
        yield _row(household, _member_values(member), "deceased", remark, day)
    elif kind == Finding.Kind.SPLIT:
        for member_id in finding.split_members:
            member = members.get(member_id)
            if member is not None:
                yield _row(household, _member_values(member), "split", note, day)
    elif kind in (Finding.Kind.NOT_FOUND, Finding.Kind.BETTER_OFF):
        yield _row(household, head_values, kind, note, day)


def _visits(round: Round, user) -> QuerySet[Visit]:
    """The round's visits within `user`'s area (all of them without a user: the command line)."""
    visits = Visit.objects.filter(round=round)
    return visits.filter(visit_scope_q(user)) if user is not None else visits


def result_rows(round: Round, user=None) -> Iterator[list]:
    """Sheet 1's rows: the accepted findings that change something (a confirmed household is
    not sent back), by kelurahan, within `user`'s area."""
    findings = (
        Finding.objects.filter(
            visit__in=_visits(round, user).values("pk"), status=Finding.Status.ACCEPTED
        )
        .exclude(kind=Finding.Kind.CONFIRMED)
        .select_related("visit__area__parent", "visit__household__area__parent", "deceased_member")
        .prefetch_related("visit__household__members")
        .order_by("visit__area__code", "visit_id")
    )
    for finding in findings.iterator(chunk_size=1000):
        yield from _finding_rows(finding)


def summary_rows(round: Round, user=None) -> Iterator[list]:
    """Sheet 2: each kelurahan's visits by state, and the accepted findings by kind, within
    `user`'s area."""
    status = "finding__status"
    accepted = Q(**{status: Finding.Status.ACCEPTED})
    kinds = ["confirmed", *[k for k in CHANGE_TYPE if k != "new_member"]]
    figures = (
        _visits(round, user)
        .order_by()
        .values("area_id")
        .annotate(
            total=Count("pk"),
            visited=Count("finding"),
            accepted=Count("pk", filter=accepted),
            returned=Count("pk", filter=Q(**{status: Finding.Status.RETURNED})),
            waiting=Count("pk", filter=Q(**{status: Finding.Status.SUBMITTED})),
            **{k: Count("pk", filter=accepted & Q(finding__kind=k)) for k in kinds},
        )
    )
    rows = {r["area_id"]: r for r in figures}
    areas = Area.objects.filter(pk__in=rows).select_related("parent").order_by("code")
    for area in areas:
        r = rows[area.pk]
        yield [
            area.code_digits,
            area.name,
            area.parent.name if area.parent_id else "",
            r["total"],
            r["visited"],
            r["accepted"],
            r["returned"],
            r["waiting"],
            r["total"] - r["visited"],
            *[r[k] for k in kinds],
        ]


def _sheet(book, name: str, headers: list[str], rows) -> int:
    ws = book.add_worksheet(name)
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    text = book.add_format({"num_format": "@"})
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, bold)
        ws.set_column(col, col, max(len(header) + 2, 12))
    count = 0
    for r, row in enumerate(rows, start=1):
        count = r
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                ws.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_fmt)
            elif isinstance(value, int):
                ws.write_number(r, c, value)
            else:
                # Text stays text: a NIK or KK must never become a number.
                ws.write_string(r, c, str(value), text)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(count, 1), len(headers) - 1)
    return count


def results_xlsx(round: Round, user=None) -> bytes:
    return results_workbook(round, user)[0]


def results_workbook(round: Round, user=None) -> tuple[bytes, int]:
    """The results workbook of the visits within `user`'s area, and the number of changed rows
    in it (for the download's audit)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    count = _sheet(book, "Perubahan", HEADERS, result_rows(round, user))
    _sheet(book, "Ringkasan per Kelurahan", SUMMARY_HEADERS, summary_rows(round, user))
    book.close()
    return buffer.getvalue(), count
