"""Certificate pages: issuing, printing, revoking, the lists and the public verification page.

The public page (`/c/<code>/`) needs no login and has a template of its own: no menu, nobody's
account, only the name, course, dates, issuing office and validity of one certificate. An
unknown or malformed code gets one plain "not found" page, and nothing about either is logged.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST, require_safe

from pilar.accounts.access import Capability, can
from pilar.accounts.decorators import capability_required
from pilar.audit.services import Actor, audited_file_response
from pilar.lib.exports import export_format
from pilar.lib.params import MAX_ID
from pilar.lib.views import after, attempt, query_without_page, refused
from pilar.trainings.certificates import pdf, services
from pilar.trainings.certificates.forms import CertificateFilterForm, CodeForm, RevokeForm
from pilar.trainings.certificates.numbering import grouped_code, normalise_code, verify_url
from pilar.trainings.certificates.selectors import (
    EXPIRING_DAYS,
    STATES,
    event_counts,
    export_headers,
    export_rows,
    find_by_code,
    in_force,
    matching_certificates,
    person_certificates,
    print_outdated,
    replacement_of,
    state_of,
)
from pilar.trainings.models import Certificate, CertificatePrint, Participant, TrainingEvent

PAGE_SIZE = 50


def _event_page(event: TrainingEvent) -> str:
    return reverse("trainings:event-detail", args=[event.pk])


def _with_outdated(job: CertificatePrint | None) -> CertificatePrint | None:
    """`job` with `outdated` set for the template and the download (see `print_outdated`)."""
    if job is not None:
        job.outdated = print_outdated(job)
    return job


def _latest_print(event: TrainingEvent) -> CertificatePrint | None:
    services.prints_recover(event_id=event.pk)
    return _with_outdated(event.certificate_prints.order_by("-created_at", "-pk").first())


def event_panel(request, event) -> dict:
    """Context for `trainings/_event_certificates.html` on the event's page (merge it into the
    page's context)."""
    can_edit = can(request.user, Capability.TRAININGS_EDIT)
    return {
        "cert_panel": {
            "event": event,
            "counts": event_counts(event),
            "can_edit": can_edit,
            "job": _latest_print(event) if can_edit else None,
            "list_url": reverse("trainings:certificate-list") + f"?event={event.pk}",
        }
    }


# Lists ---------------------------------------------------------------------------------------


def _list(request, *, expiring: bool):
    form = CertificateFilterForm(request.GET or None, user=request.user)
    today = timezone.localdate()
    if form.is_bound and not form.is_valid():
        # A filter that cannot be applied must not silently widen the list.
        found = Certificate.objects.none()
    else:
        found = matching_certificates(
            request.user, form.certificate_filter(expiring=expiring), today=today
        )
    fmt = export_format(request)
    if fmt:
        name = "certificates-expiring" if expiring else "certificates"
        return audited_file_response(
            request,
            fmt,
            f"{name}-{today.isoformat()}",
            export_headers(),
            export_rows(found, today),
            object_type="trainings.certificate",
        )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for c in page:
        c.state = state_of(c, today)
        c.state_label = STATES[c.state]
    return render(
        request,
        "trainings/certificate_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "expiring": expiring,
            "expiring_days": EXPIRING_DAYS,
        },
    )


@capability_required(Capability.TRAININGS_VIEW)
def certificate_list(request):
    return _list(request, expiring=False)


@capability_required(Capability.TRAININGS_VIEW)
def certificate_expiring(request):
    return _list(request, expiring=True)


@capability_required(Capability.TRAININGS_VIEW)
def certificate_mine(request):
    person = request.user.person
    mine = person_certificates(request.user, person) if person is not None else []
    return render(request, "trainings/certificate_mine.html", {"certificates": mine})


# One certificate -----------------------------------------------------------------------------


def _visible(request, pk: int) -> Certificate:
    return get_object_or_404(
        Certificate.objects.visible_to(request.user).select_related(
            "participant__event__course", "participant__person", "office"
        ),
        pk=pk,
    )


def _detail(request, certificate: Certificate, *, revoke_form=None, status: int = 200):
    can_edit = can(request.user, Capability.TRAININGS_EDIT)
    state = state_of(certificate)
    context = {
        "certificate": certificate,
        "state": state,
        "state_label": STATES[state],
        "code": grouped_code(certificate.code),
        "verify_url": verify_url(certificate.code, base=certificate.office.public_url),
        "can_edit": can_edit,
        "event_url": _event_page(certificate.participant.event),
    }
    if can_edit and not certificate.is_revoked:
        context["revoke_form"] = revoke_form or RevokeForm()
    if certificate.is_revoked:
        # The same participant, so within the reader's scope whenever the revoked one is.
        context["replacement"] = in_force(certificate.participant)
    return render(request, "trainings/certificate_detail.html", context, status=status)


@capability_required(Capability.TRAININGS_VIEW)
def certificate_detail(request, pk: int):
    return _detail(request, _visible(request, pk))


@capability_required(Capability.TRAININGS_VIEW)
def certificate_pdf(request, pk: int):
    certificate = _visible(request, pk)
    if certificate.is_revoked:
        messages.error(request, _("This certificate was revoked; it is no longer printed."))
        return redirect("trainings:certificate-detail", certificate.pk)
    response = HttpResponse(pdf.certificate_pdf(certificate), content_type="application/pdf")
    filename = "sertifikat-" + certificate.number.replace("/", "-") + ".pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_POST
@capability_required(Capability.TRAININGS_EDIT)
def certificate_revoke(request, pk: int):
    certificate = _visible(request, pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.certificate_revoke(
                by=Actor.from_request(request),
                certificate=certificate,
                reason=form.cleaned_data["reason"],
            ),
            form=form,
            success=_("Certificate %(number)s is revoked.") % {"number": certificate.number},
        )
        if done:
            return redirect("trainings:certificate-detail", certificate.pk)
    return _detail(request, certificate, revoke_form=form, status=400)


@require_POST
@capability_required(Capability.TRAININGS_EDIT)
def certificate_issue(request, pk: int):
    """Issue one participant's certificate (a button on the event's participant list)."""
    participant = get_object_or_404(
        Participant.objects.visible_to(request.user).select_related("event", "person"), pk=pk
    )
    done = attempt(
        request,
        lambda: services.certificate_issue(by=Actor.from_request(request), participant=participant),
        success=lambda certificate: (
            _("Certificate %(number)s issued to %(name)s.")
            % {"number": certificate.number, "name": certificate.name}
        ),
    )
    return after(request, done, _event_page(participant.event))


# A whole event -------------------------------------------------------------------------------


def _event(request, pk: int) -> TrainingEvent:
    return get_object_or_404(TrainingEvent.objects.visible_to(request.user), pk=pk)


@require_POST
@capability_required(Capability.TRAININGS_EDIT)
def event_issue(request, pk: int):
    event = _event(request, pk)
    done = attempt(
        request,
        lambda: services.certificates_issue_for_event(by=Actor.from_request(request), event=event),
    )
    if not done:
        return refused(request, _event_page(event))
    summary = done.result
    messages.success(
        request,
        ngettext("%(n)s certificate issued.", "%(n)s certificates issued.", len(summary.issued))
        % {"n": len(summary.issued)}
        + " "
        + _("%(already)s already had one; %(not)s not eligible.")
        % {"already": summary.already, "not": len(summary.not_eligible)},
    )
    for _participant, why in summary.not_eligible[:20]:
        messages.warning(request, why)
    return redirect(_event_page(event))


@require_POST
@capability_required(Capability.TRAININGS_EDIT)
def event_print(request, pk: int):
    event = _event(request, pk)
    done = attempt(
        request,
        lambda: services.certificate_print_start(by=Actor.from_request(request), event=event),
        success=_("Printing has started; this page shows when the file is ready."),
    )
    return after(request, done, _event_page(event) + "#certificates")


def _job(request, pk: int) -> CertificatePrint:
    # A print whose worker vanished is marked failed before it is shown.
    # Only a print the user may see (another office's is a 404 below, untouched).
    event_id = (
        CertificatePrint.objects.filter(
            pk=min(pk, MAX_ID), event__in=TrainingEvent.objects.visible_to(request.user)
        )
        .values_list("event_id", flat=True)
        .first()
    )
    if event_id is not None:
        services.prints_recover(event_id=event_id)
    job = get_object_or_404(
        CertificatePrint.objects.filter(
            event__in=TrainingEvent.objects.visible_to(request.user)
        ).select_related("event__course"),
        pk=pk,
    )
    return _with_outdated(job)


@require_GET
@capability_required(Capability.TRAININGS_EDIT)
def print_status(request, pk: int):
    """The print's progress as a fragment the event page polls every 2 seconds."""
    return render(request, "trainings/_certificate_print.html", {"job": _job(request, pk)})


@require_GET
@capability_required(Capability.TRAININGS_EDIT)
def print_file(request, pk: int):
    job = _job(request, pk)
    if job.status != CertificatePrint.Status.DONE or not job.file:
        raise Http404
    if job.outdated:
        messages.error(
            request,
            _("The certificates changed after this print (issued or revoked); print again."),
        )
        return redirect(_event_page(job.event) + "#certificates")
    filename = f"sertifikat-pelatihan-{job.event_id}.pdf"
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=filename)


# Public verification -------------------------------------------------------------------------


def public_headers(response: HttpResponse) -> HttpResponse:
    """The headers of every public answer about a code (this page and the API's check)."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _not_found(request) -> HttpResponse:
    return public_headers(render(request, "trainings/verify.html", {"found": False}, status=404))


@require_safe
def verify(request, code: str):
    certificate = find_by_code(code)
    if certificate is None:
        return _not_found(request)
    context = {"found": True, **public_facts(certificate)}
    return public_headers(render(request, "trainings/verify.html", context))


def _revoked_on(certificate: Certificate):
    return timezone.localdate(certificate.revoked_at) if certificate.revoked_at else None


def public_facts(certificate: Certificate) -> dict:
    """What the public learns of a code: the certificate and its state today, and for a revoked
    one the certificate issued in its place (its number, its own state and its public page),
    when there is one. Nothing more of that one: its page says the rest to whoever opens it."""
    replacement = replacement_of(certificate)
    return {
        "c": certificate,
        # The office that issued it (docs/TRAININGS.md, "Many offices"), whoever runs the page.
        "office_name": certificate.office.name,
        "state": state_of(certificate),
        "revoked_on": _revoked_on(certificate),
        "replacement": replacement,
        "replacement_state": state_of(replacement) if replacement else None,
        "replacement_revoked_on": _revoked_on(replacement) if replacement else None,
    }


@require_safe
def verify_form(request):
    """A box to type the code printed on a certificate."""
    form = CodeForm(request.GET or None)
    if form.is_valid():
        code = normalise_code(form.cleaned_data["code"])
        if code is None:
            return _not_found(request)
        return public_headers(redirect("certificate-verify", code))
    return public_headers(render(request, "trainings/verify.html", {"form": form, "asking": True}))
