"""The public page and its open data (docs/PUBLIC.md): no sign-in, no name, no NIK, no row of
any record; figures kept until the next write and asked at most PILAR_PUBLIC_RATE_PER_MINUTE
times a minute per address."""

from __future__ import annotations

import csv
import datetime
import functools
import io
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from pilar.accounts.access import hosts_others, top_office
from pilar.audit.cache import cached_figures
from pilar.casework.models import Sector
from pilar.lib.charts import Series, trend_chart
from pilar.lib.exports import csv_cell
from pilar.lib.params import parse_date
from pilar.offices.models import Office
from pilar.offices.services import current_office
from pilar.publik.datasets import (
    BUILDERS,
    LICENCE,
    Dataset,
    about,
    combined,
    suppression_note,
)
from pilar.publik.limits import retry_after, too_many_message
from pilar.publik.templatetags.publik import count
from pilar.regions.maps import area_map


def public(view):
    """No sign-in; GET or HEAD; counted against the client's address (429 past the limit)."""

    @require_safe
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        wait = retry_after(request)
        if wait is not None:
            refused = HttpResponse(
                too_many_message(), status=429, content_type="text/plain; charset=utf-8"
            )
            refused["Retry-After"] = str(wait)
            return refused
        return view(request, *args, **kwargs)

    return wrapped


def _top() -> Office:
    return top_office() or current_office()


def _office(code: str | None) -> Office:
    """The office a public address names by its area's code; without one, the top office."""
    if code is None:
        return _top()
    office = Office.objects.select_related("area").filter(area__code=code).first()
    if office is None:
        raise Http404
    return office


def _as_of(request) -> datetime.date:
    """The day asked for: up to today (a later day would only be another key to build the
    datasets again for, docs/PUBLIC.md "Cache and limit")."""
    today = timezone.localdate()
    return parse_date(request.GET.get("as_of"), "as_of", default=today, high=today)


def dataset(office: Office, slug: str, as_of: datetime.date) -> Dataset:
    """One dataset as published, kept until the next write (pilar/audit/cache.py): per office,
    dataset, date and language."""

    def build() -> Dataset:
        hosted = _hosted(office)
        if hosted:  # a province: its offices' datasets as they publish them, added up
            return combined([dataset(o, slug, as_of) for o in hosted])
        return BUILDERS[slug](office, as_of)

    return cached_figures("publik", (office.pk, slug, as_of, get_language()), build)


def _hosted(office: Office) -> list[Office]:
    if not hosts_others(office):
        return []
    return list(Office.objects.hosted_by(office).select_related("area"))


def _address(name: str, office: Office, code: str | None, **kwargs) -> str:
    """The page's address for `office`: with its code when it was asked with one."""
    if code is not None:
        return reverse(f"publik:{name}-of", kwargs={"code": code, **kwargs})
    return reverse(f"publik:{name}", kwargs=kwargs)


@public
def index(request):
    """The top office's page; with many offices, the list of them."""
    top = _top()
    hosted = _hosted(top)
    if hosted:
        return render(request, "publik/offices.html", {"top": top, "offices": hosted})
    return _office_page(request, top, None)


@public
def office_page(request, code: str):
    return _office_page(request, _office(code), code)


def _activity_chart(activities: Dataset):
    months = activities.rows[:-1]
    sectors = list(Sector)
    return trend_chart(
        title=_("Activities per month by sector"),
        labels=[row[0][5:] + "/" + row[0][2:4] for row in months],
        series=[
            Series(
                label=str(s.label),
                # A hidden count is drawn as no bar (its length would tell it) and named as shown.
                values=[row[1 + k] if isinstance(row[1 + k], int) else None for row in months],
                key=s.value,
                shown=[count(row[1 + k]) for row in months],
            )
            for k, s in enumerate(sectors)
        ],
        kind="stacked",
    )


def _table(found: Dataset, header, columns: list[tuple[int, str, bool]], money: int | None = None):
    """A dataset as the page shows it: `header(row)` heads each row, then the `columns`
    (index, label, numeric); the last row is the total."""

    def cells(row, first):
        return [{"v": first}] + [
            {"v": row[i], "num": numeric, "money": i == money} for i, _label, numeric in columns
        ]

    return {
        "title": found.title,
        "slug": found.slug,
        "head": [(header(None), False)] + [(label, numeric) for _i, label, numeric in columns],
        "rows": [cells(row, header(row)) for row in found.rows[:-1]],
        "total": cells(found.rows[-1], _("Total")),
    }


def _pillars_map(office: Office, pillars: Dataset, as_of: datetime.date):
    """The pillars per kelurahan on the office's map (docs/DASHBOARD.md, "Map"): its outlines
    when loaded, else a tile grid; a count the dataset hides shows as it does. Kept as the
    datasets are, until the next write (a load of boundaries is one)."""
    return cached_figures(
        "publik-map",
        (office.pk, as_of, get_language()),
        lambda: _draw_pillars_map(office, pillars, as_of),
    )


def _draw_pillars_map(office: Office, pillars: Dataset, as_of: datetime.date):
    values: dict[str, int | None] = {}
    hidden: set[str] = set()
    for row in pillars.rows[:-1]:
        if row[3] != "kelurahan":
            continue
        values[row[1]] = row[-1] if isinstance(row[-1], int) else None
        if not isinstance(row[-1], int):
            hidden.add(row[1])
    return area_map(
        office.area,
        values,
        title=_("Pillars per kelurahan on %(day)s") % {"day": date_format(as_of, "j F Y")},
        suppressed=hidden,
    )


def _month_label(text: str) -> str:
    return date_format(datetime.date.fromisoformat(text + "-01"), "F Y")


def _area_label(row) -> str:
    if row is None:
        return _("Area")
    if row[3] == "kelurahan":
        return row[2]
    return _("%(name)s (duties at %(level)s level)") % {"name": row[2], "level": row[3]}


def _office_page(request, office: Office, code: str | None):
    as_of = _as_of(request)
    found = {slug: dataset(office, slug, as_of) for slug in BUILDERS}
    pillars = found["pilar-per-kelurahan"]
    kinds = pillars.columns[4:-1]
    total_row = pillars.rows[-1]
    activities = found["kegiatan-per-sektor"]
    sectors = list(Sector)
    tables = {
        "pillars": _table(
            pillars,
            _area_label,
            [(4 + i, c.name, True) for i, c in enumerate(kinds)]
            + [(len(total_row) - 1, _("All"), True)],
        ),
        "activities": _table(
            activities,
            lambda row: _("Month") if row is None else _month_label(row[0]),
            [(1 + k, str(s.label), True) for k, s in enumerate(sectors)]
            + [(5, _("All sectors"), True), (6, _("Households reached"), True)],
        ),
        "households": _table(
            found["rumah-tangga-didampingi"],
            lambda row: _("Kelurahan") if row is None else row[3],
            [(1, _("Kecamatan"), False), (4, _("Households accompanied"), True)],
        ),
        "tali_kasih": _table(
            found["tali-kasih"],
            lambda row: (
                _("Quarter")
                if row is None
                else _("Q%(q)s %(year)s") % {"q": row[1], "year": row[0]}
            ),
            [
                (2, _("Months paid"), True),
                (3, _("Amount"), True),
                (4, _("Pillars paid"), True),
            ],
            money=3,
        ),
        "trainings": _table(
            found["pelatihan"],
            lambda row: _("Course") if row is None else row[0],
            [(1, _("Events"), True), (2, _("Participants"), True), (3, _("Passed"), True)],
        ),
    }
    context = {
        "office": office,
        "code": code,
        "as_of": as_of,
        "is_today": as_of == timezone.localdate(),
        "by_kind": [
            (c.name, pillars.labels.get(c.name, c.name), total_row[4 + i])
            for i, c in enumerate(kinds)
        ],
        "pillars_total": total_row[-1],
        "activities_total": activities.rows[-1][5],
        "households_total": found["rumah-tangga-didampingi"].rows[-1][-1],
        "paid_total": found["tali-kasih"].rows[-1][3],
        "events_total": found["pelatihan"].rows[-1][1],
        "first_month": activities.period_start,
        "quarters_from": found["tali-kasih"].period_start,
        "trainings_from": found["pelatihan"].period_start,
        "chart": _activity_chart(activities),
        "pillars_map": _pillars_map(office, pillars, as_of),
        "tables": tables,
        "data_url": _address("data", office, code),
        "note": suppression_note(),
        "others": _hosted(office),
    }
    return render(request, "publik/office.html", context)


def _entries(office: Office, code: str | None, as_of: datetime.date) -> list[dict]:
    out = []
    for slug in BUILDERS:
        found = dataset(office, slug, as_of)
        out.append(
            {
                "dataset": found,
                "csv": _address("dataset", office, code, slug=slug, fmt="csv"),
                "json": _address("dataset", office, code, slug=slug, fmt="json"),
            }
        )
    return out


@public
def data_index(request, code: str | None = None):
    office = _office(code)
    as_of = _as_of(request)
    return render(
        request,
        "publik/data.html",
        {
            "office": office,
            "code": code,
            "as_of": as_of,
            "entries": _entries(office, code, as_of),
            "licence": LICENCE,
            "note": suppression_note(),
            "others": _hosted(office),
            "page_url": _address("office", office, code) if code else reverse("publik:index"),
        },
    )


def _metadata(request, office: Office, found: Dataset, as_of: datetime.date) -> dict:
    return {
        "title": found.title,
        "description": found.description,
        "publisher": {"name": office.name, "area_code": office.area.code if office.area else None},
        "license": LICENCE,
        "as_of": as_of.isoformat(),
        "period": {
            "start": found.period_start.isoformat() if found.period_start else None,
            "end": found.period_end.isoformat() if found.period_end else None,
        },
        "update_frequency": found.frequency,
        "suppression": suppression_note() if found.suppressed else None,
        "columns": [
            {"name": c.name, "type": c.type, "description": c.meaning} for c in found.columns
        ],
    }


@public
def dataset_file(request, slug: str, fmt: str, code: str | None = None):
    if slug not in BUILDERS or fmt not in ("csv", "json"):
        raise Http404
    office = _office(code)
    as_of = _as_of(request)
    found = dataset(office, slug, as_of)
    name = f"{slug}-{as_of.isoformat()}"
    if fmt == "json":
        body = {**_metadata(request, office, found, as_of), "rows": found.records()}
        response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
        response["Content-Disposition"] = f'inline; filename="{name}.json"'
        return response
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(found.header)
    for row in found.rows:
        writer.writerow([csv_cell(v) for v in row])
    response = HttpResponse(
        buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@public
def catalog(request):
    """Every office's datasets as a DCAT-like catalogue (docs/PUBLIC.md, "Catalogue")."""
    top = _top()
    offices = [(top, None)] + [(o, o.area.code) for o in _hosted(top)]
    as_of = timezone.localdate()
    datasets = []
    for office, code in offices:
        for slug in BUILDERS:
            found = about(slug)
            identifier = f"{office.area.code if office.area else 'pilar'}/{slug}"
            datasets.append(
                {
                    "@type": "dcat:Dataset",
                    "identifier": identifier,
                    "title": found["title"],
                    "description": found["description"],
                    "publisher": {"@type": "foaf:Organization", "name": office.name},
                    "license": LICENCE["url"],
                    "accrualPeriodicity": found["frequency"],
                    "modified": as_of.isoformat(),
                    "landingPage": request.build_absolute_uri(_address("data", office, code)),
                    "describedBy": request.build_absolute_uri(_address("data", office, code))
                    + f"#{slug}",
                    "distribution": [
                        {
                            "@type": "dcat:Distribution",
                            "format": fmt.upper(),
                            "mediaType": media,
                            "downloadURL": request.build_absolute_uri(
                                _address("dataset", office, code, slug=slug, fmt=fmt)
                            ),
                        }
                        for fmt, media in (("csv", "text/csv"), ("json", "application/json"))
                    ],
                }
            )
    body = {
        "@context": "https://www.w3.org/ns/dcat.jsonld",
        "@type": "dcat:Catalog",
        "title": _("Open data of %(office)s") % {"office": top.name},
        "publisher": {"@type": "foaf:Organization", "name": top.name},
        "license": LICENCE["url"],
        "dataset": datasets,
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )
