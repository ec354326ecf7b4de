"""Casework's reference data (the PMKS categories, the activity types), which its migration
loads, loaded again where a test or a `--reset` has emptied the database: the receiver of the
registry's `reference_data_needed` (pilar/registry/reference.py), connected in
CaseworkConfig.ready()."""

from importlib import import_module

from pilar.casework.models import ActivityType, NeedCategory

_CASEWORK = import_module("pilar.casework.migrations.0002_fill_reference")


def ensure_casework_reference(sender=None, **kwargs) -> None:
    """Load the PMKS categories and the activity types if they are missing."""
    if NeedCategory.objects.count() < len(_CASEWORK.NEED_CATEGORIES) or (
        ActivityType.objects.count() < len(_CASEWORK.ACTIVITY_TYPES)
    ):
        _CASEWORK.fill_reference(NeedCategory, ActivityType)
