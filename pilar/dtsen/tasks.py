"""Background work for DTSEN extract imports (django-tasks): checking, saving and undoing a large
extract run outside the web request; the pages follow their progress in the HouseholdImport row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django_tasks import task

from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.dtsen.engine.run import extract_check, extract_commit, extract_undo
from pilar.dtsen.models import HouseholdImport
from pilar.offices.services import remembered


def _language(user) -> str:
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def _office(batch_id: int):
    """The office the extract's work acts for: the extract's own."""
    return HouseholdImport.objects.select_related("office").get(pk=batch_id).office


def _actor(user_id: int | None, ip: str | None, source: str) -> Actor:
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return Actor(user=user, source=source, ip=ip)


@task()
def check_extract(batch_id: int) -> None:
    batch = HouseholdImport.objects.select_related("created_by", "office").get(pk=batch_id)
    # Messages are stored with the rows: written in the uploader's language; the work acts for
    # the extract's office, whose area bounds it (docs/OFFICE.md, "Many offices").
    with translation.override(_language(batch.created_by)), remembered(office=batch.office):
        extract_check(batch_id=batch_id)


@task()
def commit_extract(batch_id: int, user_id: int | None, ip: str | None, source: str) -> None:
    by = _actor(user_id, ip, source)
    with translation.override(_language(by.user)), remembered(office=_office(batch_id)):
        extract_commit(batch_id=batch_id, by=by)


@task()
def undo_extract(batch_id: int, user_id: int | None, ip: str | None, source: str) -> None:
    by = _actor(user_id, ip, source)
    with translation.override(_language(by.user)), remembered(office=_office(batch_id)):
        extract_undo(batch_id=batch_id, by=by)


def _actor_args(by: Actor) -> dict:
    user = by.signed_in_user
    return {
        "user_id": user.pk if user else None,
        "ip": by.ip,
        "source": by.source or AuditEntry.Source.WEB,
    }


# Queued once the request's transaction has committed, so the worker sees the new status.


def queue_check(batch: HouseholdImport) -> None:
    transaction.on_commit(lambda: check_extract.enqueue(batch.pk))


def queue_commit(batch: HouseholdImport, by: Actor) -> None:
    args = _actor_args(by)
    transaction.on_commit(lambda: commit_extract.enqueue(batch.pk, **args))


def queue_undo(batch: HouseholdImport, by: Actor) -> None:
    args = _actor_args(by)
    transaction.on_commit(lambda: undo_extract.enqueue(batch.pk, **args))
