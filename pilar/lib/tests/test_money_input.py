"""Amounts typed the Indonesian way: parse_money and MoneyField (docs/INPUT.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilar.lib.money import MAX_RUPIAH, MoneyField, parse_money, rupiah
from pilar.lib.params import InputError
from pilar.tests_support import english_messages

english = pytest.fixture(autouse=True, name="english")(english_messages)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1.500.000", 1_500_000),
        ("1500000", 1_500_000),
        ("Rp 1.500.000", 1_500_000),
        ("Rp1.500.000", 1_500_000),
        ("rp. 1.500.000", 1_500_000),
        ("1.500.000,00", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1,500.00", 1_500),
        ("1500.00", 1_500),
        ("1.500", 1_500),
        ("0", 0),
        (" 25.000 ", 25_000),
        (1_500_000, 1_500_000),
        (1500.0, 1_500),
    ],
)
def test_accepted_amounts(typed, amount):
    assert parse_money(typed, "Jumlah") == amount


@pytest.mark.parametrize(
    ("typed", "down", "up"),
    [
        ("1500,50", "1.500", "1.501"),
        ("1.500,5", "1.500", "1.501"),
        ("1500.50", "1.500", "1.501"),
        ("1,500,000.50", "1.500.000", "1.500.001"),
        ("12,5", "12", "13"),
        (1500.5, "1.500", "1.501"),
    ],
)
def test_a_fraction_is_refused_naming_the_two_whole_amounts(typed, down, up):
    with pytest.raises(InputError) as caught:
        parse_money(typed, "Jumlah")
    assert caught.value.field == "Jumlah"
    assert caught.value.message_text == (
        f"Jumlah: the amount must be whole rupiah, without cents: write {down} or {up}."
    )


@pytest.mark.parametrize(
    "typed",
    ["1,500", "12,000", "abc", "1.500.00", "1.5.000", "١٢٣", "1 500 000", "--5", "x" * 60]
    + ["1,500.000", "1.500,000", "1500,000"],
)
def test_ambiguous_or_malformed_text_is_refused(typed):
    with pytest.raises(InputError) as caught:
        parse_money(typed, "Omzet")
    assert caught.value.message_text.startswith("Omzet")


def test_bounds_name_the_field():
    with pytest.raises(InputError, match="Tabungan cannot be negative"):
        parse_money("-5", "Tabungan")
    with pytest.raises(InputError, match="more than the Rp1.000 allowed"):
        parse_money("1.001", "Tabungan", high=1000)
    with pytest.raises(InputError):
        parse_money(True, "Tabungan")
    assert parse_money("", "Tabungan") is None
    assert parse_money(MAX_RUPIAH, "Tabungan") == MAX_RUPIAH


@given(st.integers(min_value=0, max_value=MAX_RUPIAH))
def test_an_amount_written_the_indonesian_way_parses_back(amount):
    assert parse_money(rupiah(amount), "x") == amount
    assert parse_money(f"Rp {rupiah(amount)},00", "x") == amount
    assert parse_money(str(amount), "x") == amount


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=1, max_value=99),
    st.sampled_from([",", "."]),
    st.booleans(),
)
def test_no_amount_with_a_fraction_parses_to_another_number(amount, cents, point, grouped):
    """Whatever way a fraction is written, it is refused: never read as a different integer."""
    whole = rupiah(amount) if grouped and point == "," else str(amount)
    typed = f"{whole}{point}{cents:02d}"
    with pytest.raises(InputError):
        parse_money(typed, "x")


@given(st.text(alphabet="0123456789.,Rp -", max_size=20))
def test_any_text_is_refused_or_read_as_written(typed):
    """Text of digits and separators either is refused or reads as the digits it holds, with
    any fraction only zeros: parse_money never invents or drops a non-zero digit."""
    try:
        amount = parse_money(typed, "x", low=-MAX_RUPIAH)
    except InputError:
        return
    if amount is None:
        return
    digits = "".join(c for c in typed if c.isdigit()).lstrip("0")
    written = str(abs(amount)).lstrip("0")
    assert digits.startswith(written)
    assert not digits[len(written) :].strip("0")  # only a zero fraction was dropped


def test_money_field_cleans_to_an_int_and_names_its_label():
    field = MoneyField(label="Omzet (Rp)", high=10**9)
    assert field.clean("Rp 1.500.000") == 1_500_000
    with pytest.raises(Exception) as caught:
        field.clean("1500,50")
    assert caught.value.messages == [
        "Omzet (Rp): the amount must be whole rupiah, without cents: write 1.500 or 1.501."
    ]
    with pytest.raises(Exception, match="more than"):
        field.clean("2.000.000.000")
    assert field.prepare_value(1_500_000) == "1.500.000"
    assert 'inputmode="decimal"' in str(field.widget.render("x", "1"))
