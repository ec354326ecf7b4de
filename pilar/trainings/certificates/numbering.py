"""A certificate's number and its verification code.

Its `code` is 10 characters drawn by `secrets` from 31 letters and digits that cannot be
mistaken for one another (no 0/O, 1/I/L): about 8·10^14 possibilities, so a code cannot be
guessed by trying. Numbers run per office and year: `services` takes the office's next one for
the year and the database refuses a second (office, year, seq). The installation's top office
(the only one of a single-office installation) numbers "0007/SERT/2024"; an office below it puts
its area's code in, "0007/SERT/13.74/2024", so a number names one certificate in the whole
installation (docs/TRAININGS.md, "Many offices").
"""

from __future__ import annotations

import secrets

from pilar.accounts.access import is_top
from pilar.offices import current

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
NUMBER_FORMAT = "{seq:04d}/SERT/{year}"
OFFICE_NUMBER_FORMAT = "{seq:04d}/SERT/{code}/{year}"


def certificate_number(office, *, year: int, seq: int) -> str:
    """The printed number of the certificate `seq` of `year` issued by `office`."""
    if is_top(office):
        return NUMBER_FORMAT.format(seq=seq, year=year)
    return OFFICE_NUMBER_FORMAT.format(seq=seq, code=office.area.code, year=year)


def new_code() -> str:
    """A fresh random verification code, in its stored (normalised) form."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str | None:
    """The stored form of a code as someone typed it ("k7qx-m3rt 9a" → "K7QXM3RT9A"), or None
    when it cannot be a code at all (so a lookup never runs on junk)."""
    code = "".join((typed or "").split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def grouped_code(code: str) -> str:
    """A stored code as it is printed, easier to read aloud: K7QX-M3RT-9A."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verify_url(code: str, *, base: str | None = None) -> str:
    """The public page of the certificate: the office's public address (or `base`, the same
    read once for many) followed by /c/<code>/."""
    return f"{base if base is not None else current().public_url}/c/{code}/"
