"""KUBE pages. Views check access, load through the scoped querysets, call the services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pilar.accounts.access import Capability
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.services import Actor
from pilar.casework.models import Activity
from pilar.kube import services
from pilar.kube.access import may_edit, may_record
from pilar.kube.chart import monthly_chart
from pilar.kube.forms import (
    AidCorrectForm,
    AidForm,
    CompanionForm,
    GroupFilterForm,
    GroupForm,
    MemberForm,
    MemberRemoveForm,
    NoteForm,
    RecordCorrectForm,
    RecordForm,
    ReverseForm,
)
from pilar.kube.models import KubeAid, KubeGroup, KubeMember, KubeMonthlyRecord
from pilar.kube.selectors import group_sections, listed_groups
from pilar.lib.exports import export_format, file_response
from pilar.lib.views import attempt, form_page

PAGE_SIZE = 50
ACTIVITIES_SHOWN = 50


def _size_problem(group) -> str:
    return KubeGroup.size_problem(group.member_count)


@capability_required(Capability.KUBE_VIEW)
def group_list(request):
    form = GroupFilterForm(request.GET or None, user=request.user)
    groups = form.filter(listed_groups(request.user))
    if form.is_bound and not form.is_valid():
        groups = groups.none()  # a filter that cannot be applied must not widen the list
    fmt = export_format(request)
    if fmt:
        return _export(groups, fmt)
    page = Paginator(groups, PAGE_SIZE).get_page(request.GET.get("page"))
    for group in page:
        group.size_problem = _size_problem(group)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "kube/group_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_edit": may_edit(request.user),
        },
    )


EXPORT_HEADERS = [
    "name",
    "kecamatan",
    "kelurahan",
    "kelurahan_code",
    "business_type",
    "founded_on",
    "stage",
    "status",
    "members",
    "companion",
    "size_warning",
]


def _export(groups, fmt: str):
    def rows():
        for g in groups.iterator(chunk_size=500):
            problem = _size_problem(g)
            yield [
                g.name,
                g.area.parent.name if g.area.parent else "",
                g.area.name,
                g.area.code,
                g.business_type,
                g.founded_on,
                g.get_stage_display(),
                g.get_status_display(),
                g.member_count,
                g.companion_name or "",
                SIZE_TEXT[problem]() if problem else "",
            ]

    return file_response(fmt, "kube-groups", EXPORT_HEADERS, rows())


SIZE_TEXT = {
    "small": lambda: _("fewer than 5 members"),
    "large": lambda: _("more than 20 members"),
}


def _row_forms(entry, *, prefix: str, correct_form, initial: dict, failed) -> None:
    """The correct and reverse forms of one entry in force (the failed one bound, in place)."""
    key = (prefix, entry.pk)
    entry.correct_form = (
        failed[2]
        if failed and failed[:2] == key and failed[3] == "correct"
        else correct_form(initial=initial, auto_id=f"{prefix}{entry.pk}-%s")
    )
    entry.reverse_form = (
        failed[2]
        if failed and failed[:2] == key and failed[3] == "reverse"
        else ReverseForm(auto_id=f"{prefix}{entry.pk}-rev-%s")
    )
    entry.open_fix = bool(failed and failed[:2] == key)


def _group_context(request, group: KubeGroup, *, failed=None, **forms) -> dict:
    """`failed`: (prefix, pk, bound form, "correct" or "reverse") of a correction refused."""
    sections = group_sections(group)
    current, companions, records = (
        sections["members"],
        sections["companions"],
        sections["records_in_force"],
    )
    edit = may_edit(request.user)
    record = may_record(request.user, group)
    context = {
        "group": group,
        **sections,
        "size_problem": KubeGroup.size_problem(len(current)),
        "companion": next((c for c in companions if c.end_date is None), None),
        "notes": group.notes.select_related("created_by"),
        "record_totals": {
            "turnover": sum(r.turnover for r in records),
            "savings": sum(r.savings for r in records),
        },
        "chart": monthly_chart(records),
        "activities": Activity.objects.visible_to(request.user)
        .current()
        .filter(kube_group=group)
        .select_related("person", "activity_type")[:ACTIVITIES_SHOWN],
        "can_edit": edit,
        "can_record": record,
    }
    if edit:
        context["member_form"] = forms.get("member_form") or MemberForm(
            group=group, user=request.user
        )
        context["remove_form"] = forms.get("remove_form") or MemberRemoveForm(
            initial={"left_on": services._today()}
        )
        context["companion_form"] = forms.get("companion_form") or CompanionForm(group=group)
        context["aid_form"] = forms.get("aid_form") or AidForm()
        for a in sections["aid_in_force"]:
            _row_forms(
                a,
                prefix="aid",
                correct_form=AidCorrectForm,
                initial={f: getattr(a, f) for f in ("date", "source", "form", "value")}
                | {"description": a.description},
                failed=failed,
            )
    if record:
        context["note_form"] = forms.get("note_form") or NoteForm()
        context["record_form"] = forms.get("record_form") or RecordForm()
        for r in sections["records_in_force"]:
            _row_forms(
                r,
                prefix="record",
                correct_form=RecordCorrectForm,
                initial={"turnover": r.turnover, "savings": r.savings},
                failed=failed,
            )
    context["open_form"] = next(iter(forms), "")
    if failed:
        # Shown above the section's table too: the entry may no longer offer its forms.
        context[f"{failed[0]}_fix_errors"] = [
            message for messages_ in failed[2].errors.values() for message in messages_
        ]
    return context


def _visible_group(request, pk: int) -> KubeGroup:
    return get_object_or_404(
        KubeGroup.objects.visible_to(request.user).select_related("area__parent"), pk=pk
    )


@capability_required(Capability.KUBE_VIEW)
def group_detail(request, pk: int):
    group = _visible_group(request, pk)
    return render(request, "kube/group_detail.html", _group_context(request, group))


@capability_required(Capability.KUBE_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def group_create(request):
    form = GroupForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.kube_group_create(by=Actor.from_request(request), data=data),
        success=lambda group: _("The group %(name)s has been added.") % {"name": group},
        then=lambda group: reverse("kube:group-detail", args=[group.pk]),
        template="kube/group_form.html",
        context={"group": None},
    )


@capability_required(Capability.KUBE_EDIT)
@require_http_methods(["GET", "POST"])
def group_edit(request, pk: int):
    group = get_object_or_404(KubeGroup.objects.editable_by(request.user), pk=pk)
    form = GroupForm(request.POST or None, instance=group, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.kube_group_update(
            by=Actor.from_request(request), group=KubeGroup.objects.get(pk=pk), data=data
        ),
        success=_("Changes saved."),
        then=lambda group: reverse("kube:group-detail", args=[pk]),
        template="kube/group_form.html",
        context={"group": group},
    )


def _group_to_act_on(request, pk: int, *, edit: bool) -> KubeGroup:
    """The group an action is on: 404 outside the user's scope, 403 without the right (to edit
    the group, or to record for it)."""
    group = _visible_group(request, pk)
    allowed = may_edit(request.user) if edit else may_record(request.user, group)
    if not allowed:
        raise PermissionDenied
    if edit and not KubeGroup.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return group


def _action(request, pk: int, *, form_name: str, form, call, done: str, edit: bool):
    """One POST action on a group: 404 outside scope, 403 without the right, the service's
    refusal shown on the group page beside the form (status 400), else back to the page."""
    group = _group_to_act_on(request, pk, edit=edit)
    form = form(group)
    if form.is_valid() and attempt(
        request, lambda: call(group, form.cleaned_data), form=form, success=done
    ):
        return redirect("kube:group-detail", pk)
    messages.error(request, _("Nothing was saved; see the form below."))
    context = _group_context(request, group, **{form_name: form})
    return render(request, "kube/group_detail.html", context, status=400)


@require_POST
@capability_required(Capability.KUBE_EDIT)
def member_add(request, pk: int):
    by = Actor.from_request(request)
    return _action(
        request,
        pk,
        form_name="member_form",
        form=lambda g: MemberForm(request.POST, group=g, user=request.user),
        call=lambda g, d: services.kube_member_add(by=by, group=g, **d),
        done=_("The household has been added to the group."),
        edit=True,
    )


@require_POST
@capability_required(Capability.KUBE_EDIT)
def member_remove(request, pk: int):
    member = get_object_or_404(
        KubeMember.objects.filter(group__in=KubeGroup.objects.visible_to(request.user)), pk=pk
    )
    by = Actor.from_request(request)
    return _action(
        request,
        member.group_id,
        form_name="remove_form",
        form=lambda g: MemberRemoveForm(request.POST),
        call=lambda g, d: services.kube_member_remove(
            by=by, member=member, left_on=d["left_on"], reason=d["reason"]
        ),
        done=_("The household has left the group; the membership stays in its history."),
        edit=True,
    )


@require_POST
@capability_required(Capability.KUBE_EDIT)
def companion_set(request, pk: int):
    by = Actor.from_request(request)
    return _action(
        request,
        pk,
        form_name="companion_form",
        form=lambda g: CompanionForm(request.POST, group=g),
        call=lambda g, d: services.kube_companion_set(by=by, group=g, **d),
        done=_("The companion has been set."),
        edit=True,
    )


@require_POST
@capability_required(Capability.KUBE_EDIT)
@submit_once
def aid_add(request, pk: int):
    by = Actor.from_request(request)
    return _action(
        request,
        pk,
        form_name="aid_form",
        form=lambda g: AidForm(request.POST),
        call=lambda g, d: services.kube_aid_add(by=by, group=g, **d),
        done=_("The aid has been recorded."),
        edit=True,
    )


@require_POST
@capability_required(Capability.KUBE_VIEW)
@submit_once
def note_add(request, pk: int):
    by = Actor.from_request(request)
    return _action(
        request,
        pk,
        form_name="note_form",
        form=lambda g: NoteForm(request.POST),
        call=lambda g, d: services.kube_note_add(by=by, group=g, **d),
        done=_("The note has been added."),
        edit=False,
    )


@require_POST
@capability_required(Capability.KUBE_VIEW)
def record_add(request, pk: int):
    by = Actor.from_request(request)
    return _action(
        request,
        pk,
        form_name="record_form",
        form=lambda g: RecordForm(request.POST),
        call=lambda g, d: services.kube_record_add(by=by, group=g, **d),
        done=_("The month has been recorded."),
        edit=False,
    )


def _correction(request, entry, *, prefix: str, form, call, done: str, edit: bool, kind: str):
    """A correction or reversal of one entry: as `_action`, the refusal shown on the entry's
    own row (status 400), nothing changed."""
    group = _group_to_act_on(request, entry.group_id, edit=edit)
    form = form(request.POST, auto_id=f"{prefix}{entry.pk}-%s")
    if form.is_valid() and attempt(
        request, lambda: call(group, form.cleaned_data), form=form, success=done
    ):
        return redirect("kube:group-detail", group.pk)
    messages.error(request, _("Nothing was saved; see the form below."))
    context = _group_context(request, group, failed=(prefix, entry.pk, form, kind))
    return render(request, "kube/group_detail.html", context, status=400)


def _aid_entry(request, pk: int) -> KubeAid:
    return get_object_or_404(
        KubeAid.objects.filter(group__in=KubeGroup.objects.visible_to(request.user)), pk=pk
    )


def _record_entry(request, pk: int) -> KubeMonthlyRecord:
    return get_object_or_404(
        KubeMonthlyRecord.objects.filter(group__in=KubeGroup.objects.visible_to(request.user)),
        pk=pk,
    )


@require_POST
@capability_required(Capability.KUBE_EDIT)
@submit_once
def aid_correct(request, pk: int):
    aid, by = _aid_entry(request, pk), Actor.from_request(request)
    return _correction(
        request,
        aid,
        prefix="aid",
        form=AidCorrectForm,
        call=lambda g, d: services.kube_aid_correct(by=by, group=g, aid=aid, **d),
        done=_("The aid entry has been corrected; the original stays in the list."),
        edit=True,
        kind="correct",
    )


@require_POST
@capability_required(Capability.KUBE_EDIT)
@submit_once
def aid_reverse(request, pk: int):
    aid, by = _aid_entry(request, pk), Actor.from_request(request)
    return _correction(
        request,
        aid,
        prefix="aid",
        form=ReverseForm,
        call=lambda g, d: services.kube_aid_reverse(by=by, group=g, aid=aid, **d),
        done=_("The aid entry has been reversed; it no longer counts in the total."),
        edit=True,
        kind="reverse",
    )


@require_POST
@capability_required(Capability.KUBE_VIEW)
@submit_once
def record_correct(request, pk: int):
    record, by = _record_entry(request, pk), Actor.from_request(request)
    return _correction(
        request,
        record,
        prefix="record",
        form=RecordCorrectForm,
        call=lambda g, d: services.kube_record_correct(by=by, group=g, record=record, **d),
        done=_("The month has been corrected; the original stays in the list."),
        edit=False,
        kind="correct",
    )


@require_POST
@capability_required(Capability.KUBE_VIEW)
@submit_once
def record_reverse(request, pk: int):
    record, by = _record_entry(request, pk), Actor.from_request(request)
    return _correction(
        request,
        record,
        prefix="record",
        form=ReverseForm,
        call=lambda g, d: services.kube_record_reverse(by=by, group=g, record=record, **d),
        done=_("The month has been reversed; it can be recorded again."),
        edit=False,
        kind="reverse",
    )
