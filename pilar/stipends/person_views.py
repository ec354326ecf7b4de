"""Tali kasih month by month: a pillar's own months (on a phone), one person's months for the
office, and the office's arrears with the people behind each figure.

The lead's `stipends/urls.py` includes `person_patterns` in the `stipends` namespace.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, area_in_scope, area_scope
from pilar.accounts.decorators import capability_required
from pilar.audit.services import Actor, audited_file_response
from pilar.lib.exports import export_format
from pilar.lib.fields import SearchField
from pilar.lib.months import month_label
from pilar.lib.params import InputError, clean_text
from pilar.lib.views import refused
from pilar.regions.choices import AreaCodeField, area_choices
from pilar.regions.models import Area
from pilar.registry.models import Person, PillarKind, person_scope_q
from pilar.stipends import charts, failures
from pilar.stipends.access import office_wide
from pilar.stipends.arrears import (
    OUTSTANDING,
    AreaRow,
    OfficeArrears,
    Tally,
    arrears_of,
    office_arrears,
    owed_rows,
)
from pilar.stipends.eligibility import State, state_label

PAGE_SIZE = 50
FOLD_AT = 200  # more area rows than this are folded to the level below the one opened
LIST_PARAMS = ("q", "kind", "area", "state", "exact", "list", "page", "format")


# --- a pillar's months -----------------------------------------------------------------------


@capability_required(Capability.STIPENDS_OWN)
def mine(request):
    """Every month of the signed-in pillar's tali kasih, newest first: one small page."""
    if not request.user.person_id:
        raise PermissionDenied
    person = Person.objects.get(pk=request.user.person_id)
    return render(
        request,
        "stipends/mine.html",
        {
            "arrears": arrears_of(person),
            "own": True,
            "account_block": failures.account_blocks([person.pk]).get(person.pk),
        },
    )


@capability_required(Capability.STIPENDS_VIEW)
def person(request, person_id: int):
    """One person's months, for the office: as the pillar sees them, within the user's scope."""
    shown = get_object_or_404(
        Person.objects.filter(person_scope_q(request.user, Capability.STIPENDS_VIEW)),
        pk=person_id,
    )
    areas = area_scope(request.user, Capability.STIPENDS_VIEW)
    return render(
        request,
        "stipends/mine.html",
        {
            "arrears": arrears_of(shown, areas=areas),
            "own": False,
            "account_block": failures.account_blocks([shown.pk]).get(shown.pk),
            "may_confirm": office_wide(request.user, Capability.STIPENDS_VERIFY),
        },
    )


@require_POST
@capability_required(Capability.STIPENDS_VERIFY)
def confirm_account(request, person_id: int):
    """The treasurer confirms the account a failed transfer went to, with a reason (audited)."""
    if not office_wide(request.user, Capability.STIPENDS_VERIFY):
        raise PermissionDenied
    shown = get_object_or_404(
        Person.objects.filter(person_scope_q(request.user, Capability.STIPENDS_VIEW)),
        pk=person_id,
    )
    try:
        failures.account_confirm(
            by=Actor.from_request(request), person=shown, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):  # the reason: a 400 naming it, nothing saved
            field = next(iter(exc.message_dict))
            raise InputError(field, " ".join(exc.messages)) from None
        messages.error(request, " ".join(exc.messages))  # nothing (left) to confirm
        return refused(request, "stipends:person", person_id=shown.pk)
    messages.success(request, _("Account confirmed: payment to it is allowed again."))
    return redirect("stipends:person", person_id=shown.pk)


# --- the office's arrears --------------------------------------------------------------------


def state_choices():
    return [
        ("", _("All outstanding")),
        ("payable", _("Owed and payable (waiting for a batch or in one)")),
        (State.BLOCKED, state_label(State.BLOCKED)),
        (State.ELIGIBLE, state_label(State.ELIGIBLE)),
        (State.IN_PROCESS, state_label(State.IN_PROCESS)),
    ]


class ArrearsFilterForm(forms.Form):
    q = SearchField(
        label=gettext_lazy("Name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("a name")}),
    )
    kind = forms.ModelChoiceField(
        label=gettext_lazy("Kind"),
        queryset=PillarKind.objects.filter(stipend_rates__isnull=False).distinct(),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("All kinds"),
    )
    # A code, not a choice: a figure's link may name a kelurahan the list leaves out when an
    # area has too many to pick from; what matters is that it lies within the user's scope.
    area = AreaCodeField(label=gettext_lazy("Area"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    exact = forms.BooleanField(
        label=gettext_lazy("Only duties held at the area itself (a TKSK's kecamatan, the city)"),
        required=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["area"].widget.choices = [
            ("", _("All areas")),
            *area_choices(user, Capability.STIPENDS_VIEW),
        ]
        self.fields["state"].choices = state_choices()

    def clean_area(self) -> Area | None:
        area = self.cleaned_data["area"]
        if area is not None and not area_in_scope(self.user, Capability.STIPENDS_VIEW, area):
            raise forms.ValidationError(_("Choose an area from the list."))
        return area


def owed_url(**params) -> str:
    """The list of people and months behind a figure."""
    params = {k: v for k, v in params.items() if v}
    return reverse("stipends:arrears") + "?" + urlencode(params or {"list": "1"})


@capability_required(Capability.STIPENDS_VIEW)
def arrears(request):
    """The office's months outstanding by kind and area, the delay of payment and the money
    against the budget; with a filter, the people and months behind a figure."""
    form = ArrearsFilterForm(request.GET or None, user=request.user)
    today = timezone.localdate()
    listing = any(request.GET.get(k) for k in LIST_PARAMS)
    if listing and not form.is_valid():
        # A filter that cannot be applied must not widen the list to everyone.
        return render(request, "stipends/arrears.html", {"form": form, "listing": True})
    if listing:
        return _owed_list(request, form, today)
    office = office_arrears(request.user, as_of=today)
    opened = None
    code = clean_text((request.GET.get("open") or "").strip(), "open", max_length=13)
    if code:
        opened = Area.objects.filter(code=code).first()
        if opened is None or not area_in_scope(request.user, Capability.STIPENDS_VIEW, opened):
            return HttpResponseBadRequest(_("open: choose an area from the table."))
    context = office_context(office, linked=True)
    context.update(area_table(office, opened))
    return render(request, "stipends/arrears.html", {"form": form, "listing": False, **context})


def _ancestor(code: str, level: int) -> str:
    """The code of the area at `level` above or at the area of `code` (codes are dotted)."""
    return ".".join(code.split(".")[:level])


def area_table(office: OfficeArrears, opened: Area | None) -> dict:
    """The area table, folded like a tree: the rows within `opened` (everything when None),
    as they are when there are at most FOLD_AT of them, otherwise added up to the level below
    `opened` (provinces at the top), each with a link opening it. Every figure links to the
    rows behind it; the footer adds up the rows shown."""
    kinds = office.kinds
    rows = office.by_area
    if opened is not None:
        prefix = opened.code + "."
        rows = [r for r in rows if r.area.code == opened.code or r.area.code.startswith(prefix)]
    if len(rows) > FOLD_AT:
        level = (opened.level if opened is not None else 0) + 1
        while (
            level < Area.Level.KELURAHAN and len({_ancestor(r.area.code, level) for r in rows}) == 1
        ):
            level += 1  # one area alone at a level is opened at once
        groups: dict[str, AreaRow] = {}
        for r in rows:
            code = _ancestor(r.area.code, level)
            group = groups.get(code)
            if group is None:
                cells = [Tally() for _k in kinds]
                group = groups[code] = AreaRow(None, cells, Tally())
            for into, tally in zip([*group.cells, group.total], [*r.cells, r.total], strict=True):
                into.merge(tally)
        for area in Area.objects.filter(code__in=list(groups)):
            groups[area.code].area = area
        rows = [groups[code] for code in sorted(groups)]
    else:
        level = Area.Level.KELURAHAN + 1  # nothing folded
    shown = []
    cells_total = [Tally() for _k in kinds]
    total = Tally()
    for row in rows:
        # A folded row stands for its area and everything below it; a plain row for the
        # duties held at that very area.
        folded = row.area.level == level
        where = {"area": row.area.code} if folded else _area(row.area)
        shown.append(
            {
                "area": row.area,
                "open": folded and row.area.level < Area.Level.KELURAHAN,
                "cells": [
                    {"tally": tally, "links": _links(True, kind=kind.code, **where)}
                    for kind, tally in zip(kinds, row.cells, strict=True)
                ],
                "total": {"tally": row.total, "links": _links(True, **where)},
            }
        )
        for into, tally in zip([*cells_total, total], [*row.cells, row.total], strict=True):
            into.merge(tally)
    if opened is None:
        return {"rows": shown, "opened": None}
    where = {"area": opened.code}
    return {
        "rows": shown,
        "opened": opened,
        "parent": opened.parent if opened.parent_id else None,
        "foot_kinds": [
            {"kind": kind, "tally": tally, "links": _links(True, kind=kind.code, **where)}
            for kind, tally in zip(kinds, cells_total, strict=True)
        ],
        "foot_total": {"tally": total, "links": _links(True, **where)},
    }


def office_context(office: OfficeArrears, *, linked: bool) -> dict:
    """What the arrears page and the dashboard show of `office`: the tables with the links to
    the rows behind each figure (when `linked`), the bars."""
    kinds = office.kinds
    scale = max((t.total for t in office.by_kind), default=0)
    by_kind = [
        {
            "kind": kind,
            "tally": tally,
            "links": _links(linked, kind=kind.code),
            "split": _split(tally, _links(linked, kind=kind.code)),
            "segments": charts.owed_segments(tally, scale),
        }
        for kind, tally in zip(kinds, office.by_kind, strict=True)
    ]
    return {
        "office": office,
        "by_kind": by_kind,
        "total": {"tally": office.total, "links": _links(linked)},
        "money_bars": charts.money_bars(office.money),
        "first_label": month_label(office.first_month) if office.first_month else "",
        "last_label": month_label(office.last_month),
        "linked": linked,
    }


def _area(area: Area) -> dict[str, str]:
    """A row of the area table counts the duties held at that very area: a kecamatan's row is
    its TKSK, not its kelurahan's PSM too."""
    exact = "1" if area.level < Area.Level.KELURAHAN else ""
    return {"area": area.code, "exact": exact}


def _split(tally: Tally, links: dict[str, str] | None) -> list[tuple]:
    """(state, label, months, link) for each state of a figure."""
    labels = {
        State.BLOCKED: _("blocked"),
        State.ELIGIBLE: _("waiting for a batch"),
        State.IN_PROCESS: _("in a batch"),
    }
    return [
        (state, labels[state], getattr(tally, state), links and links[state])
        for state in OUTSTANDING
    ]


def _links(linked: bool, **params) -> dict[str, str] | None:
    if not linked:
        return None
    return {
        "all": owed_url(**params),
        "payable": owed_url(**params, state="payable"),
        **{state: owed_url(**params, state=state) for state in OUTSTANDING},
    }


def _owed_list(request, form, today):
    filters = form.cleaned_data
    rows = owed_rows(
        request.user,
        as_of=today,
        kind=filters["kind"],
        area=filters["area"],
        exact=filters["exact"],
        state=filters["state"] or None,
        q=filters["q"],
    )
    fmt = export_format(request)
    if fmt:
        return _export(request, rows, fmt)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "stipends/arrears.html",
        {
            "form": form,
            "listing": True,
            "page": page,
            "people": len({r.person_id for r in rows}),
            "months": sum(len(r.months) for r in rows),
            "amount": sum(r.amount for r in rows),
            "query": query.urlencode(),
        },
    )


def _export(request, rows, fmt: str):
    """One row per month owed; names and reasons are personal data: the download is logged."""
    headers = [
        _("Pillar"),
        _("Kind"),
        _("Area"),
        _("Month"),
        _("State"),
        _("Why"),
        _("Days since the month ended"),
        _("Amount (Rp)"),
    ]
    out = [
        [
            r.name,
            r.kind.name,
            r.area.name,
            m.month,
            m.state_label,
            " ".join(m.reasons),
            m.days,
            m.amount,
        ]
        for r in rows
        for m in r.months
    ]
    return audited_file_response(
        request,
        fmt,
        f"tali-kasih-arrears-{timezone.localdate().isoformat()}",
        headers,
        out,
        object_type="stipends.stipendline",
    )


person_patterns = [
    path("mine/", mine, name="mine"),
    path("people/<int:person_id>/", person, name="person"),
    path("people/<int:person_id>/confirm-account/", confirm_account, name="confirm-account"),
    path("arrears/", arrears, name="arrears"),
]
