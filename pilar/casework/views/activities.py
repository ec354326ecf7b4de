"""Casework pages for activities: the phone form a pillar records an activity with, the list,
its export, one activity, its photo, and follow-ups. Scope comes from the querysets
(`visible_to`); out of scope is 404."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, can
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.exports import ExportSpec, export_response
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework import selectors, services
from pilar.casework.forms import (
    ActivityFilterForm,
    ActivityForm,
)
from pilar.casework.models import (
    Activity,
    Household,
)
from pilar.casework.signals import groups_offered
from pilar.casework.views.common import PAGE_SIZE, head_name
from pilar.lib import params
from pilar.lib.dates import long_date
from pilar.lib.exports import export_format
from pilar.lib.months import month_end, month_start
from pilar.lib.paging import LargePaginator
from pilar.lib.views import after, attempt, page_status, query_without_page
from pilar.lib.whatsapp import wa_link
from pilar.regions.models import within_areas_q
from pilar.registry.models import seen_fully_among

# --- activities ------------------------------------------------------------------------------


def _activity_choices(request, day=None):
    person = request.user.person
    day = day or services.today()
    duties = list(services.active_duties(person, day)) if person else []
    households = (
        list(
            Household.objects.filter(caseloads__person=person, caseloads__end_date__isnull=True)
            .annotate(head_name=head_name())
            .order_by("head_name")
        )
        if person
        else []
    )
    for h in households:
        h.label = f"{h.head_name or '—'} · KK {h.masked_kk}"
    # The KUBE groups of a Pendamping KUBE, from the kube app (pilar/casework/signals.py).
    groups = groups_offered(duties)
    return {"person": person, "households": households, "duties": duties, "groups": groups}


LAST_CHOICES = "casework_last_activity"


@capability_required(Capability.ACTIVITY_RECORD)
@submit_once
def activity_create(request):
    """The phone form: one screen; remembers the last type and category chosen."""
    if not request.user.person_id:
        raise PermissionDenied
    choices = _activity_choices(request)
    initial = dict(request.session.get(LAST_CHOICES, {}))
    household = params.parse_id(request.GET.get("household"), "household")
    if household is not None:
        initial["households"] = [household]
    form = ActivityForm(request.POST or None, request.FILES or None, initial=initial, **choices)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["households"] = [h for h in choices["households"] if h.pk in set(data["households"])]
        done = attempt(
            request,
            lambda: services.activity_record(
                by=Actor.from_request(request),
                person=request.user.person,
                data=data,
                photo=data.pop("photo", None),
                keep_location=data.pop("keep_location", False),
            ),
            form=form,
            success=lambda activity: (
                _("Saved: %(what)s on %(day)s.")
                % {"what": activity.activity_type.name, "day": activity.date.strftime("%d-%m-%Y")}
            ),
        )
        if done:
            request.session[LAST_CHOICES] = {
                "activity_type": done.result.activity_type_id,
                "need_category": done.result.need_category_id,
            }
            if "again" in request.POST:
                return redirect("casework:activity-create")
            return redirect("casework:my-reports")
    return render(
        request,
        "casework/activity_form.html",
        {"form": form, **choices},
        status=page_status(request),
    )


def _activities(user, query):
    """(form, activities): the activity list of `user` filtered by the query string `query`,
    as the page shows it and its export holds."""
    form = ActivityFilterForm(query or None, user=user)
    activities = Activity.objects.visible_to(user).current()
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            activities = activities.filter(
                Q(person__name__icontains=d["q"]) | Q(notes__icontains=d["q"])
            )
        if d["month"]:
            activities = activities.filter(month=month_start(d["month"]))
        if d["sector"]:
            activities = activities.filter(sector=d["sector"])
        if d["activity_type"]:
            activities = activities.filter(activity_type=d["activity_type"])
        if d["area"]:
            activities = activities.filter(within_areas_q([d["area"]], "area"))
        if d["kind"]:
            activities = activities.filter(kind=d["kind"])
    person = params.parse_id(query.get("person"), "person")
    if person is not None:
        activities = activities.filter(person_id=person)
    # Months as the kinerja figures link to them (docs/KINERJA.md): the activities of months
    # `from`–`to`, and the follow-ups due in months `due_from`–`due`.
    since = params.parse_month(query.get("from"), "from")
    until = params.parse_month(query.get("to"), "to")
    if since is not None:
        activities = activities.filter(month__gte=since)
    if until is not None:
        activities = activities.filter(month__lte=until)
    due = params.parse_month(query.get("due"), "due")
    if due is not None:
        due_from = params.parse_month(query.get("due_from"), "due_from", default=due)
        activities = activities.filter(follow_up_on__gte=due_from, follow_up_on__lte=month_end(due))
    activities = activities.select_related("person", "activity_type", "area", "kind").order_by(
        "-date", "-pk"
    )
    return form, activities


@capability_required(Capability.CASEWORK_VIEW)
def activity_list(request):
    form, activities = _activities(request.user, request.GET)
    fmt = export_format(request)
    if fmt:
        return export_response(
            request,
            "casework.activities",
            fmt,
            activities,
            lambda: _activity_export(activities),
        )
    # The newest first through the index on (date, id); households are counted for the page
    # shown only, never grouped over every activity (docs/PERFORMANCE.md).
    page = LargePaginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    _count_households(page.object_list)
    return render(
        request,
        "casework/activity_list.html",
        {"form": form, "page": page, "query": query_without_page(request)},
    )


def _count_households(activities) -> None:
    """Set `household_count` on each of `activities` (a page of them) with one grouped query."""
    activities = list(activities)
    through = Activity.households.through
    counts = dict(
        through.objects.filter(activity_id__in=[a.pk for a in activities])
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values_list("activity_id", "n")
    )
    for a in activities:
        a.household_count = counts.get(a.pk, 0)


def _household_count():
    """The number of households of each activity, per row (a correlated count on the link
    table's index, not a GROUP BY over every activity)."""
    through = Activity.households.through
    return Coalesce(
        Subquery(
            through.objects.filter(activity_id=OuterRef("pk"))
            .order_by()
            .values("activity_id")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


def activity_export(user, query, fmt) -> ExportSpec:
    """The activity list's export for a background job (pilar/audit/exports.py)."""
    return _activity_export(_activities(user, query)[1])


def _activity_export(activities) -> ExportSpec:
    headers = [
        _("Date"),
        _("Pillar"),
        _("Kind"),
        _("Area"),
        _("Sector"),
        _("Activity"),
        _("Households"),
        _("Notes"),
        _("Follow up on"),
    ]
    rows = (
        [
            a.date,
            a.person.name,
            a.kind.name,
            a.area.name,
            a.get_sector_display(),
            a.activity_type.name,
            a.household_count,
            a.notes,
            a.follow_up_on,
        ]
        for a in activities.annotate(household_count=_household_count()).iterator(chunk_size=2000)
    )
    return ExportSpec("activities", headers, rows, object_type="casework.activity")


def _visible_activity(request, pk) -> Activity:
    return get_object_or_404(
        Activity.objects.visible_to(request.user).select_related(
            "person", "activity_type", "area", "kind", "need_category", "kube_group"
        ),
        pk=pk,
    )


@capability_required(Capability.CASEWORK_VIEW)
def activity_detail(request, pk):
    activity = _visible_activity(request, pk)
    households = activity.households.visible_to(request.user).annotate(head_name=head_name())
    own = request.user.person_id == activity.person_id
    locked = services.locked_report(activity.person_id, activity.kind_id, activity.month)
    return render(
        request,
        "casework/activity_detail.html",
        {
            "activity": activity,
            "households": households,
            "own": own,
            "locked": locked,
            "hidden_households": activity.households.count() - len(households),
        },
    )


@capability_required(Capability.CASEWORK_VIEW)
def activity_photo(request, pk):
    activity = _visible_activity(request, pk)
    if not activity.photo:
        raise Http404
    audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=activity,
        person=activity.person,
        note="photo",
    )
    return FileResponse(activity.photo.open("rb"), content_type="image/jpeg")


@require_POST
@capability_required(Capability.ACTIVITY_RECORD)
def activity_cancel(request, pk):
    activity = _visible_activity(request, pk)
    done = attempt(
        request,
        lambda: services.activity_cancel(
            by=Actor.from_request(request), activity=activity, reason=request.POST.get("reason", "")
        ),
        success=_("Activity cancelled."),
    )
    return after(request, done, "casework:activity-detail", activity.pk)


@require_POST
@capability_required(Capability.ACTIVITY_RECORD)
def follow_up_done(request, pk):
    activity = _visible_activity(request, pk)
    done = attempt(
        request,
        lambda: services.follow_up_done(by=Actor.from_request(request), activity=activity),
        success=_("Follow-up marked done."),
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "casework:follow-ups"
    return after(request, done, target)


@capability_required(Capability.CASEWORK_VIEW)
def follow_ups(request):
    """Own follow-ups due; for coordinators and staff, the overdue ones in their area."""
    today = services.today()
    own = None
    if request.user.person_id:
        own = list(
            selectors.due_follow_ups(Activity.objects.filter(person_id=request.user.person_id))[
                :200
            ]
        )
    overdue = None
    if can(request.user, Capability.HOUSEHOLDS_EDIT):
        overdue_qs = selectors.due_follow_ups(
            Activity.objects.visible_to(request.user).exclude(person_id=request.user.person_id)
        ).filter(follow_up_on__lt=today)
        overdue = LargePaginator(overdue_qs, PAGE_SIZE).get_page(request.GET.get("page"))
        overdue.object_list = list(overdue.object_list)
        follow_up_reminders(request, overdue.object_list)
    return render(
        request,
        "casework/follow_ups.html",
        {"own": own, "overdue": overdue, "today": today, "query": ""},
    )


def follow_up_reminders(request, activities) -> None:
    """Each overdue follow-up's WhatsApp link to its pillar (`a.whatsapp`; None without a mobile
    number), the message prepared in the office's language (docs/NOTICES.md)."""
    # A phone is shown only of those the reader sees as today: never a former pillar's
    # (docs/PRIVACY.md, "Former pillars").
    seen = seen_fully_among(request.user, list({a.person_id for a in activities}))
    with translation.override(settings.LANGUAGE_CODE):
        for a in activities:
            if seen is not None and a.person_id not in seen:
                a.whatsapp = ""  # no link, and no word on whether a number is known
                continue
            values = {
                "name": a.person.name,
                "activity": a.activity_type.name,
                "date": long_date(a.date),
                "day": long_date(a.follow_up_on),
                "url": request.build_absolute_uri(reverse("casework:follow-ups")),
            }
            text = _(
                "Hello %(name)s, the follow-up of %(activity)s on %(date)s was due on %(day)s "
                "and is not recorded as done. Please follow it up, or mark it done in Pilar: "
                "%(url)s"
            )
            a.whatsapp = wa_link(a.person.phone, text % values)
