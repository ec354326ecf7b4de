"""The bell, the list and the settings, as their users see them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pilar.notices.models import Kind, Notice, NoticeSettings
from pilar.tests_support import login


def make_notice(user, n: int = 0, **extra) -> Notice:
    data = {
        "kind": Kind.FOLLOW_UP,
        "key": f"{n}:due",
        "title": f"Follow-up due: visit {n}",
        "body": "Kunjungan rumah",
        "url": "/follow-ups/",
        "created_at": timezone.now() + datetime.timedelta(minutes=n),
        **extra,
    }
    return Notice.objects.create(user=user, **data)


@pytest.fixture
def pillar(client, actors):
    login(client, actors["pillar"])
    return actors["pillar"]


def test_the_bell_counts_unread_notices(client, pillar):
    make_notice(pillar, 1)
    make_notice(pillar, 2, read_at=timezone.now())
    page = client.get("/reports/mine/").content.decode()
    assert 'class="bell" href="/notices/"' in page
    assert 'aria-label="Notices: 1 unread"' in page
    assert '<span class="count" aria-hidden="true">1</span>' in page


def test_the_bell_without_unread_notices_shows_no_count(client, pillar):
    page = client.get("/reports/mine/").content.decode()
    assert 'class="bell"' in page and 'class="count"' not in page


def test_no_bell_when_signed_out(client, db):
    assert 'class="bell"' not in client.get("/accounts/login/").content.decode()


PAGES = ["/reports/mine/", "/follow-ups/", "/pillars/", "/notices/"]


@pytest.mark.parametrize("path", PAGES)
def test_the_bell_costs_one_query_at_most(client, actors, settings, path):
    """The same page with and without the bell's context processor: one query more at most."""
    login(client, actors["pillar"])
    make_notice(actors["pillar"], 1)
    client.get(path)  # warm the caches a first page fills

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    with_bell = count()
    template = settings.TEMPLATES[0]
    processors = template["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {
            **template,
            "OPTIONS": {
                **template["OPTIONS"],
                "context_processors": [p for p in processors if "notices" not in p],
            },
        }
    ]
    without = count()
    assert with_bell - without <= 1, (with_bell, without)


def test_the_list_is_the_users_own_newest_first(client, pillar, actors):
    first = make_notice(pillar, 1)
    second = make_notice(pillar, 2, read_at=timezone.now())
    make_notice(actors["coordinator_a"], 3, title="Someone else's")
    page = client.get("/notices/").content.decode()
    assert page.index(second.title) < page.index(first.title)
    assert "Someone else&#x27;s" not in page and "Someone else's" not in page
    assert "1 unread" in page
    assert f'href="/notices/{first.pk}/open/"' in page


def test_the_list_is_paged(client, pillar):
    for n in range(35):
        make_notice(pillar, n)
    assert client.get("/notices/").content.decode().count('<li class="notice') == 30
    page2 = client.get("/notices/?page=2").content.decode()
    assert page2.count('<li class="notice') == 5
    assert client.get("/notices/?page=x").status_code == 200


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(client, pillar):
    notice = make_notice(pillar, 1)
    response = client.get(f"/notices/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/follow-ups/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_notice_never_sends_off_the_site(client, pillar):
    notice = make_notice(pillar, 1, url="https://evil.example/")
    assert client.get(f"/notices/{notice.pk}/open/")["Location"] == "/notices/"


def test_another_users_notice_is_404_everywhere(client, pillar, actors):
    theirs = make_notice(actors["coordinator_a"], 1)
    assert client.get(f"/notices/{theirs.pk}/open/").status_code == 404
    assert client.post(f"/notices/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/notices/{theirs.pk}/unread/").status_code == 404
    client.post("/notices/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_unread_and_all_read(client, pillar):
    one, two = make_notice(pillar, 1), make_notice(pillar, 2)
    response = client.post(f"/notices/{one.pk}/read/", {"page": "1"})
    assert response.status_code == 302 and response["Location"] == "/notices/?page=1"
    one.refresh_from_db()
    assert one.read_at is not None
    client.post(f"/notices/{one.pk}/unread/")
    one.refresh_from_db()
    assert one.read_at is None
    response = client.post("/notices/read-all/", follow=True)
    assert "Every notice is marked read." in response.content.decode()
    assert Notice.objects.filter(pk__in=[one.pk, two.pk], read_at__isnull=True).count() == 0


def test_settings_show_the_kinds_of_the_users_roles(client, actors):
    login(client, actors["pillar"])
    page = client.get("/notices/settings/").content.decode()
    for label in ["Monthly report due", "Follow-up due or overdue", "Tali kasih paid"]:
        assert label in page
    assert "Reports waiting for verification" not in page
    login(client, actors["operator"])
    page = client.get("/notices/settings/").content.decode()
    assert "Reports waiting for verification" in page
    assert "Monthly report due" not in page and "Tali kasih paid" not in page
    login(client, actors["coordinator_a"])  # a TKSK: verifies, and reports as a pillar
    page = client.get("/notices/settings/").content.decode()
    assert "Reports waiting for verification" in page and "Monthly report due" in page
    login(client, actors["norole"])
    assert (
        "No reminder applies to your roles yet."
        in client.get("/notices/settings/").content.decode()
    )


def test_settings_switch_off_and_on(client, pillar):
    page = client.get("/notices/settings/").content.decode()
    assert "No e-mail address on file" in page
    response = client.post("/notices/settings/", {"report_due": "on", "push": "on"}, follow=True)
    assert "Your reminder settings are saved." in response.content.decode()
    saved = NoticeSettings.objects.get(user=pillar)
    assert saved.report_due and saved.push
    assert not saved.follow_up and not saved.stipend_paid and not saved.email
    assert saved.reports_waiting  # not offered to a pillar: left as it was
    client.post("/notices/settings/", {"follow_up": "on", "email": "on"})
    saved.refresh_from_db()
    assert saved.follow_up and saved.email and not saved.report_due


def test_signed_out_users_are_sent_to_sign_in(client, db):
    for path in ["/notices/", "/notices/settings/", "/notices/1/open/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/notices/read-all/").status_code == 302
