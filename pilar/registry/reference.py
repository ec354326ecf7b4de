"""The reference data the migrations load (Bukittinggi's areas, the pillar kinds), loaded again
with the current models where a test or a `--reset` has emptied the database. The apps built on
the registry load theirs through `reference_data_needed` (pilar/registry/signals.py)."""

from importlib import import_module

from pilar.registry.signals import reference_data_needed

_AREAS = import_module("pilar.regions.migrations.0002_fill_bukittinggi")
_KINDS = import_module("pilar.registry.migrations.0003_fill_pillar_kinds")
KINDS = _KINDS.KINDS


def ensure_reference_data() -> None:
    """Load the Bukittinggi areas and the pillar kinds if they are missing, then ask the other
    apps to load theirs (casework: the PMKS categories and the activity types)."""
    from pilar.regions.models import Area, AreaAlias
    from pilar.registry.models import PillarKind

    if not Area.objects.filter(code="13.75").exists():
        _AREAS.fill_areas(Area, AreaAlias)
    if PillarKind.objects.count() < len(KINDS):
        _KINDS.fill_kinds(PillarKind)
    reference_data_needed.send(sender=None)
