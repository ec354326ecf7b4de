"""The columns of a DTSEN extract: what the ministry's spreadsheets call them, in the order the
office's export writes them back (`EXTRACT_COLUMNS`), and the other names the same column goes
by in older DTKS files and in offices' own copies (`VARIANTS`). One row of an extract is one
person; the rows of one family card (KK) make one household.

The import maps a sheet's headers to these keys, the verivali results file and the demo's
extract write them under `header`: one list, so that what goes out comes back in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ExtractColumn:
    key: str
    header: str  # the name in the ministry's extract, written as is (not translated)
    label: object  # what Pilar calls it, for the mapping form
    household: bool  # the same for every member of one KK (True) or one person's (False)


EXTRACT_COLUMNS: list[ExtractColumn] = [
    ExtractColumn("dtsen_id", "ID DTSEN", _("DTSEN household id"), True),
    ExtractColumn("kk_number", "No KK", _("KK number"), True),
    ExtractColumn("nik", "NIK", _("NIK"), False),
    ExtractColumn("name", "Nama", _("name"), False),
    ExtractColumn("relation", "Hubungan dengan Kepala Keluarga", _("relation to head"), False),
    ExtractColumn("sex", "Jenis Kelamin", _("sex"), False),
    ExtractColumn("birth_date", "Tanggal Lahir", _("date of birth"), False),
    ExtractColumn("address", "Alamat", _("address"), True),
    ExtractColumn("rt_rw", "RT/RW", _("RT/RW"), True),
    ExtractColumn("area_code", "Kode Wilayah", _("area code"), True),
    ExtractColumn("kelurahan", "Kelurahan/Desa", _("kelurahan"), True),
    ExtractColumn("kecamatan", "Kecamatan", _("kecamatan"), True),
    ExtractColumn("decile", "Desil", _("welfare decile"), True),
]

COLUMN_BY_KEY = {c.key: c for c in EXTRACT_COLUMNS}

# Other headers for the same column, as found in DTKS-era files and offices' copies. Compared
# after folding case, spaces, dots and underscores away (`normalize.header_key` of the engine).
VARIANTS: dict[str, list[str]] = {
    "dtsen_id": ["ID DTKS", "IDDTKS", "ID_DTSEN", "ID Keluarga", "ID DTSEN Keluarga", "IDSEMESTA"],
    "kk_number": ["NOKK", "No. KK", "Nomor KK", "Nomor Kartu Keluarga", "No Kartu Keluarga"],
    "nik": ["No NIK", "Nomor NIK", "Nomor Induk Kependudukan", "NIK ART"],
    "name": ["Nama Lengkap", "Nama ART", "Nama Anggota Keluarga", "NAMA_ART"],
    "relation": [
        "Hubungan Keluarga",
        "Hub KK",
        "Hub. dgn KK",
        "Hubungan dgn KRT",
        "Hubungan dengan Kepala Rumah Tangga",
        "SHDK",
        "Status Hubungan Dalam Keluarga",
    ],
    "sex": ["JK", "L/P", "Jns Kelamin", "Kelamin"],
    "birth_date": ["Tgl Lahir", "TGL_LAHIR", "Tanggal Lahir (dd/mm/yyyy)"],
    "address": ["Alamat Lengkap", "Alamat Rumah", "Jalan"],
    "rt_rw": ["RT RW", "RT-RW", "RTRW"],
    "area_code": ["Kode Kelurahan", "Kode Desa", "KODE_DESA", "Kode Kel", "Kode Wil"],
    "kelurahan": ["Kelurahan", "Desa", "Desa/Kelurahan", "Nama Kelurahan", "Kel/Desa"],
    "kecamatan": ["Nama Kecamatan", "Kec"],
    "decile": ["Desil Nasional", "Desil Kesejahteraan", "DESIL_NASIONAL", "Peringkat Desil"],
}

# Dukcapil's family relation codes (SHDK) as extracts write them, to Pilar's relations
# (pilar.casework.models.Relation). Text forms are matched after folding case and spaces.
RELATION_CODES: dict[str, str] = {
    "1": "head",
    "2": "spouse",
    "3": "spouse",
    "4": "child",
    "5": "child_in_law",
    "6": "grandchild",
    "7": "parent",
    "8": "parent_in_law",
    "9": "other_family",
    "10": "other",
    "11": "other",
}
RELATION_WORDS: dict[str, str] = {
    "kepala keluarga": "head",
    "kepala rumah tangga": "head",
    "krt": "head",
    "kk": "head",
    "suami": "spouse",
    "istri": "spouse",
    "isteri": "spouse",
    "suami/istri": "spouse",
    "istri/suami": "spouse",
    "anak": "child",
    "anak kandung": "child",
    "anak tiri": "child",
    "anak angkat": "child",
    "menantu": "child_in_law",
    "cucu": "grandchild",
    "orang tua": "parent",
    "orangtua": "parent",
    "ayah": "parent",
    "ibu": "parent",
    "mertua": "parent_in_law",
    "famili lain": "other_family",
    "keluarga lain": "other_family",
    "pembantu": "other",
    "lainnya": "other",
    "lain-lain": "other",
}
# How the export writes a relation back (the extract's own words).
RELATION_HEADER_WORD: dict[str, str] = {
    "head": "Kepala Keluarga",
    "spouse": "Istri/Suami",
    "child": "Anak",
    "child_in_law": "Menantu",
    "grandchild": "Cucu",
    "parent": "Orang Tua",
    "parent_in_law": "Mertua",
    "other_family": "Famili Lain",
    "other": "Lainnya",
}
