"""The administrator changes the certificate signer on the office settings page: the next
certificate carries the new signer, those issued before keep theirs (docs/OFFICE.md)."""

import subprocess

import pytest
from django.test import Client

from pilar.offices.tests.support import form_data
from pilar.tests_support import login
from pilar.trainings.models import Certificate
from pilar.trainings.tests.certificate_support import enrol

pytestmark = pytest.mark.django_db


def certificate_text(client, certificate, tmp_path) -> str:
    response = client.get(f"/trainings/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    path = tmp_path / f"c{certificate.pk}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def issue(client, participant) -> Certificate:
    client.post(f"/trainings/participants/{participant.pk}/certificate/")
    return Certificate.objects.get(participant=participant)


def test_new_signer_on_the_next_certificate_earlier_ones_keep_theirs(
    actors, people, cert_event, office, tmp_path
):
    admin, staff = Client(), Client()
    login(admin, actors["admin"])
    login(staff, actors["operator"])
    first_signer = {
        "signer_name": "Dra. Rina Marlina, S.Sos, M.Si",
        "signer_title": "Kepala Dinas Sosial",
        "signer_nip": "19700512 199503 2 001",
    }
    admin.post("/office/", form_data(office, **first_signer))
    earlier = issue(staff, enrol(cert_event, people["a1"]))

    office.refresh_from_db()
    response = admin.post(
        "/office/",
        form_data(
            office,
            signer_name="Syanji Faredy, S.STP, M.Si",
            signer_title="Sekretaris Dinas Sosial",
            signer_nip="19800101 200501 1 002",
        ),
    )
    assert response.status_code == 302
    later = issue(staff, enrol(cert_event, people["a2"]))

    later_text = certificate_text(staff, later, tmp_path)
    for expected in (
        "Syanji Faredy, S.STP, M.Si",
        "Sekretaris Dinas Sosial",
        "19800101 200501 1 002",
    ):
        assert expected in later_text
    assert "Rina Marlina" not in later_text
    earlier_text = certificate_text(staff, earlier, tmp_path)
    for expected in first_signer.values():
        assert expected in earlier_text
    assert "Syanji" not in earlier_text and "Sekretaris" not in earlier_text
