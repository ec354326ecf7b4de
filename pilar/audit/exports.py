"""Exports of any size (docs/PERFORMANCE.md, "Pages at national scale"): a list's download
streams at once while the list is small; past `PILAR_EXPORT_BACKGROUND_FROM` rows it becomes a
background job (`ExportJob`) that writes the file while the user follows its progress, and the
file is then downloaded by that user only, audited like any download of personal data.

A list takes part by registering a builder (`register_export`, in its AppConfig.ready): a
function `(user, params, fmt) -> ExportSpec` that builds the list's rows for that user from the
query string, the same scoped queryset the page uses. The job calls it in the worker, so the
file holds exactly what the user was allowed to see. The audit app owns this so every app can
use it without importing a peer (apps import lib, then regions, audit and accounts, then
registry, then the domain apps).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry, ExportJob
from pilar.audit.services import Actor, audit_record, audited_file_response, client_ip
from pilar.audit.tasks import run_export
from pilar.audit.work import builders, remove_file
from pilar.lib.exports import XLSX_TYPE
from pilar.lib.jobs import recover_stale

KEEP_FILES = datetime.timedelta(days=1)


@dataclass
class ExportSpec:
    """What a list's export holds: file name (without extension), columns, rows, and how the
    download is audited."""

    filename: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    object_type: str
    note: str = ""


_capabilities: dict[str, str] = {}


def register_export(kind: str, builder: str, *, capability: str) -> None:
    """`builder`: the dotted path of `(user, params: QueryDict, fmt) -> ExportSpec`;
    `capability`: what the list's page needs, checked again when the file is taken (a user who
    lost the role since asking cannot take it)."""
    builders[kind] = builder
    _capabilities[kind] = capability


def capability_of(kind: str) -> str | None:
    return _capabilities.get(kind)


def background_from() -> int:
    return getattr(settings, "PILAR_EXPORT_BACKGROUND_FROM", 50_000)


def export_response(request, kind: str, fmt: str, queryset, build: Callable[[], ExportSpec]):
    """The download of a list: streamed now when `queryset` holds fewer rows than the bound
    (counted only that far), else a background job and a redirect to its page."""
    bound = background_from()
    # Counted on the ids alone: the list's per-row annotations (a head's name, a pillar) are not
    # computed for the rows counted.
    n = queryset.order_by().values("pk")[:bound].count()
    if n < bound:
        spec = build()
        return audited_file_response(
            request,
            fmt,
            spec.filename,
            spec.headers,
            spec.rows,
            object_type=spec.object_type,
            note=spec.note,
        )
    job = same_job_running(request, kind, fmt) or start_job(
        request, kind, fmt, rows_expected=_expected(queryset, bound)
    )
    return HttpResponseRedirect(reverse("export-job", args=[job.pk]))


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("format", None)
    return params.urlencode()


def same_job_running(request, kind: str, fmt: str) -> ExportJob | None:
    """The job already writing this very export for this user (a second click, a reload)."""
    return (
        ExportJob.objects.filter(
            user=request.user,
            kind=kind,
            fmt=fmt,
            query=_query(request),
            status__in=ExportJob.WORKING,
        )
        .order_by("-pk")
        .first()
    )


def _expected(queryset, bound: int) -> int:
    from pilar.lib.paging import estimated_rows

    estimate = estimated_rows(queryset)
    if estimate is None:
        return queryset.count()
    return max(estimate, bound)


def start_job(request, kind: str, fmt: str, *, rows_expected: int) -> ExportJob:
    if kind not in builders:
        raise LookupError(f"no export registered as {kind!r}")
    remove_old()
    job = ExportJob.objects.create(
        user=request.user,
        kind=kind,
        fmt=fmt,
        query=_query(request),
        # Queued counts as heard of: a job no worker takes within PILAR_JOB_STALE_SECONDS is
        # failed (pilar/lib/jobs.py).
        heartbeat_at=timezone.now(),
        ip=client_ip(request),
        # Headers and labels in the language the list was shown in.
        language=translation.get_language() or "",
        rows_expected=rows_expected,
    )
    transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def remove_old() -> int:
    """Jobs (and their files) finished or asked for more than a day ago."""
    old = ExportJob.objects.filter(created_at__lt=timezone.now() - KEEP_FILES)
    n = 0
    for job in old:
        remove_file(job.path)
        job.delete()
        n += 1
    return n


def recover_exports() -> int:
    """Jobs whose worker vanished are failed (they can be asked for again from the list)."""
    return recover_stale(
        ExportJob.objects.all(),
        ExportJob.WORKING,
        lambda job: {
            "status": ExportJob.Status.FAILED,
            "error": _("The worker writing this file stopped. Ask for the export again."),
            "finished_at": timezone.now(),
        },
    )


def download(request, job: ExportJob) -> FileResponse:
    """The finished file, recorded in the audit log as the download of its rows."""
    out = open(job.path, "rb")  # noqa: SIM115 - the response closes it
    audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        object_type=job.object_type or job.kind,
        object_repr=_("export of %(n)s rows") % {"n": job.rows_done},
        note=" ".join(part for part in (job.note, job.query, f"format={job.fmt}") if part)[:250],
    )
    content_type = XLSX_TYPE if job.fmt == "xlsx" else "text/csv; charset=utf-8"
    return FileResponse(out, as_attachment=True, filename=job.filename, content_type=content_type)
