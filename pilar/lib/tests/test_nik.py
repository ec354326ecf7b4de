"""Tests for pilar.lib.nik (no database needed)."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

if not settings.configured:  # run with `-p no:django`: messages only need minimal settings
    settings.configure(USE_I18N=False)

from pilar.lib.nik import (  # noqa: E402
    make_nik,
    mask_nik,
    nik_birth_date,
    nik_sex,
    normalize_nik,
    validate_nik,
)

MAN = "1375011708450001"  # Bukittinggi, Guguak Panjang; born 17-08-1945, male
WOMAN = "1375025708450002"  # Bukittinggi, MKS; born 17-08-1945, female (17 + 40)
JAKARTA = "3171011708450001"  # Jakarta Selatan
AREAS = ["137501", "137502", "137503", "317101", "327301"]


def error_of(value, **kwargs) -> tuple[str, str]:
    """Run validate_nik expecting a failure; return (code, English message)."""
    with pytest.raises(ValidationError) as info:
        validate_nik(value, **kwargs)
    exc = info.value
    with translation.override("en"):
        messages = exc.messages
    assert len(messages) == 1
    return exc.code, messages[0]


# --- valid numbers ---------------------------------------------------------------------------


def test_valid_man_from_bukittinggi():
    born = datetime.date(1945, 8, 17)
    assert validate_nik(MAN) == MAN
    assert validate_nik(MAN, birth_date=born, sex="L") == MAN
    assert nik_birth_date(MAN) == born
    assert nik_sex(MAN) == "L"


def test_valid_woman_from_bukittinggi():
    born = datetime.date(1945, 8, 17)
    assert validate_nik(WOMAN, birth_date=born, sex="P") == WOMAN
    assert nik_birth_date(WOMAN) == born
    assert nik_sex(WOMAN) == "P"


def test_valid_nik_from_other_provinces():
    assert validate_nik(JAKARTA, birth_date=datetime.date(1945, 8, 17), sex="L") == JAKARTA
    assert validate_nik("3273015001990123", sex="p") == "3273015001990123"  # Bandung


def test_normalizes_separators_and_whitespace():
    assert normalize_nik(" 1375.01-1708 45\u00a00001\n") == MAN
    assert normalize_nik("13 75 01 17 08 45 00 01") == MAN
    assert validate_nik("  1375 0117 0845 0001 ") == MAN
    assert validate_nik("13.75.01-170845-0001") == MAN
    assert validate_nik("1375\u2013011708450001") == MAN  # en dash pasted from a document


def test_empty_sex_means_unknown():
    assert validate_nik(WOMAN, sex="") == WOMAN
    assert validate_nik(WOMAN, sex=None) == WOMAN


def test_invalid_sex_argument_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_nik(MAN, sex="M")


# --- each failure code -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13750117084500A1", "1375O11708450001", "NIK 1375011708450001"])
def test_not_digits(value):
    code, message = error_of(value)
    assert code == "nik_digits"
    assert "digits 0-9" in message


def test_unicode_digits_are_not_digits():
    code, _ = error_of("١٣٧٥٠١١٧٠٨٤٥٠٠٠١")  # Arabic-Indic digits: str.isdigit() says True
    assert code == "nik_digits"


@pytest.mark.parametrize(
    ("value", "count"), [("137501170845", 12), ("13750117084500011", 17), ("", 0)]
)
def test_wrong_length_says_how_many(value, count):
    code, message = error_of(value)
    assert code == "nik_length"
    assert "16 digits" in message
    assert f"{count} were given" in message


def test_unknown_province():
    code, message = error_of("9971011708450001")
    assert code == "nik_area"
    assert "province" in message
    assert "99" in message


def test_kab_kota_00():
    code, message = error_of("1300011708450001")
    assert code == "nik_area"
    assert "regency/city" in message


def test_newer_province_and_regency_missing_from_stdnum_are_accepted():
    # Kalimantan Utara (65) and Pangandaran (32.18) postdate stdnum's location table.
    assert validate_nik("6501011708450001") == "6501011708450001"
    assert validate_nik("3218011708450001") == "3218011708450001"


def test_kecamatan_00():
    code, message = error_of("1375001708450001")
    assert code == "nik_area"
    assert "00" in message
    assert "district" in message


@pytest.mark.parametrize(
    "date_digits",
    [
        "001245",  # day 00
        "321245",  # day 32
        "401245",  # day 40
        "721245",  # day 72
        "811245",  # day 81: stdnum accepts it (81 % 40 == 1)
        "011345",  # month 13
        "010045",  # month 00
        "310445",  # 31 April
        "290245",  # 29 Feb 1945
        "690245",  # woman, 29 Feb 1945
    ],
)
def test_invalid_encoded_date(date_digits):
    code, message = error_of(f"137501{date_digits}0001")
    assert code == "nik_date"
    assert "birth date" in message
    assert date_digits in message


def test_leap_day_is_a_valid_date():
    assert validate_nik("1375012902000001") == "1375012902000001"  # 29-02-2000
    assert nik_birth_date("1375016902960001") == datetime.date(1996, 2, 29)


def test_serial_0000():
    code, message = error_of("1375011708450000")
    assert code == "nik_serial"
    assert "0001" in message


def test_birth_date_mismatch_names_both_dates():
    code, message = error_of(MAN, birth_date=datetime.date(1945, 8, 18))
    assert code == "nik_birth_date_mismatch"
    assert "17-08-1945" in message
    assert "18-08-1945" in message


def test_birth_date_mismatch_on_year_only():
    code, message = error_of(MAN, birth_date=datetime.date(1946, 8, 17))
    assert code == "nik_birth_date_mismatch"
    assert "17-08-1946" in message


def test_birth_date_compares_two_digit_year_only():
    # 2-digit years cannot tell 1925 from 2025; the stored birth date decides the century.
    nik = "1375010101250001"
    assert validate_nik(nik, birth_date=datetime.date(1925, 1, 1)) == nik
    assert validate_nik(nik, birth_date=datetime.date(2025, 1, 1)) == nik


def test_woman_recorded_as_man():
    code, message = error_of(WOMAN, sex="L")
    assert code == "nik_sex_mismatch"
    assert "woman" in message
    assert "+ 40" in message


def test_man_recorded_as_woman():
    code, message = error_of(MAN, sex="P")
    assert code == "nik_sex_mismatch"
    assert "man" in message


def test_checks_run_in_order_and_report_one_problem():
    # bad area, bad date and serial 0000 at once: the area is reported first
    code, _ = error_of("1375003299450000")
    assert code == "nik_area"


# --- helpers ---------------------------------------------------------------------------------


def test_century_choice():
    today = datetime.date(2025, 6, 1)
    assert nik_birth_date("1375010101250001", today=today) == datetime.date(2025, 1, 1)
    assert nik_birth_date("1375010112250001", today=today) == datetime.date(1925, 12, 1)
    assert nik_birth_date("1375010101260001", today=today) == datetime.date(1926, 1, 1)
    assert nik_birth_date("1375010101000001", today=today) == datetime.date(2000, 1, 1)


@pytest.mark.parametrize("value", ["", "1375", "1375011708450001x", "1375013208450001"])
def test_helpers_reject_malformed_input(value):
    with pytest.raises(ValueError):
        nik_birth_date(value)


def test_nik_sex_rejects_day_between_ranges():
    with pytest.raises(ValueError):
        nik_sex("1375013508450001")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("1375014506800001", "137501******0001"),
        ("1375 0145 0680 0001", "137501******0001"),
        ("137501450680", "********0680"),
        ("12345", "***45"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_mask_nik(value, masked):
    assert mask_nik(value) == masked


def test_make_nik_examples():
    assert make_nik(area6="137501", birth_date=datetime.date(1980, 6, 5), sex="P", serial=1) == (
        "1375014506800001"
    )
    assert make_nik(area6="317101", birth_date=datetime.date(2001, 12, 31), sex="L", serial=42) == (
        "3171013112010042"
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"area6": "999901"},  # unknown province
        {"area6": "137500"},  # kecamatan 00
        {"area6": "13750"},
        {"serial": 0},
        {"serial": 10000},
        {"sex": "X"},
        {"sex": ""},
    ],
)
def test_make_nik_rejects_bad_parts(kwargs):
    args = {"area6": "137501", "birth_date": datetime.date(1980, 1, 1), "sex": "L", "serial": 1}
    args.update(kwargs)
    with pytest.raises(ValueError):
        make_nik(**args)


# --- properties ------------------------------------------------------------------------------

birth_dates = st.dates(datetime.date(1940, 1, 1), datetime.date(2008, 12, 31))
sexes = st.sampled_from(["L", "P"])
serials = st.integers(1, 9999)
areas = st.sampled_from(AREAS)


@given(area6=areas, birth_date=birth_dates, sex=sexes, serial=serials)
def test_make_nik_round_trips(area6, birth_date, sex, serial):
    nik = make_nik(area6=area6, birth_date=birth_date, sex=sex, serial=serial)
    assert len(nik) == 16
    assert nik.startswith(area6)
    assert validate_nik(nik, birth_date=birth_date, sex=sex) == nik
    assert nik_birth_date(nik) == birth_date
    assert nik_sex(nik) == sex
    other = "P" if sex == "L" else "L"
    with pytest.raises(ValidationError) as info:
        validate_nik(nik, birth_date=birth_date, sex=other)
    assert info.value.code == "nik_sex_mismatch"


@given(area6=areas, birth_date=birth_dates, sex=sexes, serial=serials)
def test_mask_nik_never_reveals_date_digits(area6, birth_date, sex, serial):
    nik = make_nik(area6=area6, birth_date=birth_date, sex=sex, serial=serial)
    masked = mask_nik(nik)
    assert len(masked) == 16
    assert masked[6:12] == "******"
    assert nik[6:12] not in masked
    assert masked[:6] == area6
    assert masked[12:] == nik[12:]


@given(value=st.text(max_size=40))
def test_mask_nik_shows_at_most_half_of_any_value(value):
    masked = mask_nik(value)
    revealed = sum(ch != "*" for ch in masked)
    if len(masked) == 16:
        assert masked[6:12] == "******"
    else:
        assert revealed <= len(masked) // 2


def _check_never_crashes(value, birth_date, sex):
    try:
        result = validate_nik(value, birth_date=birth_date, sex=sex)
    except ValidationError as exc:
        assert exc.code in {
            "nik_digits",
            "nik_length",
            "nik_area",
            "nik_date",
            "nik_serial",
            "nik_birth_date_mismatch",
            "nik_sex_mismatch",
        }
        with translation.override("en"):
            assert len(exc.messages) == 1
    else:
        assert len(result) == 16
        assert result.isascii() and result.isdigit()


@given(
    value=st.text(max_size=40),
    birth_date=st.none() | st.dates(),
    sex=st.sampled_from([None, "", "L", "P"]),
)
def test_validate_nik_only_raises_validation_error_on_text(value, birth_date, sex):
    _check_never_crashes(value, birth_date, sex)


@given(
    value=st.from_regex(r"\A[0-9]{16}\Z"),
    birth_date=st.none() | st.dates(),
    sex=st.sampled_from([None, "L", "P"]),
)
def test_validate_nik_only_raises_validation_error_on_digit_strings(value, birth_date, sex):
    _check_never_crashes(value, birth_date, sex)


@given(
    value=st.builds(
        lambda area, date_digits, serial: area + date_digits + serial,
        st.sampled_from(AREAS + ["137500", "990101", "139901"]),
        st.from_regex(r"\A[0-9]{6}\Z"),
        st.from_regex(r"\A[0-9]{4}\Z"),
    )
)
def test_validate_nik_only_raises_validation_error_near_valid(value):
    _check_never_crashes(value, None, None)
