"""Digits that only look like 0-9 (Arabic-Indic, full-width) are refused with a message, never
read as numbers: int() would read '١٢٣' as 123 (docs/INPUT.md)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pilar.imports.engine.normalize import CellProblem, date_from_cell, phone_from_cell
from pilar.lib import params
from pilar.lib.fields import DateField, IntegerField, MonthField
from pilar.lib.kk import validate_kk
from pilar.lib.nik import validate_nik
from pilar.lib.phone import normalize_phone

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture(autouse=True)
def english():
    """The messages are read in English (the catalog has them in Indonesian too)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize("table", [ARABIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_nik_kk_phone_and_import_cells_refuse_look_alikes(table):
    with pytest.raises(ValidationError, match="0-9"):
        validate_nik("1375014506800001".translate(table))
    with pytest.raises(ValidationError, match="0-9"):
        validate_kk("1375011234560001".translate(table))
    with pytest.raises(ValidationError, match="0812"):
        normalize_phone("081234567890".translate(table))
    with pytest.raises(CellProblem):
        phone_from_cell("081234567890".translate(table))
    with pytest.raises(CellProblem):
        date_from_cell("22-10-1990".translate(table), today=datetime.date(2024, 10, 22))


@pytest.mark.parametrize("table", [ARABIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_query_and_option_numbers_refuse_look_alikes(table):
    for parse in (params.parse_id, params.parse_year):
        with pytest.raises(params.InputError, match="whole number"):
            parse("2024".translate(table), "year")
    for day in ("2024-10-22", "22/10/2024", "22.10.2024"):
        with pytest.raises(params.InputError, match="YYYY-MM-DD"):
            params.parse_date(day.translate(table), "as_of")
    with pytest.raises(params.InputError, match="YEAR-MONTH"):
        params.parse_month("2024-10".translate(table), "month")
    assert params.parse_page("２") == 1  # junk in a page number is the first page
    assert not params.ascii_digits("١٢٣")


@pytest.mark.parametrize("table", [ARABIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_form_dates_months_and_numbers_refuse_look_alikes(table):
    for field, text in [
        (DateField(), "2024-10-22"),
        (MonthField(), "2024-10"),
        (IntegerField(), "2024"),
    ]:
        assert field.clean(text) is not None
        with pytest.raises(ValidationError):
            field.clean(text.translate(table))
