"""What the task worker asks of the apps built on it at each round of its own duties, without
importing them (pilar/lib/hooks.py, docs/ARCHITECTURE.md)."""

from django.dispatch import Signal

# Sent with `now` every round (about every 30 seconds) of `pilar worker`, after the heartbeat
# and the nightly backup. A receiver does what is due (cheaply when nothing is) and answers
# None or what it queued. The dashboard queues the monthly reports on the 11th.
worker_round = Signal()
