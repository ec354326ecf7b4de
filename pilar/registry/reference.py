"""The reference data the migrations load (Bukittinggi's areas, the pillar kinds), loaded again
with the current models where a test or a `--reset` has emptied the database."""

from importlib import import_module

_AREAS = import_module("pilar.regions.migrations.0002_fill_bukittinggi")
_KINDS = import_module("pilar.registry.migrations.0003_fill_pillar_kinds")
_CASEWORK = import_module("pilar.casework.migrations.0002_fill_reference")
KINDS = _KINDS.KINDS


def ensure_reference_data() -> None:
    """Load the Bukittinggi areas, the pillar kinds, the PMKS categories and the activity types
    if they are missing."""
    from pilar.regions.models import Area, AreaAlias
    from pilar.registry.models import PillarKind

    if not Area.objects.filter(code="13.75").exists():
        _AREAS.fill_areas(Area, AreaAlias)
    if PillarKind.objects.count() < len(KINDS):
        _KINDS.fill_kinds(PillarKind)
    from pilar.casework.models import ActivityType, NeedCategory

    if NeedCategory.objects.count() < len(_CASEWORK.NEED_CATEGORIES) or (
        ActivityType.objects.count() < len(_CASEWORK.ACTIVITY_TYPES)
    ):
        _CASEWORK.fill_reference(NeedCategory, ActivityType)
