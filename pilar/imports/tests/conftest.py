import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Import tests read messages in English (the catalog has them in Indonesian too)."""
    with translation.override("en"):
        yield
