"""The offices a caller may see (docs/OFFICE.md, "Many offices")."""

from django.db.models import F
from ninja import Field, Router, Schema

from pilar.api.common import Limit, Offset
from pilar.offices.models import Office

router = Router(tags=["offices"])


class OfficeOut(Schema):
    id: int
    name: str
    area_code: str | None = Field(description="Kemendagri code of the office's area, e.g. 13.75")
    area_name: str | None
    level: int | None = Field(description="The area's level: 1 province, 2 kabupaten/kota")
    hosts_others: bool = Field(description="Whether other offices lie within its area")


@router.get("/offices", response=list[OfficeOut], summary="Offices the caller may see")
def list_offices(request, limit: Limit = 100, offset: Offset = 0):
    """The caller's own office; from an office hosting others (a province), also those within
    its area; from the installation's top office, every office."""
    limit = max(1, min(limit, 500))
    offices = (
        Office.objects.visible_to(request.user)
        .with_hosting()
        .select_related("area")
        .order_by(F("area__code").asc(nulls_first=True), "pk")[offset : offset + limit]
    )
    return [
        OfficeOut(
            id=o.pk,
            name=o.name,
            area_code=o.area.code if o.area else None,
            area_name=o.area.name if o.area else None,
            level=o.area.level if o.area else None,
            hosts_others=o.hosts,
        )
        for o in offices
    ]
