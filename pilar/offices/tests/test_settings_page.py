"""The page "Office settings": administrators only, every change audited with what it was and
what it became, bad input refused field by field with nothing changed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pilar.audit.models import AuditEntry
from pilar.offices import current
from pilar.offices.forms import LOGO_MAX_BYTES
from pilar.offices.services import EDITABLE
from pilar.offices.tests.support import form_data
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
URL = "/office/"


def png(size=(120, 80), color=(200, 30, 30), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def office_entries():
    return AuditEntry.objects.filter(object_type="offices.office", action="update")


@pytest.mark.parametrize(
    "role", ["operator", "approver", "finance", "coordinator_a", "pillar", "viewer", "norole"]
)
def test_only_administrators_open_or_change_it(client, actors, office, role):
    login(client, actors[role])
    assert client.get(URL).status_code == 403
    response = client.post(URL, form_data(office, name="Dinas Lain"))
    assert response.status_code == 403
    assert current().name == office.name
    assert not office_entries().exists()


def test_anonymous_is_sent_to_sign_in(client, office):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(URL, form_data(office, name="Dinas Lain"))
    assert response.status_code == 302
    assert current().name == office.name


def test_wrong_method(client, actors):
    login(client, actors["admin"])
    assert client.delete(URL).status_code == 405
    assert client.put(URL).status_code == 405


def test_the_menu_offers_it_to_administrators_only(client, actors):
    login(client, actors["admin"])
    body = client.get("/audit/").content.decode()
    assert 'href="/office/"' in body
    login(client, actors["operator"])
    assert 'href="/office/"' not in client.get("/pillars/").content.decode()


def test_admin_sees_the_office_as_it_is(client, actors, office):
    login(client, actors["admin"])
    body = client.get(URL).content.decode()
    assert 'value="Dinas Sosial Kota Bukittinggi"' in body
    assert 'value="https' in body or 'value="http' in body
    for legend in ("Head of office", "Treasurer", "Certificate signer", "Tali kasih"):
        assert legend in body


def test_a_change_is_saved_and_audited_with_before_and_after(client, actors, office):
    login(client, actors["admin"])
    old_head = office.head_name
    response = client.post(
        URL,
        form_data(
            office,
            head_name="Dra. Rina Marlina, S.Sos, M.Si",
            head_nip="19700512 199503 2 001",
            public_url="https://pilar.bukittinggikota.go.id/",
        ),
        follow=True,
    )
    assert response.redirect_chain == [(URL, 302)]
    assert "Office settings saved" in response.content.decode()
    office.refresh_from_db()
    assert office.head_name == "Dra. Rina Marlina, S.Sos, M.Si"
    # The slash at the end is dropped: the QR code adds /c/<code>/.
    assert office.public_url == "https://pilar.bukittinggikota.go.id"
    entry = office_entries().get()
    assert entry.username == actors["admin"].username
    assert entry.changes["head_name"] == [old_head, "Dra. Rina Marlina, S.Sos, M.Si"]
    assert set(entry.changes) == {"head_name", "head_nip", "public_url"}
    assert entry.note == ""  # no payment policy changed
    # Saving the same values again changes nothing and writes no entry.
    client.post(URL, form_data(office))
    assert office_entries().count() == 1


def test_a_payment_policy_change_says_which_from_what_to_what(client, actors, office):
    assert office.stipend_prorate is False and office.stipend_report_required is True
    login(client, actors["admin"])
    client.post(URL, form_data(office, stipend_prorate="on", stipend_report_required=False))
    office.refresh_from_db()
    assert office.stipend_prorate and not office.stipend_report_required
    entry = office_entries().get()
    assert entry.changes["stipend_prorate"] == [False, True]
    assert entry.changes["stipend_report_required"] == [True, False]
    assert "pay part of a month by the days served in it: no → yes" in entry.note
    assert "pay a month only when its monthly report is verified: yes → no" in entry.note


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("head_nip", "1970", "A NIP is 18 digits"),
        ("treasurer_nip", "19700512 199503 2 00X", "A NIP is 18 digits"),
        ("report_due_day", "29", "less than or equal to 28"),
        ("report_due_day", "0", "greater than or equal to 1"),
        ("public_url", "pilar.example.org/?x=1", "without “?” or “#”"),
        ("public_url", "ftp://pilar.example.org", "http(s)://host"),
        ("name", "", "This field is required"),
        ("signer_name", "x" * 201, "at most 200 characters"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_changes(
    client, actors, office, field, value, message
):
    login(client, actors["admin"])
    before = {name: getattr(office, name) for name in EDITABLE if name != "logo"}
    response = client.post(URL, form_data(office, **{field: value}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved" in body
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert message in str(form.errors[field])
    office.refresh_from_db()
    assert {name: getattr(office, name) for name in before} == before
    assert not office_entries().exists()


def test_a_logo_that_is_not_an_image_is_refused(client, actors, office):
    login(client, actors["admin"])
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not a picture", content_type="image/png")
    response = client.post(URL, {**form_data(office, name="Dinas Baru"), "logo": fake})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["logo"]
    assert "The logo must be a picture (PNG or JPEG)" in errors["logo"][0]
    office.refresh_from_db()
    assert not office.logo and office.name != "Dinas Baru"
    assert not office_entries().exists()


def test_a_logo_too_large_is_refused(client, actors, office):
    login(client, actors["admin"])
    big = SimpleUploadedFile("logo.png", b"\0" * (LOGO_MAX_BYTES + 1), content_type="image/png")
    response = client.post(URL, {**form_data(office), "logo": big})
    assert "the largest accepted is 2 MB" in response.context["form"].errors["logo"][0]
    office.refresh_from_db()
    assert not office.logo


def test_a_logo_is_kept_as_a_small_png_and_the_old_one_stays(client, actors, office):
    login(client, actors["admin"])
    jpeg = SimpleUploadedFile("lambang.jpg", png((2000, 1000), fmt="JPEG"), "image/jpeg")
    client.post(URL, {**form_data(office), "logo": jpeg})
    office.refresh_from_db()
    first = office.logo.name
    assert first.startswith("office/") and first.endswith(".png")
    with Image.open(office.logo.path) as image:
        assert image.format == "PNG" and image.size == (600, 300)
    entry = office_entries().get()
    assert entry.changes["logo"] == ["", first]
    # A new logo is stored beside the old one, which documents issued with it still print.
    client.post(URL, {**form_data(office), "logo": SimpleUploadedFile("b.png", png())})
    office.refresh_from_db()
    assert office.logo.name != first
    assert office.logo.storage.exists(first)
    # Saving without a file keeps the logo; "Take the logo off" does.
    client.post(URL, form_data(office))
    office.refresh_from_db()
    assert office.logo
    client.post(URL, {**form_data(office), "remove_logo": "on"})
    office.refresh_from_db()
    assert not office.logo
