"""Training pages: courses, events (list, new, edit, detail with participants), invitations,
attendance per day, results, a pillar's own trainings and who serves without a required one.
Certificates have their own pages (pilar.trainings.certificates.views)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from pilar.accounts.access import Capability, can, hosts_others, office_of
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.services import Actor, audited_file_response
from pilar.lib.exports import export_format
from pilar.lib.hooks import panels
from pilar.lib.views import after, attempt, form_page, list_page, query_without_page
from pilar.registry.models import Assignment, Person, person_scope_q, seen_fully_q
from pilar.trainings import exports, participation, services
from pilar.trainings.certificates.views import event_panel
from pilar.trainings.forms import (
    AttendanceForm,
    CourseForm,
    EventFilterForm,
    EventForm,
    InviteForm,
    PickForm,
    RequirementFilterForm,
    ResultsForm,
)
from pilar.trainings.models import Course, Participant, TrainingEvent
from pilar.trainings.selectors import (
    attendance_sheet,
    duties_missing_training,
    event_counts,
    matching_events,
    participant_rows,
    person_trainings,
    visible_participants,
)
from pilar.trainings.signals import event_panels

PAGE_SIZE = 50
PICK_LIMIT = 50


# Courses ----------------------------------------------------------------------------------------


@capability_required(Capability.TRAININGS_VIEW)
def course_list(request):
    # The user's office's catalogue; a province's offices', each course naming its office.
    courses = (
        Course.objects.visible_to(request.user)
        .select_related("office")
        .prefetch_related("kinds")
        .annotate(event_count=Count("events"))
        .order_by("name", "office__name", "pk")
    )
    return render(
        request,
        "trainings/course_list.html",
        {
            "courses": courses,
            "can_edit": can(request.user, Capability.TRAININGS_EDIT),
            "many_offices": hosts_others(office_of(request.user)),
        },
    )


@capability_required(Capability.TRAININGS_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def course_create(request):
    form = CourseForm(request.POST or None, initial={"active": True})
    return form_page(
        request,
        form,
        lambda data: services.course_create(by=Actor.from_request(request), **data),
        success=_("The course has been added."),
        then=lambda course: reverse("trainings:course-list"),
        template="trainings/course_form.html",
        context={"course": None},
    )


@capability_required(Capability.TRAININGS_EDIT)
@require_http_methods(["GET", "POST"])
def course_edit(request, pk: int):
    course = get_object_or_404(Course.objects.visible_to(request.user), pk=pk)
    form = CourseForm.for_course(course, request.POST or None)
    return form_page(
        request,
        form,
        lambda data: services.course_update(by=Actor.from_request(request), course=course, **data),
        success=_("The course has been saved."),
        then=lambda course: reverse("trainings:course-list"),
        template="trainings/course_form.html",
        context={"course": course},
    )


# Events -----------------------------------------------------------------------------------------


@capability_required(Capability.TRAININGS_VIEW)
def event_list(request):
    form = EventFilterForm(request.GET or None, user=request.user)
    return list_page(
        request,
        form,
        lambda: matching_events(request.user, form.event_filter()),
        name="training-events",
        headers=exports.event_headers(),
        export=exports.event_rows,
        template="trainings/event_list.html",
    )


@capability_required(Capability.TRAININGS_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def event_create(request):
    form = EventForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: services.event_create(by=Actor.from_request(request), **data),
        success=_("The training event has been recorded."),
        then=lambda event: reverse("trainings:event-detail", args=[event.pk]),
        template="trainings/event_form.html",
        context={"event": None},
    )


def _event(request, pk: int) -> TrainingEvent:
    return get_object_or_404(
        TrainingEvent.objects.visible_to(request.user).select_related("course"), pk=pk
    )


@capability_required(Capability.TRAININGS_EDIT)
@require_http_methods(["GET", "POST"])
def event_edit(request, pk: int):
    event = _event(request, pk)
    form = EventForm(request.POST or None, event=event)
    return form_page(
        request,
        form,
        lambda data: services.event_update(by=Actor.from_request(request), event=event, **data),
        success=_("The training event has been saved."),
        then=lambda event: reverse("trainings:event-detail", args=[event.pk]),
        template="trainings/event_form.html",
        context={"event": event},
    )


@capability_required(Capability.TRAININGS_VIEW)
def event_detail(request, pk: int):
    event = _event(request, pk)
    q = request.GET.get("q", "")
    participants, hidden = visible_participants(event, request.user, q)
    fmt = export_format(request)
    if fmt:
        return audited_file_response(
            request,
            fmt,
            f"training-{event.start_date.isoformat()}-{event.pk}-participants",
            exports.participant_headers(event),
            exports.participant_rows(participant_rows(event, participants)),
            object_type="trainings.participant",
            note=f"event={event.pk}",
        )
    page = Paginator(participants, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "event": event,
        "days": event.days(),
        "today": today,
        "page": page,
        "rows": participant_rows(event, participants.filter(pk__in=[p.pk for p in page])),
        "hidden_count": hidden,
        "counts": event_counts(event),
        "q": q,
        "query": query_without_page(request),
        "can_edit": can(request.user, Capability.TRAININGS_EDIT),
    }
    context.update(event_panel(request, event))
    # The apps built on trainings show what they hold of the event (pilar/trainings/signals.py).
    context["panels"] = panels(event_panels, event=event, user=request.user)
    return render(request, "trainings/event_detail.html", context)


# Participants -----------------------------------------------------------------------------------


def _pick_candidates(event: TrainingEvent, q: str, user):
    """People matching `q` (name, or phone/NIK digits) not yet invited, at most PICK_LIMIT.
    Digits find only people the user sees as today: not the new phone of one who left the
    user's area (docs/PRIVACY.md)."""
    if not q.strip():
        return Person.objects.none()
    people = Person.objects.filter(person_scope_q(user, Capability.TRAININGS_EDIT)).exclude(
        trainings__event=event
    )
    serving = seen_fully_q(user)
    for word in q.split():
        digits = "".join(ch for ch in word if ch.isdigit())
        match = Q(name__icontains=word)
        if len(digits) >= 4:
            by_digits = Q(phone__contains=digits) | Q(nik__contains=digits)
            match |= by_digits if serving is None else by_digits & serving
        people = people.filter(match)
    return people.order_by("name", "pk")


def _invited(done) -> str:
    """What an invitation did: who was invited, and how many were invited already."""
    message = ngettext(
        "%(n)s person has been invited.",
        "%(n)s people have been invited.",
        len(done.added),
    ) % {"n": len(done.added)}
    if done.already:
        message += " " + ngettext(
            "%(n)s was invited already.", "%(n)s were invited already.", done.already
        ) % {"n": done.already}
    return message


@capability_required(Capability.TRAININGS_EDIT)
@require_http_methods(["GET", "POST"])
def participant_invite(request, pk: int):
    """Invite by kind and area (`how=kinds`), or by ticking people found by a search."""
    event = _event(request, pk)
    q = request.GET.get("q", "") or request.POST.get("q", "")
    candidates = _pick_candidates(event, q, request.user)
    invite_form = InviteForm(event=event, user=request.user)
    pick_form = PickForm(people=candidates[:PICK_LIMIT])
    status = 200
    if request.method == "POST":
        how = request.POST.get("how")
        if how == "kinds":
            form = invite_form = InviteForm(request.POST, event=event, user=request.user)
        elif how == "people":
            form = pick_form = PickForm(request.POST, people=candidates)
        else:
            return HttpResponseBadRequest(_("Say how to invite: by kinds or by people."))
        if form.is_valid():
            done = attempt(
                request,
                lambda: participation.participants_invite(
                    by=Actor.from_request(request), event=event, **form.cleaned_data
                ),
                form=form,
                success=_invited,
            )
            if done:
                return redirect("trainings:event-detail", event.pk)
        status = 400
    counts = event_counts(event)
    return render(
        request,
        "trainings/participant_invite.html",
        {
            "event": event,
            "invite_form": invite_form,
            "pick_form": pick_form,
            "q": q,
            "more": max(candidates.count() - PICK_LIMIT, 0) if q else 0,
            "counts": counts,
            "left": event.capacity - counts["invited"] if event.capacity else None,
        },
        status=status,
    )


@require_POST
@capability_required(Capability.TRAININGS_EDIT)
def participant_remove(request, pk: int, pid: int):
    event = _event(request, pk)
    participant = get_object_or_404(event.participants.select_related("person"), pk=pid)
    done = attempt(
        request,
        lambda: participation.participant_remove(
            by=Actor.from_request(request), participant=participant
        ),
        success=_("%(name)s has been withdrawn.") % {"name": participant.person.name},
    )
    return after(request, done, "trainings:event-detail", event.pk)


# Attendance and results -------------------------------------------------------------------------


@capability_required(Capability.TRAININGS_EDIT)
@require_http_methods(["GET", "POST"])
def attendance(request, pk: int, day: str):
    event = _event(request, pk)
    try:
        when = datetime.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    if when not in event.days():
        # Show the page for the nearest day, with the reason, rather than a bare 404.
        messages.error(
            request,
            _("%(day)s is not a day of this event; choose one of its days.")
            % {"day": when.isoformat()},
        )
        return redirect("trainings:attendance", event.pk, event.start_date.isoformat())
    sheet = attendance_sheet(event, when)
    participants = [p for p, _present in sheet]
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and "all_present" in data:
        data.setlist("present", [str(p.pk) for p in participants])
    form = AttendanceForm(
        data,
        participants=participants,
        initial={"present": [p.pk for p, present in sheet if present]},
    )
    status = 200
    if data is not None:
        if form.is_valid():
            done = attempt(
                request,
                lambda: participation.attendance_record(
                    by=Actor.from_request(request),
                    event=event,
                    day=when,
                    present_ids=form.cleaned_data["present"],
                ),
                form=form,
                success=lambda change: (
                    _(
                        "Attendance on %(day)s saved: %(present)s of %(total)s present "
                        "(%(added)s marked, %(removed)s unmarked)."
                    )
                    % {
                        "day": when.isoformat(),
                        "present": len(form.cleaned_data["present"]),
                        "total": len(participants),
                        "added": len(change.added),
                        "removed": len(change.removed),
                    }
                ),
            )
            if done:
                return redirect("trainings:attendance", event.pk, when.isoformat())
        status = 400
    checked = {str(pk) for pk in form["present"].value() or []}
    return render(
        request,
        "trainings/attendance.html",
        {
            "event": event,
            "day": when,
            "days": event.days(),
            "today": timezone.localdate(),
            "form": form,
            "sheet": [(p, str(p.pk) in checked) for p in participants],
            "present_count": sum(1 for _p, present in sheet if present),
        },
        status=status,
    )


@capability_required(Capability.TRAININGS_EDIT)
@require_http_methods(["GET", "POST"])
def results(request, pk: int):
    event = _event(request, pk)
    participants = list(
        event.participants.select_related("person")
        .annotate(days_attended=Count("attendance"))
        .order_by("person__name", "pk")
    )
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and "all_attended_passed" in data:
        # The shortcut: everyone who attended at least one day passed (scores kept).
        for p in participants:
            if p.days_attended and data.get(f"result_{p.pk}") in (None, "", "pending"):
                data[f"result_{p.pk}"] = Participant.Result.PASSED
            data.setdefault(f"result_{p.pk}", p.result)
    form = ResultsForm(data, participants=participants)
    status = 200
    if data is not None:
        if form.is_valid():
            done = attempt(
                request,
                lambda: participation.results_record(
                    by=Actor.from_request(request), event=event, results=form.results()
                ),
                form=form,
                success=lambda changed: (
                    ngettext(
                        "Results saved: %(n)s participant changed.",
                        "Results saved: %(n)s participants changed.",
                        len(changed),
                    )
                    % {"n": len(changed)}
                ),
            )
            if done:
                return redirect("trainings:event-detail", event.pk)
        status = 400
    return render(
        request,
        "trainings/results.html",
        {"event": event, "form": form, "counts": event_counts(event)},
        status=status,
    )


# A person's trainings and the requirement list --------------------------------------------------


@capability_required(Capability.TRAININGS_VIEW)
def mine(request):
    person = request.user.person if getattr(request.user, "person_id", None) else None
    trainings = person_trainings(person, request.user) if person is not None else []
    return render(request, "trainings/mine.html", {"person": person, "trainings": trainings})


@capability_required(Capability.TRAININGS_VIEW)
def requirements(request):
    form = RequirementFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        duties, rows = Assignment.objects.none(), lambda page: []
        on = timezone.localdate()
    else:
        f = form.requirement_filter()
        on = f.on or timezone.localdate()
        duties, rows = duties_missing_training(request.user, f)
    fmt = export_format(request)
    if fmt:
        return audited_file_response(
            request,
            fmt,
            f"training-missing-{on.isoformat()}",
            exports.requirement_headers(),
            exports.requirement_rows(rows(duties)),
            object_type="trainings.requirement",
        )
    page = Paginator(duties, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "trainings/requirements.html",
        {
            "form": form,
            "page": page,
            "rows": rows(page),
            "on": on,
            "query": query_without_page(request),
        },
    )
