"""Real Chromium at a phone's width: the QR code printed on a certificate, read back from the
rendered page image, opens its verification page, which shows the name, course and validity and
nothing else about the person; an unknown code shows a plain "not found"."""

import datetime
import os
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format
from playwright.sync_api import expect

from pilar.tests_support import PHONE, sign_in
from pilar.trainings.certificates.pdf import certificate_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PILAR_SCREENSHOTS")  # a directory to keep screenshots in, when set


@pytest.fixture
def fresh(people, issuer):
    """a1's certificate of a training that ended last week: valid for a year from then."""
    from pilar.trainings.certificates.services import certificate_issue
    from pilar.trainings.tests.certificate_support import SECRET_PHONE_ADDRESS, enrol, make_event

    a1 = people["a1"]
    a1.phone, a1.address = SECRET_PHONE_ADDRESS
    a1.save(update_fields=["phone", "address"])
    last_day = timezone.localdate() - datetime.timedelta(days=7)
    event = make_event(start=last_day - datetime.timedelta(days=1), end=last_day)
    return certificate_issue(by=issuer, participant=enrol(event, a1))


def fits(page, width: int = PHONE["width"]) -> bool:
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth") <= width


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_qr_code_opens_the_verification_page(live_server, page, office, fresh, people, tmp_path):
    office.public_url = live_server.url
    office.save()
    pdf = tmp_path / "sertifikat.pdf"
    pdf.write_bytes(certificate_pdf(fresh))
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(pdf), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    read = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, check=True)
    url = read.stdout.decode().strip()
    assert url == f"{live_server.url}/c/{fresh.code}/"

    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(url)
    expect(page.get_by_test_id("name")).to_have_text("Ani Kecamatan A")
    verify = page.get_by_test_id("verify")
    expect(verify).to_contain_text("Pelatihan Dasar PSM")
    expect(page.get_by_test_id("verdict")).to_contain_text("Valid")
    expect(verify).to_contain_text(date_format(fresh.valid_until, "j F Y"))
    html = page.content()
    a1 = people["a1"]
    for secret in [a1.nik, a1.nik[:6], a1.phone, a1.address, fresh.number]:
        assert secret not in html
    shot(page, "verify-390")
    assert fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "verify-1280")

    page.set_viewport_size(PHONE)
    response = page.goto(f"{live_server.url}/c/ABCDEFGHJK/")
    assert response.status == 404
    expect(page.get_by_test_id("verdict")).to_have_text("Not found")
    assert "Ani" not in page.content()
    shot(page, "verify-404")

    # Typing the code into the box at /c/, in lower case with dashes, lands on the same page.
    page.goto(f"{live_server.url}/c/")
    page.fill("#id_code", "-".join([fresh.code[:4], fresh.code[4:]]).lower())
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_test_id("name")).to_have_text("Ani Kecamatan A")


def test_staff_pages_fit_a_phone(live_server, page, actors, fresh):
    from pilar.accounts.models import User

    User.objects.update(language="en")
    url = live_server.url
    page.set_viewport_size(PHONE)
    sign_in(page, url, "operator1")
    page.goto(f"{url}/trainings/certificates/")
    expect(page.get_by_test_id("certificates")).to_contain_text("Ani Kecamatan A")
    shot(page, "list-390")
    assert fits(page)
    page.get_by_role("link", name="Ani Kecamatan A").click()
    expect(page.get_by_test_id("certificate-state")).to_have_text("Valid")
    shot(page, "detail-390")
    assert fits(page)
    page.locator("summary", has_text="Revoke this certificate").click()
    page.fill("#id_reason", "Issued twice")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_test_id("certificate-state")).to_have_text("Revoked")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "detail-1280")
    page.goto(f"{url}/trainings/certificates/")
    shot(page, "list-1280")

    page.set_viewport_size(PHONE)
    sign_in(page, url, "psm-a1")
    page.goto(f"{url}/trainings/certificates/mine/")
    expect(page.get_by_test_id("my-certificates")).to_contain_text("Pelatihan Dasar PSM")
    shot(page, "mine-390")
    assert fits(page)


def test_revoked_certificate_leads_to_its_replacement(live_server, page, fresh, issuer):
    """A revoked certificate's page says when it was revoked, and its link opens the one issued
    in its place, valid; both fit a phone."""
    from pilar.trainings.certificates.services import certificate_issue, certificate_revoke

    certificate_revoke(by=issuer, certificate=fresh, reason="Nama salah eja")
    new = certificate_issue(by=issuer, participant=fresh.participant)
    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/c/{fresh.code}/")
    expect(page.get_by_test_id("verdict")).to_contain_text("REVOKED")
    expect(page.get_by_test_id("replacement-state")).to_contain_text("valid until")
    shot(page, "revoked-390")
    assert fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "revoked-1280")
    page.set_viewport_size(PHONE)
    page.get_by_test_id("replacement-link").click()
    page.wait_for_url(f"{live_server.url}/c/{new.code}/")
    expect(page.get_by_test_id("verdict")).to_contain_text("Valid")
    assert "Nama salah eja" not in page.content() and fresh.number not in page.content()
