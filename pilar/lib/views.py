"""Small helpers every app's pages share: the one way a page runs a service call and shows what
came of it, and the query string of a list's links.

A page calls a service as in docs/ARCHITECTURE.md (URL → view → form → service): the service
refuses with a ValidationError whose messages a person can act on. `attempt` shows them (on the
form's fields, or as messages when the action has no form of its own), and a page that shows a
POSTed form again answers `page_status(request)`: 400, the same status the API answers for the
same refusal (pilar.api.common.refusal). An action with no form of its own (a button: approve,
verify, cancel...) ends with `after(request, outcome, to)`: back to the page `to` when it went
through, the refusal with status 400 and a link back to `to` when it did not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone

from pilar.lib.exports import export_format, file_response

PAGE_SIZE = 50


@dataclass(frozen=True)
class Outcome:
    """What came of a service call: whether it went through, and what it returned."""

    ok: bool
    result: Any = None

    def __bool__(self) -> bool:
        return self.ok


def attempt(
    request,
    call: Callable[[], Any],
    *,
    success: str | Callable[[Any], str] | None = None,
    form=None,
    level: Callable = messages.error,
) -> Outcome:
    """Run `call()`, a service call a page makes, and show the outcome to the user.

    - It went through: `success` (a text, or a function of the call's result giving one)
      becomes a success message.
    - The service refused (ValidationError): with a `form`, each message goes on its field
      (on the form as a whole when the form has no such field); without one, each message
      becomes a message at `level` (messages.error, or messages.warning for a refusal the user
      may confirm past).
    """
    try:
        result = call()
    except ValidationError as exc:
        if form is not None:
            apply_errors(form, exc)
        else:
            for error in exc.messages:
                level(request, error)
        return Outcome(ok=False)
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return Outcome(ok=True, result=result)


def form_page(
    request,
    form,
    call: Callable[[dict], Any],
    *,
    success: str | Callable[[Any], str],
    then: Callable[[Any], str],
    template: str,
    context: dict | None = None,
):
    """The one shape of a page that changes something through a form. GET shows `form` in
    `template` (with `context`); a POST whose form is valid runs `call(form.cleaned_data)`, the
    service, through `attempt`. When it went through: the `success` message and a redirect to
    `then(result)` (a URL). When the form or the service refused: the form again with each
    message on its field, status 400."""
    if request.method == "POST" and form.is_valid():
        done = attempt(request, lambda: call(form.cleaned_data), form=form, success=success)
        if done:
            return redirect(then(done.result))
    return render(request, template, {"form": form, **(context or {})}, status=page_status(request))


def form_errors_as_messages(request, form) -> Outcome:
    """A refused form of an action whose page has no room for it (a button row, a small form
    in a table): each error becomes a message, after its field's label. The outcome is a
    refusal, for `after`."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return Outcome(ok=False)


def after(request, outcome: Outcome, to, *args, **kwargs) -> HttpResponse:
    """The answer to an action with no form of its own: when `outcome` went through, a redirect
    to the page `to` (a URL name with its arguments, as `redirect` takes, or a URL); when it was
    refused, `refused(request, to, ...)`."""
    if outcome:
        return redirect(to, *args, **kwargs)
    return refused(request, to, *args, **kwargs)


def refused(request, to, *args, **kwargs) -> HttpResponse:
    """A refused action, with status 400 (as the API answers the same refusal): the refusal's
    messages (already added, by `attempt` or the view) and a link back to the page `to`."""
    back = resolve_url(to, *args, **kwargs)
    return render(request, "refused.html", {"back": back}, status=400)


def page_status(request) -> int:
    """The status of a page that shows a form: 200 when it is asked for (GET), 400 when a POST
    comes back to it, refused by the form or by the service (one that went through
    redirects)."""
    return 400 if request.method == "POST" else 200


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on `form`: each message on its field when the form has
    that field, on the form as a whole otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def query_without_page(request) -> str:
    """The list's query string without its page and export format, for page and export links."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def list_page(
    request,
    form,
    select: Callable[[], Any],
    *,
    name: str,
    headers,
    export: Callable,
    template: str,
    context: dict | None = None,
    shown: Callable | None = None,
    download: Callable = file_response,
):
    """The one shape of a filtered list: the page of `select()`'s rows filtered by `form`, or
    those same rows as XLSX/CSV `name`-<today> when `?format=` asks (`export(rows)` gives the
    file's rows, under `headers`). A filter that cannot be applied shows nothing rather than
    silently widening. `shown`, when given, completes the rows of the page (and of the file)
    before they are shown. `download(fmt, filename, headers, rows)` writes the file: a list of
    people's records passes one that audits each download (pilar.audit.services)."""
    rows = select() if not form.is_bound or form.is_valid() else []
    fmt = export_format(request)
    if fmt:
        filename = f"{name}-{timezone.localdate().isoformat()}"
        return download(fmt, filename, headers, export(shown(rows) if shown else rows))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if shown:
        page.object_list = list(shown(page.object_list))
    return render(
        request,
        template,
        {**(context or {}), "form": form, "page": page, "query": query_without_page(request)},
    )
