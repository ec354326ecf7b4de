"""Equipment pages: the catalog with its stock figures, stock received, BASTs (by hand or from
a training event's attendance), returns, who holds what, the returns-due reminder list, and a
person's own equipment (phone-first)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pilar.accounts.access import Capability, can, office_wide
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.services import Actor, audited_file_response
from pilar.equipment import corrections, exports, returns, services
from pilar.equipment.access import people_in_scope
from pilar.equipment.bast_pdf import bast_pdf
from pilar.equipment.forms import (
    MAX_FORM_LINES,
    BastForm,
    CatalogFilterForm,
    FromEventForm,
    HandoverFilterForm,
    HandoverLineFormSet,
    HoldingFilterForm,
    ItemForm,
    LineCorrectionForm,
    ReceiptForm,
    RepairForm,
    ReturnCorrectionForm,
    ReturnFilterForm,
    ReturnForm,
    ReturnPersonForm,
    WitnessFormSet,
    line_formset,
    raw_rows,
    witness_formset,
)
from pilar.equipment.models import Handover, HandoverLine, Item, Return
from pilar.equipment.selectors import (
    HandoverFilter,
    HoldingFilter,
    ReturnFilter,
    catalog,
    handover_lines,
    holdings,
    item_figures,
    matching_handovers,
    matching_returns,
    person_holdings,
    returns_due,
    stock_of,
    with_latest_bast,
)
from pilar.lib import params
from pilar.lib.views import attempt, form_page, list_page, page_status
from pilar.registry.models import Person, person_scope_q


def _listing(request, form, select, *, personal: str = "", **kwargs):
    """A list page of equipment (`list_page`); a list of people's records names their kind in
    `personal` (an object type): each download of it is then audited."""
    if personal:
        kwargs["download"] = lambda *file: audited_file_response(
            request, *file, object_type=personal
        )
    return list_page(request, form, select, **kwargs)


# --- catalog -------------------------------------------------------------------------------------


@capability_required(Capability.EQUIPMENT_VIEW)
def catalog_view(request):
    form = CatalogFilterForm(request.GET or None, user=request.user)
    return _listing(
        request,
        form,
        lambda: catalog(form.catalog_filter(), request.user),
        name="equipment-catalog",
        headers=exports.catalog_headers(),
        export=exports.catalog_rows,
        template="equipment/catalog.html",
    )


def _item_form_page(request, form, item=None):
    return render(
        request,
        "equipment/item_form.html",
        {"form": form, "item": item},
        status=page_status(request),
    )


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
def item_create(request):
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: services.item_create(by=Actor.from_request(request), **form.cleaned_data),
            form=form,
            success=lambda item: _("%(item)s is in the catalog.") % {"item": item.name},
        )
        if done:
            return redirect("equipment:item-detail", done.result.pk)
    return _item_form_page(request, form)


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
def item_edit(request, pk: int):
    item = get_object_or_404(Item.objects.visible_to(request.user), pk=pk)
    initial = {f: getattr(item, f) for f in services.ITEM_FIELDS}
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: services.item_update(
                by=Actor.from_request(request), item=item, **form.cleaned_data
            ),
            form=form,
            success=_("The item has been saved."),
        )
        if done:
            return redirect("equipment:item-detail", item.pk)
    return _item_form_page(request, form, item)


@capability_required(Capability.EQUIPMENT_VIEW)
def item_detail(request, pk: int):
    item = get_object_or_404(Item.objects.visible_to(request.user), pk=pk)
    user = request.user
    return render(
        request,
        "equipment/item_detail.html",
        {
            "item": item,
            "figures": item_figures([item.pk])[item.pk],
            "receipts": item.receipts.order_by("-received_on", "-pk"),
            "repairs": item.repairs.order_by("-done_on", "-pk")[:200],
            "holders": list(with_latest_bast(holdings(user, HoldingFilter(item=item))[:200])),
            "returns": matching_returns(user, ReturnFilter(item=item))[:200],
        },
    )


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def receipt_create(request):
    form = ReceiptForm(
        request.POST or None, initial={"item": request.GET.get("item")}, user=request.user
    )
    return form_page(
        request,
        form,
        lambda data: services.stock_receive(by=Actor.from_request(request), **data),
        success=lambda receipt: (
            _("%(n)s %(unit)s of %(item)s received.")
            % {"n": receipt.quantity, "unit": receipt.item.unit, "item": receipt.item.name}
        ),
        then=lambda receipt: reverse("equipment:item-detail", args=[receipt.item_id]),
        template="equipment/receipt_form.html",
    )


# --- handovers -----------------------------------------------------------------------------------


@capability_required(Capability.EQUIPMENT_VIEW)
def handover_list(request):
    form = HandoverFilterForm(request.GET or None, user=request.user)
    return _listing(
        request,
        form,
        lambda: matching_handovers(request.user, form.handover_filter()),
        name="bast",
        headers=exports.handover_headers(),
        export=exports.handover_rows,
        template="equipment/handover_list.html",
    )


def _grown(request, form_class, form=None):
    """The BAST form as typed, with one more empty line (or witness) when the "add" button was
    pressed: shown again unvalidated, nothing saved. Works without JavaScript."""
    post = request.POST
    lines = HandoverLineFormSet(post, prefix="lines", form_kwargs={"user": request.user})
    witnesses = _witness_formset(post)
    line_rows, witness_rows = raw_rows(lines), raw_rows(witnesses)
    full = None
    if "add_line" in post:
        if len(line_rows) < MAX_FORM_LINES:
            line_rows.append({})
        else:
            full = lines.error_messages["too_many_forms"]
    if "add_witness" in post:
        if len(witness_rows) < witnesses.max_num:
            witness_rows.append({})
        else:
            full = witnesses.error_messages["too_many_forms"]
    bound = form_class(post, user=request.user)
    form = form_class(
        initial={name: bound[name].value() for name in bound.fields}, user=request.user
    )
    return {
        "form": form,
        "lines": line_formset(extra=0)(
            initial=line_rows, prefix="lines", form_kwargs={"user": request.user}
        ),
        "witnesses": witness_formset(extra=0)(initial=witness_rows, prefix="witnesses"),
        "full": full,
    }


def _adding(request) -> bool:
    return request.method == "POST" and (
        "add_line" in request.POST or "add_witness" in request.POST
    )


def _witness_formset(data):
    """The witnesses typed; a post with no witness field at all (a script, an older page) has
    none, rather than a missing-form error."""
    if data is not None and not any(key.startswith("witnesses-") for key in data):
        data = data.copy()
        data.update({"witnesses-TOTAL_FORMS": "0", "witnesses-INITIAL_FORMS": "0"})
    return WitnessFormSet(data, prefix="witnesses")


def _witness_pairs(witnesses) -> list:
    return [pair for f in witnesses if (pair := f.pair())]


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def handover_create(request):
    if _adding(request):
        return render(request, "equipment/handover_form.html", _grown(request, BastForm))
    data = request.POST or None
    form = BastForm(data, user=request.user)
    lines = HandoverLineFormSet(data, prefix="lines", form_kwargs={"user": request.user})
    witnesses = _witness_formset(data)
    if request.method == "POST" and all([form.is_valid(), lines.is_valid(), witnesses.is_valid()]):
        chosen = [line for f in lines if (line := f.line())]
        done = attempt(
            request,
            lambda: services.handover_create(
                by=Actor.from_request(request),
                lines=chosen,
                witnesses=_witness_pairs(witnesses),
                **form.cleaned_data,
            ),
            form=form,
            success=lambda handover: _("BAST %(number)s recorded.") % {"number": handover.number},
        )
        if done:
            return redirect("equipment:handover-detail", done.result.pk)
    return render(
        request,
        "equipment/handover_form.html",
        {"form": form, "lines": lines, "witnesses": witnesses},
        status=page_status(request),
    )


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
def handover_from_event(request):
    """Choose the event, the items and how many each; see who and how many; then create."""
    if _adding(request):
        context = _grown(request, FromEventForm)
        return render(request, "equipment/handover_from_event.html", context)
    form = FromEventForm(
        request.POST or None, initial={"event": request.GET.get("event")}, user=request.user
    )
    witnesses = _witness_formset(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid() and witnesses.is_valid():
        event = form.cleaned_data["event"]
        items = form.chosen_items()
        bast = {k: v for k, v in form.cleaned_data.items() if k in BastForm.base_fields}
        bast["witnesses"] = _witness_pairs(witnesses)
        if "confirm" in request.POST:
            done = attempt(
                request,
                lambda: services.handover_from_event(
                    by=Actor.from_request(request), event=event, items=items, **bast
                ),
                form=form,
                success=lambda handover: (
                    _("BAST %(number)s recorded for %(n)s attendees.")
                    % {
                        "number": handover.number,
                        "n": handover.lines.values("person").distinct().count(),
                    }
                ),
            )
            if done:
                return redirect("equipment:handover-detail", done.result.pk)
        attendees, refusals = services.handover_from_event_preview(
            event, items, bast.get("handed_on")
        )
        refusals = {
            **refusals,
            "witnesses": services.witness_errors(bast["witnesses"]),
        }
        stock = stock_of([item.pk for item, _q in items])
        preview = {
            "event": event,
            "attendees": attendees,
            "items": [
                {
                    "item": item,
                    "each": each,
                    "total": each * len(attendees),
                    "in_stock": stock[item.pk],
                }
                for item, each in items
            ],
            # What recording it would refuse (the stock on the handover's date included).
            "refusals": [m for messages in refusals.values() for m in messages],
        }
    return render(
        request,
        "equipment/handover_from_event.html",
        {"form": form, "witnesses": witnesses, "preview": preview},
        # A preview asked for is a 200; a form that does not parse, or a confirmation the
        # service refused (one that went through has redirected), is a 400 like any refusal.
        status=400
        if request.method == "POST" and (preview is None or "confirm" in request.POST)
        else 200,
    )


def _visible_handover(request, pk: int) -> Handover:
    return get_object_or_404(
        Handover.objects.visible_to(request.user).select_related("training_event__course"), pk=pk
    )


@capability_required(Capability.EQUIPMENT_VIEW)
def handover_detail(request, pk: int):
    handover = _visible_handover(request, pk)
    lines, hidden = handover_lines(handover, request.user)
    whole = office_wide(request.user, Capability.EQUIPMENT_VIEW)
    return render(
        request,
        "equipment/handover_detail.html",
        {"handover": handover, "lines": lines, "hidden_count": hidden, "may_print": whole},
    )


@capability_required(Capability.EQUIPMENT_VIEW)
def handover_pdf(request, pk: int):
    """The BAST lists every receiver: printed by those who see the whole of it (the office)."""
    handover = _visible_handover(request, pk)
    if not office_wide(request.user, Capability.EQUIPMENT_VIEW):
        raise PermissionDenied
    response = HttpResponse(bast_pdf(handover), content_type="application/pdf")
    filename = handover.number.replace("/", "-")
    response["Content-Disposition"] = f'inline; filename="BAST-{filename}.pdf"'
    return response


# --- returns and holdings ------------------------------------------------------------------------


@capability_required(Capability.EQUIPMENT_VIEW)
def return_list(request):
    form = ReturnFilterForm(request.GET or None, user=request.user)
    return _listing(
        request,
        form,
        lambda: matching_returns(request.user, form.return_filter()),
        name="equipment-returns",
        personal="equipment.return",
        headers=exports.return_headers(),
        export=exports.return_rows,
        template="equipment/return_list.html",
    )


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def return_create(request):
    """First choose who returns; then their holdings are shown and one item is returned."""
    person_id = params.parse_id(request.POST.get("person") or request.GET.get("person"), "person")
    people = Person.objects.filter(person_scope_q(request.user, Capability.EQUIPMENT_EDIT))
    person = people.filter(pk=person_id).first() if person_id is not None else None
    if person is None:
        # Chosen from the list (an id, above) or, in a large registry, given by NIK.
        person_form = ReturnPersonForm(request.GET or None, user=request.user)
        if not (person_form.is_bound and person_form.is_valid()):
            return render(request, "equipment/return_form.html", {"person_form": person_form})
        person = person_form.cleaned_data["person"]
    held = person_holdings(person)
    form = ReturnForm(
        request.POST or None,
        held_items=[h["item_id"] for h in held],
        initial={"person": person.pk, "item": request.GET.get("item")},
        user=request.user,
    )
    return form_page(
        request,
        form,
        lambda data: returns.return_record(
            by=Actor.from_request(request),
            person=person,
            **{k: v for k, v in data.items() if k != "person"},
        ),
        success=_("The return has been recorded."),
        then=lambda _saved: reverse("equipment:person", args=[person.pk]),
        template="equipment/return_form.html",
        context={"person": person, "held": held},
    )


def _holdings_listing(request, *, due: bool):
    form = HoldingFilterForm(request.GET or None, user=request.user)
    select = returns_due if due else holdings
    return _listing(
        request,
        form,
        lambda: select(request.user, form.holding_filter()),
        name="equipment-returns-due" if due else "equipment-holdings",
        personal="equipment.handoverline",
        headers=exports.holding_headers(left=due),
        export=lambda r: exports.holding_rows(r, left=due),
        template="equipment/holdings.html",
        context={"due": due},
        shown=with_latest_bast,
    )


@capability_required(Capability.EQUIPMENT_VIEW)
def holdings_view(request):
    return _holdings_listing(request, due=False)


@capability_required(Capability.EQUIPMENT_VIEW)
def returns_due_view(request):
    return _holdings_listing(request, due=True)


# --- one person's equipment ----------------------------------------------------------------------


def _person_page(request, person: Person, *, own: bool):
    handovers = matching_handovers(request.user, HandoverFilter(person=person))
    return render(
        request,
        "equipment/person.html",
        {
            "person": person,
            "own": own,
            "held": person_holdings(person, request.user),
            "handovers": handovers[:100],
            "returns": matching_returns(request.user, ReturnFilter(person=person))[:100],
            "may_edit": can(request.user, Capability.EQUIPMENT_EDIT),
        },
    )


@capability_required(Capability.EQUIPMENT_VIEW)
def mine(request):
    """What the signed-in pillar holds, the BASTs they signed and what they returned."""
    if not request.user.person_id:
        return render(request, "equipment/mine_unlinked.html")
    return _person_page(request, Person.objects.get(pk=request.user.person_id), own=True)


@capability_required(Capability.EQUIPMENT_VIEW)
def person(request, person_id: int):
    shown = get_object_or_404(people_in_scope(request.user), pk=person_id)
    return _person_page(request, shown, own=False)


# --- repairs and corrections ------------------------------------------------------------------


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def repair_create(request, pk: int):
    """Record items of `pk` returned damaged as repaired (available again) or written off."""
    item = get_object_or_404(Item.objects.visible_to(request.user), pk=pk)
    form = RepairForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: returns.repair_record(
                by=Actor.from_request(request), item=item, **form.cleaned_data
            ),
            form=form,
            success=_("The repair record has been saved."),
        )
        if done:
            return redirect("equipment:item-detail", item.pk)
    figures = item_figures([item.pk])[item.pk]
    return render(
        request,
        "equipment/repair_form.html",
        {"form": form, "item": item, "figures": figures},
        status=page_status(request),
    )


def _correction_page(request, record, form, template_context: dict, correct, done):
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            request,
            lambda: correct(**form.values()),
            form=form,
            success=_("The correction has been recorded."),
        )
        if saved:
            return done
    return render(
        request,
        "equipment/correction_form.html",
        {"form": form, "record": record, **template_context},
        status=page_status(request),
    )


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def line_correct(request, pk: int):
    """Reverse or amend one handover line, with a reason; the original stays on the BAST."""
    line = get_object_or_404(
        HandoverLine.objects.visible_to(request.user).select_related("handover", "person", "item"),
        pk=pk,
    )
    form = LineCorrectionForm(
        request.POST or None,
        initial={"quantity": line.quantity, "condition": line.condition, "note": line.note},
    )
    return _correction_page(
        request,
        line,
        form,
        {"line": line},
        lambda **v: corrections.line_correct(by=Actor.from_request(request), line=line, **v),
        redirect("equipment:handover-detail", line.handover_id),
    )


@capability_required(Capability.EQUIPMENT_EDIT)
@require_http_methods(["GET", "POST"])
@submit_once
def return_correct(request, pk: int):
    """Reverse or amend one return, with a reason; the original stays in the list, marked."""
    record = get_object_or_404(
        Return.objects.visible_to(request.user).select_related("person", "item"), pk=pk
    )
    form = ReturnCorrectionForm(
        request.POST or None,
        initial={
            f: getattr(record, f)
            for f in ["quantity", "condition", "returned_on", "reason", "received_by"]
        },
    )
    return _correction_page(
        request,
        record,
        form,
        {"return": record},
        lambda **v: corrections.return_correct(by=Actor.from_request(request), record=record, **v),
        redirect("equipment:person", record.person_id),
    )
