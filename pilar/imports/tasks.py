"""Background work for imports (django-tasks): checking, saving and undoing a large sheet run
outside the web request, and the page follows their progress in the Import row."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django_tasks import task

from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.imports import services
from pilar.imports.commit import import_commit
from pilar.imports.models import Import
from pilar.imports.undo import import_undo
from pilar.offices.services import remembered


def _language(user) -> str:
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


@task()
def check_import(batch_id: int) -> None:
    batch = Import.objects.select_related("created_by", "office").get(pk=batch_id)
    # Messages are stored with the rows: write them in the uploader's language; the work acts
    # for the import's office (docs/OFFICE.md, "Many offices").
    with translation.override(_language(batch.created_by)), remembered(office=batch.office):
        services.import_check(batch_id=batch_id)


def _office(batch_id: int):
    """The office the import's work acts for: the import's own."""
    return Import.objects.select_related("office").get(pk=batch_id).office


def _actor(user_id: int | None, ip: str | None, source: str) -> Actor:
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return Actor(user=user, source=source, ip=ip)


@task()
def commit_import(batch_id: int, user_id: int | None, ip: str | None, source: str) -> None:
    by = _actor(user_id, ip, source)
    with translation.override(_language(by.user)), remembered(office=_office(batch_id)):
        import_commit(batch_id=batch_id, by=by)


@task()
def undo_import(batch_id: int, user_id: int | None, ip: str | None, source: str) -> None:
    by = _actor(user_id, ip, source)
    with translation.override(_language(by.user)), remembered(office=_office(batch_id)):
        import_undo(batch_id=batch_id, by=by)


def _actor_args(by: Actor) -> dict:
    """An Actor as the JSON arguments a task can carry."""
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    return {
        "user_id": user.pk if user else None,
        "ip": by.ip,
        "source": by.source or AuditEntry.Source.WEB,
    }


# Queued once the request's transaction has committed, so the worker sees the new status.


def queue_check(batch: Import) -> None:
    transaction.on_commit(lambda: check_import.enqueue(batch.pk))


def queue_commit(batch: Import, by: Actor) -> None:
    args = _actor_args(by)
    transaction.on_commit(lambda: commit_import.enqueue(batch.pk, **args))


def queue_undo(batch: Import, by: Actor) -> None:
    args = _actor_args(by)
    transaction.on_commit(lambda: undo_import.enqueue(batch.pk, **args))
