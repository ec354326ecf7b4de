"""Helpers of the office tests (not a test module)."""

from pilar.offices.models import Office
from pilar.offices.services import EDITABLE


def form_data(office: Office, **changes) -> dict:
    """The form as the page fills it for `office`, with `changes` typed over it."""
    data = {}
    for name in EDITABLE:
        if name == "logo":
            continue
        value = getattr(office, name)
        if name == "area":
            value = office.area_id or ""
        if isinstance(value, bool):
            if not value:
                continue
            value = "on"
        data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data
