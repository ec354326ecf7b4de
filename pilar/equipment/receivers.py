"""What the equipment app contributes to the pages of the apps below it, through their hooks
(pilar/lib/hooks.py): what a person holds on their page (pilar/registry/signals.py) and the
BASTs made at a training event on its page (pilar/trainings/signals.py). Connected in
EquipmentConfig.ready()."""

from __future__ import annotations

from pilar.accounts.access import Capability, can
from pilar.equipment.models import Handover
from pilar.equipment.selectors import HandoverFilter, matching_handovers, person_holdings
from pilar.lib.hooks import Panel

# After the trainings panel on the person's page.
PERSON_PANEL_ORDER = 20


def person_panel(sender, *, person, user, duties, today, **kwargs) -> Panel | None:
    """What the person holds, and how many items they must still return when none of their
    duties is active today or yet to start, for those who may see equipment."""
    if not can(user, Capability.EQUIPMENT_VIEW):
        return None
    held = person_holdings(person, user)
    context = {"holdings": held}
    if all(duty.has_ended_by(today) for duty in duties):
        context["to_return"] = sum(h["held"] for h in held if h["item__needs_return"])
    return Panel("equipment/_person_panel.html", context, order=PERSON_PANEL_ORDER)


def event_panel(sender, *, event, user, **kwargs) -> Panel | None:
    """The BASTs made at a training `event`, for those who may see equipment; and whether to
    offer one."""
    if not can(user, Capability.EQUIPMENT_VIEW):
        return None
    shown = matching_handovers(user, HandoverFilter(event_id=event.pk))
    handovers = list(shown.order_by("handed_on", "pk"))
    return Panel(
        "equipment/_event_panel.html",
        {
            "handovers": handovers,
            "handovers_hidden": Handover.objects.filter(training_event=event).count()
            - len(handovers),
            "may_hand_over": can(user, Capability.EQUIPMENT_EDIT),
        },
    )
