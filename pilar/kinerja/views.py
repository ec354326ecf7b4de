"""Kinerja pages: the 12-month trends of the reader's scope with a table by kecamatan, kelurahan,
pillar or hosted office (`/kinerja/`), and a pillar's own figures (`/kinerja/me/`).

Who reads what (docs/KINERJA.md): the headcount's readers, within the areas where they read
aggregates; pillars' names only for a role that may open the people list over the whole of the
table's area (the dashboard's rule); every figure links to the list behind it when the reader
may open that list over the whole of the area (and the list shows only what the reader may
see). An office hosting others sees one row per hosted office and acts on nothing."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import (
    Capability,
    area_in_scope,
    area_scope,
    hosts_others,
    office_of,
    opens_all_of,
)
from pilar.accounts.decorators import capability_required
from pilar.audit.services import audited_file_response
from pilar.casework.models import Sector
from pilar.kinerja import charts
from pilar.kinerja.figures import (
    KECAMATAN,
    KELURAHAN,
    LEVELS,
    OFFICE,
    PERSON,
    Figures,
    office_trend,
    table,
    totals,
    window,
)
from pilar.lib.exports import export_format, file_response
from pilar.lib.months import month_end, previous_month
from pilar.lib.params import InputError, parse_month
from pilar.lib.replica import reading_replica
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment


def _url(name: str, **query) -> str:
    wanted = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{reverse(name)}?{urlencode(wanted)}" if wanted else reverse(name)


class Links:
    """The lists behind the figures of an area (`code`: None, the whole scope) that `user` may
    open in full; each method returns a URL or None."""

    def __init__(self, user, scope, first, last):
        self.first, self.last = first, last
        self.casework = opens_all_of(user, Capability.CASEWORK_VIEW, scope)
        self.trainings = opens_all_of(user, Capability.TRAININGS_VIEW, scope)
        self.people = opens_all_of(user, Capability.PEOPLE_VIEW, scope)

    def activities(self, code=None, person=None, month=None, sector=None):
        if not self.casework:
            return None
        if month is not None:
            return _url(
                "casework:activity-list",
                month=f"{month:%Y-%m}",
                area=code,
                person=person,
                sector=sector,
            )
        return _url(
            "casework:activity-list",
            area=code,
            person=person,
            sector=sector,
            **{"from": f"{self.first:%Y-%m}", "to": f"{self.last:%Y-%m}"},
        )

    def follow_ups(self, code=None, person=None, month=None):
        if not self.casework:
            return None
        if month is not None:
            return _url("casework:activity-list", due=f"{month:%Y-%m}", area=code, person=person)
        return _url(
            "casework:activity-list",
            area=code,
            person=person,
            due_from=f"{self.first:%Y-%m}",
            due=f"{self.last:%Y-%m}",
        )

    def reports(self, code=None, month=None):
        if not self.casework:
            return None
        return _url("casework:report-status", month=f"{month or self.last:%Y-%m}", area=code)

    def households(self, code=None, **extra):
        if not self.casework:
            return None
        return _url("casework:household-list", area=code, **extra)

    def in_caseload(self, code=None):
        """The households in a caseload on the window's last day, as the figure counts them."""
        if not self.casework:
            return None
        return _url(
            "casework:household-list", area=code, caseload_on=f"{month_end(self.last):%Y-%m-%d}"
        )

    def unserved(self, code=None):
        if not self.casework:
            return None
        return _url(
            "casework:household-list",
            area=code,
            unserved="1",
            on=f"{month_end(self.last):%Y-%m-%d}",
        )

    def trainings_missing(self, code=None):
        if not self.trainings:
            return None
        return _url("trainings:requirements", area=code)


def _levels(user, area, names: bool) -> list[str]:
    """The levels the table may be shown at for `user` over `area` (None: their whole scope)."""
    levels = []
    if area is None and hosts_others(office_of(user)):
        levels.append(OFFICE)
    if area is None or area.level < Area.Level.KELURAHAN:
        levels.append(KECAMATAN)
        levels.append(KELURAHAN)
    if names:
        levels.append(PERSON)
    return levels


def _default_level(levels: list[str], area) -> str:
    if area is not None:
        wanted = {Area.Level.CITY: KECAMATAN, Area.Level.KECAMATAN: KELURAHAN}.get(
            area.level, PERSON
        )
        if wanted in levels:
            return wanted
    return levels[0] if levels else KELURAHAN


def _parse_level(value: str | None, levels: list[str], default: str) -> str:
    text = (value or "").strip()
    if not text:
        return default
    if text not in LEVELS:
        raise InputError(
            "level",
            _("level: choose one of %(levels)s (got “%(value)s”).")
            % {"levels": ", ".join(LEVELS), "value": text[:40]},
        )
    if text not in levels:
        raise PermissionDenied(f"level {text}")
    return text


PAGE_SIZE = 100
FLAGS_SHOWN = 20

# The table by pillar lists at most this many duties of the window at once (a kota has a few
# hundred; a country close to a million): past that, one kecamatan or kelurahan at a time.
MAX_PERSON_ROWS = 5000


def _too_many_pillars(scope, months) -> bool:
    duties = Assignment.objects.filter(start_date__lte=month_end(months[-1])).not_ended_by(
        months[0]
    )
    if scope is not None:
        duties = duties.filter(area__in=Area.objects.filter(within_areas_q(scope, "")).values("pk"))
    return duties.order_by()[: MAX_PERSON_ROWS + 1].count() > MAX_PERSON_ROWS


def _parse_area(value: str | None):
    code = (value or "").strip()
    if not code:
        return None
    area = Area.objects.filter(code=code).first() if len(code) <= 13 else None
    if area is None:
        raise InputError("area", _("area: no area has the code %(code)s.") % {"code": code[:40]})
    return area


LEVEL_LABELS = {
    OFFICE: lambda: _("Office"),
    KECAMATAN: lambda: _("Kecamatan"),
    KELURAHAN: lambda: _("Kelurahan"),
    PERSON: lambda: _("Pillar"),
}


@capability_required(Capability.HEADCOUNT_VIEW)
@reading_replica()
def home(request):
    user = request.user
    today = timezone.localdate()
    month = parse_month(request.GET.get("month"), "month", default=previous_month(today))
    scope = area_scope(user, Capability.HEADCOUNT_VIEW)
    area = _parse_area(request.GET.get("area"))
    if area is not None:
        if not area_in_scope(user, Capability.HEADCOUNT_VIEW, area):
            raise Http404("area outside the reader's scope")
        scope = [area]
    names = opens_all_of(user, Capability.PEOPLE_VIEW, scope)
    levels = _levels(user, area, names)
    level = _parse_level(request.GET.get("level"), levels, _default_level(levels, area))
    months = window(month)
    too_wide = level == PERSON and _too_many_pillars(scope, months)
    fmt = export_format(request)
    if too_wide:
        found, trend = [], office_trend(scope, month)
    elif fmt:
        return _export(request, fmt, table(scope, month, level)[0], level, month, names)
    else:
        found, trend = table(scope, month, level)
    total = totals(found)
    links = Links(user, scope, months[0], months[-1])
    code = area.code if area is not None else None
    # The table shows a page of rows (a kota has some 2,000 pillars); the export holds them all.
    # Links are built only for the rows shown and the flagged.
    # The flags list names the first FLAGS_SHOWN flagged rows; `?flagged=1` pages through all.
    flagged_rows = [row for row in found if row.flagged]
    only_flagged = request.GET.get("flagged") == "1"
    page = Paginator(flagged_rows if only_flagged else found, PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shown = [_table_row(row, level, links, month, names) for row in page.object_list]
    flagged = [_table_row(row, level, links, month, names) for row in flagged_rows[:FLAGS_SHOWN]]
    return render(
        request,
        "kinerja/home.html",
        {
            "month": month,
            "first": months[0],
            "area": area,
            "level": level,
            "levels": [(value, LEVEL_LABELS[value]()) for value in levels],
            "level_label": LEVEL_LABELS[level](),
            "names": names,
            "table": shown,
            "page": page,
            "total": total,
            "flagged": flagged,
            "flagged_more": len(flagged_rows) - len(flagged),
            "only_flagged": only_flagged,
            "charts": _charts(trend, links, code),
            "query": urlencode(
                {
                    k: v
                    for k, v in {
                        "month": f"{month:%Y-%m}",
                        "area": code,
                        "level": level,
                        "flagged": "1" if only_flagged else "",
                    }.items()
                    if v
                }
            ),
            "province": OFFICE in levels,
            "too_wide": MAX_PERSON_ROWS if too_wide else None,
        },
    )


def _charts(trend, links: Links, code, person=None) -> list:
    month_links = links.casework
    return [
        charts.activities_chart(
            trend,
            (lambda m: links.activities(code, person, month=m)) if month_links else None,
        ),
        charts.reports_chart(
            trend,
            (lambda m: links.reports(code, month=m)) if month_links and person is None else None,
        ),
        charts.households_chart(
            trend,
            (lambda m: links.activities(code, person, month=m)) if month_links else None,
        ),
        charts.follow_ups_chart(
            trend,
            (lambda m: links.follow_ups(code, person, month=m)) if month_links else None,
        ),
        charts.trainings_chart(trend),
    ]


def _table_row(row, level: str, links: Links, month, names: bool) -> dict:
    """A row of the table with the link of each figure (None where the reader may not open it)."""
    person = row.key if level == PERSON else None
    code = row.code
    drill = None
    if level == PERSON:
        drill = reverse("registry:person-detail", args=[row.key]) if names else None
    elif level == OFFICE:
        drill = _url("kinerja:home", area=code, month=f"{month:%Y-%m}")
    elif not row.wider:
        below = KELURAHAN if level == KECAMATAN else PERSON
        if below != PERSON or names:
            drill = _url("kinerja:home", area=code, level=below, month=f"{month:%Y-%m}")
    people = (
        _url("kinerja:home", area=code, level=PERSON, month=f"{month:%Y-%m}")
        if names and level != PERSON
        else drill
    )
    if row.wider:
        # A kecamatan's (kota's) own duties in a table by kelurahan: the lists by area would
        # hold its kelurahan's rows too, so its figures open nothing.
        return {"row": row, "drill": None, "quiet": people}
    return {
        "row": row,
        "drill": drill,
        "activities": links.activities(code if person is None else None, person),
        "households": links.in_caseload(code) if person is None else None,
        # No list holds twelve months of reports: the chart's months link to theirs.
        "reports": None,
        "follow_ups": links.follow_ups(code if person is None else None, person),
        "trainings": links.trainings_missing(code) if person is None else None,
        "quiet": people,
        "late_run": links.reports(code) if person is None else drill,
        "unserved": links.unserved(code) if person is None else drill,
    }


def _headers(level: str) -> list[str]:
    return [
        LEVEL_LABELS[level](),
        _("Code"),
        _("Activities"),
        *[str(label) for _value, label in Sector.choices],
        _("Households reached"),
        _("Households in a caseload"),
        _("Reports submitted"),
        _("Reports on time"),
        _("Reports verified"),
        _("Follow-ups due"),
        _("Follow-ups closed on time"),
        _("Required trainings passed"),
        _("Pillars serving"),
        _("Pillars without activity for two months"),
        _("Pillars late three months running"),
        _("Households without a serving pillar"),
    ]


def _export(request, fmt: str, found, level: str, month, names: bool):
    """The table as XLSX or CSV; by pillar it names people, and the download is recorded."""

    def lines():
        for row in found:
            f = row.figures
            label = row.label if level != PERSON or names else ""
            yield [
                label,
                row.code or "",
                f.activities,
                *[f.by_sector.get(value, 0) for value, _label in Sector.choices],
                f.reached,
                f.caseload,
                f.reports,
                f.on_time,
                f.verified,
                f.follow_ups,
                f.follow_ups_on_time,
                f.trainings,
                row.serving,
                row.quiet,
                row.late_run,
                row.unserved,
            ]

    filename = f"kinerja-{level}-{month:%Y-%m}"
    if level == PERSON:
        return audited_file_response(
            request,
            fmt,
            filename,
            _headers(level),
            lines(),
            object_type="registry.person",
            note=_("performance by pillar"),
        )
    return file_response(fmt, filename, _headers(level), lines())


@login_required
@reading_replica()
def mine(request):
    """A pillar's own figures, month by month: what they did, whom they reached, their reports."""
    user = request.user
    if not user.person_id:
        raise Http404("no pillar record")
    today = timezone.localdate()
    month = parse_month(request.GET.get("month"), "month", default=previous_month(today))
    trend = office_trend(None, month, person_id=user.person_id)
    months = window(month)
    recent = trend.points[-2:]
    follow_ups = Figures()
    for point in trend.points:
        follow_ups.add(point)
    return render(
        request,
        "kinerja/mine.html",
        {
            "month": month,
            "first": months[0],
            "last_day": month_end(month),
            "points": list(reversed(list(zip(trend.months, trend.points, strict=True)))),
            "charts": [charts.activities_chart(trend), charts.reports_chart(trend)],
            "quiet": all(p.activities == 0 for p in recent),
            "follow_ups": follow_ups,
        },
    )
