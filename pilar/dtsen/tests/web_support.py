"""Households for the tests of the pages, API, writer and exports of extract imports."""

from __future__ import annotations

import datetime
import itertools

from pilar.casework.models import Household, HouseholdMember
from pilar.lib.nik import make_nik
from pilar.regions.models import Area

_serial = itertools.count(1)


def make_kk(area6: str = "137501") -> str:
    return f"{area6}150120{next(_serial):04d}"


def make_family(
    kelurahan: str = "13.75.01.1001",
    *,
    members: int = 3,
    decile: int | None = 2,
    dtsen_id: str | None = None,
) -> Household:
    """A household with a head, a spouse and children, written directly (the writer's and the
    pages' tests need data, not the household service's rules)."""
    area = Area.objects.get(code=kelurahan)
    area6 = kelurahan.replace(".", "")[:6]
    number = next(_serial)
    household = Household.objects.create(
        kk_number=make_kk(area6),
        area=area,
        address=f"Jl. Sudirman No. {number}",
        rt_rw="001/002",
        dtsen_id=dtsen_id if dtsen_id is not None else f"DT{number:08d}",
        decile=decile,
    )
    plan = [
        ("head", "L", datetime.date(1975, 3, 4), "Amir"),
        ("spouse", "P", datetime.date(1978, 11, 23), "Rosna"),
        ("child", "L", datetime.date(2005, 1, 9), "Rahmat"),
        ("child", "P", datetime.date(2010, 7, 30), "Sari"),
        ("parent", "P", datetime.date(1950, 12, 1), "Nurhayati"),
    ]
    for relation, sex, born, name in plan[:members]:
        HouseholdMember.objects.create(
            household=household,
            nik=make_nik(area6=area6, birth_date=born, sex=sex, serial=next(_serial) % 9000 + 1),
            name=f"{name} {number}",
            sex=sex,
            birth_date=born,
            relation=relation,
        )
    return household


def extract_bytes(households, *, messy=None) -> bytes:
    """`households` written as an extract (pilar.dtsen.writer), as bytes."""
    import io

    from pilar.dtsen.writer import write_extract

    out = io.BytesIO()
    write_extract(households, out, messy=messy)
    return out.getvalue()


def upload(content: bytes, name: str = "dtsen.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name,
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def forget(households) -> None:
    """Remove households (made by make_family, nothing else hangs on them) from the database:
    their extract then brings them in as new."""
    for household in households:
        household.members.all().delete()
        household.delete()
