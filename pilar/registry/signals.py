"""What the registry asks of the apps built on it, without importing them (pilar/lib/hooks.py,
docs/ARCHITECTURE.md). Each app connects its receivers in its `AppConfig.ready()`."""

from django.dispatch import Signal

from pilar.lib.hooks import answers

# The person's page asks for panels: sent with `person`, `user` (the reader), `duties` (the
# person's duties, newest first) and `today`; a receiver answers a `Panel` or None (nothing
# that reader may see). Not sent for a person seen only as they were (docs/PRIVACY.md).
person_panels = Signal()

# A new duty was saved: sent with `person`, `kind` and `on` (its first day); a receiver answers
# a warning to show with it (a course required before appointment not passed) or None.
duty_warnings = Signal()

# The reference data is loaded again where a test or a reset emptied the database
# (pilar/registry/reference.py): each app's receiver loads its own, if missing.
reference_data_needed = Signal()


def new_duty_warnings(person, kind, on) -> list[str]:
    """The warnings the apps above give when `person` is appointed as `kind` from `on`."""
    return answers(duty_warnings, person=person, kind=kind, on=on)
