"""Who gets the installable app's offline side (docs/FIELD.md, "Installable and offline")."""

from pilar.accounts.access import Capability, can


def is_field_pillar(user) -> bool:
    """A signed-in pillar with a linked person: the only user whose pages the phone keeps
    and whose outbox it sends."""
    return bool(user.is_authenticated and user.person_id and can(user, Capability.ACTIVITY_RECORD))
