import json
import os

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, can, office_scope_q
from pilar.accounts.decorators import capability_required
from pilar.audit.exports import capability_of, download
from pilar.audit.models import AuditEntry, ExportJob
from pilar.audit.services import Actor, audit_record
from pilar.lib.exports import export_format, file_response
from pilar.lib.fields import DateField, SearchField
from pilar.lib.jobs import recover_stale


class AuditFilterForm(forms.Form):
    user = SearchField(label=_("User"), max_length=150)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AuditEntry.Action.choices],
    )
    object_type = forms.ChoiceField(
        label=_("Object type"),
        required=False,
        choices=[
            ("", _("All kinds of record")),
            ("registry.person", _("person")),
            ("registry.assignment", _("assignment")),
            ("accounts.user", _("user")),
            ("accounts.rolegrant", _("role grant")),
            ("accounts.apitoken", _("API token")),
            ("regions.area", _("area")),
            ("regions.areaalias", _("area alias")),
            ("registry.pillarkind", _("pillar kind")),
        ],
    )
    q = SearchField(label=_("Search"), required=False)
    date_from = DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@capability_required(Capability.AUDIT_VIEW)
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    # The entries of the offices the user sees (docs/OFFICE.md, "Many offices").
    entries = AuditEntry.objects.select_related("user").filter(office_scope_q(request.user))
    if form.is_bound and not form.is_valid():
        entries = entries.none()  # a filter that cannot be applied shows its error, not all
    elif form.is_bound:
        data = form.cleaned_data
        if data["user"]:
            entries = entries.filter(username__iexact=data["user"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type=data["object_type"])
        if data["q"]:
            entries = entries.filter(object_repr__icontains=data["q"])
        if data["date_from"]:
            entries = entries.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(at__date__lte=data["date_to"])
    fmt = export_format(request)
    if fmt:
        headers = [
            _("When"), _("Who"), _("Source"), _("Address"), _("Action"), _("Object type"),
            _("Object id"), _("Object"), _("Changes"), _("Note"),
        ]  # fmt: skip
        rows = (
            [
                localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.username,
                e.get_source_display(),
                e.ip,
                e.get_action_display(),
                e.object_type,
                e.object_id,
                e.object_repr,
                json.dumps(e.changes, ensure_ascii=False),
                e.note,
            ]
            for e in entries.iterator()
        )
        # The log holds personal data in its changes: exporting it is itself logged.
        audit_record(
            by=Actor.from_request(request),
            action=AuditEntry.Action.VIEW_PERSONAL,
            object_type="audit.auditentry",
            object_repr=_("export of the audit log"),
            note=f"{fmt} {request.GET.urlencode()}"[:250],
        )
        return file_response(fmt, "audit", [str(h) for h in headers], rows)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/audit_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


def _own_job(request, pk: int) -> ExportJob:
    """A job of the user asking (anyone else's is not found); one whose worker vanished is
    marked failed first."""
    job = get_object_or_404(ExportJob, pk=pk, user=request.user)
    capability = capability_of(job.kind)
    if capability is None or not can(request.user, Capability(capability)):
        raise Http404  # the list is no longer the user's to read
    if job.is_working and recover_stale(
        ExportJob.objects.filter(pk=job.pk), ExportJob.WORKING, _stopped
    ):
        job.refresh_from_db()
    return job


def _stopped(job):
    return {
        "status": ExportJob.Status.FAILED,
        "error": _("The worker writing this file stopped. Ask for the export again."),
        "finished_at": timezone.now(),
    }


@login_required
def export_job(request, pk: int):
    job = _own_job(request, pk)
    template = "audit/export_progress.html" if request.htmx else "audit/export_job.html"
    response = render(request, template, {"job": job})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_download(request, pk: int):
    job = _own_job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.path or not os.path.exists(job.path):
        raise Http404
    return download(request, job)
