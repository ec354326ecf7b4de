"""Writing the audit log: each service that changes data calls `audit_record` in its transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import HttpResponse
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.lib.clientip import client_ip
from pilar.lib.exports import file_response


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where: passed into every service that writes."""

    user: object | None
    source: str = AuditEntry.Source.WEB
    ip: str | None = None

    @classmethod
    def from_request(cls, request, source: str = AuditEntry.Source.WEB) -> Actor:
        return cls(user=request.user, source=source, ip=client_ip(request))

    @classmethod
    def system(cls, source: str = AuditEntry.Source.CLI, user=None) -> Actor:
        return cls(user=user, source=source)

    @property
    def signed_in_user(self):
        """The person's account whose roles and area scope the services check, or None when the
        office itself acts (the command line, a background job) and no scope applies."""
        return self.user if getattr(self.user, "is_authenticated", False) else None


def plain(value):
    """A JSON-safe form of a field value, as a person would read it."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    """Field values of `obj` (foreign keys by their text) to compare before and after a change."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        if field.is_relation and value is not None:
            value = str(value)
        data[name] = plain(value)
    return data


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def audit_record(
    *,
    by: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    person=None,
    changes: dict | None = None,
    note: str = "",
    batch: int | None = None,
) -> AuditEntry:
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEntry.objects.create(
        user=user,
        username=user.get_username() if user else "",
        source=by.source,
        ip=by.ip,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        person=person,
        changes=changes or {},
        note=note[:250],
        batch=batch,
    )


def audit_export(request, *, object_type: str, count: int, note: str = "") -> AuditEntry:
    """A download of a list that holds personal data: who took how many rows, with which
    filters (`note`, then the query string, the format included)."""
    return audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        object_type=object_type,
        object_repr=_("export of %(n)s rows") % {"n": count},
        note=" ".join(part for part in (note, request.GET.urlencode()) if part),
    )


def audited_file_response(
    request,
    fmt: str,
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    object_type: str,
    note: str = "",
) -> HttpResponse:
    """`file_response` for a list that holds personal data: the download is recorded
    (`audit_export`) with the number of rows it holds, once they are read (at the end of a
    streamed CSV: the rows that left, should the client go away early)."""
    return file_response(
        fmt,
        filename,
        headers,
        rows,
        on_done=lambda n: audit_export(request, object_type=object_type, count=n, note=note),
    )
