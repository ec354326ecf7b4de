"""What the trainings app asks of the apps built on it, without importing them
(pilar/lib/hooks.py, docs/ARCHITECTURE.md). Each app connects its receivers in its
`AppConfig.ready()`."""

from django.dispatch import Signal

# A training event's page asks for panels: sent with `event` and `user` (the reader); a
# receiver answers a `Panel` or None (the equipment app: the BASTs made at the event).
event_panels = Signal()
