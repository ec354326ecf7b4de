"""The leadership view: figures only, never a name, for staff and for viewers alike.

Every figure is scoped to where the user may read aggregates (the headcount's readers) and
links to the rows behind it when the user may also open those rows."""

from __future__ import annotations

import datetime

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pilar.accounts.access import (
    Capability,
    area_scope,
    grants_key,
    hosts_others,
    office_of,
    office_wide,
    opens_all_of,
)
from pilar.accounts.decorators import capability_required
from pilar.audit.cache import cached_figures
from pilar.casework import selectors
from pilar.dashboard.figures import flat, reports_late
from pilar.dashboard.gaps import EXPIRING_DAYS, training_and_equipment_gaps
from pilar.dashboard.rollup import province_figures
from pilar.kinerja.charts import activities_chart, reports_chart
from pilar.kinerja.figures import office_trend
from pilar.lib.kept import kept, scope_key
from pilar.lib.months import previous_month
from pilar.lib.params import parse_date
from pilar.lib.replica import reading_replica
from pilar.regions.maps import area_map
from pilar.regions.models import Area, within_areas_q
from pilar.registry.headcount import headcount
from pilar.registry.models import Assignment, PillarKind
from pilar.registry.templatetags.pilar import people_url
from pilar.stipends.arrears import office_arrears
from pilar.stipends.person_views import office_context


@capability_required(Capability.HEADCOUNT_VIEW)
@reading_replica()
def home(request):
    user = request.user
    # A far date would walk every month up to it (arrears): out of 2000–2100 is a 400.
    # Up to a year ahead: the arrears walk every month up to the day asked, so a far one (2100)
    # held a worker seconds per request (found by the outsider, issue 21).
    today = parse_date(
        request.GET.get("as_of"),
        "as_of",
        default=timezone.localdate(),
        high=timezone.localdate() + datetime.timedelta(days=366),
    )
    if hosts_others(office_of(user)):
        province = province_figures(user, today)
        # A grant within one kota of the province: that area's own dashboard instead.
        if province.rows:
            return _province(request, today, province)
    # The figures (arrears walk every month of every duty) are kept until the next write:
    # the same user, roles, date and language read them again (docs/PERFORMANCE.md, "Load").
    figures = cached_figures(
        "dashboard",
        (user.pk, grants_key(user), today, get_language()),
        lambda: _figures(user, today),
    )
    # The last twelve months' trends (pilar/kinerja/figures.py), each month opening /kinerja/.
    month_link = lambda m: f"{reverse('kinerja:home')}?month={m:%Y-%m}"  # noqa: E731
    trends = [
        activities_chart(figures["trend"], month_link),
        reports_chart(figures["trend"], month_link),
    ]
    return render(
        request,
        "dashboard/home.html",
        {
            "today": today,
            "is_today": today == timezone.localdate(),
            # The office's monthly reports: for the readers of all of it (monthly_views.py).
            "monthly_reports": office_wide(user, Capability.HEADCOUNT_VIEW),
            "trends": trends,
            **figures,
        },
    )


def _figures(user, today) -> dict:
    scope = area_scope(user, Capability.HEADCOUNT_VIEW)
    month = previous_month(today)
    (_rows, casework_total), counted_at = selectors.summary_kept(scope, month)
    duties = Assignment.objects.all()
    if scope is not None:
        duties = duties.filter(area__in=Area.objects.filter(within_areas_q(scope, "")).values("pk"))
    gaps, gaps_counted_at = kept(
        f"dashboard-gaps:{scope_key(scope)}:{today.isoformat()}",
        lambda: training_and_equipment_gaps(scope, today),
        size_of=duties,
    )
    office = office_arrears(user, as_of=today, capability=Capability.HEADCOUNT_VIEW)
    hc = headcount(as_of=today, user=user)
    late = reports_late(scope, month)
    return {
        "hc": hc,
        # The same figures as plain numbers: what the province's row of this office shows.
        "figures": flat(
            by_kind=hc.by_kind, casework=casework_total, late=late, arrears=office, gaps=gaps
        ),
        "month": month,
        "trend": office_trend(scope, month),
        "casework": casework_total,
        **office_context(office, linked=opens_all_of(user, Capability.STIPENDS_VIEW, scope)),
        "gaps": gaps,
        "counted_at": max(filter(None, [counted_at, gaps_counted_at]), default=None),
        "expiring_days": EXPIRING_DAYS,
        "trainings_linked": opens_all_of(user, Capability.TRAININGS_VIEW, scope),
        "equipment_linked": opens_all_of(user, Capability.EQUIPMENT_VIEW, scope),
        "area_map": _area_map(user, today, hc, scope),
    }


def _area_map(user, today, hc, scope):
    """Active duties per kelurahan on the map (docs/DASHBOARD.md, "Map"): the kelurahan of the
    office, or of the one area the user reads; each opens the people serving there when the
    role may open the people list over all the dashboard counts."""
    if scope is None:
        parent = office_of(user).area if office_of(user) is not None else None
    else:
        parent = scope[0] if len(scope) == 1 else None
    values = {r.code: r.total for r in hc.by_kelurahan if r.level == "kelurahan"}
    links = None
    if opens_all_of(user, Capability.PEOPLE_VIEW, scope):
        links = {code: people_url(today, "", code) for code in values}
    return area_map(
        parent,
        values,
        title=_("Active duties per kelurahan on %(day)s") % {"day": date_format(today, "j F Y")},
        links=links,
    )


def _province(request, today, province):
    """An office hosting others (the province): each hosted office's figures and their total
    (pilar/dashboard/rollup.py), linked where the role may open the lists behind them."""
    user = request.user
    scope = area_scope(user, Capability.HEADCOUNT_VIEW)
    return render(
        request,
        "dashboard/province.html",
        {
            "today": today,
            "is_today": today == timezone.localdate(),
            "month": previous_month(today),
            "province": province,
            "kinds": list(
                PillarKind.objects.filter(code__in=list(province.total["headcount"]))
                .order_by("order", "code")
                .values_list("code", flat=True)
            ),
            "expiring_days": EXPIRING_DAYS,
            "stipends_linked": opens_all_of(user, Capability.STIPENDS_VIEW, scope),
            "trainings_linked": opens_all_of(user, Capability.TRAININGS_VIEW, scope),
            "equipment_linked": opens_all_of(user, Capability.EQUIPMENT_VIEW, scope),
        },
    )
