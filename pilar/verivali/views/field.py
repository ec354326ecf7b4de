"""Verivali in the field (docs/CASEWORK.md, "Verivali in the field"): the pillar's phone pages
(the households given to me, one household's finding form, a proposed household) and the
coordinator's review of the findings waiting in their kecamatan. The services are the
round's (pilar/verivali/services.py); scope comes from the querysets, out of scope is 404."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, can
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework.models import HouseholdMember, Relation
from pilar.casework.services import active_duties
from pilar.lib.nik import mask_nik
from pilar.lib.views import (
    attempt,
    form_errors_as_messages,
    page_status,
    query_without_page,
    refused,
)
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Person
from pilar.verivali import reviews, services
from pilar.verivali.field_forms import (
    FindingForm,
    MyVisitsFilter,
    ProposeForm,
    ReturnForm,
    ReviewFilterForm,
)
from pilar.verivali.models import Finding, Round, Visit

PAGE_SIZE = 50
REVIEW_PAGE_SIZE = 20


def _head_name():
    return Subquery(
        HouseholdMember.objects.filter(
            household=OuterRef("household"), relation="head", left_on__isnull=True
        ).values("name")[:1]
    )


def _person(request):
    """The pillar record of the user: the field pages are a pillar's own."""
    if not request.user.person_id:
        raise PermissionDenied
    return request.user.person


def _proposed_head(visit) -> str:
    members = (visit.proposed or {}).get("members") or []
    head = next((m for m in members if m.get("relation") == Relation.HEAD), None)
    return (head or (members[0] if members else {})).get("name", "")


# --- the pillar's households -----------------------------------------------------------------


@capability_required(Capability.VERIVALI_RECORD)
def my_visits(request):
    """The open rounds' households given to me, by kelurahan, each with the state of its
    finding; a search by the head's name or the KK's last digits."""
    person = _person(request)
    mine = Visit.objects.filter(person=person, round__status=Round.Status.OPEN)
    counts = mine.aggregate(
        to_visit=Count("pk", filter=Q(finding__isnull=True)),
        submitted=Count("pk", filter=Q(finding__status=Finding.Status.SUBMITTED)),
        returned=Count("pk", filter=Q(finding__status=Finding.Status.RETURNED)),
        accepted=Count("pk", filter=Q(finding__status=Finding.Status.ACCEPTED)),
    )
    form = MyVisitsFilter(request.GET or None)
    visits = mine.select_related("round", "area", "household", "finding").annotate(
        head_name=_head_name()
    )
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"].strip()
        match = Q(head_name__icontains=q) | Q(proposed__members__0__name__icontains=q)
        if q.isascii() and q.isdigit():
            match |= Q(household__kk_number__endswith=q) | Q(proposed__kk_number__endswith=q)
        visits = visits.filter(match)
    elif form.is_bound and not form.is_valid():
        visits = visits.none()
    visits = visits.order_by("area__name", "head_name", "pk")
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    for v in page.object_list:
        v.name = v.head_name or _proposed_head(v) or "—"
        kk = v.household.kk_number if v.household_id else (v.proposed or {}).get("kk_number", "")
        v.masked_kk = mask_nik(kk) if kk else ""
        v.state = v.finding.status if hasattr(v, "finding") else "to_visit"
    open_rounds = list(
        Round.objects.visible_to(request.user).filter(status=Round.Status.OPEN).order_by("name")
    )
    return render(
        request,
        "verivali/field_my.html",
        {
            "form": form,
            "page": page,
            "counts": counts,
            "rounds": open_rounds,
            "query": query_without_page(request),
        },
    )


def _own_visit(request, pk) -> Visit:
    person = _person(request)
    return get_object_or_404(
        Visit.objects.visible_to(request.user)
        .filter(person=person)
        .select_related("round", "area", "household", "household__area"),
        pk=pk,
    )


def _on_fields(call, place):
    """`call`, a service call, whose refusal's keys ("changes.address", "new_members.1.nik")
    are moved to the form's own fields by `place(key)` (None: the form as a whole)."""

    def run():
        try:
            return call()
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            mapped: dict[str, list] = defaultdict(list)
            for key, errors in exc.error_dict.items():
                mapped[place(key) or NON_FIELD_ERRORS].extend(errors)
            raise ValidationError(dict(mapped)) from None

    return run


def _row_field(rows: list[str], number: str, rest: list[str]) -> str | None:
    """The field of the `number`th (from 1) filled member row of `rows`."""
    i = int(number) - 1 if number.isascii() and number.isdigit() else -1
    if not 0 <= i < len(rows):
        return None
    return f"{rows[i]}_{rest[0] if rest else 'name'}"


def _finding_field(form):
    def place(key: str) -> str | None:
        parts = key.split(".")
        if parts[0] == "changes" and len(parts) > 1:
            if parts[1] == "members" and len(parts) > 2:
                return f"m{parts[2]}_{parts[3] if len(parts) > 3 else 'name'}"
            return parts[1] if parts[1] in form.fields else None
        if parts[0] == "new_members" and len(parts) > 1:
            return _row_field(form.filled(form.new_prefixes()), parts[1], parts[2:])
        return key if key in form.fields else None

    return place


def _proposal_field(form):
    def place(key: str) -> str | None:
        parts = key.split(".")
        if parts[0] == "proposed":
            parts = parts[1:]
        if parts and parts[0] == "new_members" and len(parts) > 1:
            return _row_field(form.filled(form.prefixes()), parts[1], parts[2:])
        if parts == ["members"]:
            return "p0_relation"
        name = ".".join(parts)
        return name if name in form.fields else None

    return place


@capability_required(Capability.VERIVALI_RECORD)
@submit_once
def visit_detail(request, pk):
    """One household and the finding form: the form to fill (to visit), to correct (waiting
    for review, or returned with the coordinator's note), or the finding read-only
    (accepted, or the round closed). A proposed household: its proposal, to correct."""
    visit = _own_visit(request, pk)
    finding = Finding.objects.filter(visit=visit).select_related("deceased_member").first()
    household = visit.household
    members = (
        list(household.members.filter(left_on__isnull=True).order_by("pk")) if household else []
    )
    editable = visit.round.status == Round.Status.OPEN and (
        finding is None or finding.status != Finding.Status.ACCEPTED
    )
    context = {
        "visit": visit,
        "household": household,
        "members": members,
        "finding": finding,
        "rows": _finding_rows(finding, household, {m.pk: m for m in members}) if finding else [],
        "proposed": _proposed_rows(visit) if household is None else [],
    }
    if not editable:
        if request.method == "POST":
            if finding is not None and finding.status == Finding.Status.ACCEPTED:
                return _refuse(request, _("The coordinator accepted this finding: it is final."))
            return _refuse(request, _("This round is closed: nothing more is recorded in it."))
        return render(request, "verivali/field_visit.html", context)
    if household is None:
        return _proposal_edit(request, visit, finding)
    form = FindingForm(
        request.POST or None,
        request.FILES or None,
        household=household,
        members=members,
        finding=finding,
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        call = _on_fields(
            lambda: services.finding_record(
                by=Actor.from_request(request),
                visit=visit,
                data=data,
                photo=form.cleaned_data.get("photo"),
                version=form.cleaned_data.get("version"),
            ),
            _finding_field(form),
        )
        if attempt(request, call, form=form, success=SAVED):
            return redirect("verivali:my")
    context["form"] = form
    return render(request, "verivali/field_visit.html", context, status=page_status(request))


SAVED = gettext_lazy("Saved: the finding waits for the coordinator's review.")


def _proposal_edit(request, visit, finding):
    """A proposed household waiting for review or returned: its form, to correct and send
    again."""
    areas = list(_duty_kelurahan(visit.person))
    if visit.area not in areas:
        areas.append(visit.area)
    form = ProposeForm(
        request.POST or None,
        request.FILES or None,
        areas=areas,
        initial=ProposeForm.initial_of(visit.proposed, finding),
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["area"] = next((a for a in areas if a.pk == data["area"]), None)
        call = _on_fields(
            lambda: services.finding_record(
                by=Actor.from_request(request),
                visit=visit,
                data={
                    "kind": Finding.Kind.PROPOSED,
                    "visited_on": data.pop("visited_on"),
                    "note": data.pop("note"),
                    "proposed": data,
                },
                photo=form.cleaned_data.get("photo"),
                version=form.cleaned_data.get("version"),
            ),
            _proposal_field(form),
        )
        if attempt(request, call, form=form, success=SAVED):
            return redirect("verivali:my")
    return render(
        request,
        "verivali/field_propose.html",
        {"form": form, "round": visit.round, "areas": areas, "visit": visit, "finding": finding},
        status=page_status(request),
    )


def _refuse(request, reason: str):
    messages.error(request, reason)
    return refused(request, "verivali:my")


def _duty_kelurahan(person):
    """The kelurahan of the pillar's duties today (a kecamatan duty: all of its kelurahan)."""
    duties = list(active_duties(person, timezone.localdate()))
    if not duties:
        return Area.objects.none()
    return Area.objects.filter(
        within_areas_q([d.area for d in duties], ""), level=Area.Level.KELURAHAN
    ).order_by("name")


@capability_required(Capability.VERIVALI_RECORD)
@submit_once
def visit_propose(request, pk):
    """A household the pillar found that the round's list lacks."""
    person = _person(request)
    round_ = get_object_or_404(
        Round.objects.visible_to(request.user), pk=pk, status=Round.Status.OPEN
    )
    areas = list(_duty_kelurahan(person))
    form = ProposeForm(request.POST or None, request.FILES or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["area"] = next((a for a in areas if a.pk == data["area"]), None)
        call = _on_fields(
            lambda: services.visit_propose(
                by=Actor.from_request(request),
                round=round_,
                data=data,
                photo=form.cleaned_data.get("photo"),
            ),
            _proposal_field(form),
        )
        success = _("Proposed: the household waits for the coordinator's review.")
        if attempt(request, call, form=form, success=success):
            return redirect("verivali:my")
    return render(
        request,
        "verivali/field_propose.html",
        {"form": form, "round": round_, "areas": areas},
        status=page_status(request),
    )


# --- what a finding says, before -> after ----------------------------------------------------

HOUSEHOLD_LABELS = {
    "address": gettext_lazy("Address"),
    "rt_rw": gettext_lazy("RT/RW"),
    "decile": gettext_lazy("Welfare decile"),
    "kk_number": gettext_lazy("KK number"),
    "dtsen_id": gettext_lazy("DTSEN reference"),
}
MEMBER_LABELS = {
    "nik": gettext_lazy("NIK"),
    "name": gettext_lazy("Name"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Date of birth"),
    "relation": gettext_lazy("Relation to head"),
}
SEXES = {"L": gettext_lazy("Male"), "P": gettext_lazy("Female")}


def _shown(field: str, value) -> str:
    """A value as a list shows it: NIK and KK masked, codes in words."""
    if value in (None, ""):
        return "—"
    if field in ("nik", "kk_number"):
        return mask_nik(str(value))
    if field == "sex":
        return str(SEXES.get(value, value))
    if field == "relation":
        return str(Relation(value).label) if value in Relation.values else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _member_text(m: dict) -> str:
    parts = [m.get("name") or "—", _shown("relation", m.get("relation"))]
    parts += [_shown("sex", m.get("sex"))]
    if m.get("birth_date"):
        parts.append(_shown("birth_date", m["birth_date"]))
    if m.get("nik"):
        parts.append(_("NIK %(nik)s") % {"nik": mask_nik(m["nik"])})
    return " · ".join(parts)


def _finding_rows(finding, household, members: dict) -> list[tuple[str, str, str]]:
    """(what, before, after) of each thing the finding changes, for a person to check."""
    rows = []
    changes = finding.changes or {}
    for field, label in HOUSEHOLD_LABELS.items():
        if field in changes:
            before = getattr(household, field, "")
            rows.append((str(label), _shown(field, before), _shown(field, changes[field])))
    for member_id, fields in (changes.get("members") or {}).items():
        member = members.get(int(member_id))
        name = member.name if member else _("member %(id)s") % {"id": member_id}
        for field, value in fields.items():
            before = getattr(member, field, "") if member else ""
            label = f"{name}: {MEMBER_LABELS.get(field, field)}"
            rows.append((label, _shown(field, before), _shown(field, value)))
    for m in changes.get("new_members") or []:
        rows.append((_("New member"), "—", _member_text(m)))
    if finding.kind == Finding.Kind.MOVED:
        rows.append((_("Moved to"), _shown("", household and household.address), finding.moved_to))
    if finding.kind == Finding.Kind.DECEASED and finding.deceased_member_id:
        member = members.get(finding.deceased_member_id) or finding.deceased_member
        rows.append((_("Died"), member.name, _shown("", finding.deceased_on)))
    if finding.kind == Finding.Kind.SPLIT:
        names = [
            members[i].name if i in members else _("member %(id)s") % {"id": i}
            for i in finding.split_members or []
        ]
        rows.append((_("Left to form their own household"), "—", ", ".join(names)))
    return rows


def _proposed_rows(visit) -> list[tuple[str, str]]:
    """(what, value) of a proposed household's data."""
    p = visit.proposed or {}
    rows = [
        (str(HOUSEHOLD_LABELS[field]), _shown(field, p.get(field)))
        for field in ("kk_number", "address", "rt_rw", "decile", "dtsen_id")
        if p.get(field) not in (None, "")
    ]
    rows += [(_("Member"), _member_text(m)) for m in p.get("members") or []]
    return rows


# --- the coordinator's review ----------------------------------------------------------------


def _waiting(user):
    """The findings waiting for `user`'s review: not their own (someone else reviews those)."""
    waiting = Finding.objects.reviewable_by(user).filter(status=Finding.Status.SUBMITTED)
    if user.person_id:
        waiting = waiting.exclude(recorded_by_id=user.person_id)
    return waiting


def _filter_choices(waiting):
    """The rounds, kelurahan and pillars that have findings waiting (the filter's choices)."""
    rounds = Round.objects.filter(
        pk__in=waiting.values("visit__round_id"), status=Round.Status.OPEN
    ).values_list("pk", "name")
    areas = Area.objects.filter(pk__in=waiting.values("visit__area_id")).order_by("name")
    people = Person.objects.filter(pk__in=waiting.values("recorded_by_id")).order_by("name")
    return {
        "rounds": list(rounds),
        "areas": list(areas.values_list("pk", "name")),
        "people": list(people.values_list("pk", "name")),
    }


@capability_required(Capability.VERIVALI_REVIEW)
def review(request):
    """The findings waiting in my kecamatan (or, for the office, within its scope): each with
    what it changes, before -> after, the photo and the note; accept or return."""
    waiting = _waiting(request.user)
    form = ReviewFilterForm(request.GET or None, **_filter_choices(waiting))
    findings = waiting.select_related(
        "visit__round", "visit__area", "visit__household", "recorded_by", "deceased_member"
    ).order_by("visit__area__name", "recorded_at", "pk")
    if form.is_valid():
        d = form.cleaned_data
        if d["round"]:
            findings = findings.filter(visit__round_id=d["round"])
        if d["area"]:
            findings = findings.filter(visit__area_id=d["area"])
        if d["person"]:
            findings = findings.filter(recorded_by_id=d["person"])
        if d["kind"]:
            findings = findings.filter(kind=d["kind"])
    elif form.is_bound:
        findings = findings.none()
    page = Paginator(findings, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    households = [f.visit.household_id for f in shown if f.visit.household_id]
    members = {
        m.pk: m for m in HouseholdMember.objects.filter(household_id__in=households).order_by()
    }
    for f in shown:
        household = f.visit.household
        f.rows = _finding_rows(f, household, members) if household else []
        f.proposed_rows = _proposed_rows(f.visit) if household is None else []
        f.name = (
            next(
                (
                    m.name
                    for m in members.values()
                    if m.household_id == household.pk
                    and m.relation == Relation.HEAD
                    and not m.left_on
                ),
                "—",
            )
            if household
            else _proposed_head(f.visit) or "—"
        )
    page.object_list = shown
    return render(
        request,
        "verivali/review_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "return_form": ReturnForm(),
        },
    )


def _back_to_review(request) -> str:
    query = request.POST.get("query", "")
    url = reverse("verivali:review")
    # Only the list's own filters go back into the address.
    return f"{url}?{query}" if query and all(c not in query for c in "/:\\") else url


def _reviewable(request, pk) -> Finding:
    return get_object_or_404(
        Finding.objects.reviewable_by(request.user).select_related("visit"), pk=pk
    )


def _version(request):
    value = request.POST.get("version", "")
    return int(value) if value.isascii() and value.isdigit() else None


@require_POST
@capability_required(Capability.VERIVALI_REVIEW)
def finding_accept(request, pk):
    finding = _reviewable(request, pk)
    done = attempt(
        request,
        lambda: reviews.finding_accept(
            by=Actor.from_request(request), finding=finding, version=_version(request)
        ),
        success=_("Accepted."),
    )
    back = _back_to_review(request)
    return redirect(back) if done else refused(request, back)


@require_POST
@capability_required(Capability.VERIVALI_REVIEW)
def finding_return(request, pk):
    finding = _reviewable(request, pk)
    form = ReturnForm(request.POST)
    back = _back_to_review(request)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return refused(request, back)
    done = attempt(
        request,
        lambda: reviews.finding_return(
            by=Actor.from_request(request),
            finding=finding,
            note=form.cleaned_data["note"].strip(),
            version=form.cleaned_data["version"],
        ),
        success=_("Returned to the pillar with your note."),
    )
    return redirect(back) if done else refused(request, back)


@capability_required(Capability.VERIVALI_VIEW)
def finding_photo(request, pk):
    """The photo of a finding, for the pillar who took it and for its reviewers."""
    user = request.user
    found = Finding.objects.none()
    if can(user, Capability.VERIVALI_REVIEW):
        found = Finding.objects.reviewable_by(user)
    if user.person_id and can(user, Capability.VERIVALI_RECORD):
        found = found | Finding.objects.filter(visit__person_id=user.person_id)
    finding = found.filter(pk=pk).select_related("visit__person").first()
    if finding is None or not finding.photo:
        raise Http404
    audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=finding,
        person=finding.visit.person,
        note="photo",
    )
    return FileResponse(finding.photo.open("rb"), content_type="image/jpeg")
