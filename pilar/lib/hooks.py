"""Hooks: how an app lower in the layers shows or asks for what apps above it contribute,
without importing them (docs/ARCHITECTURE.md).

The lower app declares a Django `Signal` (in its `signals.py`) and sends it; each app above
connects a receiver in its `AppConfig.ready()` and answers. A page that shows panels from other
apps (the person's page: trainings, equipment) gets each answer as a `Panel`: a template, its
context and a place on the page. Receivers that have nothing to show answer None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.dispatch import Signal


@dataclass(frozen=True)
class Panel:
    """A part of a page contributed by another app: `template` rendered with the page's context
    and `context` on top of it (`{% panel %}`, pilar/registry/templatetags/pilar.py); panels
    are shown in the order of `order`."""

    template: str
    context: dict = field(default_factory=dict)
    order: int = 0


def answers(signal: Signal, **kwargs) -> list:
    """What the receivers of `signal` answered (None answers left out), in the order they were
    connected. A receiver's error is not caught: a broken contribution fails loudly."""
    replies = signal.send(sender=None, **kwargs)
    return [answer for _receiver, answer in replies if answer is not None]


def panels(signal: Signal, **kwargs) -> list[Panel]:
    """The panels the receivers of `signal` contribute, in their `order`."""
    return sorted(answers(signal, **kwargs), key=lambda panel: panel.order)
