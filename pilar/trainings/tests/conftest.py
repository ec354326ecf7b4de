"""Fixtures of the certificate tests (their factories are in certificate_support.py)."""

import pytest

from pilar.audit.services import Actor
from pilar.trainings.tests.certificate_support import SECRET_PHONE_ADDRESS, enrol, make_event


@pytest.fixture
def issuer(actors):
    return Actor(user=actors["operator"])


@pytest.fixture
def cert_event(db):
    return make_event()


@pytest.fixture
def certified(people, cert_event, issuer):
    """a1 passed and attended; her certificate issued. Her NIK, phone and address are set so
    tests can look for them where they must never be."""
    from pilar.trainings.certificates import certificate_issue

    a1 = people["a1"]
    a1.phone, a1.address = SECRET_PHONE_ADDRESS
    a1.save(update_fields=["phone", "address"])
    participant = enrol(cert_event, a1)
    return certificate_issue(by=issuer, participant=participant)
