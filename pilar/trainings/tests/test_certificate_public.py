"""The public verification page (/c/<code>/) in each state a certificate can be in: valid with and
without an end, expired, revoked with no replacement, revoked and replaced (the replacement valid,
expired or itself revoked) — and what it never shows (the number, the reason, the NIK)."""

import datetime

import pytest
import time_machine

from pilar.tests_support import login
from pilar.trainings.certificates import numbering, services
from pilar.trainings.tests.certificate_support import D, enrol, make_event

pytestmark = pytest.mark.django_db


def at(day):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(10)), tick=False)


def page(client, certificate, *, lang="en") -> tuple[int, str]:
    client.cookies["django_language"] = lang
    response = client.get(f"/c/{certificate.code}/")
    assert response["Cache-Control"] == "no-store"
    return response.status_code, " ".join(response.content.decode().split())


def revoke(issuer, certificate, day):
    with at(day):
        return services.certificate_revoke(
            by=issuer, certificate=certificate, reason="Nama salah eja"
        )


def reissue(issuer, certificate):
    return services.certificate_issue(by=issuer, participant=certificate.participant)


def test_valid_until_a_date(client, certified):
    with at(D(2025, 1, 10)):
        status, body = page(client, certified)
    assert status == 200
    assert "Valid until 21 October 2025" in body
    assert "without a time limit" not in body and "REVOKED" not in body


def test_valid_without_a_time_limit_reads_as_such(client, people, issuer):
    """Not "Valid until: no limit" ("Berlaku sampai: tanpa batas"): the row says it is valid,
    without a time limit."""
    forever = services.certificate_issue(
        by=issuer,
        participant=enrol(make_event("Orientasi Tagana", validity_months=None), people["a1"]),
    )
    status, body = page(client, forever)
    assert status == 200
    assert '<dt>Valid</dt><dd data-testid="validity">without a time limit</dd>' in body
    assert "Valid until" not in body and "no limit" not in body
    _status, body_id = page(client, forever, lang="id")
    assert "Berlaku sampai" not in body_id and "tanpa batas<" not in body_id


def test_expired(client, certified):
    with at(D(2025, 10, 22)):
        _status, body = page(client, certified)
    assert "Expired on 21 October 2025" in body
    assert '<dt>Expired on</dt><dd data-testid="validity">21 October 2025</dd>' in body
    assert "Valid until" not in body


def test_revoked_without_replacement_says_when_and_not_valid(client, certified, issuer):
    revoke(issuer, certified, D(2024, 12, 5))
    with at(D(2025, 1, 10)):  # within what would have been its validity
        _status, body = page(client, certified)
    assert "REVOKED" in body and "revoked on 5 December 2024 and is not valid" in body
    assert '<dt>Revoked on</dt><dd data-testid="validity">5 December 2024</dd>' in body
    assert "No certificate was issued in its place." in body
    for wrong in ("Valid until", "without a time limit", "verdict-valid"):
        assert wrong not in body
    assert body.count('href="/c/') == 1  # only "Check another code"
    assert "Nama salah eja" not in body and certified.number not in body


def test_revoked_links_to_its_valid_replacement(client, certified, issuer, people):
    revoke(issuer, certified, D(2024, 12, 5))
    new = reissue(issuer, certified)
    with at(D(2025, 1, 10)):
        _status, body = page(client, certified)
        assert f'href="/c/{new.code}/"' in body
        assert "A new certificate was issued in its place" in body
        assert (
            'badge-cert-valid" data-testid="replacement-state">valid until 21 October 2025' in body
        )
        # The replacement's own page: valid, and it points nowhere.
        _status, new_body = page(client, new)
    assert "verdict-valid" in new_body and 'data-testid="replacement"' not in new_body
    # Privacy as before: neither number, nor the reason, nor anything of the person's record.
    for secret in (certified.number, new.number, "Nama salah eja", people["a1"].nik):
        assert secret not in body


def test_revoked_links_to_an_expired_replacement(client, certified, issuer):
    revoke(issuer, certified, D(2024, 12, 5))
    new = reissue(issuer, certified)
    with at(D(2025, 11, 1)):
        _status, body = page(client, certified)
    assert f'href="/c/{new.code}/"' in body
    assert 'badge-cert-expired" data-testid="replacement-state">expired on 21 October 2025' in body


def test_replacement_itself_revoked_and_the_chain_goes_on(client, certified, issuer):
    """The first points to the second, which says it was revoked as well; the second points to
    the third, in force."""
    revoke(issuer, certified, D(2024, 12, 5))
    second = reissue(issuer, certified)
    revoke(issuer, second, D(2025, 1, 6))
    with at(D(2025, 1, 10)):
        _status, first_body = page(client, certified)
    assert f'href="/c/{second.code}/"' in first_body
    assert "revoked on 6 January 2025 as well" in first_body
    third = reissue(issuer, certified)
    with at(D(2025, 1, 10)):
        _status, first_body = page(client, certified)
        _status, second_body = page(client, second)
    # Each points to the one issued right after it, never skipping one.
    assert f'href="/c/{second.code}/"' in first_body and third.code not in first_body
    assert f'href="/c/{third.code}/"' in second_body and "valid until" in second_body


def test_public_page_for_anyone_read_only(client, certified, issuer, actors):
    """Anonymous and signed-in readers alike get the same page; it takes no writes."""
    revoke(issuer, certified, D(2024, 12, 5))
    new = reissue(issuer, certified)
    anonymous = client.get(f"/c/{certified.code}/")
    assert anonymous.status_code == 200 and new.code in anonymous.content.decode()
    assert client.post(f"/c/{certified.code}/").status_code == 405
    login(client, actors["pillar"])
    signed_in = client.get(f"/c/{certified.code}/")
    assert signed_in.status_code == 200 and new.code in signed_in.content.decode()
    assert client.get("/c/not-a-code!/").status_code == 404


def test_public_api_gives_the_replacement(client, certified, issuer):
    revoke(issuer, certified, D(2024, 12, 5))
    assert client.get(f"/api/v1/certificates/verify/{certified.code}").json()["replacement"] is None
    new = reissue(issuer, certified)
    with at(D(2025, 1, 10)):
        data = client.get(f"/api/v1/certificates/verify/{certified.code}").json()
    assert data["state"] == "revoked" and data["revoked_on"] == "2024-12-05"
    assert data["replacement"] == {
        "code": new.code,
        "verify_url": numbering.verify_url(new.code),
        "state": "valid",
        "valid_until": "2025-10-21",
        "revoked_on": None,
    }


def test_staff_page_shows_the_signer_name_and_position_apart(
    client, actors, people, issuer, office
):
    """The staff page no longer writes "name, position" (a name with degrees would read as
    name "Dra. Rina Marlina" and position "S.Sos, M.Si, Kepala Dinas Sosial")."""
    office.signer_name = "Dra. Rina Marlina, S.Sos, M.Si"
    office.signer_title = "Kepala Dinas Sosial"
    office.signer_nip = "19700512 199503 2 001"
    office.save()
    certificate = services.certificate_issue(
        by=issuer, participant=enrol(make_event(), people["a1"])
    )
    login(client, actors["operator"])
    body = client.get(f"/trainings/certificates/{certificate.pk}/").content.decode()
    assert (
        '<dd data-testid="signer">Dra. Rina Marlina, S.Sos, M.Si<br>Kepala Dinas Sosial'
        "<br>NIP. 19700512 199503 2 001</dd>"
    ) in body
    login(client, actors["viewer"])
    assert client.get(f"/trainings/certificates/{certificate.pk}/").status_code in {403, 404}
