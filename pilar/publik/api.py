"""The public API: the headcount without a token (docs/PUBLIC.md, "API"). Mounted at
/api/v1/public by pilar/core/api.py through pilar/api/routers.py."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Router

from pilar.api.common import Day, ErrorOut
from pilar.audit.cache import cached_figures
from pilar.publik.limits import retry_after, too_many_message
from pilar.regions.models import Area
from pilar.registry.api import HeadcountOut
from pilar.registry.headcount import headcount_within

router = Router(tags=["public"])


@router.get(
    "/headcount",
    response={200: HeadcountOut, 429: ErrorOut},
    auth=None,
    summary="Active duties as of a date (public, no sign-in): the headcount's figures",
)
def public_headcount(
    request,
    response: HttpResponse,
    as_of: Day | None = None,
    # Only within this area (a Kemendagri code, e.g. 13.75); without it, everything the
    # installation holds (a single office's whole area).
    area: Annotated[str, Field(max_length=32)] | None = None,
):
    wait = retry_after(request)
    if wait is not None:
        refused = JsonResponse({"message": too_many_message(), "errors": {}}, status=429)
        refused["Retry-After"] = str(wait)
        return refused
    day = as_of or timezone.localdate()
    place = Area.objects.by_code(area, "area")
    figures = cached_figures(
        "publik-headcount",
        (place.code if place else None, day),
        lambda: headcount_within(as_of=day, scope=[place] if place else None).as_json(),
    )
    # The same figures as the signed-in headcount (/api/v1/headcount) of the whole office.
    return JsonResponse(figures)
