from typing import Annotated

from ninja import Field, Router, Schema

from pilar.regions.models import Area

router = Router(tags=["regions"])


class AreaOut(Schema):
    code: str
    name: str
    level: int
    kind: str
    parent_code: str | None
    aliases: list[str]


@router.get("/regions", response=list[AreaOut], summary="Areas, optionally below a code")
def list_regions(
    request,
    within: Annotated[str, Field(max_length=32)] | None = None,
    level: Annotated[int, Field(ge=1, le=4)] | None = None,
):
    qs = Area.objects.select_related("parent").prefetch_related("aliases")
    if within:
        root = Area.objects.filter(code=within).first()
        qs = qs.within(root) if root else qs.none()
    if level:
        qs = qs.filter(level=level)
    return [
        AreaOut(
            code=a.code,
            name=a.name,
            level=a.level,
            kind=a.kind,
            parent_code=a.parent.code if a.parent else None,
            aliases=[x.name for x in a.aliases.all()],
        )
        for a in qs
    ]
