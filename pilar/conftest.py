"""Shared fixtures: the standard actors and small `make_*` factories."""

from __future__ import annotations

import datetime
import itertools
import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

from pilar.accounts.models import Role, RoleGrant, User  # noqa: E402
from pilar.audit.services import Actor  # noqa: E402
from pilar.lib.nik import make_nik  # noqa: E402
from pilar.regions.models import Area  # noqa: E402
from pilar.registry import services  # noqa: E402
from pilar.registry.models import PillarKind  # noqa: E402
from pilar.registry.reference import ensure_reference_data  # noqa: E402
from pilar.tests_support import PASSWORD  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
_serials = itertools.count(1)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Uploads (photos, import files) go to a directory of the test's own.
    settings.MEDIA_ROOT = tmp_path / "media"
    # A fast hasher: the tests create many users; real hashing is Django's own business.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests do not run collectstatic; the manifest storage is exercised by `pilar serve`'s test.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Cached figures are keyed by the newest audit entry's id, which a rolled-back test hands
    # to the next one again: every test starts with an empty cache.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def office(reference):
    """The office record (docs/OFFICE.md), as every reader gets it: a test changes a field and
    saves it (`office.head_name = ...; office.save()`)."""
    from pilar.offices import current

    return current()


@pytest.fixture
def reference(db):
    from pilar.offices import current

    ensure_reference_data()
    # A transactional test empties the database, the office too (seeded by a migration): it is
    # seeded again here, so no test counts the seeding among a page's queries.
    current()


@pytest.fixture
def area(reference):
    def get(code: str) -> Area:
        return Area.objects.get(code=code)

    return get


@pytest.fixture
def kind(reference):
    def get(code: str) -> PillarKind:
        return PillarKind.objects.get(code=code)

    return get


@pytest.fixture
def system_actor():
    return Actor.system()


@pytest.fixture
def make_person(reference, system_actor):
    def make(
        name: str = "Siti Rahmah",
        *,
        sex: str = "P",
        kelurahan: str = "13.75.01.1001",
        birth_date: datetime.date = datetime.date(1985, 6, 15),
        **extra,
    ):
        nik = extra.pop("nik", None) or make_nik(
            area6="137501", birth_date=birth_date, sex=sex, serial=next(_serials)
        )
        data = {
            "nik": nik,
            "name": name,
            "sex": sex,
            "birth_date": birth_date,
            "residence": Area.objects.get(code=kelurahan),
            "phone": "081234567890",
            **extra,
        }
        return services.person_create(by=system_actor, data=data)

    return make


@pytest.fixture
def make_assignment(reference, system_actor):
    def make(
        person,
        kind_code: str = "PSM",
        area_code: str = "13.75.01.1001",
        start: datetime.date = datetime.date(2023, 1, 2),
        **extra,
    ):
        return services.assignment_create(
            by=system_actor,
            person=person,
            kind=PillarKind.objects.get(code=kind_code),
            area=Area.objects.get(code=area_code),
            start_date=start,
            **extra,
        )

    return make


@pytest.fixture
def make_user(reference):
    def make(
        username: str,
        role: str | None = None,
        *,
        area: str | None = None,
        person=None,
        office=None,
    ):
        user = User.objects.create_user(
            username=username, password=PASSWORD, person=person, office=office
        )
        if role:
            RoleGrant.objects.create(
                user=user, role=role, area=Area.objects.get(code=area) if area else None
            )
        if person is not None and role != Role.PILLAR:
            RoleGrant.objects.create(user=user, role=Role.PILLAR)
        return user

    return make


# Many offices on one installation (docs/OFFICE.md, "Many offices"). Kota Padang Panjang (13.74)
# is a second kota office beside Bukittinggi's; the province office (13) hosts both and only
# sees. Test areas under 13.74 are named plainly; the demo's are the Kemendagri list's.
OTHER_AREAS = [
    ("13.74", "Padang Panjang", 2, "kota", "13"),
    ("13.74.01", "Padang Panjang Timur", 3, "kecamatan", "13.74"),
    ("13.74.01.1001", "Kelurahan Uji Satu", 4, "kelurahan", "13.74.01"),
    ("13.74.01.1002", "Kelurahan Uji Dua", 4, "kelurahan", "13.74.01"),
]


@pytest.fixture
def other_office(reference, office):
    """A second office, Dinas Sosial Kota Padang Panjang, with its kecamatan and two kelurahan;
    Bukittinggi's office (`office`) stays as it is."""
    from pilar.offices.models import Office

    for code, name, level, area_kind, parent in OTHER_AREAS:
        Area.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "kind": area_kind,
                "parent": Area.objects.get(code=parent),
            },
        )
    return Office.objects.create(
        area=Area.objects.get(code="13.74"),
        name="Dinas Sosial Kota Padang Panjang",
        city="Padang Panjang",
        head_title="Kepala Dinas Sosial",
        treasurer_title="Bendahara Pengeluaran",
        public_url="https://pilar.padangpanjang.example",
    )


@pytest.fixture
def province_office(reference, office):
    """The province's office (Sumatera Barat, 13), hosting the kota offices: it sees, it does
    not act."""
    from pilar.offices.models import Office

    return Office.objects.create(
        area=Area.objects.get(code="13"),
        name="Dinas Sosial Provinsi Sumatera Barat",
        city="Padang",
        head_title="Kepala Dinas Sosial Provinsi",
        treasurer_title="Bendahara Pengeluaran",
        public_url="https://pilar.sumbarprov.example",
    )


@pytest.fixture
def people(make_person, make_assignment):
    """Two PSM in kecamatan A (Guguak Panjang), one in B (MKS), and a TKSK in A."""
    a1 = make_person("Ani Kecamatan A", kelurahan="13.75.01.1001")
    make_assignment(a1, "PSM", "13.75.01.1001")
    a2 = make_person("Budi Kecamatan A", sex="L", kelurahan="13.75.01.1002")
    make_assignment(a2, "PSM", "13.75.01.1002")
    b1 = make_person("Citra Kecamatan B", kelurahan="13.75.02.1001")
    make_assignment(b1, "PSM", "13.75.02.1001")
    tksk = make_person("Dedi TKSK A", sex="L", kelurahan="13.75.01.1003")
    make_assignment(tksk, "TKSK", "13.75.01")
    return {"a1": a1, "a2": a2, "b1": b1, "tksk_a": tksk}


@pytest.fixture
def actors(make_user, people):
    """One user per role: the standard cast of every permission test."""
    return {
        "admin": make_user("admin1", Role.ADMIN),
        "operator": make_user("operator1", Role.OPERATOR),
        "approver": make_user("kepala1", Role.APPROVER),
        "finance": make_user("bendahara1", Role.FINANCE),
        "coordinator_a": make_user(
            "tksk-a", Role.COORDINATOR, area="13.75.01", person=people["tksk_a"]
        ),
        "coordinator_b": make_user("tksk-b", Role.COORDINATOR, area="13.75.02"),
        "pillar": make_user("psm-a1", Role.PILLAR, person=people["a1"]),
        "viewer": make_user("viewer1", Role.VIEWER),
        "norole": make_user("norole1"),
    }


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
