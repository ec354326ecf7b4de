"""Every page, every role, hostile query strings: never a 5xx, out-of-range values a 400.

For each URL pattern (the resolver walked as in test_permissions, its path filled with a
record that exists and with absurd ids) and each role of the `actors` fixture plus anonymous,
the page is first requested once to learn which query parameters it reads (a small
middleware records them), then again with hostile values on each of those parameters:
negative and huge numbers, far dates, dates in other formats, wrong types, 5,000 characters,
control characters, look-alike digits. Nothing may answer 5xx; a date, month or year out of
the office's years (docs/INPUT.md) must answer 400 naming the field, or a form showing the
error on that field.
"""

from __future__ import annotations

import datetime
import itertools
import re

import pytest
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from pilar.core.tests.test_permissions import (  # noqa: F401  (app_records, batch: fixtures)
    ROLES,
    app_records,
    batch,
    client_for,
    project_urls,
    url_for,
)
from pilar.tests_support import PASSWORD

_read: set[str] = set()


class _RecordingQueryDict(QueryDict):
    """request.GET that remembers which keys the page asked for."""

    def __getitem__(self, key):
        _read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        _read.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        _read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        _read.add(key)
        return super().__contains__(key)

    def __deepcopy__(self, memo):
        copied = _RecordingQueryDict(mutable=True, encoding=self.encoding)
        for key, values in self.lists():
            copied.setlist(key, list(values))
        return copied


class RecordParams:
    """Test-only middleware: request.GET records the keys read (see `_read`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _RecordingQueryDict(request.META.get("QUERY_STRING", ""))
        if request.method == "POST":
            posted = _RecordingQueryDict(mutable=True)
            for key, values in request.POST.lists():
                posted.setlist(key, values)
            request._post = posted
        return self.get_response(request)


HUGE = "99999999999999999999"
FAR_DATES = ["9999-12-31", "0001-01-01"]
# Values a date, month or year parameter must refuse: out of range, or written in look-alike
# digits (Arabic-Indic) that int() and strptime would read.
OUT_OF_RANGE = [*FAR_DATES, "-1", HUGE, "2024-13-45", "٢٠٢٤-١٠-٢٢"]
HOSTILE = [
    *OUT_OF_RANGE,
    "22.10.2024",
    "10/22/2024",
    "abc",
    "1e400",
    "[]",
    "x" * 5000,
    "a\x01b\x1f",
    "١٢٣",  # Arabic-Indic digits
    "１２",  # full-width digits
    "",
]
DATE_PARAMS = {"as_of", "month", "year", "from", "to", "date_from", "date_to", "on", "day"}
# The absurd ids put in path converters.
ABSURD_IDS = ["0", "999999999", "9223372036854775807"]


def _is_date_param(name: str) -> bool:
    return name in DATE_PARAMS or name.endswith(("_on", "_date", "_month", "_from", "_to"))


def _field_refused(response, field: str) -> bool:
    """A 400 naming `field`, or a page whose form shows an error on `field`."""
    if response.status_code == 400 and field in response.content.decode(errors="replace"):
        return True
    for context in response.context or []:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            errors = getattr(value, "errors", None)
            if hasattr(value, "fields") and errors and field in errors:
                return True
    return False


def _get(client, path, query=None):
    try:
        return client.get(path, query or {})
    except Exception as exc:  # a 500 in production
        return exc


def _paths(records, people, import_batch) -> dict[str, list[str]]:
    """Each URL name → its path filled with a record that exists, then with absurd ids (and
    absurd dates and codes where the path holds a date or a code)."""
    filled = {}
    for made in records.values():
        filled.update(made.get("pages", {}))
    paths = {}
    for name, route in sorted(project_urls().items()):
        paths[name] = [filled.get(name) or url_for(name, route, people, import_batch)]
        if "<" not in route:
            continue
        for absurd in ABSURD_IDS:
            absurd_path = "/" + re.sub(r"<int:\w+>", absurd, route)
            absurd_path = re.sub(r"<str:day>|<day:\w+>", "9999-12-31", absurd_path)
            absurd_path = re.sub(r"<str:\w+>", "x" * 300, absurd_path)
            paths[name].append(absurd_path)
    return paths


@pytest.fixture
def recording(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RecordParams"]
    # The fixtures' task worker beat once, minutes before the last page on a loaded machine:
    # /healthz would call it stopped (a 503 about the worker, not about the hostile value).
    settings.PILAR_WORKER_STALE_SECONDS = 3600


def test_hostile_query_values(recording, actors, people, batch, app_records):  # noqa: F811
    paths = _paths(app_records, people, batch)
    failures: dict = {}
    refused = 0

    def check(client, path, query) -> None:
        nonlocal refused
        try:
            response = client.get(path, query)
        except Exception as exc:  # a 500 in production
            failures[(path, str(query)[:80])] = repr(exc)[:200]
            return
        if response.status_code >= 500:
            failures[(path, str(query)[:80])] = response.status_code
            return
        for param, value in query.items():
            # Out-of-range values must be refused where the page is open to the role.
            # (One parameter at a time: with several, another one may be refused first.)
            if response.status_code not in (200, 400) or len(query) > 1:
                continue
            if _is_date_param(param) and value in OUT_OF_RANGE:
                if _field_refused(response, param):
                    refused += 1
                else:
                    failures[(path, param, value)] = f"{response.status_code}, not refused"

    # The admin opens every page: each page is asked once what it reads, then each parameter
    # it reads gets hostile values in turn (every out-of-range value on every date parameter).
    admin = client_for(Client(), actors, "admin")
    reads: dict[str, list[str]] = {}
    values = itertools.cycle(HOSTILE)
    for name, page_paths in paths.items():
        for number, path in enumerate(page_paths):
            _read.clear()
            check(admin, path, {"_probe": "1"})
            if number == 0:
                reads[name] = sorted(_read - {"_probe"})
        for param in reads[name]:
            tried = OUT_OF_RANGE if _is_date_param(param) else []
            tried = [*tried, *(next(values) for _ in range(3))]
            # A value drawn in turn may be one of the out-of-range ones just tried: asked once.
            for value in dict.fromkeys(tried):
                check(admin, page_paths[0], {param: value})
    # Every other role (and anonymous) opens every page once with every parameter the page
    # reads set to a hostile value, and once with an absurd id, the values taken in turn.
    for turn, role in enumerate(ROLES):
        if role == "admin":
            continue
        client = client_for(Client(), actors, role)
        for name, page_paths in paths.items():
            value = next(values)
            check(client, page_paths[0], {param: value for param in reads[name]} or {"x": value})
            if len(page_paths) > 1:
                check(client, page_paths[1 + turn % (len(page_paths) - 1)], {})
    assert not failures, "\n".join(f"{key}: {got}" for key, got in failures.items())
    assert refused >= 10  # the dates of the dashboard, headcount, lists... were tried


@pytest.mark.parametrize(
    "query",
    ["as_of=9999-12-31", "as_of=0001-01-01", "as_of=2500-01-01", "as_of=1999-12-31"],
)
def test_dashboard_far_dates_answer_400_at_once(
    client, actors, django_assert_max_num_queries, query
):
    """The requests of issue 14: a far date walked every month up to it (9999: the worker was
    killed after 120 s) or failed (0001: a 500)."""
    assert client.login(username=actors["viewer"].username, password=PASSWORD)
    with django_assert_max_num_queries(8):
        response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 400
    text = response.content.decode()
    # Up to a year ahead (issue 21: the arrears' walk to 2100 held a worker for seconds).
    latest = (timezone.localdate() + datetime.timedelta(days=366)).isoformat()
    assert "as_of" in text and "2000-01-01" in text and latest in text
    for path in ("/headcount/", "/pillars/"):
        field = "as_of" if path == "/headcount/" else "active_on"
        response = client.get(path, {field: query.split("=")[1]})
        assert response.status_code in (400, 403, 200)


POSTED = ["-1", HUGE, "9999-12-31", "١٢٣", "x" * 5000]


def test_hostile_posted_values(recording, actors, people, batch, app_records):  # noqa: F811
    """Every form posted as the admin (who may post them all) with hostile values in every
    field the view reads, hidden ids included: never a 5xx."""
    paths = _paths(app_records, people, batch)
    admin = client_for(Client(), actors, "admin")
    others = itertools.cycle([value for value in POSTED if value != HUGE])
    failures = {}
    for name, page_paths in paths.items():
        if name == "accounts:logout":
            continue  # it would end the admin's session for the pages after it
        path = page_paths[0]
        _read.clear()
        admin.post(path, {"_probe": "1"})
        fields = sorted(_read - {"_probe", "csrfmiddlewaretoken"})
        # The 20-digit id on every form (it found the OverflowErrors), two others in turn.
        for value in [HUGE, next(others), next(others)] if fields else []:
            body = {field: value for field in fields}
            try:
                status = admin.post(path, body).status_code
            except Exception as exc:  # a 500 in production
                status = repr(exc)[:200]
            if not isinstance(status, int) or status >= 500:
                failures[(name, value[:20])] = status
    assert not failures, "\n".join(f"{key}: {got}" for key, got in failures.items())


# What people type into the small forms behind the actions (end, close, cancel, verify,
# return, issue, commit...): enough for most of them to go through the first time.
PLAUSIBLE = {
    "reason": "Dikirim dua kali",
    "note": "Dikirim dua kali",
    "text": "Dikirim dua kali",
    "date": "2024-10-22",
    "end_date": "2024-10-22",
    "left_on": "2024-10-22",
    "closed_on": "2024-10-22",
    "paid_on": "2024-10-22",
    "end": "2024-10-22T10:00",
    "end_reason": "resigned",
    "left_reason": "Pindah",
    "confirm": "1",
    "accept_warnings": "1",
}


def test_every_form_sent_twice(actors, people, batch, app_records):  # noqa: F811
    """Each form posted twice in a row as the admin (a double click), with the values its
    small action forms take: neither post answers 5xx."""
    paths = _paths(app_records, people, batch)
    admin = client_for(Client(), actors, "admin")
    failures = {}
    for name, page_paths in paths.items():
        if name == "accounts:logout":
            continue
        for attempt in ("first", "second"):
            try:
                status = admin.post(page_paths[0], PLAUSIBLE).status_code
            except Exception as exc:  # a 500 in production
                status = repr(exc)[:200]
            if not isinstance(status, int) or status >= 500:
                failures[(name, attempt)] = status
    assert not failures, "\n".join(f"{key}: {got}" for key, got in failures.items())
