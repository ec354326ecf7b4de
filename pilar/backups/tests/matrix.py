"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

The backups page and its downloads are the administrator's alone; "back up now" takes a POST
only. /healthz is open to anyone and answers 200 while the task worker beats (set up here)."""

from django.utils import timezone

from pilar.backups import services

PUBLIC = {"healthz"}


def admin_only(role):
    return 200 if role == "admin" else 403


PAGES = {
    "backups:list": admin_only,
    "backups:now": lambda role: 405,
    # No such archive: the admin gets 404, everyone else is refused before looking.
    "backups:download": lambda role: 404 if role == "admin" else 403,
    "healthz": lambda role: 200,
}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people):
    services.worker_beat("matrix:1", timezone.now())
    return {"pages": {"backups:download": "/backups/pilar-manual-20000101-000000.tar.gz"}}
