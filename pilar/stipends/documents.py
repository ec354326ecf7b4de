"""The documents finance prints for an approved tali kasih batch: the payment list (daftar
nominatif) that recipients sign, and one receipt (kuitansi) per recipient.

Both print the copy frozen on the lines at approval — name, NIK, bank and account — never the
registry, so what is signed is what is paid. They list what the batch pays: lines waiting or
paid with a positive amount that are not reversed (a failed transfer has returned to the pool;
a reversed payment nets off with its reversing line). Signed documents are in Indonesian
whatever the user's language. Lines stream from the database in order and are drawn as they
come, so a batch of 300,000 lines needs no more memory than one of 300.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from pilar.lib.dates import long_date
from pilar.lib.money import rupiah, terbilang
from pilar.lib.months import months_between, months_text
from pilar.lib.nik import mask_nik
from pilar.lib.pdf import PAGE_HEIGHT, SHADE, Cell, Column, Document, Table, wrap
from pilar.offices.copies import OfficeCopy
from pilar.regions.models import Area
from pilar.registry.models import PillarKind
from pilar.stipends.bankfile import reference
from pilar.stipends.eligibility import batch_office
from pilar.stipends.models import FundingSource, StipendBatch, StipendLine

PAYABLE = Q(
    status__in=[StipendLine.Status.PENDING, StipendLine.Status.PAID],
    amount__gt=0,
    reverses__isnull=True,
    reversed_at__isnull=True,
)
FIELDS = [
    "area_id",
    "person_id",
    "kind_id",
    "name",
    "nik",
    "bank_name",
    "bank_account",
    "method",
    "month",
    "amount",
]
ORDER = {
    "area": ["area__code", "name", "person_id", "kind__order", "kind_id", "month"],
    "kind": ["kind__order", "kind_id", "name", "person_id", "area__code", "month"],
}
SOURCE_NAMES = {FundingSource.OTHER: "Lainnya"}
CHUNK = 2000


def payable_lines(batch: StipendBatch, lines: QuerySet | None = None) -> QuerySet:
    """The lines the documents print, refused for a batch not yet approved (nothing frozen)."""
    if not batch.frozen:
        raise ValidationError(
            _(
                "The batch is “%(status)s”. Its payment list and receipts can be printed once it "
                "is approved: approval freezes the names, NIKs and accounts they show."
            )
            % {"status": batch.get_status_display()}
        )
    lines = batch.lines.all() if lines is None else lines.filter(batch=batch)
    return lines.filter(PAYABLE)


@dataclass(slots=True)
class Recipient:
    """One person's lines of one kind in one area (or of one person, for receipts), summed."""

    key: tuple
    area_id: int
    person_id: int
    kind_id: int
    name: str
    nik: str
    bank_name: str
    bank_account: str
    method: str
    amount: int = 0
    months: list[datetime.date] = field(default_factory=list)
    kinds: dict[int, list[datetime.date]] = field(default_factory=dict)

    def add(self, kind_id: int, month: datetime.date, amount: int) -> None:
        self.amount += amount
        self.months.append(month)
        self.kinds.setdefault(kind_id, []).append(month)

    @property
    def paid_through(self) -> str:
        if self.method == StipendLine.Method.CASH or not self.bank_account:
            return "Tunai"
        return f"{self.bank_name} {self.bank_account}".strip()


def _recipients(lines: QuerySet, order: list[str], key: tuple[str, ...]) -> Iterator[Recipient]:
    """The lines in `order`, summed while the fields in `key` stay the same."""
    rows = lines.order_by(*order).values_list(*FIELDS).iterator(chunk_size=CHUNK)
    current: Recipient | None = None
    for row in rows:
        values = dict(zip(FIELDS, row, strict=True))
        k = tuple(values[f] for f in key)
        if current is None or current.key != k:
            if current is not None:
                yield current
            current = Recipient(
                key=k,
                **{f: values[f] for f in FIELDS if f not in {"month", "amount"}},
            )
        current.add(values["kind_id"], values["month"], values["amount"])
    if current is not None:
        yield current


def _place_and_date(office: OfficeCopy, day: datetime.date | None) -> str:
    when = long_date(day) if day else "." * 30
    return f"{office.city}, {when}"


def office_of(batch: StipendBatch) -> OfficeCopy:
    """The office as the batch was approved (its letterhead and signers, docs/OFFICE.md); a
    batch approved before the office was a record prints its office as it is now."""
    return (
        OfficeCopy.from_json(batch.office_copy)
        if batch.office_copy
        else OfficeCopy.of(batch_office(batch))
    )


def _area_title(area: Area, areas: dict[int, Area]) -> str:
    parent = areas.get(area.parent_id)
    if area.level == Area.Level.KELURAHAN and parent is not None:
        return f"{area.label}, {parent.label}"
    return area.label


def _areas(lines: QuerySet) -> dict[int, Area]:
    """The areas of the lines and their parents (a kelurahan's kecamatan), by id."""
    ids = set(lines.order_by().values_list("area_id", flat=True).distinct())
    areas = {a.pk: a for a in Area.objects.filter(pk__in=ids)}
    parents = {a.parent_id for a in areas.values() if a.parent_id}
    areas.update({a.pk: a for a in Area.objects.filter(pk__in=parents - set(areas))})
    return areas


# --- daftar nominatif ------------------------------------------------------------------------


def nominatif_pdf(
    batch: StipendBatch,
    *,
    group_by: str = "area",
    lines: QuerySet | None = None,
    full_nik: bool = True,
    out=None,
    progress=None,
) -> bytes:
    """The batch's payment list as an A4 PDF: one section per area of duty (`group_by="area"`)
    or per kind of pillar (`"kind"`), a row per recipient with a column to sign, subtotals,
    the total in figures and in words, and the treasurer's and the head's signatures.

    `lines` narrows the list (e.g. to one kecamatan); it defaults to the whole batch. Without
    `full_nik` (a reader who may not see full NIKs) the NIKs are masked. With `out` (a binary
    file) the PDF is written there and nothing is returned; `progress(n)` is called as
    recipients are drawn.
    """
    if group_by not in ORDER:
        raise ValueError(f"group_by must be 'area' or 'kind', not {group_by!r}")
    payable = payable_lines(batch, lines)
    with translation.override("id"):
        return _Nominatif(batch, payable, group_by, full_nik, out, progress).render()


def recipient_count(batch: StipendBatch, what: str, group_by: str = "area") -> int:
    """How many rows (recipients) the payment list or the receipts of the batch will draw."""
    key = ("person_id",) if what == "receipts" else ("area_id", "person_id", "kind_id")
    return payable_lines(batch).order_by().values(*key).distinct().count()


class _Nominatif:
    def __init__(
        self,
        batch: StipendBatch,
        lines: QuerySet,
        group_by: str,
        full_nik: bool,
        out=None,
        progress=None,
    ):
        self.progress = progress or (lambda n: None)
        self.batch, self.lines, self.group_by = batch, lines, group_by
        self.nik = (lambda nik: nik) if full_nik else mask_nik
        self.kinds = {k.pk: k for k in PillarKind.objects.all()}
        self.areas = _areas(lines)
        self.month_names: dict[tuple, str] = {}
        self.office = office_of(batch)
        self.doc = Document(
            title=f"Daftar nominatif — {batch.title}",
            office=self.office.letterhead(),
            running_title=f"Daftar nominatif penerima tali kasih — {batch.title}",
            out=out,
        )
        # The fourth column says what the sections don't: the kind, or the area of duty. The
        # kind is printed by its name, which wraps between words: 24 mm holds the longest word
        # of the kinds an office starts with ("Kesejahteraan") whole.
        fourth = Column("Jenis", 24 * mm) if group_by == "area" else Column("Wilayah", 32 * mm)
        name_width = 47 * mm - (fourth.width - 20 * mm)
        self.columns = [
            Column("No", 9 * mm, "center"),
            Column("Nama", name_width - 3 * mm),
            Column("NIK", 33 * mm),
            fourth,
            Column("Bulan", 24 * mm),
            Column("Jumlah (Rp)", 25 * mm, "right"),
            Column("Tanda tangan", 25 * mm),
        ]
        self.table = Table(self.doc, self.columns, min_height=9 * mm)

    def section_title(self, recipient: Recipient) -> str:
        if self.group_by == "area":
            return _area_title(self.areas[recipient.area_id], self.areas)
        return self.kinds[recipient.kind_id].name

    def render(self) -> bytes:
        doc, batch = self.doc, self.batch
        doc.title("DAFTAR NOMINATIF PENERIMA TALI KASIH")
        doc.title(batch.title, size=10)
        doc.y -= 2 * mm
        summary = self.lines.aggregate(people=Count("person", distinct=True), total=Sum("amount"))
        doc.labelled(self._details(summary["people"]))
        doc.y -= 4 * mm
        self.table.header()
        key = ("area_id", "person_id", "kind_id")
        if self.group_by == "kind":
            key = ("kind_id", "person_id", "area_id")
        section, title, subtotal, total = None, "", 0, 0
        recipients = _recipients(self.lines, ORDER[self.group_by], key)
        for number, recipient in enumerate(recipients, start=1):
            if recipient.key[0] != section:
                if section is not None:
                    self._subtotal(title, subtotal)
                section, subtotal = recipient.key[0], 0
                title = self.section_title(recipient)
                self.table.continued = ""
                self.table.row(
                    [Cell(title)],
                    span=len(self.columns),
                    bold=True,
                    fill=SHADE,
                    keep=self.table.min_height * 2,
                    tall=False,
                )
                self.table.continued = f"{title} (lanjutan)"
            subtotal += recipient.amount
            total += recipient.amount
            self.table.row(self._cells(number, recipient))
            self.progress(number)
        if section is None:
            self.table.row(
                [Cell("Tidak ada penerima pada daftar ini.")], span=len(self.columns), tall=False
            )
        else:
            self._subtotal(title, subtotal)
        self.table.continued = ""
        self.table.row(
            [Cell(f"JUMLAH SELURUHNYA ({summary['people']} orang)"), rupiah(total), ""],
            span=5,
            bold=True,
            fill=SHADE,
            tall=False,
        )
        doc.on_new_page = None
        doc.y -= 2 * mm
        doc.paragraph(f"Terbilang: {terbilang(total)}", bold=True)
        self._signatures()
        return doc.finish()

    def _details(self, people: int) -> list[tuple[str, str]]:
        batch = self.batch
        period = months_text(list(months_between(batch.first_month, batch.last_month)))
        if batch.arrears_from:
            period += f", dengan tunggakan sejak {months_text([batch.arrears_from])}"
        sources = sorted(set(self.lines.order_by().values_list("funding_source", flat=True)))
        return [
            ("Nomor daftar", f"{batch.seq}/{batch.year}"),
            ("Periode", period),
            ("Tahun anggaran", str(batch.year)),
            ("Sumber dana", ", ".join(SOURCE_NAMES.get(s, s) for s in sources) or "-"),
            ("Disetujui", long_date(timezone.localtime(batch.approved_at).date())),
            ("Jumlah penerima", f"{people} orang"),
        ]

    def _months(self, months: list[datetime.date]) -> str:
        # A batch has few distinct sets of months: name each set once, not once per row.
        key = tuple(months)
        if key not in self.month_names:
            self.month_names[key] = months_text(months, short=True)
        return self.month_names[key]

    def _cells(self, number: int, r: Recipient) -> list:
        kind = self.kinds[r.kind_id]
        fourth = kind.name if self.group_by == "area" else self.areas[r.area_id].label
        sign_indent = 0 if number % 2 else self.columns[-1].width / 2 - 2 * mm
        return [
            str(number),
            Cell(r.name, note=r.paid_through),
            self.nik(r.nik),
            fourth,
            self._months(r.months),
            rupiah(r.amount),
            Cell(f"{number}.", indent=sign_indent),
        ]

    def _subtotal(self, title: str, amount: int) -> None:
        self.table.continued = ""
        self.table.row([Cell(f"Jumlah {title}"), rupiah(amount), ""], span=5, bold=True, tall=False)

    def _signatures(self) -> None:
        doc, batch = self.doc, self.batch
        half = doc.width / 2
        day = batch.paid_on or timezone.localtime(batch.approved_at).date()
        head, paying = self.office.head, self.office.treasurer
        blocks = [
            (doc.left, ["Mengetahui,", head.title], head),
            (doc.left + half, [_place_and_date(self.office, day), paying.title], paying),
        ]
        height = max(
            doc.signature_height(half, heading=heading, name=who.name, note=who.nip_line)
            for _x, heading, who in blocks
        )
        doc.need(height + 6 * mm)
        top = doc.y - 4 * mm
        bottom = min(
            doc.signature(x, top, half, heading=heading, name=who.name, note=who.nip_line)
            for x, heading, who in blocks
        )
        doc.y = bottom


# --- kuitansi ----------------------------------------------------------------------------------

RECEIPTS_PER_PAGE = 2


def receipts_pdf(
    batch: StipendBatch, *, person_ids=None, full_nik: bool = True, out=None, progress=None
) -> bytes:
    """One receipt (kuitansi) per recipient of the batch, two to an A4 page (cut into A5):
    the sum of that person's lines in figures and words, what it pays for, and room for the
    recipient's and the treasurer's signatures. `person_ids` prints only those people; `out`
    and `progress` as for `nominatif_pdf`."""
    lines = payable_lines(batch)
    if person_ids is not None:
        lines = lines.filter(person_id__in=list(person_ids))
    if not lines.exists():
        raise ValidationError(_("Nobody in this batch is waiting for or has received payment."))
    with translation.override("id"):
        kinds = {k.pk: k for k in PillarKind.objects.all()}
        office = office_of(batch)
        doc = Document(
            title=f"Kuitansi tali kasih — {batch.title}",
            office=office.letterhead(),
            running_title=f"Kuitansi tali kasih — {batch.title}",
            letterhead=False,
            out=out,
        )
        slot = (doc.y - doc.bottom) / RECEIPTS_PER_PAGE
        order = ["name", "person_id", "kind__order", "kind_id", "month"]
        for n, recipient in enumerate(_recipients(lines, order, ("person_id",))):
            if n and n % RECEIPTS_PER_PAGE == 0:
                doc.new_page()
            top = PAGE_HEIGHT - 17 * mm - (n % RECEIPTS_PER_PAGE) * slot
            if not full_nik:
                recipient = dataclasses.replace(recipient, nik=mask_nik(recipient.nik))
            _receipt(doc, office, batch, recipient, kinds, top, slot - 4 * mm)
            if progress is not None:
                progress(n + 1)
        return doc.finish()


def _receipt(
    doc: Document, office: OfficeCopy, batch, r: Recipient, kinds, top: float, height: float
) -> None:
    c = doc.canvas
    c.setLineWidth(0.6)
    c.setDash(3, 2)
    c.rect(doc.left, top - height, doc.width, height)
    c.setDash()
    x, right = doc.left + 6 * mm, doc.right - 6 * mm
    y = top - 8 * mm
    doc.text(x, y, office.name, size=9, bold=True)
    doc.text(right, y, f"No. {reference(batch.pk, r.person_id)}", size=8.5, align="right")
    y -= 4.2 * mm
    doc.text(x, y, office.address, size=7.5)
    y -= 11 * mm
    doc.text((x + right) / 2, y, "KUITANSI", size=16, bold=True, align="center")
    y -= 6 * mm
    purpose = "; ".join(
        f"Tali kasih {kinds[kind_id].name} bulan {months_text(ms)}"
        for kind_id, ms in r.kinds.items()
    )
    label_width, size = 38 * mm, 9.5
    rows = [
        ("Telah terima dari", office.name, False),
        ("Uang sejumlah", terbilang(r.amount), True),
        ("Untuk pembayaran", purpose, False),
        ("Dibayar melalui", r.paid_through, False),
    ]
    for label, value, bold in rows:
        lines = wrap(value, right - x - label_width - 3 * mm, doc.font(bold), size)[:4]
        for i, line in enumerate(lines):
            y -= size * 1.5
            if i == 0:
                doc.text(x, y, label, size=size)
                doc.text(x + label_width - 2 * mm, y, ":", size=size)
            doc.text(x + label_width, y, line, size=size, bold=bold)
    y -= 12 * mm
    c.setLineWidth(1)
    c.rect(x, y - 3 * mm, 52 * mm, 10 * mm)
    doc.text(x + 3 * mm, y, f"Rp {rupiah(r.amount)}", size=13, bold=True)
    half = (right - x) / 2
    block_top = y - 6 * mm
    paying = office.treasurer
    doc.signature(
        x,
        block_top,
        half,
        heading=["Lunas dibayar,", paying.title],
        name=paying.name,
        note=paying.nip_line,
        size=8.5,
    )
    doc.signature(
        x + half,
        block_top,
        half,
        heading=[_place_and_date(office, batch.paid_on), "Yang menerima,"],
        name=r.name,
        note=f"NIK {r.nik}",
        size=8.5,
    )
