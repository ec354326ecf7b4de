"""What the task worker does for a background export (pilar/audit/exports.py asks for it,
pilar/audit/tasks.py queues it): build the rows as the user who asked would see them, with the
builder the list registered, and write the file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from pilar.audit.models import ExportJob
from pilar.lib.exports import write_file
from pilar.lib.jobs import Heartbeat

# Export kind -> the dotted path of its builder (`register_export` in pilar/audit/exports.py).
builders: dict[str, str] = {}


def export_dir() -> Path:
    path = Path(getattr(settings, "PILAR_EXPORT_DIR", settings.DATA_DIR / "exports"))
    # The files hold personal data: readable by the app's own user only.
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def remove_file(path: str) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _language(job: ExportJob) -> str:
    return job.language or getattr(job.user, "language", None) or settings.LANGUAGE_CODE


class _Progress:
    """Counts the rows as they are written and beats the job's heartbeat with the count."""

    def __init__(self, rows: Iterable[Sequence], beat: Heartbeat):
        self.rows, self.beat, self.n = rows, beat, 0

    def __iter__(self) -> Iterator[Sequence]:
        for row in self.rows:
            self.n += 1
            self.beat.beat(rows_done=self.n)
            yield row


def run_job(job_id: int) -> None:
    """The worker's part: build the rows as the user would see them, write the file."""
    job = ExportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None:
        return
    this = ExportJob.objects.filter(pk=job.pk)
    # Taken by one worker only, should the task be delivered twice.
    if not this.filter(status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, heartbeat_at=timezone.now()
    ):
        return
    beat = Heartbeat(this)
    path = export_dir() / f"export-{job.pk}-{os.urandom(8).hex()}.{job.fmt}"
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    # Recorded now: a worker killed mid-file leaves a part that is removed with its job.
    this.update(path=str(path))
    try:
        with translation.override(_language(job)):
            build = import_string(builders[job.kind])
            spec = build(job.user, QueryDict(job.query), job.fmt)
            counted = _Progress(spec.rows, beat)
            write_file(job.fmt, path, spec.headers, counted)
    except Exception as exc:
        remove_file(str(path))
        this.update(
            status=ExportJob.Status.FAILED,
            error=str(exc)[:1000] or exc.__class__.__name__,
            finished_at=timezone.now(),
        )
        raise
    this.update(
        status=ExportJob.Status.DONE,
        rows_done=counted.n,
        path=str(path),
        filename=f"{spec.filename}.{job.fmt}",
        object_type=spec.object_type,
        note=spec.note[:200],
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
