"""WhatsApp links: Indonesian numbers as people write them, in the one form wa.me reads."""

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilar.lib.whatsapp import wa_link, wa_number


@pytest.mark.parametrize(
    "written",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "+62 812 3456 7890",
        "+62-812-3456-7890",
        "6281234567890",
        "62 812.3456.7890",
        "(0812) 3456-7890",
        "81234567890",
    ],
)
def test_numbers_as_people_write_them(written):
    assert wa_number(written) == "6281234567890"


@pytest.mark.parametrize(
    "written",
    [
        "",
        None,
        "   ",
        "0752-21234",  # a landline (Bukittinggi): WhatsApp is for mobiles
        "+1 415 555 0100",  # not Indonesian
        "0812",  # too short
        "08123456789012345",  # too long
        "0812-3456-789x",
        "٠٨١٢٣٤٥٦٧٨٩٠",  # Arabic-Indic digits
        "tidak ada",
    ],
)
def test_no_link_for_a_missing_or_invalid_number(written):
    assert wa_number(written) is None
    assert wa_link(written, "Halo") is None


@given(
    local=st.from_regex(r"8[0-9]{8,11}", fullmatch=True),
    prefix=st.sampled_from(["0", "62", "+62", "+62 ", ""]),
    separator=st.sampled_from(["", " ", "-", "."]),
)
def test_every_written_form_gives_the_same_number(local, prefix, separator):
    written = prefix + separator.join([local[:3], local[3:7], local[7:]])
    assert wa_number(written) == "62" + local


@given(st.text(max_size=20))
def test_anything_typed_gives_a_valid_number_or_none(text):
    number = wa_number(text)
    assert number is None or (number.startswith("628") and number.isdigit())


def test_the_link_carries_the_message_encoded():
    link = wa_link("0812-3456-7890", "Halo Ani & Budi: laporan Oktober 2024?")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
    assert parse_qs(parts.query) == {"text": ["Halo Ani & Budi: laporan Oktober 2024?"]}
    assert " " not in link and "&" not in parts.query
