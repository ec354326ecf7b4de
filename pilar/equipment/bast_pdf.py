"""The BAST (Berita Acara Serah Terima) as an A4 PDF in Indonesian: the opening sentence with
the day and date in words as Indonesian BASTs have it, the giver (PIHAK PERTAMA) and the
receiver (PIHAK KEDUA, or the receivers listed in the lampiran for a handover at a training
event), the items, and signature blocks for the giver, the receiver and the witnesses.

NIKs are printed masked: the document is handed around a hall and filed, and the receiver is
identified by name, duty and signature. Names are printed whole as entered, degrees and commas
included ("Dra. Rina Marlina, S.Sos, M.Si"), wrapped within their signature block, with the
position on its own line(s) under the name. Only lines in force are printed: a line reversed
since is left out and named in a note (docs/EQUIPMENT.md).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import translation
from django.utils.formats import date_format
from reportlab.lib.units import mm

from pilar.equipment.models import Condition, Handover, HandoverLine
from pilar.lib.money import terbilang
from pilar.lib.nik import mask_nik
from pilar.lib.pdf import SIGNATURE_HEIGHT, Cell, Column, Document, Table, wrap
from pilar.offices.copies import OfficeCopy
from pilar.registry.models import Assignment

CONDITIONS = {Condition.NEW: "Baru", Condition.GOOD: "Baik", Condition.DAMAGED: "Rusak"}
WITNESSES_PER_ROW = 3
NAME_SIZE = 9


def _signature_lines(doc: Document, width: float, name: str, note: str):
    inner = width - 4 * mm
    names = wrap(name, inner, doc.bold, NAME_SIZE) if name else []
    notes = wrap(note, inner, doc.regular, NAME_SIZE * 0.9) if note else []
    return names, notes


def signature_height(doc: Document, width: float, heading: int, name: str, note: str) -> float:
    names, notes = _signature_lines(doc, width, name, note)
    return heading * NAME_SIZE * 1.4 + 20 * mm + (len(names) + len(notes) + 1) * NAME_SIZE * 1.4


def signature(doc: Document, x, top, width, *, heading, name: str, note: str = "") -> float:
    """A signature block like `Document.signature`, with the name (bold, underlined) and the
    position under it each wrapped within `width`: a witness's name of 200 characters with its
    degrees stays whole and inside its block. Returns the y below the block."""
    size = NAME_SIZE
    middle = x + width / 2
    y = top
    for line in heading:
        y -= size * 1.4
        doc.text(middle, y, line, size=size, align="center")
    y -= 20 * mm
    names, notes = _signature_lines(doc, width, name, note)
    if not names:
        doc.text(middle, y, "(" + "." * 48 + ")", size=size, align="center")
    for n, line in enumerate(names):
        if n:
            y -= size * 1.3
        doc.text(middle, y, line, size=size, bold=True, align="center")
        half = doc.canvas.stringWidth(line, doc.bold, size) / 2
        doc.canvas.setLineWidth(0.5)
        doc.canvas.line(middle - half, y - 1.2, middle + half, y - 1.2)
    for line in notes:
        y -= size * 1.4
        doc.text(middle, y, line, size=size * 0.9, align="center")
    return y - size


def number_in_words(n: int) -> str:
    """22 → "dua puluh dua" (terbilang without the currency)."""
    return terbilang(n).removesuffix(" rupiah")


def day_in_words(day: datetime.date) -> str:
    """ "hari ini Selasa tanggal dua puluh dua bulan Oktober tahun dua ribu dua puluh empat"."""
    with translation.override("id"):
        weekday, month = date_format(day, "l"), date_format(day, "F")
    return (
        f"hari ini {weekday} tanggal {number_in_words(day.day)} bulan {month} "
        f"tahun {number_in_words(day.year)}"
    )


def _duties(people: set[int], day: datetime.date) -> dict[int, str]:
    """Each person's duties on `day` as codes (PSM, TAGANA), or the last ones they held."""
    codes: dict[int, list[str]] = defaultdict(list)
    duties = (
        Assignment.objects.filter(person_id__in=people, start_date__lte=day)
        .select_related("kind", "area")
        .order_by("person_id", "-start_date")
    )
    for duty in duties:
        if duty.is_active_on(day) or not codes[duty.person_id]:
            text = f"{duty.kind.code.replace('_', ' ')} {duty.area.name}"
            if text not in codes[duty.person_id]:
                codes[duty.person_id].append(text)
    return {pk: ", ".join(v) for pk, v in codes.items()}


def bast_pdf(handover: Handover) -> bytes:
    """The whole BAST: every line, every receiver (for those who may see the whole BAST)."""
    with translation.override("id"):
        return _Bast(handover).render()


class _Bast:
    def __init__(self, handover: Handover):
        self.h = handover
        self.reversed = list(
            HandoverLine.objects.filter(handover=handover, reversed_at__isnull=False)
            .select_related("person", "item")
            .order_by("pk")
        )
        self.lines = list(
            HandoverLine.objects.in_force()
            .filter(handover=handover)
            .select_related("person", "item")
            .order_by("person__name", "person_id", "item__name", "pk")
        )
        self.people = list({line.person_id: line.person for line in self.lines}.values())
        self.duties = _duties({p.pk for p in self.people}, handover.handed_on)
        # The BAST's office as the BAST was made (docs/OFFICE.md); one made before: as it is
        # now. Never the office of whoever prints it (docs/EQUIPMENT.md, "Many offices").
        self.office = (
            OfficeCopy.from_json(handover.office_copy)
            if handover.office_copy
            else OfficeCopy.of(handover.office)
        )
        self.doc = Document(
            title=f"Berita Acara Serah Terima {handover.number}",
            office=self.office.letterhead(),
            running_title=f"Berita Acara Serah Terima Nomor {handover.number}",
        )

    @property
    def single(self) -> bool:
        return len(self.people) == 1

    def render(self) -> bytes:
        doc, h = self.doc, self.h
        doc.title("BERITA ACARA SERAH TERIMA BARANG")
        doc.title(f"Nomor: {h.number}", size=10)
        doc.y -= 3 * mm
        place = f", bertempat di {h.place}" if h.place else ""
        doc.paragraph(
            f"Pada {day_in_words(h.handed_on)} ({h.handed_on.strftime('%d-%m-%Y')}){place}, "
            "kami yang bertanda tangan di bawah ini:",
            size=10,
        )
        doc.y -= 2 * mm
        doc.labelled(
            [
                ("Nama", h.giver_name),
                ("Jabatan", h.giver_title or "-"),
                ("Instansi", self.office.name),
            ],
            size=10,
        )
        doc.y -= 1 * mm
        doc.paragraph("Selanjutnya disebut PIHAK PERTAMA.", size=10, bold=True)
        doc.y -= 2 * mm
        if self.single:
            person = self.people[0]
            doc.labelled(
                [
                    ("Nama", person.name),
                    ("NIK", mask_nik(person.nik)),
                    ("Tugas", self.duties.get(person.pk, "-")),
                ],
                size=10,
            )
        else:
            event = f" peserta {h.training_event.display_title}" if h.training_event else ""
            doc.paragraph(
                f"Para penerima{event} sebagaimana tercantum dalam lampiran berita acara ini, "
                f"sebanyak {len(self.people)} ({number_in_words(len(self.people))}) orang.",
                size=10,
            )
        doc.y -= 1 * mm
        doc.paragraph("Selanjutnya disebut PIHAK KEDUA.", size=10, bold=True)
        doc.y -= 2 * mm
        doc.paragraph(
            "PIHAK PERTAMA menyerahkan kepada PIHAK KEDUA, dan PIHAK KEDUA menerima dari PIHAK "
            "PERTAMA, barang sebagai berikut:",
            size=10,
        )
        doc.y -= 2 * mm
        self._items()
        doc.y -= 3 * mm
        doc.paragraph(
            "Barang tersebut dipergunakan untuk menunjang tugas PIHAK KEDUA sebagai pilar sosial "
            "dan menjadi tanggung jawab PIHAK KEDUA. Barang bertanda (*) wajib dikembalikan "
            f"kepada {self.office.name} apabila PIHAK KEDUA tidak lagi bertugas.",
            size=10,
        )
        if h.note:
            doc.paragraph(f"Catatan: {h.note}", size=10)
        for line in self.reversed:
            doc.paragraph(
                f"Koreksi: {line.quantity} {line.item.unit} {line.item.name} untuk "
                f"{line.person.name} dibatalkan ({line.reversal_reason}).",
                size=9,
            )
        doc.paragraph(
            "Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana "
            "mestinya.",
            size=10,
        )
        self._signatures()
        if not self.single:
            self._lampiran()
        return doc.finish()

    def _items(self) -> None:
        totals: dict[tuple, list] = {}
        for line in self.lines:
            key = (line.item.name, line.item_id, line.condition)
            entry = totals.setdefault(key, [line.item, 0, set()])
            entry[1] += line.quantity
            entry[2].add(line.quantity)
        table = Table(
            self.doc,
            [
                Column("No", 10 * mm, "center"),
                Column("Nama barang", self.doc.width - 80 * mm),
                Column("Jumlah", 22 * mm, "right"),
                Column("Satuan", 22 * mm),
                Column("Kondisi", 26 * mm),
            ],
            size=9,
        )
        table.header()
        for n, (item, total, each) in enumerate((v for _k, v in sorted(totals.items())), start=1):
            note = f"Kode aset: {item.asset_code}" if item.asset_code else ""
            damage = "; ".join(
                sorted(
                    {
                        line.note
                        for line in self.lines
                        if line.item_id == item.pk and line.condition == Condition.DAMAGED
                    }
                )
            )
            if damage:
                note = f"{note}; Rusak: {damage}" if note else f"Rusak: {damage}"
            if not self.single and len(each) == 1:
                per = f"{next(iter(each))} {item.unit} per orang"
                note = f"{note}; {per}" if note else per
            name = item.name + (" (*)" if item.needs_return else "")
            table.row(
                [str(n), Cell(name, note=note), str(total), item.unit, self._condition(item)],
            )
        self.doc.on_new_page = None

    def _condition(self, item) -> str:
        conditions = {line.condition for line in self.lines if line.item_id == item.pk}
        return ", ".join(CONDITIONS[c] for c in sorted(conditions))

    def _signatures(self) -> None:
        doc, h = self.doc, self.h
        half = doc.width / 2
        doc.need(
            max(SIGNATURE_HEIGHT, signature_height(doc, half, 3, h.giver_name, h.giver_title))
            + 8 * mm
        )
        top = doc.y - 4 * mm
        city_day = f"{self.office.city}, {self._long(h.handed_on)}"
        receiver = self.people[0].name if self.single else ""
        receiver_heading = ["PIHAK KEDUA", "Yang menerima,"]
        if not self.single:
            receiver_heading = ["PIHAK KEDUA", "Para penerima (tanda tangan pada lampiran)"]
        left = signature(doc, doc.left, top, half, heading=["", *receiver_heading], name=receiver)
        bottom = signature(
            doc,
            doc.left + half,
            top,
            half,
            heading=[city_day, "PIHAK PERTAMA", "Yang menyerahkan,"],
            name=h.giver_name,
            note=h.giver_title,
        )
        doc.y = min(left, bottom)
        witnesses = h.witness_list()
        if not witnesses:
            return
        # One or two witnesses share the page width: a name with its degrees stays on one line.
        width = doc.width / min(WITNESSES_PER_ROW, len(witnesses))

        def row_height(row) -> float:
            return max(signature_height(doc, width, 1, n, p) for n, p in row)

        doc.need(row_height(witnesses[:WITNESSES_PER_ROW]) + 10 * mm)
        doc.y -= 4 * mm
        doc.title("Saksi-saksi:", size=10)
        for start in range(0, len(witnesses), WITNESSES_PER_ROW):
            row = witnesses[start : start + WITNESSES_PER_ROW]
            doc.need(row_height(row))
            left = doc.left + (doc.width - width * len(row)) / 2
            lowest = doc.y
            for i, (name, position) in enumerate(row, start=start + 1):
                x = left + (i - start - 1) * width
                lowest = min(
                    lowest,
                    signature(
                        doc, x, doc.y, width, heading=[f"Saksi {i}"], name=name, note=position
                    ),
                )
            doc.y = lowest

    @staticmethod
    def _long(day: datetime.date) -> str:
        return date_format(day, "j F Y")

    def _lampiran(self) -> None:
        doc, h = self.doc, self.h
        doc.new_page()
        doc.title("LAMPIRAN BERITA ACARA SERAH TERIMA BARANG")
        doc.title(f"Nomor: {h.number} tanggal {self._long(h.handed_on)}", size=10)
        doc.y -= 3 * mm
        columns = [
            Column("No", 9 * mm, "center"),
            Column("Nama", 52 * mm),
            Column("Tugas", 35 * mm),
            Column("Barang dan jumlah", doc.width - 9 * mm - 52 * mm - 35 * mm - 30 * mm),
            Column("Tanda tangan", 30 * mm),
        ]
        table = Table(doc, columns, size=8, min_height=9 * mm)
        table.header()
        by_person: dict[int, list[HandoverLine]] = defaultdict(list)
        for line in self.lines:
            by_person[line.person_id].append(line)
        for n, person in enumerate(self.people, start=1):
            things = "; ".join(
                f"{line.quantity} {line.item.unit} {line.item.name}"
                for line in by_person[person.pk]
            )
            indent = 0 if n % 2 else columns[-1].width / 2 - 2 * mm
            table.row(
                [
                    str(n),
                    Cell(person.name, note=f"NIK {mask_nik(person.nik)}"),
                    self.duties.get(person.pk, "-"),
                    things,
                    Cell(f"{n}.", indent=indent),
                ]
            )
        doc.on_new_page = None
