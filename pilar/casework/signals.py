"""What casework asks of the apps built on it, without importing them (pilar/lib/hooks.py,
docs/ARCHITECTURE.md). Each app connects its receivers in its `AppConfig.ready()`."""

from django.dispatch import Signal

from pilar.lib.hooks import answers

# The activity form asks which groups a pillar may name as what an activity was about: sent
# with `duties` (the pillar's duties active on the day); a receiver answers a list of groups
# or None (the kube app: the active KUBE groups in the areas of their Pendamping KUBE duties).
activity_groups = Signal()

# A coordinator reopened a monthly report: sent with `report`; a receiver answers a warning
# to show or None (the stipends app: the month's tali kasih is paid or waiting in a batch).
report_reopened = Signal()


def groups_offered(duties) -> list:
    """The groups the apps above offer for an activity of someone holding `duties`."""
    return [group for found in answers(activity_groups, duties=duties) for group in found]


def reopen_warnings(report) -> list[str]:
    """What the apps above warn of when `report` is reopened."""
    return answers(report_reopened, report=report)
