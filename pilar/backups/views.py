"""The backups page (administrators only), its downloads and "back up now"; and /healthz."""

from __future__ import annotations

import shutil

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilar.accounts.access import Capability
from pilar.accounts.decorators import capability_required
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.backups import archive, health, services
from pilar.backups.models import BackupRun
from pilar.lib.views import after, attempt


@capability_required(Capability.BACKUPS)
def backup_list(request):
    services.recover_runs()  # a run whose worker is gone is shown failed, not waited for
    files = archive.list_backups()
    runs = list(BackupRun.objects.select_related("requested_by").order_by("-created_at")[:5])
    working = next((run for run in runs if run.is_working), None)
    folder = archive.backup_dir()
    try:
        usage = shutil.disk_usage(folder)  # where tonight's archive must fit
    except OSError:  # not there yet (the first backup creates it)
        usage = shutil.disk_usage(settings.DATA_DIR)
    return render(
        request,
        "backups/backup_list.html",
        {
            "files": files,
            "last": files[0] if files else None,
            "runs": runs,
            "working": working,
            "folder": folder,
            "hour": settings.PILAR_BACKUP_HOUR,
            "keep_daily": settings.PILAR_BACKUP_KEEP_DAILY,
            "keep_weekly": settings.PILAR_BACKUP_KEEP_WEEKLY,
            "free": usage.free,
        },
    )


@require_POST
@capability_required(Capability.BACKUPS)
def backup_now(request):
    done = attempt(
        request,
        lambda: services.backup_run_request(by=Actor.from_request(request)),
        success=_("The backup is being taken in the background; this page shows its progress."),
    )
    return after(request, done, "backups:list")


@require_GET  # a HEAD sends nothing, and must not be audited as a download
@capability_required(Capability.BACKUPS)
def backup_download(request, name: str):
    # Only a name the backup folder's listing holds: no path, no "..", no other file there.
    found = next((f for f in archive.list_backups() if f.name == name), None)
    if not archive.NAME_RE.fullmatch(name) or found is None:
        raise Http404
    try:
        handle = open(found.path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        raise Http404 from None  # pruned since the listing
    audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        object_type="backups.archive",
        object_id=name[:40],
        object_repr=name,
        note=_("backup archive downloaded (%(size)s bytes)") % {"size": found.size},
    )
    return FileResponse(handle, as_attachment=True, filename=name)


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request):
    report = health.check()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
