"""The public page, its open data and the public headcount: no sign-in, nothing personal, no
count from 1 to 4 of households or people served, bad input refused, heavy traffic held off."""

import csv
import datetime
import io
import json

import pytest
from django.utils import timezone

from pilar.accounts.models import Role
from pilar.casework.models import Household, HouseholdMember
from pilar.publik.suppress import HIDDEN, SMALL
from pilar.registry.models import Person
from pilar.tests_support import english_messages

pytestmark = pytest.mark.django_db
english = pytest.fixture(autouse=True, name="english")(english_messages)

AS_OF = "2024-11-20"
SLUGS = [
    "pilar-per-kelurahan",
    "kegiatan-per-sektor",
    "rumah-tangga-didampingi",
    "tali-kasih",
    "pelatihan",
]


def read_csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def personal_values() -> set[str]:
    names = set(Person.objects.values_list("name", flat=True))
    names |= set(HouseholdMember.objects.values_list("name", flat=True))
    niks = set(Person.objects.values_list("nik", flat=True))
    niks |= set(HouseholdMember.objects.exclude(nik="").values_list("nik", flat=True))
    kks = set(Household.objects.values_list("kk_number", flat=True))
    return {v for v in names | niks | kks if v}


def assert_nothing_personal(text: str):
    found = [v for v in personal_values() if v in text]
    assert not found, found


def test_the_page_answers_anonymously_with_nothing_personal(client, figures):
    response = client.get(f"/publik/?as_of={AS_OF}")
    assert response.status_code == 200
    html = response.content.decode()
    assert_nothing_personal(html)
    assert "Content-Security-Policy" in response
    # no session, no CSRF cookie for a visitor
    assert not response.cookies
    # no menu of the signed-in pages, no script
    assert "<script" not in html
    assert "/pillars/" not in html and "Log out" not in html
    assert 'data-testid="headline-pillars"><strong class="big">4<' in html
    # households: 3 in Tarok Dipo is "<5", the total 22 stands
    assert 'data-testid="headline-households"><strong class="big">22<' in html
    assert '<td class="num suppressed">&lt;5</td>' in html
    assert "<svg" in html  # the activities chart, drawn on the server


def test_a_signed_in_user_sees_the_same_page_without_the_menu(client, actors, figures):
    client.force_login(actors["admin"])
    html = client.get(f"/publik/?as_of={AS_OF}").content.decode()
    assert "Log out" not in html
    assert_nothing_personal(html)


def test_every_dataset_csv_and_json_hides_small_counts(client, figures):
    for slug in SLUGS:
        rows = read_csv(client.get(f"/publik/data/{slug}.csv?as_of={AS_OF}"))
        data = client.get(f"/publik/data/{slug}.json?as_of={AS_OF}").json()
        assert (
            data["rows"] == rows
            or [{k: str(v) for k, v in r.items()} for r in data["rows"]] == rows
        )
        text = json.dumps(data, ensure_ascii=False)
        assert_nothing_personal(text)
        counted = [c["name"] for c in data["columns"] if c["type"] == "count"]
        for row in rows:
            for name in counted:
                value = row[name]
                assert value in (SMALL, HIDDEN) or not 1 <= int(value) <= 4, (slug, row)


def test_households_accompanied_are_suppressed_with_a_second_cell(client, figures):
    rows = read_csv(client.get(f"/publik/data/rumah-tangga-didampingi.csv?as_of={AS_OF}"))
    by_code = {r["kode_kelurahan"]: r["rumah_tangga_didampingi"] for r in rows}
    assert by_code["13.75.01.1001"] == SMALL  # 3
    # 7 is the next-smallest: hidden so that 22 - 12 - 7 does not give the 3 away
    assert by_code["13.75.02.1001"] == HIDDEN
    assert by_code["13.75.01.1002"] == "12"
    assert by_code["13.75.01.1003"] == "0"
    assert rows[-1]["rumah_tangga_didampingi"] == "22"


def test_activities_table_and_households_reached(client, figures):
    rows = read_csv(client.get(f"/publik/data/kegiatan-per-sektor.csv?as_of={AS_OF}"))
    october = next(r for r in rows if r["bulan"] == "2024-10")
    september = next(r for r in rows if r["bulan"] == "2024-09")
    assert october["rehabilitasi"] == SMALL
    assert october["rumah_tangga_dijangkau"] == SMALL
    # the 2 would be October's total minus 9 and the sector's total minus nothing: more hidden
    hidden = [r["perlindungan"] for r in (october, september)] + [rows[-1]["rehabilitasi"]]
    assert HIDDEN in hidden or SMALL in hidden
    assert rows[-1]["jumlah"] == "31"
    assert len(rows) == 13


def test_tali_kasih_totals_without_names(client, figures):
    data = client.get(f"/publik/data/tali-kasih.json?as_of={AS_OF}").json()
    assert data["license"]["name"] == "CC BY 4.0"
    assert data["publisher"]["name"] == "Dinas Sosial Kota Bukittinggi"
    rows = {(r["tahun"], r["triwulan"]): r for r in data["rows"][:-1]}
    assert rows[("2024", "3")]["bulan_dibayar"] == SMALL
    assert rows[("2024", "3")]["jumlah_rupiah"] == HIDDEN  # 800.000 would tell the 2
    assert rows[("2024", "4")]["bulan_dibayar"] == HIDDEN
    assert data["rows"][-1]["bulan_dibayar"] == 8
    assert data["rows"][-1]["jumlah_rupiah"] == 3_200_000


def test_trainings(client, figures):
    rows = read_csv(client.get(f"/publik/data/pelatihan.csv?as_of={AS_OF}"))
    by_course = {r["kursus"]: r for r in rows}
    assert by_course["Dasar PSM"]["kegiatan"] == "1"
    assert by_course["Dasar PSM"]["peserta"] == SMALL
    assert by_course["Lanjutan"]["peserta"] == HIDDEN
    assert rows[-1]["peserta"] == "9"
    # Participants less passed is a count of people too (9 - 8 = the 1 who did not pass): the
    # total of passed is hidden with it.
    assert rows[-1]["lulus"] == HIDDEN
    for row in rows:
        if row["peserta"].isdigit() and row["lulus"].isdigit():
            assert not 0 < int(row["peserta"]) - int(row["lulus"]) < 5, row


def test_pillars_per_kelurahan_match_the_headcount(client, figures):
    rows = read_csv(client.get(f"/publik/data/pilar-per-kelurahan.csv?as_of={AS_OF}"))
    api = client.get(f"/api/v1/public/headcount?as_of={AS_OF}").json()
    assert rows[-1]["jumlah"] == str(api["total"]) == "4"
    by_code = {r["kode_wilayah"]: r for r in rows[:-1]}
    for row in api["by_kelurahan"]:
        assert by_code[row["code"]]["jumlah"] == str(row["total"])


def test_the_data_page_lists_datasets_with_their_dictionary(client, figures):
    response = client.get("/publik/data/")
    assert response.status_code == 200
    html = response.content.decode()
    for slug in SLUGS:
        assert f'id="{slug}"' in html
        assert f"/publik/data/{slug}.csv" in html
    assert "CC BY 4.0" in html and "rumah_tangga_didampingi" in html


def test_catalogue(client, figures):
    response = client.get("/publik/data/catalog.json")
    assert response.status_code == 200
    catalogue = response.json()
    assert catalogue["@type"] == "dcat:Catalog"
    assert {d["identifier"] for d in catalogue["dataset"]} == {f"13.75/{s}" for s in SLUGS}
    for d in catalogue["dataset"]:
        assert d["license"] == "https://creativecommons.org/licenses/by/4.0/"
        assert d["publisher"]["name"] == "Dinas Sosial Kota Bukittinggi"
        assert {x["mediaType"] for x in d["distribution"]} == {"text/csv", "application/json"}
        assert d["accrualPeriodicity"]


@pytest.mark.parametrize(
    "url",
    [
        "/publik/data/nope.csv",
        "/publik/data/tali-kasih.xlsx",
        "/publik/99.99/",
        "/publik/13.75/data/nope.json",
    ],
)
def test_unknown_dataset_or_office_is_404(client, office, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("as_of", ["1900-01-01", "2024-13-01", "kemarin", "2101-01-01"])
def test_a_bad_date_is_400_naming_the_field(client, office, as_of):
    for url in ("/publik/", "/publik/data/", "/publik/data/tali-kasih.csv"):
        response = client.get(url, {"as_of": as_of})
        assert response.status_code == 400
        assert "as_of" in response.content.decode()
    assert client.get("/api/v1/public/headcount", {"as_of": as_of}).status_code == 422


def test_a_day_after_today_is_400(client, office):
    """Each day is built once and kept; a later day would only be another key to build anew."""
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    for url in ("/publik/", "/publik/data/pelatihan.json"):
        response = client.get(url, {"as_of": tomorrow})
        assert response.status_code == 400
        assert "as_of" in response.content.decode()


def test_wrong_method(client, office):
    assert client.post("/publik/").status_code == 405
    assert client.post("/publik/data/tali-kasih.csv").status_code == 405


def test_heavy_traffic_gets_429_with_retry_after(client, office, settings):
    settings.PILAR_PUBLIC_RATE_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/publik/data/tali-kasih.csv").status_code == 200
    response = client.get("/publik/data/tali-kasih.csv")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Terlalu banyak" in response.content.decode() or "Too many" in response.content.decode()
    api = client.get("/api/v1/public/headcount")
    assert api.status_code == 429 and api["Retry-After"]
    # another address is not held back
    assert client.get("/publik/data/tali-kasih.csv", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_figures_are_kept_until_the_next_write(client, figures, django_assert_max_num_queries):
    client.get(f"/publik/?as_of={AS_OF}")
    # The data version read once per kept figure: the five datasets and the map.
    with django_assert_max_num_queries(7):
        assert client.get(f"/publik/?as_of={AS_OF}").status_code == 200


def test_the_page_is_bounded_in_queries(client, figures, django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        assert client.get(f"/publik/?as_of={AS_OF}").status_code == 200


def test_public_headcount_needs_no_token(client, figures):
    response = client.get(f"/api/v1/public/headcount?as_of={AS_OF}")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4 and body["by_kind"]["PSM"] == 3
    assert_nothing_personal(response.content.decode())
    assert not response.cookies
    # the same figures as the signed-in headcount
    assert client.get(f"/api/v1/headcount?as_of={AS_OF}").status_code == 401
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/public/headcount"]["get"]
    assert not operation.get("security")
    assert "429" in operation["responses"]


def test_signed_in_headcount_and_public_agree(client, actors, figures):
    public = client.get(f"/api/v1/public/headcount?as_of={AS_OF}").json()
    client.force_login(actors["admin"])
    private = client.get(f"/api/v1/headcount?as_of={AS_OF}").json()
    assert public == private


def test_many_offices_list_them_and_each_has_its_own_page(
    client, office, other_office, province_office, people
):
    from pilar.registry.models import Assignment

    assert Assignment.objects.exists()
    html = client.get("/publik/").content.decode()
    assert "/publik/13.75/" in html and "/publik/13.74/" in html and "/publik/13/" in html
    kota = client.get(f"/publik/13.75/?as_of={AS_OF}")
    assert kota.status_code == 200
    assert "Dinas Sosial Kota Bukittinggi" in kota.content.decode()
    other = read_csv(client.get(f"/publik/13.74/data/pilar-per-kelurahan.csv?as_of={AS_OF}"))
    assert other[-1]["jumlah"] == "0"
    assert {r["kode_wilayah"] for r in other[:-1]} == {"13.74.01.1001", "13.74.01.1002"}
    catalogue = client.get("/publik/data/catalog.json").json()
    assert {d["identifier"].split("/")[0] for d in catalogue["dataset"]} == {"13", "13.75", "13.74"}


def test_roles_do_not_change_what_is_shown(client, actors, figures):
    anonymous = client.get(f"/publik/data/rumah-tangga-didampingi.csv?as_of={AS_OF}").content
    for role in ("admin", "coordinator_b", "pillar"):
        client.force_login(actors[role])
        assert (
            client.get(f"/publik/data/rumah-tangga-didampingi.csv?as_of={AS_OF}").content
            == anonymous
        )
    assert Role.ADMIN


def test_the_page_shows_the_pillars_per_kelurahan_on_the_map(client, figures):
    """A tile grid until the office loads its boundaries (docs/DASHBOARD.md, "Map"); the
    same figures as the open data, and no link into the signed-in pages."""
    rows = read_csv(client.get(f"/publik/data/pilar-per-kelurahan.csv?as_of={AS_OF}"))
    html = client.get(f"/publik/?as_of={AS_OF}").content.decode()
    start = html.index('data-testid="publik-map"')
    section = html[start : html.index("</section>", start)]
    assert "<figcaption>" in section  # in the visitor's language
    assert 'data-kind="tiles"' in section and section.count("<rect ") == 24
    tarok = next(r for r in rows if r["kode_wilayah"] == "13.75.01.1001")
    assert f"<title>Tarok Dipo: {tarok['jumlah']}</title>" in section
    assert "<a " not in section


def test_a_province_publishes_nothing_its_offices_do_not(
    client, figures, other_office, province_office
):
    """The province's datasets are its offices' as they publish them, added up: a kelurahan's
    row as its kota shows it, a sum only where every part is shown (else "*"). Counted on its
    own, the province would hide other cells than Bukittinggi does, and the two pages together
    would give a small count away."""
    for slug in ("rumah-tangga-didampingi", "kegiatan-per-sektor", "tali-kasih", "pelatihan"):
        kota = read_csv(client.get(f"/publik/13.75/data/{slug}.csv?as_of={AS_OF}"))
        other = read_csv(client.get(f"/publik/13.74/data/{slug}.csv?as_of={AS_OF}"))
        province = read_csv(client.get(f"/publik/13/data/{slug}.csv?as_of={AS_OF}"))
        numeric = [k for k, v in kota[-1].items() if v.isdigit() or v in (SMALL, HIDDEN)]
        keyed = {tuple(v for k, v in r.items() if k not in numeric): r for r in province}
        assert len(keyed) == len(province)
        for row in kota:
            key = tuple(v for k, v in row.items() if k not in numeric)
            mate = next(
                (r for r in other if tuple(v for k, v in r.items() if k not in numeric) == key),
                None,
            )
            for column in numeric:
                parts = [row[column]] + ([mate[column]] if mate else [])
                expected = (
                    str(sum(int(p) for p in parts))
                    if all(p.isdigit() for p in parts)
                    else (parts[0] if len(parts) == 1 else HIDDEN)
                )
                assert keyed[key][column] == expected, (slug, key, column)
    households = read_csv(client.get(f"/publik/13/data/rumah-tangga-didampingi.csv?as_of={AS_OF}"))
    tarok = next(r for r in households if r["kode_kelurahan"] == "13.75.01.1001")
    assert tarok["rumah_tangga_didampingi"] == SMALL
