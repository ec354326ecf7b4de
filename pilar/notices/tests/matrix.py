"""This app's rows of the permission matrix (see pilar/core/tests/test_permissions.py).

Every signed-in user has a bell, a list and settings; a notice is its own user's alone. The
records: one notice of the `pillar` user (a1). Opening it is theirs (a redirect to its page);
anyone else gets 404 (their notices hold no such id). Marking read or unread, and marking all
read, are POSTs (a GET is 405).
"""

from __future__ import annotations

SIGNED_IN = {
    "admin",
    "operator",
    "approver",
    "finance",
    "coordinator_a",
    "coordinator_b",
    "pillar",
    "viewer",
    "norole",
}


def signed_in(role):
    return 200


def own_notice(role):
    return 302 if role == "pillar" else 404


PAGES = {
    "notices:list": signed_in,
    "notices:settings": signed_in,
    "notices:open": own_notice,
    "notices:read": lambda role: 405,
    "notices:unread": lambda role: 405,
    "notices:read-all": lambda role: 405,
}
API_READ: dict = {}
API_WRITE: dict = {}


def setup(actors, people) -> dict:
    from django.utils import timezone

    from pilar.notices.models import Kind, Notice

    notice = Notice.objects.create(
        user=actors["pillar"],
        kind=Kind.REPORT_DUE,
        key="PSM:2024-10:before",
        title="Monthly report for October 2024 due on 10 November 2024",
        url="/reports/mine/",
        created_at=timezone.now(),
    )
    return {
        "pages": {
            "notices:open": f"/notices/{notice.pk}/open/",
            "notices:read": f"/notices/{notice.pk}/read/",
            "notices:unread": f"/notices/{notice.pk}/unread/",
        }
    }
