"""The coordinator's and the office's lists offer a WhatsApp link to each pillar to remind,
the message prepared in Indonesian (docs/NOTICES.md, "WhatsApp"). No request leaves the server:
the page only holds the link."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from pilar.casework.models import MonthlyReport
from pilar.tests_support import login

D = datetime.date


def links_on(page: str) -> list[str]:
    import re

    return [
        parse_qs(urlsplit(href.replace("&amp;", "&")).query)["text"][0]
        for href in re.findall(r'href="(https://wa\.me/[^"]+)"', page)
    ]


def test_report_status_links_name_the_pillar_and_the_month(client, actors, people):
    duty = people["a2"].assignments.get()
    MonthlyReport.objects.create(
        person=people["a2"],
        kind=duty.kind,
        area=duty.area,
        month=D(2024, 10, 1),
        status="returned",
        return_reason="Lengkapi foto",
    )
    people["a1"].phone = "+62 812-1111-2222"
    people["a1"].save()
    login(client, actors["coordinator_a"])
    page = client.get("/reports/?month=2024-10").content.decode()
    assert 'href="https://wa.me/6281211112222?text=' in page
    texts = links_on(page)
    late = next(t for t in texts if "Ani Kecamatan A" in t)
    assert "Oktober 2024" in late and "PSM" in late and "terlambat" in late
    assert "http://testserver/reports/mine/" in late
    returned = next(t for t in texts if "Budi Kecamatan A" in t)
    assert "Oktober 2024" in returned and "dikembalikan" in returned
    assert page.count("Kirim via WhatsApp") == len(texts)


def test_no_link_without_a_mobile_number_or_once_submitted(client, actors, people):
    people["a1"].phone = ""
    people["a1"].save()
    people["a2"].phone = "0752-21234"  # a landline
    people["a2"].save()
    duty = people["tksk_a"].assignments.get()
    MonthlyReport.objects.create(
        person=people["tksk_a"],
        kind=duty.kind,
        area=duty.area,
        month=D(2024, 10, 1),
        status="submitted",
    )
    login(client, actors["operator"])
    page = client.get("/reports/?month=2024-10&area=13.75.01").content.decode()
    texts = links_on(page)
    assert not any(name in t for t in texts for name in ("Ani", "Budi", "Dedi"))


def test_no_link_for_a_month_not_yet_due(client, actors):
    login(client, actors["coordinator_a"])
    assert links_on(client.get("/reports/?month=2024-11").content.decode()) == []


@pytest.fixture
def overdue(actors, record):
    return record(day=D(2024, 11, 4), follow_up_on=D(2024, 11, 10))


def test_follow_ups_links_to_the_pillar_of_each_overdue_one(client, actors, people, overdue):
    login(client, actors["coordinator_a"])
    page = client.get("/follow-ups/").content.decode()
    [text] = links_on(page)
    assert "Ani Kecamatan A" in text and "10 November 2024" in text
    assert 'href="https://wa.me/6281234567890?text=' in page
    people["a1"].phone = ""
    people["a1"].save()
    page = client.get("/follow-ups/").content.decode()
    assert links_on(page) == [] and "Tidak ada nomor HP" in page


def test_a_pillar_sees_no_whatsapp_links_of_their_own(client, actors, overdue):
    login(client, actors["pillar"])
    assert links_on(client.get("/follow-ups/").content.decode()) == []


def test_no_phone_of_a_former_pillar(client, actors, people, overdue, system_actor):
    """a1's duty in kecamatan A ended in October: the coordinator still sees the late October
    and the overdue follow-up, but never a1's phone (docs/PRIVACY.md, "Former pillars")."""
    from pilar.registry.services import assignment_end

    assignment_end(
        by=system_actor,
        assignment=people["a1"].assignments.get(),
        end_date=D(2024, 11, 15),
        end_reason="resigned",
    )
    login(client, actors["coordinator_a"])
    page = client.get("/reports/?month=2024-10").content.decode()
    assert "Ani Kecamatan A" in page
    assert not any("Ani" in t for t in links_on(page))
    assert "6281234567890" not in page.split("Budi Kecamatan A")[0]
    page = client.get("/follow-ups/").content.decode()
    assert "Ani Kecamatan A" in page and links_on(page) == []
    assert "Tidak ada nomor HP" not in page
