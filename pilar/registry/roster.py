"""The roster file: the registry as a spreadsheet, one row per duty, in the columns offices
use. The people list exports it; the imports app reads the same columns back (its template and
the headers it recognises build on these), so export -> edit -> import gives back the same
registry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pilar.regions.models import Area
from pilar.registry.models import Assignment, Education

# The roster's columns in file order: {key: header}. The headers are Indonesian, the same in
# every language. One row is one duty of one person; a person with two duties has two rows.
ROSTER_HEADERS: dict[str, str] = {
    "nik": "NIK",
    "name": "Nama",
    "sex": "Jenis Kelamin",
    "birth_place": "Tempat Lahir",
    "birth_date": "Tanggal Lahir",
    "address": "Alamat",
    "residence": "Kelurahan Domisili",
    "phone": "No HP",
    "education": "Pendidikan",
    "bank_name": "Bank",
    "bank_account": "No Rekening",
    "bank_holder": "Nama Pemilik Rekening",
    "kind": "Jenis Pilar",
    "kecamatan": "Kecamatan",
    "kelurahan": "Kelurahan",
    "sk_number": "No SK",
    "sk_date": "Tanggal SK",
    "sk_signer": "Penandatangan SK",
    "start_date": "Tanggal Mulai",
    "end_date": "Tanggal Selesai",
    "end_reason": "Alasan Selesai",
}
# The roster writes these Indonesian words for end reasons and education, whatever the user's
# language.
END_REASON_WORDS = {
    Assignment.EndReason.TERM_ENDED: "Masa tugas habis",
    Assignment.EndReason.RESIGNED: "Mengundurkan diri",
    Assignment.EndReason.MOVED: "Pindah",
    Assignment.EndReason.DISMISSED: "Diberhentikan",
    Assignment.EndReason.DIED: "Meninggal",
    Assignment.EndReason.OTHER: "Lainnya",
}
EDUCATION_WORDS = {
    Education.NONE: "Tidak sekolah",
    Education.SD: "SD",
    Education.SMP: "SMP",
    Education.SMA: "SMA",
    Education.D3: "D3",
    Education.S1: "S1",
    Education.S2: "S2",
    Education.S3: "S3",
}


def roster_headers() -> list[str]:
    return list(ROSTER_HEADERS.values())


def _area_columns(area: Area) -> tuple[str, str]:
    if area.level == Area.Level.KELURAHAN:
        return area.parent.name if area.parent else "", area.name
    if area.level == Area.Level.KECAMATAN:
        return area.name, ""
    return "", ""


def roster_rows(people: Iterable, *, full: bool) -> Iterator[list]:
    """One row per duty shown (people without one get a row with empty duty columns), in the
    roster's columns. `people` carry `current` (their duties shown) and `residence`.
    Without `full`, the NIK is masked and the birth date and bank account withheld."""
    for p in people:
        # A person seen only as they were in the reader's areas: never whole (docs/PRIVACY.md).
        whole = full and not getattr(p, "minimal", False) and getattr(p, "full_nik", True)
        person = [
            p.nik if whole else p.masked_nik,
            p.name,
            p.sex,
            p.birth_place,
            p.birth_date if whole else None,
            p.address,
            p.residence.name if p.residence else "",
            p.phone,
            EDUCATION_WORDS.get(p.education, "") if p.education else "",
            p.bank_name,
            p.bank_account if whole else "",
            p.bank_holder,
        ]
        duties = list(getattr(p, "current", []))
        if not duties:
            yield person + [""] * 9
            continue
        for a in duties:
            kecamatan, kelurahan = _area_columns(a.area)
            yield person + [
                a.kind.code,
                kecamatan,
                kelurahan,
                a.sk_number,
                a.sk_date,
                a.sk_signer,
                a.start_date,
                a.end_date,
                END_REASON_WORDS.get(a.end_reason, "") if a.end_reason else "",
            ]
