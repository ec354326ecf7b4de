"""KUBE pages. Views check access, load through the scoped querysets, call the services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pilar.accounts.access import Capability
from pilar.accounts.decorators import capability_required
from pilar.audit.services import Actor
from pilar.casework.models import Activity
from pilar.core.once import submit_once
from pilar.kube import services
from pilar.kube.access import may_edit, may_record
from pilar.kube.chart import monthly_chart
from pilar.kube.forms import (
    AidForm,
    CompanionForm,
    GroupFilterForm,
    GroupForm,
    MemberForm,
    MemberRemoveForm,
    NoteForm,
    RecordForm,
)
from pilar.kube.models import KubeGroup, KubeMember
from pilar.kube.selectors import group_sections, listed_groups
from pilar.lib.exports import file_response
from pilar.lib.views import apply_errors

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
    fmt = request.GET.get("format")
    if fmt in {"xlsx", "csv"}:
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


def _group_context(request, group: KubeGroup, **forms) -> dict:
    sections = group_sections(group)
    current, companions, records = (
        sections["members"],
        sections["companions"],
        sections["records"],
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
    if record:
        context["note_form"] = forms.get("note_form") or NoteForm()
        context["record_form"] = forms.get("record_form") or RecordForm()
    context["open_form"] = next(iter(forms), "")
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
    if request.method == "POST" and form.is_valid():
        try:
            group = services.kube_group_create(
                by=Actor.from_request(request), data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The group %(name)s has been added.") % {"name": group})
            return redirect("kube:group-detail", group.pk)
    return render(request, "kube/group_form.html", {"form": form, "group": None})


@capability_required(Capability.KUBE_EDIT)
@require_http_methods(["GET", "POST"])
def group_edit(request, pk: int):
    group = get_object_or_404(KubeGroup.objects.editable_by(request.user), pk=pk)
    form = GroupForm(request.POST or None, instance=group, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.kube_group_update(
                by=Actor.from_request(request),
                group=KubeGroup.objects.get(pk=pk),
                data=form.cleaned_data,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("kube:group-detail", pk)
    return render(request, "kube/group_form.html", {"form": form, "group": group})


def _action(request, pk: int, *, form_name: str, form, call, done: str, edit: bool):
    """One POST action on a group: 404 outside scope, 403 without the right, the service's
    refusal shown on the group page beside the form (status 400), else back to the page."""
    group = _visible_group(request, pk)
    allowed = may_edit(request.user) if edit else may_record(request.user, group)
    if not allowed:
        raise PermissionDenied
    if edit and not KubeGroup.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    form = form(group)
    if form.is_valid():
        try:
            call(group, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
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
