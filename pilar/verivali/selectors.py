"""Verivali reads: a round's progress per kelurahan or per pillar (SQL aggregates, one query for
the figures and one for the names, whatever the number of households), and the visits behind
each figure."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Person
from pilar.verivali.models import Finding, Round, Visit

STATES = ("visited", "accepted", "returned", "waiting", "outstanding")
FIGURES = ("total", *STATES)
# The most area rows a round's page lists at once: above it, the kelurahan are grouped a level
# up (kecamatan, kab/kota, province), each group opening the level below (docs/VERIVALI.md).
AREA_ROWS = 60
KELURAHAN_DEPTH = 4  # the parts of a kelurahan's code: 13.75.01.1001


@dataclass
class ProgressRow:
    key: int | None  # the kelurahan's or the pillar's id; None: visits not assigned yet
    label: str
    code: str = ""  # the area's code (rows per area)
    total: int = 0
    visited: int = 0
    accepted: int = 0
    returned: int = 0
    waiting: int = 0
    outstanding: int = 0


@dataclass
class Progress:
    by: str
    rows: list[ProgressRow] = field(default_factory=list)
    totals: ProgressRow = field(default_factory=lambda: ProgressRow(None, _("Total")))
    level_depth: int = KELURAHAN_DEPTH  # the level of the area rows (grouped: above kelurahan)


def _figures():
    status = "finding__status"
    return {
        "total": Count("pk"),
        "visited": Count("finding"),
        "accepted": Count("pk", filter=Q(**{status: Finding.Status.ACCEPTED})),
        "returned": Count("pk", filter=Q(**{status: Finding.Status.RETURNED})),
        "waiting": Count("pk", filter=Q(**{status: Finding.Status.SUBMITTED})),
    }


def progress(
    round: Round, user, by: str = "area", *, within: Area | None = None, named: bool = True
) -> Progress:
    """Per kelurahan (`by="area"`) or per pillar (`by="person"`) of the visits `user` sees
    (in `within` when given): total, visited (a finding recorded), accepted, returned, waiting
    for review, outstanding (not visited yet); with the totals. Without `named`, the pillars'
    rows come unnamed, most households left to visit first (a page names the rows it shows:
    `name_pillars`)."""
    key = "person_id" if by == "person" else "area_id"
    seen = Visit.objects.visible_to(user).filter(round=round)
    if within is not None:
        seen = seen.filter(within_areas_q([within], "area"))
    figures = seen.order_by().values(key).annotate(**_figures())
    found = {row[key]: row for row in figures}
    ids = [k for k in found if k is not None]
    if by == "person" and not named:
        names = {}
    elif by == "person":
        names = {
            pk: (name, "")
            for pk, name in Person.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    else:
        names = {
            pk: (name, code)
            for pk, name, code in Area.objects.filter(pk__in=ids).values_list("pk", "name", "code")
        }
    result = Progress(by=by)
    for k, row in found.items():
        label, code = names.get(k, ("", "")) if k is not None else (_("not assigned yet"), "")
        line = ProgressRow(k, label, code, **{f: row[f] for f in FIGURES if f != "outstanding"})
        line.outstanding = line.total - line.visited
        result.rows.append(line)
        for f in FIGURES:
            setattr(result.totals, f, getattr(result.totals, f) + getattr(line, f))
    if named:
        result.rows.sort(key=lambda r: (r.key is None, r.label))
    else:
        result.rows.sort(key=lambda r: (r.key is None, -r.outstanding, r.key or 0))
    return result


def name_pillars(rows: list[ProgressRow]) -> list[ProgressRow]:
    """`rows` of an unnamed progress per pillar with their names (one query)."""
    names = dict(
        Person.objects.filter(pk__in=[r.key for r in rows if r.key]).values_list("pk", "name")
    )
    for row in rows:
        if row.key is not None:
            row.label = names.get(row.key, "")
    return rows


def grouped(per_kelurahan: Progress, *, within: Area | None, limit: int | None = None) -> Progress:
    """The kelurahan rows of `progress(by="area")`, grouped by the finest level of the area tree
    that gives at most `limit` rows (below `within` when given): a city's 24 kelurahan stay as
    they are, a country's 80,000 become its provinces. A grouped row's `key` is the area that
    groups them (one query for their names)."""
    limit = AREA_ROWS if limit is None else limit
    top = len(within.code.split(".")) + 1 if within is not None else 1
    rows = [r for r in per_kelurahan.rows if r.code]
    depth = KELURAHAN_DEPTH
    while depth > top and len({_prefix(r.code, depth) for r in rows}) > limit:
        depth -= 1
    if depth >= KELURAHAN_DEPTH:
        return per_kelurahan
    sums: dict[str, ProgressRow] = {}
    for row in rows:
        code = _prefix(row.code, depth)
        line = sums.setdefault(code, ProgressRow(None, "", code))
        for f in FIGURES:
            setattr(line, f, getattr(line, f) + getattr(row, f))
    areas = Area.objects.filter(code__in=list(sums)).values_list("code", "pk", "name")
    for code, pk, name in areas:
        sums[code].key, sums[code].label = pk, name
    result = Progress(by="area", totals=per_kelurahan.totals)
    result.rows = sorted(sums.values(), key=lambda r: r.code)
    result.level_depth = depth
    return result


def _prefix(code: str, depth: int) -> str:
    return ".".join(code.split(".")[:depth])


def visits(
    round: Round,
    user,
    *,
    area: int | None = None,
    person: int | None = None,
    state: str | None = None,
) -> QuerySet[Visit]:
    """The visits behind a figure of `progress`: of a kelurahan, of a pillar (0: not assigned),
    in a state (one of STATES)."""
    rows = Visit.objects.visible_to(user).filter(round=round)
    if area is not None:
        # A kelurahan, or a kecamatan (kab/kota, province) grouping kelurahan on the round's page.
        within = Area.objects.filter(pk=area).first()
        rows = rows.filter(within_areas_q([within], "area")) if within else rows.none()
    if person == 0:
        rows = rows.filter(person__isnull=True)
    elif person is not None:
        rows = rows.filter(person_id=person)
    if state == "visited":
        rows = rows.filter(finding__isnull=False)
    elif state == "outstanding":
        rows = rows.filter(finding__isnull=True)
    elif state in ("accepted", "returned"):
        rows = rows.filter(finding__status=state)
    elif state == "waiting":
        rows = rows.filter(finding__status=Finding.Status.SUBMITTED)
    return rows.select_related("area", "person", "household", "finding").order_by(
        "area__code", "pk"
    )
