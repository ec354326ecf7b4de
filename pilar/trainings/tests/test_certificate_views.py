"""Certificate pages, the public verification page, the API and the background print."""

import datetime
import io
import logging
import re
import subprocess

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory
from python_calamine import CalamineWorkbook

from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.tests_support import login, run_task_worker
from pilar.trainings.certificates import numbering, services
from pilar.trainings.certificates.views import event_panel
from pilar.trainings.models import Certificate, CertificatePrint
from pilar.trainings.tests.certificate_support import D, enrol, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, actors):
    User.objects.update(language="en")
    login(client, actors["operator"])
    return client


def at(day):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(10)), tick=False)


# The public page ----------------------------------------------------------------------------


def test_public_page_valid_without_login(client, certified, people):
    response = client.get(f"/c/{certified.code}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]
    body = response.content.decode()
    for shown in ["Ani Kecamatan A", "Pelatihan Dasar PSM", "Dinas Sosial Kota Bukittinggi"]:
        assert shown in body
    a1 = people["a1"]
    for secret in [a1.nik, a1.nik[:6] + "*", a1.phone, a1.address, certified.number]:
        assert secret not in body
    assert "Log out" not in body and "Keluar" not in body  # no menu


@pytest.mark.parametrize(
    "today,verdict",
    [(D(2025, 10, 21), "Valid until 21 October 2025"), (D(2025, 10, 22), "Expired on 21 Oct")],
)
def test_public_page_valid_then_expired(client, certified, today, verdict):
    client.cookies["django_language"] = "en"
    with at(today):
        body = client.get(f"/c/{certified.code}/").content.decode()
    assert verdict in " ".join(body.split())


def test_public_page_revoked(client, certified, issuer):
    with at(D(2024, 12, 5)):
        services.certificate_revoke(by=issuer, certificate=certified, reason="Rahasia internal")
    client.cookies["django_language"] = "en"
    body = client.get(f"/c/{certified.code}/").content.decode()
    assert "REVOKED" in body and "5 December 2024" in body
    assert "Rahasia internal" not in body


def test_public_page_accepts_the_code_as_typed(client, certified):
    typed = numbering.grouped_code(certified.code).lower()
    assert client.get(f"/c/{typed}/").status_code == 200
    response = client.get("/c/", {"code": f" {typed} "})
    assert response.status_code == 302 and response.url == f"/c/{certified.code}/"
    assert client.get("/c/").status_code == 200


def test_unknown_and_malformed_codes_look_the_same(client, certified, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "ABCDEFGHJK" if certified.code != "ABCDEFGHJK" else "ABCDEFGHJM"
    bodies = set()
    for code in [wrong, "short", "0OOO1IIILL", "x" * 40]:
        response = client.get(f"/c/{code}/")
        assert response.status_code == 404
        assert response["Cache-Control"] == "no-store"
        body = response.content.decode()
        assert "Ani" not in body and code not in body
        bodies.add(body)
    assert client.get("/c/", {"code": "nonsense"}).status_code == 404
    assert len(bodies) == 1
    assert not [r for r in caplog.records if wrong in r.getMessage()]


def test_public_api(client, certified):
    response = client.get(f"/api/v1/certificates/verify/{certified.code.lower()}")
    assert response.status_code == 200
    assert response.json() == {
        "name": "Ani Kecamatan A",
        "course_name": "Pelatihan Dasar PSM",
        "event_title": "",
        "event_start": "2024-10-21",
        "event_end": "2024-10-22",
        "issued_by": "Dinas Sosial Kota Bukittinggi",
        "valid_until": "2025-10-21",
        "state": response.json()["state"],
        "revoked_on": None,
        "replacement": None,
    }
    assert client.get("/api/v1/certificates/verify/ABCDEFGHJK").status_code == 404


# Staff pages -------------------------------------------------------------------------------


def _filled(people, issuer):
    """a1 (kecamatan A) valid for a year, b1 (B) never expiring, a2 revoked."""
    psm = make_event()
    tagana = make_event("Orientasi Tagana", validity_months=None)
    a1 = services.certificate_issue(by=issuer, participant=enrol(psm, people["a1"]))
    b1 = services.certificate_issue(by=issuer, participant=enrol(tagana, people["b1"]))
    a2 = services.certificate_issue(by=issuer, participant=enrol(psm, people["a2"]))
    services.certificate_revoke(by=issuer, certificate=a2, reason="Salah")
    return {"a1": a1, "b1": b1, "a2": a2, "psm": psm}


def names(response) -> set[str]:
    return {c.name for c in response.context["page"]}


def test_list_filters(staff, people, issuer):
    made = _filled(people, issuer)
    with at(D(2025, 9, 1)):
        assert names(staff.get("/trainings/certificates/")) == {
            "Ani Kecamatan A",
            "Budi Kecamatan A",
            "Citra Kecamatan B",
        }
        assert names(staff.get("/trainings/certificates/", {"status": "revoked"})) == {
            "Budi Kecamatan A"
        }
        assert names(staff.get("/trainings/certificates/", {"area": "13.75.02"})) == {
            "Citra Kecamatan B"
        }
        assert names(staff.get("/trainings/certificates/", {"event": made["psm"].pk})) == {
            "Ani Kecamatan A",
            "Budi Kecamatan A",
        }
        assert names(staff.get("/trainings/certificates/", {"q": "tagana"})) == {
            "Citra Kecamatan B"
        }
        assert names(staff.get("/trainings/certificates/", {"kind": "TKSK"})) == set()
        expiring = staff.get("/trainings/certificates/expiring/")
        assert names(expiring) == {"Ani Kecamatan A"}  # ends 21 October 2025, within 60 days
    with at(D(2025, 8, 1)):
        assert names(staff.get("/trainings/certificates/expiring/")) == set()
    with at(D(2025, 11, 1)):
        assert names(staff.get("/trainings/certificates/", {"status": "expired"})) == {
            "Ani Kecamatan A"
        }
        assert names(staff.get("/trainings/certificates/", {"status": "valid"})) == {
            "Citra Kecamatan B"
        }


def test_list_is_scoped(client, actors, people, issuer):
    _filled(people, issuer)
    User.objects.update(language="en")
    login(client, actors["coordinator_b"])
    assert names(client.get("/trainings/certificates/")) == {"Citra Kecamatan B"}
    login(client, actors["pillar"])
    assert names(client.get("/trainings/certificates/")) == {"Ani Kecamatan A"}
    body = client.get("/trainings/certificates/mine/").content.decode()
    assert "Pelatihan Dasar PSM" in body and "Orientasi Tagana" not in body


def test_export(staff, people, issuer):
    _filled(people, issuer)
    response = staff.get("/trainings/certificates/", {"status": "revoked", "format": "xlsx"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert rows[0][:2] == ["Number", "Name"] and len(rows) == 2
    assert rows[1][1] == "Budi Kecamatan A" and rows[1][9] == "Revoked"
    csv = staff.get("/trainings/certificates/", {"format": "csv"}).content.decode("utf-8-sig")
    assert csv.count("\n") == 4
    assert staff.get("/trainings/certificates/", {"format": "pdf"}).status_code == 400


def test_detail_pdf_and_revoke(staff, certified, tmp_path):
    url = f"/trainings/certificates/{certified.pk}/"
    body = staff.get(url).content.decode()
    assert certified.number in body and "Revoke this certificate" in body
    pdf = staff.get(url + "pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    response = staff.post(url + "revoke/", {"reason": "  "})
    assert response.status_code == 400 and "The certificate was not revoked" in (
        response.content.decode()
    )
    certified.refresh_from_db()
    assert not certified.is_revoked

    response = staff.post(url + "revoke/", {"reason": "Ganda"})
    assert response.status_code == 302
    certified.refresh_from_db()
    assert certified.revoke_reason == "Ganda"
    body = staff.get(url).content.decode()
    assert "Revoke this certificate" not in body and "Ganda" in body
    assert staff.get(url + "pdf/").status_code == 302  # a revoked certificate is not printed


def test_issue_pages(staff, people):
    ev = make_event()
    enrol(ev, people["a1"])
    failed = enrol(ev, people["a2"], result="failed")
    response = staff.post(f"/trainings/events/{ev.pk}/certificates/issue/", follow=True)
    body = response.content.decode()
    assert "1 certificate issued." in body and "Budi Kecamatan A has not passed" in body
    response = staff.post(f"/trainings/participants/{failed.pk}/certificate/", follow=True)
    assert "has not passed" in response.content.decode()
    assert Certificate.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="trainings.certificate").count() == 1


def test_event_panel(actors, people, issuer):
    ev = make_event()
    enrol(ev, people["a1"])
    enrol(ev, people["a2"])
    services.certificate_issue(by=issuer, participant=ev.participants.get(person=people["a1"]))
    request = RequestFactory().get("/")
    for role, buttons in [("operator", True), ("approver", False)]:
        request.user = actors[role]
        html = render_to_string(
            "trainings/_event_certificates.html", event_panel(request, ev), request=request
        )
        assert "1 issued" in html and "1 passed and attended without one yet" in html
        assert ("Issue certificates for all who passed" in html) is buttons
        assert ("Print all" in html) is buttons


def test_api_issue_and_revoke(client, actors, people):
    login(client, actors["operator"])
    ev = make_event()
    participant = enrol(ev, people["a1"])
    response = client.post(
        "/api/v1/certificates", {"participant_id": participant.pk}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "Ani Kecamatan A" and data["state"] in {"valid", "expired"}
    again = client.post(
        "/api/v1/certificates", {"participant_id": participant.pk}, content_type="application/json"
    )
    assert again.status_code == 400 and "already has certificate" in again.json()["message"]
    response = client.post(
        f"/api/v1/certificates/{data['id']}/revoke",
        {"reason": "x"},
        content_type="application/json",
    )
    assert response.json()["state"] == "revoked"
    summary = client.post(
        "/api/v1/certificates/issue-for-event", {"event_id": ev.pk}, content_type="application/json"
    ).json()
    assert summary == {"issued": [], "already": 1, "not_eligible": []}


# Printing a whole event in the background ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_print_all_in_the_background(
    client, actors, people, django_capture_on_commit_callbacks, tmp_path
):
    from pilar.audit.services import Actor

    User.objects.update(language="en")
    login(client, actors["operator"])
    ev = make_event()
    for person in people.values():
        enrol(ev, person)
    services.certificates_issue_for_event(by=Actor(user=actors["operator"]), event=ev)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/trainings/events/{ev.pk}/certificates/print/")
    assert response.status_code == 302
    job = CertificatePrint.objects.get()
    assert (job.status, job.total) == ("queued", 4)
    fragment = client.get(f"/trainings/certificate-prints/{job.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "0 of 4 certificates" in fragment

    run_task_worker()
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 4) and job.finished_at
    fragment = client.get(f"/trainings/certificate-prints/{job.pk}/").content.decode()
    assert "hx-trigger" not in fragment and "Download all 4 certificates" in fragment
    download = client.get(f"/trainings/certificate-prints/{job.pk}/file/")
    path = tmp_path / "all.pdf"
    path.write_bytes(b"".join(download.streaming_content))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
    assert re.search(rb"^Pages:\s+4$", info, re.M), info
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
    for person in people.values():
        assert person.name.encode() in text and person.nik.encode() not in text


def test_person_certificates_fragment(actors, people, issuer):
    from pilar.trainings.certificates.selectors import person_certificates

    made = _filled(people, issuer)
    for role, expected in [("coordinator_a", ["Budi Kecamatan A"]), ("coordinator_b", [])]:
        found = person_certificates(actors[role], people["a2"])
        assert [c.name for c in found] == expected
    html = render_to_string(
        "trainings/_person_certificates.html",
        {"certificates": person_certificates(actors["operator"], people["a2"])},
    )
    assert made["a2"].number in html and "badge-cert-revoked" in html


def test_no_issue_button_while_the_event_is_still_on(client, actors, people):
    """Passed on the first day of a three-day event: the button would lead to a refusal (the
    certificate is dated the last day, still to come), so it is offered from that day on."""
    ev = make_event(start=D(2024, 10, 21), end=D(2024, 10, 23))
    participant = enrol(ev, people["a1"], days=1)
    issue_url = f"/trainings/participants/{participant.pk}/certificate/"
    login(client, actors["operator"])
    with at(D(2024, 10, 21)):
        page = client.get(f"/trainings/events/{ev.pk}/").content.decode()
        assert f'action="{issue_url}"' not in page
        client.post(issue_url)
    assert not Certificate.objects.exists()
    with at(D(2024, 10, 23)):
        page = client.get(f"/trainings/events/{ev.pk}/").content.decode()
        assert f'action="{issue_url}"' in page


def test_the_participant_list_issues_one_certificate_and_a_new_one_after_revoking(
    client, actors, people, issuer
):
    ev = make_event()
    participant = enrol(ev, people["a1"])
    login(client, actors["operator"])
    page = client.get(f"/trainings/events/{ev.pk}/").content.decode()
    issue_url = f"/trainings/participants/{participant.pk}/certificate/"
    assert f'action="{issue_url}"' in page and ">Issue</button>" in page
    response = client.post(issue_url, follow=True)
    first = Certificate.objects.get(participant=participant)
    assert f"Certificate {first.number} issued to Ani Kecamatan A." in response.content.decode()
    page = client.get(f"/trainings/events/{ev.pk}/").content.decode()
    assert first.number in page and f'action="{issue_url}"' not in page
    services.certificate_revoke(by=issuer, certificate=first, reason="Nama salah eja")
    detail = client.get(f"/trainings/certificates/{first.pk}/").content.decode()
    assert 'data-testid="reissue-hint"' in detail
    page = client.get(f"/trainings/events/{ev.pk}/").content.decode()
    assert f"<s>{first.number}</s>" in page and "Issue a new one" in page
    client.post(issue_url)
    second = participant.certificates.get(revoked_at__isnull=True)
    detail = client.get(f"/trainings/certificates/{first.pk}/").content.decode()
    assert f'href="/trainings/certificates/{second.pk}/">{second.number}</a>' in detail
    assert 'data-testid="reissue-hint"' not in detail
    # A viewer sees the certificates but no button.
    login(client, actors["approver"])
    page = client.get(f"/trainings/events/{ev.pk}/").content.decode()
    assert 'data-testid="participant-certificate"' in page and f'action="{issue_url}"' not in page


def test_course_and_event_name_keep_one_meaning_each(staff, client, people, issuer, tmp_path):
    """ "Course" (Jenis pelatihan) is what was taught, everywhere; the event's own title is
    "Event name" (Nama kegiatan): the certificate, its PDF, the verification page and API,
    the staff pages and the exports never print one under the other's label."""
    event = make_event(title="Bimtek PSM Angkatan I")
    cert = services.certificate_issue(by=issuer, participant=enrol(event, people["a1"]))
    assert (cert.course_name, cert.event_title) == ("Pelatihan Dasar PSM", "Bimtek PSM Angkatan I")

    def fact(body: str, label: str) -> str:
        found = re.search(rf"<dt>{label}</dt>\s*<dd[^>]*>(.*?)</dd>", body, re.S)
        assert found, label
        return re.sub(r"<[^>]+>", "", found.group(1)).strip()

    for body in (
        client.get(f"/c/{cert.code}/").content.decode(),
        staff.get(f"/trainings/certificates/{cert.pk}/").content.decode(),
        staff.get(f"/trainings/events/{event.pk}/").content.decode(),
    ):
        assert fact(body, "Course").startswith("Pelatihan Dasar PSM")
        assert "Bimtek" not in fact(body, "Course")
    for body in (
        client.get(f"/c/{cert.code}/").content.decode(),
        staff.get(f"/trainings/certificates/{cert.pk}/").content.decode(),
    ):
        assert fact(body, "Event name") == "Bimtek PSM Angkatan I"
    api = client.get(f"/api/v1/certificates/verify/{cert.code}").json()
    assert (api["course_name"], api["event_title"]) == (
        "Pelatihan Dasar PSM",
        "Bimtek PSM Angkatan I",
    )
    rows = (
        CalamineWorkbook.from_filelike(
            io.BytesIO(staff.get("/trainings/certificates/", {"format": "xlsx"}).content)
        )
        .get_sheet_by_index(0)
        .to_python()
    )
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Course"], row["Event name"]) == ("Pelatihan Dasar PSM", "Bimtek PSM Angkatan I")
    events = (
        CalamineWorkbook.from_filelike(
            io.BytesIO(staff.get("/trainings/", {"format": "xlsx"}).content)
        )
        .get_sheet_by_index(0)
        .to_python()
    )
    row = dict(zip(events[0], events[1], strict=True))
    assert (row["Course"], row["Event name"]) == ("Pelatihan Dasar PSM", "Bimtek PSM Angkatan I")
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(staff.get(f"/trainings/certificates/{cert.pk}/pdf/").content)
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    assert "telah mengikuti Pelatihan Dasar PSM" in text
    assert "dalam kegiatan Bimtek PSM Angkatan I" in text
