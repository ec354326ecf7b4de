"""The office an audit entry is written for (docs/OFFICE.md, "Many offices"): the acting
user's, else the office the request or task acts for, `pilar.offices.current()`. The offices app
sits above the audit log in the layers (.importlinter) and hands that reader in when the apps are
ready (`read_with`, called from pilar/offices/apps.py); without it, the installation's top
office. An entry names its office by id only (`acting_office_id`): outside a request or task that
read the office already, the top office's id is read alone, without the flags the scope rules ask
of it (docs/PERFORMANCE.md, "The test suite's time")."""

from __future__ import annotations

from collections.abc import Callable

from pilar.accounts.access import office_of, top_office, top_office_id

_reader: Callable[[], object] | None = None
_id_reader: Callable[[], int | None] | None = None


def read_with(
    reader: Callable[[], object] | None, id_reader: Callable[[], int | None] | None = None
) -> None:
    global _reader, _id_reader
    _reader, _id_reader = reader, id_reader


def acting_office(user=None):
    """The office the work being recorded acts for: the acting user's own (in a request, the
    request's office), else the office the request or task acts for; None only before any
    office exists."""
    office = office_of(user) if user is not None else None
    if office is not None:
        return office
    if _reader is not None:
        return _reader()
    return top_office()


def acting_office_id(user=None) -> int | None:
    """`acting_office(user).pk`, read for an entry that only names its office."""
    office = office_of(user) if user is not None else None
    if office is not None:
        return office.pk
    if _id_reader is not None:
        return _id_reader()
    return top_office_id()
