"""What a document keeps of the office it was issued by (docs/OFFICE.md): the letterhead (name,
address, city, logo) and the signers, copied onto the record at the moment it is issued — a
tali kasih batch at approval, a handover (BAST) when it is saved. A record issued before the
office was a record has no copy and prints the office as it is now."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core.files.storage import default_storage

from pilar.lib.pdf import Letterhead
from pilar.offices.models import Office

NIP_LINE = "NIP. " + "." * 36


@dataclass(frozen=True)
class Signer:
    """Who signs: the position, the name whole as entered (degrees and titles with their commas
    and dots: "Dra. Rina Marlina, S.Sos, M.Si") and the NIP, each printed on a line of its own;
    an empty name or NIP leaves a dotted line to write it in."""

    title: str
    name: str
    nip: str

    @property
    def nip_line(self) -> str:
        return f"NIP. {self.nip}" if self.nip else NIP_LINE


@dataclass(frozen=True)
class OfficeCopy:
    name: str
    address: str
    city: str
    logo: str  # the file's name in the media storage, "" for none
    head: Signer
    treasurer: Signer

    @classmethod
    def of(cls, office: Office) -> OfficeCopy:
        return cls(
            name=office.name,
            address=office.address,
            city=office.city,
            logo=office.logo.name or "",
            head=Signer(office.head_title, office.head_name.strip(), office.head_nip.strip()),
            treasurer=Signer(
                office.treasurer_title, office.treasurer_name.strip(), office.treasurer_nip.strip()
            ),
        )

    @classmethod
    def from_json(cls, data: dict) -> OfficeCopy:
        return cls(
            **{k: data.get(k, "") for k in ("name", "address", "city", "logo")},
            head=Signer(**data["head"]),
            treasurer=Signer(**data["treasurer"]),
        )

    def as_json(self) -> dict:
        return asdict(self)

    def letterhead(self) -> Letterhead:
        return Letterhead(name=self.name, address=self.address, logo=logo_bytes(self.logo))


def logo_bytes(name: str) -> bytes | None:
    """The logo's file, or None when there is none or it has gone (a document still prints)."""
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as f:
            return f.read()
    except OSError:
        return None


def office_copy() -> OfficeCopy:
    """The current office, as a document issued now keeps it."""
    from pilar.offices import current

    return OfficeCopy.of(current())


def kept_copy(stored: dict | None) -> OfficeCopy:
    """The office as `stored` on a record when it was issued, else as it is now."""
    return OfficeCopy.from_json(stored) if stored else office_copy()


def certificate_signer(office: Office) -> Signer:
    """Who signs a certificate issued now: the signer named, else the head of office."""
    if office.signer_name.strip():
        return Signer(
            office.signer_title.strip() or office.head_title,
            office.signer_name.strip(),
            office.signer_nip.strip(),
        )
    return Signer(office.head_title, office.head_name.strip(), office.head_nip.strip())
