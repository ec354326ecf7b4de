"""The office this installation serves, as a record (docs/OFFICE.md)."""


def current():
    """The office every reader uses: its letterhead, signers, public address and policies."""
    from pilar.offices.services import current_office

    return current_office()
