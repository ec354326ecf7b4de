"""Tali kasih pages: rates and budgets, who is eligible in a month, and payment batches from
draft to paid. Their printed documents, job progress and transfer files are served by
pilar/stipends/batch_file_views.py. Batches are office-wide (pilar/stipends/access.py)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, area_scope, hosts_others, office_of
from pilar.accounts.decorators import capability_required
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, audited_file_response
from pilar.lib.exports import export_format, file_response
from pilar.lib.money import rupiah
from pilar.lib.months import month_end, month_label, month_start
from pilar.lib.params import InputError, parse_int
from pilar.lib.views import (
    after,
    attempt,
    form_errors_as_messages,
    page_status,
    query_without_page,
    refused,
)
from pilar.regions.models import within_areas_q
from pilar.registry.models import PillarKind
from pilar.stipends import bankfile, failures, jobs, selectors, services
from pilar.stipends.access import office_wide
from pilar.stipends.eligibility import (
    STATE_LABELS,
    State,
    reason_text,
)
from pilar.stipends.forms import (
    BankResultForm,
    BudgetForm,
    DraftForm,
    EligibilityForm,
    LineFilterForm,
    PaidOnForm,
    RateEndForm,
    RateForm,
)
from pilar.stipends.models import (
    HOLDS_MONTH,
    BatchJob,
    FundingSource,
    StipendBatch,
    StipendLine,
    StipendRate,
)

PAGE_SIZE = 50
Status = StipendBatch.Status


def _batch(request, pk) -> StipendBatch:
    return get_object_or_404(
        StipendBatch.objects.visible_to(request.user).select_related("office"), pk=pk
    )


def _by(request) -> Actor:
    return Actor.from_request(request)


# --- rates and budgets -----------------------------------------------------------------------


@capability_required(Capability.STIPENDS_VIEW)
def rates(request):
    year = timezone.localdate().year
    return render(
        request,
        "stipends/rates.html",
        {
            "rates": StipendRate.objects.visible_to(request.user)
            .select_related("kind", "office")
            .annotate(
                used=Exists(
                    StipendLine.objects.filter(rate=OuterRef("pk")).exclude(status="cancelled")
                )
            ),
            "sources": FundingSource.choices,
            "budgets": selectors.budget_rows(request.user),
            # The province sees each of its offices' rates and ceilings, named.
            "show_office": hosts_others(office_of(request.user)),
            "may_setup": office_wide(request.user, Capability.STIPENDS_SETUP),
            "rate_form": RateForm(),
            "budget_form": BudgetForm(initial={"year": year}),
        },
    )


@require_POST
@capability_required(Capability.STIPENDS_SETUP)
def rate_create(request):
    form = RateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = attempt(
            request,
            lambda: services.stipend_rate_create(
                by=_by(request),
                kind=data["kind"],
                amount=data["amount"],
                valid_from=data["valid_from"],
                valid_to=_last_day(data["valid_to"]),
                funding_source=data["funding_source"],
                note=data["note"],
            ),
            success=lambda rate: (
                _("Rate saved: %(kind)s Rp %(amount)s a month from %(month)s.")
                % {
                    "kind": rate.kind.name,
                    "amount": rupiah(rate.amount),
                    "month": month_label(rate.valid_from),
                }
            ),
        )
    else:
        done = form_errors_as_messages(request, form)
    return after(request, done, "stipends:rates")


def _last_day(month):
    return month_end(month) if month else None


@require_POST
@capability_required(Capability.STIPENDS_SETUP)
def rate_end(request, pk):
    rate = get_object_or_404(StipendRate.objects.visible_to(request.user), pk=pk)
    form = RateEndForm(request.POST)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.stipend_rate_end(
                by=_by(request), rate=rate, valid_to=_last_day(form.cleaned_data["valid_to"])
            ),
            success=lambda r: (
                _("The rate now ends after %(month)s.") % {"month": month_label(r.valid_to)}
            ),
        )
    else:
        done = form_errors_as_messages(request, form)
    return after(request, done, "stipends:rates")


@require_POST
@capability_required(Capability.STIPENDS_SETUP)
def rate_correct(request, pk):
    rate = get_object_or_404(StipendRate.objects.visible_to(request.user), pk=pk)
    done = attempt(
        request,
        lambda: services.stipend_rate_correct(
            by=_by(request),
            rate=rate,
            amount=request.POST.get("amount", ""),
            funding_source=request.POST.get("funding_source", ""),
            note=request.POST.get("note", "").strip(),
        ),
        success=lambda r: (
            _("Rate corrected: %(kind)s Rp %(amount)s a month from %(month)s.")
            % {"kind": r.kind.name, "amount": rupiah(r.amount), "month": month_label(r.valid_from)}
        ),
    )
    return after(request, done, "stipends:rates")


@require_POST
@capability_required(Capability.STIPENDS_SETUP)
def budget_set(request):
    form = BudgetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = attempt(
            request,
            lambda: services.budget_set(by=_by(request), **data),
            success=lambda b: (
                _("Budget ceiling saved: %(source)s %(year)s Rp %(amount)s.")
                % {"source": b.funding_source, "year": b.year, "amount": rupiah(b.amount)}
            ),
        )
    else:
        done = form_errors_as_messages(request, form)
    return after(request, done, "stipends:rates")


# --- eligibility -----------------------------------------------------------------------------


def _duty_scope(user) -> Q | None:
    areas = area_scope(user, Capability.STIPENDS_VIEW)
    return None if areas is None else within_areas_q(areas, "area")


@capability_required(Capability.STIPENDS_VIEW)
def eligibility(request):
    data = request.GET.copy()
    data.setdefault("month", selectors.last_month().strftime("%Y-%m"))
    form = EligibilityForm(data, user=request.user)
    found, counts, reasons = [], {}, {}
    if form.is_valid():
        f = form.cleaned_data
        month = month_start(f["month"])
        found = selectors.eligibility(
            month=month,
            kind=PillarKind.objects.filter(code=f["kind"]).first() if f["kind"] else None,
            area=f["area"],
            scope=_duty_scope(request.user),
        )
        for e in found:
            counts[e.state] = counts.get(e.state, 0) + 1
            for code in e.reasons if e.state == State.BLOCKED else ():
                reasons[code] = reasons.get(code, 0) + 1
        if f["state"]:
            found = [e for e in found if e.state == f["state"]]
        found = selectors.in_list_order(found, f["q"] or "")
        fmt = export_format(request)
        if fmt:
            headers = [_("Name"), _("NIK"), _("Kind"), _("Area"), _("Month"), _("State")]
            return audited_file_response(
                request,
                fmt,
                f"kelayakan-tali-kasih-{month:%Y-%m}",
                [*headers, _("Amount"), _("Why")],
                (
                    [r.name, r.nik, r.kind_name, r.area_name, f"{month:%Y-%m}", r.state_label]
                    + [r.amount, " ".join(r.reasons) if r.state == State.BLOCKED else ""]
                    for r in selectors.eligibility_rows_streamed(found)
                ),
                object_type="stipends.eligibility",
            )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    # Words (names, masked NIKs, areas, reasons) for the page shown only.
    page.object_list = selectors.eligibility_rows(list(page.object_list))
    return render(
        request,
        "stipends/eligibility.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "counts": [
                (state, label, counts.get(state, 0)) for state, label in STATE_LABELS.items()
            ],
            "reasons": sorted(
                ((reason_text(code), n) for code, n in reasons.items()), key=lambda r: -r[1]
            ),
        },
    )


# --- batches ---------------------------------------------------------------------------------


@capability_required(Capability.STIPENDS_VIEW)
def batch_list(request):
    batches = (
        StipendBatch.objects.visible_to(request.user)
        .annotate(
            people=Count(
                "lines__person",
                distinct=True,
                filter=Q(
                    lines__status__in=["pending", "paid"],
                    lines__reverses__isnull=True,
                    lines__reversed_at__isnull=True,
                ),
            ),
            total=Sum("lines__amount", filter=Q(lines__status__in=["pending", "paid"])),
        )
        .select_related("office")
        .prefetch_related("kinds")
        .order_by("-first_month", "-pk")
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        batches = batches.filter(status=status)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "stipends/batch_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "query": query_without_page(request),
            "may_draft": office_wide(request.user, Capability.STIPENDS_DRAFT),
            # The province sees each of its offices' batches, named.
            "show_office": hosts_others(office_of(request.user)),
        },
    )


@capability_required(Capability.STIPENDS_DRAFT)
def batch_create(request):
    if not office_wide(request.user, Capability.STIPENDS_DRAFT):
        raise Http404
    today = timezone.localdate()
    form = DraftForm(
        request.POST or None,
        initial={"year": today.year, "arrears_from": today.replace(month=1, day=1)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = attempt(request, lambda: jobs.batch_draft_start(by=_by(request), **data), form=form)
        if done:
            batch, _job = done.result
            messages.info(
                request,
                _("The batch is being filled in the background: this page shows its progress."),
            )
            return redirect("stipends:batch-detail", pk=batch.pk)
    return render(request, "stipends/batch_form.html", {"form": form}, status=page_status(request))


def _lines(request, batch):
    lines = batch.lines.select_related("person", "kind", "area")
    form = LineFilterForm(request.GET or None, user=request.user)
    if form.is_valid():
        f = form.cleaned_data
        if f["q"]:
            lines = lines.filter(Q(name__icontains=f["q"]) | Q(person__name__icontains=f["q"]))
        if f["kind"]:
            lines = lines.filter(kind__code=f["kind"])
        if f["area"] is not None:
            lines = lines.filter(within_areas_q([f["area"]], "area"))
        if f["status"]:
            lines = lines.filter(status=f["status"])
    return form, lines.order_by("area__code", "person__name", "month", "pk")


@capability_required(Capability.STIPENDS_VIEW)
def batch_detail(request, pk):
    batch = _batch(request, pk)
    form, lines = _lines(request, batch)
    fmt = export_format(request)
    if fmt:
        return _lines_file(request, batch, lines, fmt)
    held = batch.lines.filter(status__in=["pending", "paid"])
    by_kind = (
        held.values("kind__code", "kind__name")
        .annotate(
            people=Count("person", distinct=True, filter=HOLDS_MONTH),
            months=Count("pk", filter=HOLDS_MONTH),
            total=Sum("amount"),
        )
        .order_by("kind__code")
    )
    # Lines and money per status in one pass (the totals below come from it too).
    per_status = {
        status: (n, amount or 0)
        for status, n, amount in batch.lines.values_list("status")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    }
    by_status = {status: n for status, (n, _amount) in per_status.items()}
    user = request.user
    job = jobs.current(batch)
    last_job = job or batch.jobs.order_by("-created_at", "-pk").first()
    page = _lines_page(request, lines, form, per_status)
    _line_failures(list(page.object_list), batch)
    return render(
        request,
        "stipends/batch_detail.html",
        {
            "batch": batch,
            "form": form,
            "page": page,
            # Asked only where a confirm step shows it (one pass over the waiting lines).
            "waiting": _waiting(batch, per_status)
            if batch.status in {Status.DRAFT, Status.VERIFIED, Status.APPROVED, Status.PARTLY_PAID}
            else None,
            "rounds": bankfile.transfer_rounds(batch) if batch.frozen else [],
            "may_new_round": bankfile.round_allowed(batch),
            "query": query_without_page(request),
            "by_kind": by_kind,
            "by_status": [
                (label, by_status.get(value, 0))
                for value, label in StipendLine.Status.choices
                if by_status.get(value)
            ],
            "people": batch.lines.holding().values("person").distinct().count(),
            "total": sum(per_status.get(st, (0, 0))[1] for st in ("pending", "paid")),
            "paid_total": per_status.get("paid", (0, 0))[1],
            "may_draft": office_wide(user, Capability.STIPENDS_DRAFT),
            "may_verify": office_wide(user, Capability.STIPENDS_VERIFY),
            "may_approve": office_wide(user, Capability.STIPENDS_APPROVE),
            "today": timezone.localdate(),
            "result_form": BankResultForm(initial={"paid_on": timezone.localdate()}),
            "job": last_job,
            "busy": job is not None,
            "prints": _prints(batch, user),
            "history": AuditEntry.objects.filter(
                object_type="stipends.stipendbatch", object_id=str(batch.pk)
            ).order_by("at", "pk"),
        },
    )


class _CountedPaginator(Paginator):
    """A paginator told its count: the batch's lines per status were just counted."""

    def __init__(self, *args, known_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__["count"] = known_count  # the cached_property's slot


def _lines_page(request, lines, form, per_status):
    """The page of lines shown. Unfiltered, the number of lines is the sum of the counts per
    status (one pass fewer over a 300,000-line batch); filtered, it is counted."""
    # `_lines` filters only with a valid form (a bound form: a query string).
    filtered = form.is_bound and form.is_valid()
    filtered = filtered and any(form.cleaned_data.get(k) for k in ("q", "kind", "area", "status"))
    if filtered:
        paginator = Paginator(lines, PAGE_SIZE)
    else:
        count = sum(n for n, _amount in per_status.values())
        paginator = _CountedPaginator(lines, PAGE_SIZE, known_count=count)
    return paginator.get_page(request.GET.get("page"))


def _lines_file(request, batch, lines, fmt):
    audit_record(
        by=_by(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note=f"lines.{fmt}",
    )
    return file_response(
        fmt,
        f"tali-kasih-{batch.pk}-baris",
        [
            _("Name"),
            _("NIK"),
            _("Kind"),
            _("Area"),
            _("Month"),
            _("Amount"),
            _("Method"),
            _("Status"),
            _("Paid on"),
            _("Note"),
        ],
        (
            [
                line.name or line.person.name,
                line.masked_nik,
                line.kind.name,
                line.area.name,
                line.month.strftime("%Y-%m"),
                line.amount,
                line.get_method_display(),
                line.get_status_display(),
                line.paid_on,
                line.failure_reason or line.note,
            ]
            for line in lines.iterator(chunk_size=2000)
        ),
    )


def _transition(request, pk, call, success):
    batch = _batch(request, pk)
    done = attempt(request, lambda: call(batch), success=success)
    return after(request, done, "stipends:batch-detail", pk=batch.pk)


def _reason(request) -> str:
    """The reason typed, without control characters; the service checks it is there and not
    too long, and says so."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", request.POST.get("reason", "")).strip()


def _step(capability: Capability, call, success):
    """A POST that moves a batch one step: `call(request, batch)` runs the service,
    `success(result)` says what happened; a refusal becomes the page's message."""

    @require_POST
    @capability_required(capability)
    def view(request, pk):
        return _transition(request, pk, lambda b: call(request, b), success)

    return view


def _job_message(request, job, created: bool) -> None:
    if created:
        messages.info(
            request,
            _("%(work)s in the background: this page shows its progress.")
            % {"work": job.get_kind_display()},
        )
    else:
        messages.warning(
            request,
            _("%(work)s is already under way for this batch (asked at %(at)s): wait for it.")
            % {
                "work": job.get_kind_display(),
                "at": timezone.localtime(job.created_at).strftime("%H:%M:%S"),
            },
        )


def _start(request, pk, kind: str, options: dict | None = None):
    """Queue `kind` of work on the batch and go back to its page, which shows the job; what
    can be refused at once (role, status, four eyes) is said at once."""
    batch = _batch(request, pk)
    done = attempt(
        request,
        lambda: jobs.batch_job_start(by=_by(request), batch=batch, kind=kind, options=options),
    )
    if done:
        _job_message(request, *done.result)
    return after(request, done, "stipends:batch-detail", pk=batch.pk)


def _job_step(capability: Capability, kind: str):
    @require_POST
    @capability_required(capability)
    def view(request, pk):
        return _start(request, pk, kind)

    return view


batch_refresh = _job_step(Capability.STIPENDS_DRAFT, BatchJob.Kind.REFRESH)


@require_POST
@capability_required(Capability.STIPENDS_VERIFY)
def batch_verify(request, pk):
    batch = _batch(request, pk)
    if not _confirmed(request, batch, _("verify this batch")):
        return refused(request, "stipends:batch-detail", pk=batch.pk)
    return _start(request, pk, BatchJob.Kind.VERIFY)


def _waiting(batch, per_status=None) -> dict:
    """What an irreversible step acts on: the batch's waiting lines, their people and money."""
    if per_status is None:
        found = batch.lines.filter(status="pending").aggregate(n=Count("pk"), t=Sum("amount"))
        lines, total = found["n"] or 0, found["t"] or 0
    else:
        lines, total = per_status.get("pending", (0, 0))
    people = (
        batch.lines.filter(status="pending").values("person").distinct().count() if lines else 0
    )
    return {"lines": lines, "total": total or 0, "people": people}


def _confirmed(request, batch, what: str) -> bool:
    """The confirm tick of an irreversible step, and the summary it confirmed still true.

    No tick: a 400 naming the field, nothing changed. A summary that no longer holds (a
    second click after the step was done, a bank result read meanwhile): False, with the
    refusal as a message (the view answers 400 with a link back to the page, which shows the
    batch as it is now), and nothing changed."""
    if request.POST.get("confirm") != "yes":
        raise InputError(
            "confirm", _("Tick the box to confirm that you %(what)s.") % {"what": what}
        )
    lines = parse_int(request.POST.get("lines"), "lines", low=0, high=2**31)
    total = parse_int(request.POST.get("total"), "total", low=0, high=2**62)
    if lines is None or total is None:
        raise InputError(
            "lines", _("The summary you confirm is missing: open the batch page and confirm there.")
        )
    now = _waiting(batch)
    if (lines, total) != (now["lines"], now["total"]):
        messages.error(
            request,
            _(
                "The batch changed since you looked: %(lines)s lines wait now, Rp %(total)s, "
                "and its status is “%(status)s”. Nothing was done: look again and confirm."
            )
            % {
                "lines": now["lines"],
                "total": rupiah(now["total"]),
                "status": batch.get_status_display(),
            },
        )
        return False
    return True


@require_POST
@capability_required(Capability.STIPENDS_APPROVE)
def batch_approve(request, pk):
    batch = _batch(request, pk)
    if not _confirmed(request, batch, _("approve this payment")):
        return refused(request, "stipends:batch-detail", pk=batch.pk)
    return _start(request, pk, BatchJob.Kind.APPROVE)


# Finance or the approver (the service says which); the capability here only keeps others out.
batch_return = _step(
    Capability.STIPENDS_VIEW,
    lambda r, b: services.stipend_batch_return(by=_by(r), batch=b, reason=_reason(r)),
    lambda b: _("Batch sent back to draft."),
)
batch_cancel = _step(
    Capability.STIPENDS_DRAFT,
    lambda r, b: services.stipend_batch_cancel(by=_by(r), batch=b, reason=_reason(r)),
    lambda b: _("Batch cancelled: its months return to the unpaid list."),
)


@require_POST
@capability_required(Capability.STIPENDS_VERIFY)
def batch_mark_paid(request, pk):
    batch = _batch(request, pk)
    form = PaidOnForm(request.POST)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return refused(request, "stipends:batch-detail", pk=batch.pk)
    if not _confirmed(request, batch, _("mark every waiting line paid")):
        return refused(request, "stipends:batch-detail", pk=batch.pk)
    return _start(
        request,
        pk,
        BatchJob.Kind.MARK_PAID,
        {"paid_on": form.cleaned_data["paid_on"].isoformat()},
    )


@require_POST
@capability_required(Capability.STIPENDS_VERIFY)
def batch_result(request, pk):
    from pilar.stipends.bankresult import bank_result_apply

    batch = _batch(request, pk)
    form = BankResultForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return refused(request, "stipends:batch-detail", pk=batch.pk)
    return _transition(
        request,
        pk,
        lambda b: bank_result_apply(
            by=_by(request),
            batch=b,
            upload=form.cleaned_data["file"],
            paid_on=form.cleaned_data["paid_on"],
        ),
        lambda r: (
            _("Bank result read: %(paid)s paid, %(failed)s failed, %(unchanged)s already recorded.")
            % r
        ),
    )


def _line(request, pk) -> StipendLine:
    line = get_object_or_404(StipendLine.objects.select_related("batch", "person"), pk=pk)
    _batch(request, line.batch_id)
    return line


@require_POST
@capability_required(Capability.STIPENDS_DRAFT)
def line_remove(request, pk):
    line = _line(request, pk)
    done = attempt(
        request,
        lambda: services.stipend_line_remove(by=_by(request), line=line, reason=_reason(request)),
        success=lambda line: (
            _("Line removed: %(name)s, %(month)s.")
            % {"name": line.person.name, "month": month_label(line.month)}
        ),
    )
    return after(request, done, "stipends:batch-detail", pk=line.batch_id)


@require_POST
@capability_required(Capability.STIPENDS_VERIFY)
def line_reverse(request, pk):
    line = _line(request, pk)
    done = attempt(
        request,
        lambda: services.stipend_line_reverse(by=_by(request), line=line, reason=_reason(request)),
        success=lambda r: (
            _("Payment reversed: Rp %(amount)s. The month can be paid again.")
            % {"amount": rupiah(-r.amount)}
        ),
    )
    return after(request, done, "stipends:batch-detail", pk=line.batch_id)


# --- documents -------------------------------------------------------------------------------
# The views that print and download them, and the transfer files, are in batch_file_views.py.


def _prints(batch, user) -> list[tuple[str, str, BatchJob | None]]:
    """(label, what to ask for, the newest file this user may read) for each document."""
    if not batch.frozen:
        return []
    return [
        (
            _("Payment list (daftar nominatif) by kelurahan, PDF"),
            "nominatif-area",
            jobs.latest_file(batch, BatchJob.Kind.NOMINATIF, user=user, group="area"),
        ),
        (
            _("Payment list (daftar nominatif) by kind, PDF"),
            "nominatif-kind",
            jobs.latest_file(batch, BatchJob.Kind.NOMINATIF, user=user, group="kind"),
        ),
        (
            _("Receipts (kuitansi), PDF"),
            "receipts",
            jobs.latest_file(batch, BatchJob.Kind.RECEIPTS, user=user),
        ),
    ]


def _line_failures(lines: list, batch) -> None:
    """On each line shown: an earlier failed transfer of its month (`earlier_failure`), and a
    failed transfer blocking the account it would pay (`account_block`)."""
    if not lines:
        return
    people = {line.person_id for line in lines}
    earlier = {}
    for person_id, kind_id, month, reason in (
        StipendLine.objects.filter(person_id__in=people, status=StipendLine.Status.FAILED)
        .exclude(batch=batch)
        .values_list("person_id", "kind_id", "month", "failure_reason")
        .order_by("pk")
    ):
        earlier[(person_id, kind_id, month)] = reason
    blocks = failures.account_blocks(people)
    for line in lines:
        line.earlier_failure = earlier.get((line.person_id, line.kind_id, line.month), "")
        block = blocks.get(line.person_id)
        waiting = line.status == StipendLine.Status.PENDING and line.method == "transfer"
        account = line.bank_account or line.person.bank_account
        line.account_block = block if waiting and block and account == block.bank_account else None
