"""Backups on an installation of many offices (docs/OFFICE.md, "Many offices"; docs/BACKUP.md):
a backup holds every office's records, so only the top office's administrator takes one; a kota
office's administrator, once a province hosts it, is refused like any other role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.backups.models import BackupRun
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

NAME = "pilar-manual-20261205-101500.tar.gz"


@pytest.fixture
def folder(settings, tmp_path):
    settings.PILAR_BACKUP_DIR = tmp_path / "backups"
    settings.PILAR_BACKUP_DIR.mkdir()
    (settings.PILAR_BACKUP_DIR / NAME).write_bytes(b"archive bytes" * 100)
    return settings.PILAR_BACKUP_DIR


def refused(client) -> None:
    assert client.get(reverse("backups:list")).status_code == 403
    assert client.get(reverse("backups:download", args=[NAME])).status_code == 403
    assert client.post(reverse("backups:now")).status_code == 403


def test_a_kota_admin_hosted_by_a_province_may_not_back_up(
    client, folder, make_user, office, other_office, province_office
):
    for kota in (office, other_office):
        client.logout()
        login(client, make_user(f"admin-{kota.pk}", Role.ADMIN, office=kota))
        refused(client)
    assert not BackupRun.objects.exists()
    assert not AuditEntry.objects.filter(object_type="backups.archive").exists()
    # The province's administrator (the top office's) may.
    client.logout()
    login(client, make_user("prov-admin", Role.ADMIN, office=province_office))
    page = client.get(reverse("backups:list"))
    assert page.status_code == 200 and NAME in page.content.decode()
    assert client.get(reverse("backups:download", args=[NAME])).status_code == 200


def test_a_kota_office_beside_another_is_not_the_top_one(client, folder, make_user, other_office):
    """Two kota offices and no province: the first keeps the installation (its admin backs up),
    the other's admin may not take every office's records."""
    login(client, make_user("admin-pp", Role.ADMIN, office=other_office))
    refused(client)
