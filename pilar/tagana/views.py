"""Tagana pages: events (list, new, detail with its actions) and the roster of members."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pilar.accounts.access import Capability, can
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.services import Actor
from pilar.lib.exports import export_format, file_response
from pilar.lib.views import attempt, form_page, list_page, query_without_page
from pilar.tagana import exports, services
from pilar.tagana.forms import (
    DeploymentCorrectForm,
    DeploymentEndForm,
    DeploymentForm,
    DeploymentReverseForm,
    EventCloseForm,
    EventFilterForm,
    EventForm,
    LogEntryForm,
    RosterFilterForm,
)
from pilar.tagana.models import Deployment, DisasterEvent
from pilar.tagana.selectors import event_detail_parts, matching_events, roster

PAGE_SIZE = 50


@capability_required(Capability.TAGANA_VIEW)
def event_list(request):
    form = EventFilterForm(request.GET or None, user=request.user)
    return list_page(
        request,
        form,
        lambda: matching_events(request.user, form.event_filter()),
        name="tagana-events",
        headers=exports.event_headers(),
        export=exports.event_rows,
        template="tagana/event_list.html",
    )


@capability_required(Capability.TAGANA_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def event_create(request):
    form = EventForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.event_create(by=Actor.from_request(request), **data),
        success=_("The event has been recorded."),
        then=lambda event: reverse("tagana:event-detail", args=[event.pk]),
        template="tagana/event_form.html",
    )


def _detail(request, event: DisasterEvent, *, status: int = 200, **forms):
    """The detail page, with any bound form that failed in place of its blank one."""
    deployments, hidden, log = event_detail_parts(event, request.user)
    can_edit = (
        can(request.user, Capability.TAGANA_EDIT)
        and DisasterEvent.objects.editable_by(request.user).filter(pk=event.pk).exists()
    )
    context = {
        "event": event,
        "deployments": deployments,
        "hidden_count": hidden,
        "log": log,
        "can_edit": can_edit,
        "now": timezone.now(),
    }
    if can_edit:
        # Every deployment in force can be corrected or reversed, the event open or closed.
        failed = forms.get("fix_failed")
        for d in deployments:
            if not d.in_force:
                continue
            key = f"dep{d.pk}"
            d.correct_form = (
                failed[1]
                if failed and failed[0] == d.pk and failed[2] == "correct"
                else DeploymentCorrectForm(
                    initial={"role": d.role, "start": d.start, "end": d.end},
                    auto_id=f"{key}-%s",
                )
            )
            d.reverse_form = (
                failed[1]
                if failed and failed[0] == d.pk and failed[2] == "reverse"
                else DeploymentReverseForm(auto_id=f"{key}-rev-%s")
            )
            d.open_fix = bool(failed and failed[0] == d.pk)
        if failed:
            context["fix_errors"] = [m for ms in failed[1].errors.values() for m in ms]
    if can_edit and event.is_open:
        context["deploy_form"] = forms.get("deploy_form") or DeploymentForm(event=event)
        context["log_form"] = forms.get("log_form") or LogEntryForm()
        context["close_form"] = forms.get("close_form") or EventCloseForm()
        context["end_form"] = forms.get("end_form") or DeploymentEndForm()
        context["end_failed"] = forms.get("end_failed")
    return render(request, "tagana/event_detail.html", context, status=status)


@capability_required(Capability.TAGANA_VIEW)
def event_detail(request, pk: int):
    event = get_object_or_404(
        DisasterEvent.objects.visible_to(request.user).select_related("area__parent"), pk=pk
    )
    return _detail(request, event)


def _editable_event(request, pk: int) -> DisasterEvent:
    return get_object_or_404(
        DisasterEvent.objects.editable_by(request.user).select_related("area__parent"), pk=pk
    )


@require_POST
@capability_required(Capability.TAGANA_EDIT)
def deployment_add(request, pk: int):
    event = _editable_event(request, pk)
    form = DeploymentForm(request.POST, event=event)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.deployment_create(
                by=Actor.from_request(request), event=event, **form.cleaned_data
            ),
            form=form,
            success=lambda deployment: (
                _("%(name)s has been deployed.") % {"name": deployment.person.name}
            ),
        )
        if done:
            return redirect("tagana:event-detail", event.pk)
    return _detail(request, event, status=400, deploy_form=form)


@require_POST
@capability_required(Capability.TAGANA_EDIT)
def deployment_end(request, pk: int):
    deployment = get_object_or_404(
        Deployment.objects.filter(
            event__in=DisasterEvent.objects.editable_by(request.user)
        ).select_related("event__area__parent", "person"),
        pk=pk,
    )
    form = DeploymentEndForm(request.POST)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.deployment_end(
                by=Actor.from_request(request), deployment=deployment, **form.cleaned_data
            ),
            form=form,
            success=_("The deployment of %(name)s has ended.") % {"name": deployment.person.name},
        )
        if done:
            return redirect("tagana:event-detail", deployment.event_id)
    return _detail(request, deployment.event, status=400, end_form=form, end_failed=deployment.pk)


@require_POST
@capability_required(Capability.TAGANA_EDIT)
@submit_once
def log_add(request, pk: int):
    event = _editable_event(request, pk)
    form = LogEntryForm(request.POST)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.log_entry_add(
                by=Actor.from_request(request), event=event, **form.cleaned_data
            ),
            form=form,
            success=_("The log entry has been added."),
        )
        if done:
            return redirect("tagana:event-detail", event.pk)
    return _detail(request, event, status=400, log_form=form)


@require_POST
@capability_required(Capability.TAGANA_EDIT)
def event_close(request, pk: int):
    event = _editable_event(request, pk)
    form = EventCloseForm(request.POST)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.event_close(
                by=Actor.from_request(request), event=event, **form.cleaned_data
            ),
            form=form,
            success=_("The event has been closed."),
        )
        if done:
            return redirect("tagana:event-detail", event.pk)
    return _detail(request, event, status=400, close_form=form)


@capability_required(Capability.TAGANA_VIEW)
def roster_view(request):
    form = RosterFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    duties, rows = roster(
        request.user, status=data.get("status") or "", q=data.get("q") or "", now=now
    )
    fmt = export_format(request)
    if fmt:
        day = timezone.localdate(now).isoformat()
        return file_response(
            fmt, f"tagana-roster-{day}", exports.roster_headers(), exports.roster_rows(rows(duties))
        )
    page = Paginator(duties, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tagana/roster.html",
        {
            "form": form,
            "page": page,
            "rows": rows(page),
            "now": now,
            "query": query_without_page(request),
        },
    )


def _fix(request, pk: int, *, form_class, call, done: str, kind: str):
    deployment = get_object_or_404(
        Deployment.objects.filter(
            event__in=DisasterEvent.objects.editable_by(request.user)
        ).select_related("event__area__parent", "person"),
        pk=pk,
    )
    form = form_class(request.POST, auto_id=f"dep{pk}-%s")
    if form.is_valid():
        saved = attempt(
            request,
            lambda: call(deployment, form.cleaned_data),
            form=form,
            success=done % {"name": deployment.person.name},
        )
        if saved:
            return redirect("tagana:event-detail", deployment.event_id)
    messages.error(request, _("Nothing was saved; see the form below."))
    return _detail(request, deployment.event, status=400, fix_failed=(pk, form, kind))


@require_POST
@capability_required(Capability.TAGANA_EDIT)
@submit_once
def deployment_correct(request, pk: int):
    by = Actor.from_request(request)
    return _fix(
        request,
        pk,
        form_class=DeploymentCorrectForm,
        call=lambda d, data: services.deployment_correct(by=by, deployment=d, **data),
        done=_("The deployment of %(name)s has been corrected; the original stays listed."),
        kind="correct",
    )


@require_POST
@capability_required(Capability.TAGANA_EDIT)
@submit_once
def deployment_reverse(request, pk: int):
    by = Actor.from_request(request)
    return _fix(
        request,
        pk,
        form_class=DeploymentReverseForm,
        call=lambda d, data: services.deployment_reverse(by=by, deployment=d, **data),
        done=_("The deployment of %(name)s has been reversed; it no longer counts."),
        kind="reverse",
    )
