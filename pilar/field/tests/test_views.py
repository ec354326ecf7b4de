"""The installable app's pages: who gets the outbox, the public worker and manifest, and the
offline budget (docs/FIELD.md, "Installable and offline")."""

import json
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from pilar.field import offline
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


def test_a_pillar_gets_the_outbox_with_the_note_form(client, actors, caseload):
    login(client, actors["pillar"])
    response = client.get("/field/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="outbox"' in page
    assert "Sync now" in page
    assert 'data-outbox="note"' in page and "Pak Amir" in page
    # The page tells the script who records, where to send and the server's photo limit.
    assert '"pillar": true' in page
    assert '"photo_max": ' in page


@pytest.mark.parametrize("who", ["admin", "operator", "approver", "viewer", "coordinator_b"])
def test_others_may_not_open_the_outbox(client, actors, who):
    login(client, actors[who])
    assert client.get("/field/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, reference):
    response = client.get("/field/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/field/")


def test_a_pillar_without_a_person_may_not_open_the_outbox(client, make_user):
    from pilar.accounts.models import Role

    login(client, make_user("psm-nobody", Role.PILLAR))
    assert client.get("/field/").status_code == 403


def test_pages_load_the_outbox_script_for_every_signed_in_user(client, actors):
    login(client, actors["viewer"])
    page = client.get("/dashboard/").content.decode()
    # Not a pillar: the worker is registered (web push) but keeps no page of theirs.
    assert '"pillar": false' in page and '"sw_url": "/field/sw.js"' in page
    assert '"push_unsubscribe_url": "/accounts/push/unsubscribe/"' in page
    assert "pilar/outbox.js" in page
    assert 'rel="manifest"' in page
    client.logout()
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="manifest"' in page and 'rel="apple-touch-icon"' in page
    assert "pilar/outbox.js" not in page


def test_the_service_worker_is_public_and_may_control_the_whole_site(client, reference):
    response = client.get("/field/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    for path in ["/field/", "/activities/new/", "/households/", "/reports/mine/"]:
        assert f'"{path}"' in body
    assert "/follow-ups/" in body and "/stipends/mine/" in body
    assert "/static/pilar/pilar.css" in body and "importScripts(" in body
    assert '"offline_days": 7' in body and "X-Pilar-Kept" in body
    assert client.post("/field/sw.js").status_code == 405


def test_the_manifest_is_public_and_installable(client, reference):
    response = client.get("/field/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "Pilar"
    assert data["start_url"] == "/field/" and data["scope"] == "/"
    assert data["display"] == "standalone"
    assert data["theme_color"] == "#0b5d7a"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/"))


def test_the_theme_colour_is_pilar_css_brand():
    css = Path(offline.budget_files()[0]).read_text()
    assert "--brand:#0b5d7a" in css


def test_the_offline_scripts_and_styles_stay_under_150_kb(client, reference):
    """Cheap Android phones (docs/FIELD.md, "Budget"): every script and style the offline pages
    load, and the worker itself, under 150 KB uncompressed."""
    files = offline.budget_files()
    assert {Path(f).name for f in files} >= {"pilar.css", "outbox.js", "activity.js"}
    total = sum(Path(f).stat().st_size for f in files)
    total += len(client.get("/field/sw.js").content)
    assert total < offline.BUDGET_BYTES, total
