"""The roster template's columns, and how the headers offices really type map onto them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from pilar.imports.engine.normalize import header_key
from pilar.registry.roster import ROSTER_HEADERS
from pilar.registry.services import PERSON_FIELDS


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's header: Indonesian, the same in every language
    label: Promise
    hint: Promise
    synonyms: tuple[str, ...] = ()


# In template order (the roster's, pilar/registry/roster.py), with the combined place-and-date
# column the template does not write. One row is one duty of one person.
COLUMNS: tuple[Column, ...] = (
    Column(
        "nik",
        ROSTER_HEADERS["nik"],
        _("NIK"),
        _("16 digits from the KTP, typed as text (not as a number)."),
        (
            "nik",
            "no ktp",
            "nomor ktp",
            "no nik",
            "nomor nik",
            "nomor induk kependudukan",
            "ktp",
            "nik ktp",
            "nik no ktp",
            "no ktp nik",
            "no identitas",
            "nomor identitas",
            "national id",
        ),
    ),
    Column(
        "name",
        ROSTER_HEADERS["name"],
        _("Name"),
        _("Full name as on the KTP."),
        (
            "nama",
            "nama lengkap",
            "name",
            "full name",
            "nama pilar",
            "nama anggota",
            "nama petugas",
            "nama sesuai ktp",
        ),
    ),
    Column(
        "sex",
        ROSTER_HEADERS["sex"],
        _("Sex"),
        _("L (laki-laki) or P (perempuan)."),
        (
            "jenis kelamin",
            "jk",
            "l p",
            "kelamin",
            "sex",
            "gender",
            "jns kelamin",
            "lk pr",
            "jenis kelamin l p",
            "jk l p",
        ),
    ),
    Column(
        "birth_place",
        ROSTER_HEADERS["birth_place"],
        _("Place of birth"),
        _("City or regency of birth."),
        ("tempat lahir", "tmp lahir", "tpt lahir", "tmpt lahir", "place of birth", "birth place"),
    ),
    Column(
        "birth_date",
        ROSTER_HEADERS["birth_date"],
        _("Date of birth"),
        _("Day-month-year, e.g. 12-08-1980 or 12 Agustus 1980."),
        (
            "tanggal lahir",
            "tgl lahir",
            "tgl lhr",
            "tanggal lhr",
            "date of birth",
            "birth date",
            "dob",
        ),
    ),
    Column(
        "birth_place_date",
        "Tempat, Tanggal Lahir",
        _("Place and date of birth"),
        _("One column 'Bukittinggi, 12-08-1980' is split into place and date."),
        (
            "ttl",
            "tempat tanggal lahir",
            "tempat tgl lahir",
            "tempat tgl lhr",
            "tmp tgl lahir",
            "tempat dan tanggal lahir",
        ),
    ),
    Column(
        "address",
        ROSTER_HEADERS["address"],
        _("Address"),
        _("Street, RT/RW."),
        ("alamat", "alamat lengkap", "alamat rumah", "address", "alamat domisili"),
    ),
    Column(
        "residence",
        ROSTER_HEADERS["residence"],
        _("Kelurahan of residence"),
        _("The kelurahan where the person lives (name or code)."),
        (
            "kelurahan domisili",
            "domisili",
            "kelurahan tempat tinggal",
            "tempat tinggal",
            "residence",
            "kelurahan of residence",
            "kel domisili",
        ),
    ),
    Column(
        "phone",
        ROSTER_HEADERS["phone"],
        _("Phone"),
        _("08xxxxxxxxxx or +628xxxxxxxxxx."),
        (
            "no hp",
            "nomor hp",
            "hp",
            "no telp",
            "no tlp",
            "telepon",
            "telp",
            "no telepon",
            "nomor telepon",
            "phone",
            "whatsapp",
            "no wa",
            "nomor wa",
            "handphone",
            "no handphone",
            "nomor handphone",
            "no hp wa",
            "hp wa",
            "kontak",
        ),
    ),
    Column(
        "education",
        ROSTER_HEADERS["education"],
        _("Education"),
        _("SD, SMP, SMA, D3, S1, S2 or S3."),
        ("pendidikan", "pendidikan terakhir", "education", "pend terakhir", "ijazah terakhir"),
    ),
    Column(
        "bank_name",
        ROSTER_HEADERS["bank_name"],
        _("Bank"),
        _("Bank name, e.g. Bank Nagari."),
        ("bank", "nama bank", "bank name"),
    ),
    Column(
        "bank_account",
        ROSTER_HEADERS["bank_account"],
        _("Account number"),
        _("Digits only, typed as text."),
        (
            "no rekening",
            "nomor rekening",
            "rekening",
            "no rek",
            "norek",
            "nomor rek",
            "account number",
            "no rekening bank",
        ),
    ),
    Column(
        "bank_holder",
        ROSTER_HEADERS["bank_holder"],
        _("Account holder"),
        _("Name on the bank account."),
        (
            "nama pemilik rekening",
            "pemilik rekening",
            "atas nama",
            "a n",
            "an rekening",
            "nama rekening",
            "account holder",
        ),
    ),
    Column(
        "kind",
        ROSTER_HEADERS["kind"],
        _("Pillar kind"),
        _("PSM, TKSK, TAGANA, PENDAMPING_KUBE, ... (code or full name)."),
        (
            "jenis pilar",
            "jabatan",
            "pilar",
            "jenis",
            "pilar sosial",
            "jenis pilar sosial",
            "pillar kind",
            "kind",
            "kategori",
            "unsur",
            "jabatan unsur",
        ),
    ),
    Column(
        "kecamatan",
        ROSTER_HEADERS["kecamatan"],
        _("Kecamatan of duty"),
        _("Name or code of the kecamatan served."),
        ("kecamatan", "kec", "kecamatan tugas", "district", "kecamatan of duty"),
    ),
    Column(
        "kelurahan",
        ROSTER_HEADERS["kelurahan"],
        _("Kelurahan of duty"),
        _("Name or code of the kelurahan served (empty for kecamatan or city duties)."),
        (
            "kelurahan",
            "desa kelurahan",
            "kelurahan desa",
            "kel desa",
            "desa",
            "kel",
            "kelurahan tugas",
            "wilayah tugas",
            "lokasi tugas",
            "village",
            "kelurahan of duty",
            "area of duty",
        ),
    ),
    Column(
        "sk_number",
        ROSTER_HEADERS["sk_number"],
        _("SK number"),
        _("Number of the appointment decree."),
        ("no sk", "nomor sk", "sk", "nomor surat keputusan", "sk number", "no sk pengangkatan"),
    ),
    Column(
        "sk_date",
        ROSTER_HEADERS["sk_date"],
        _("SK date"),
        _("Date of the decree."),
        ("tanggal sk", "tgl sk", "sk date", "tanggal sk pengangkatan", "tgl sk pengangkatan"),
    ),
    Column(
        "sk_signer",
        ROSTER_HEADERS["sk_signer"],
        _("SK signed by"),
        _("Who signed the decree, e.g. Wali Kota Bukittinggi."),
        (
            "penandatangan sk",
            "penandatangan",
            "ditandatangani oleh",
            "pejabat penandatangan",
            "sk signed by",
        ),
    ),
    Column(
        "start_date",
        ROSTER_HEADERS["start_date"],
        _("Start date"),
        _("First day of the duty (TMT)."),
        (
            "tanggal mulai",
            "tgl mulai",
            "tmt",
            "tmt tugas",
            "mulai tugas",
            "terhitung mulai tanggal",
            "tmt pengangkatan",
            "start date",
            "mulai",
        ),
    ),
    Column(
        "end_date",
        ROSTER_HEADERS["end_date"],
        _("End date"),
        _("Last day of the duty; empty while serving."),
        (
            "tanggal selesai",
            "tgl selesai",
            "akhir tugas",
            "selesai",
            "tanggal berhenti",
            "tgl berhenti",
            "end date",
        ),
    ),
    Column(
        "end_reason",
        ROSTER_HEADERS["end_reason"],
        _("End reason"),
        _("Masa tugas habis, Mengundurkan diri, Pindah, Diberhentikan, Meninggal, Lainnya."),
        ("alasan selesai", "alasan berhenti", "keterangan berhenti", "end reason"),
    ),
)

BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
# The template's own columns, the roster's (pilar/registry/roster.py): the combined
# place-and-date column is only read, never written.
TEMPLATE_COLUMNS: tuple[Column, ...] = tuple(BY_KEY[key] for key in ROSTER_HEADERS)
# The person's fields a row may carry: the registry's own, but the NIK (the key) and the photo.
PERSON_KEYS = tuple(f for f in PERSON_FIELDS if f not in ("nik", "photo"))
DUTY_KEYS = (
    "kind",
    "kecamatan",
    "kelurahan",
    "sk_number",
    "sk_date",
    "sk_signer",
    "start_date",
    "end_date",
    "end_reason",
)

# Every value a checked row may carry (the area of duty is worked out from the area columns).
VALUE_KEYS = (
    "nik",
    *PERSON_KEYS,
    "area",
    *(k for k in DUTY_KEYS if k not in ("kecamatan", "kelurahan")),
)

_SYNONYMS: dict[str, str] = {}
for _column in COLUMNS:
    _SYNONYMS.setdefault(header_key(_column.header), _column.key)
    _SYNONYMS.setdefault(header_key(str(_column.label)), _column.key)
    for _synonym in _column.synonyms:
        _SYNONYMS.setdefault(_synonym, _column.key)
_SYNONYM_KEYS = list(_SYNONYMS)
FUZZY_HEADER_SCORE = 90
HARMLESS_TRAILING_WORDS = {
    "sesuai",
    "ktp",
    "kk",
    "lengkap",
    "yang",
    "berlaku",
    "aktif",
    "pilar",
    "psm",
    "tksk",
    "tagana",
    "dd",
    "mm",
    "yyyy",
    "hh",
    "bb",
    "tttt",
}


def guess_field(header: str) -> str | None:
    """The field a header most likely names, or None. Exact synonyms first, then a close spelling
    (typos such as 'Tangal Lahir'); the operator confirms every mapping before anything is read."""
    key = header_key(header)
    if not key:
        return None
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    # "Nama Lengkap (sesuai KTP)" -> "nama lengkap sesuai ktp": try without the trailing words.
    words = key.split()
    for length in range(len(words) - 1, 1, -1):
        shorter = " ".join(words[:length])
        # "Nama Lengkap sesuai KTP" is a name; "No KTP Ahli Waris" is not the pillar's NIK.
        if shorter in _SYNONYMS and set(words[length:]) <= HARMLESS_TRAILING_WORDS:
            return _SYNONYMS[shorter]
    best = process.extractOne(key, _SYNONYM_KEYS, scorer=fuzz.ratio)
    if best and best[1] >= FUZZY_HEADER_SCORE and len(key) >= 4:
        return _SYNONYMS[best[0]]
    return None


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index: field} for the headers recognised; each field is taken by one column only
    (the first), so a second 'Nama' column stays unmapped until the operator decides."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        field = guess_field(header)
        if field and field not in taken:
            mapping[str(index)] = field
            taken.add(field)
    if "birth_place_date" in taken and ({"birth_place", "birth_date"} & taken):
        # Separate columns win over the combined one.
        mapping = {k: v for k, v in mapping.items() if v != "birth_place_date"}
    return mapping
