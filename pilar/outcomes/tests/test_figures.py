"""The outcome figures on a small fixture whose answers are known (conftest.outcomes)."""

import pytest

from pilar.outcomes.figures import outcome_figures
from pilar.outcomes.tests.conftest import AS_OF, D
from pilar.regions.models import Area

pytestmark = pytest.mark.django_db


def test_figures_of_a_kecamatan(outcomes):
    figures = outcome_figures([Area.objects.get(code="13.75.01")], AS_OF)
    assert figures.start == D(2024, 12, 15)
    assert figures.households == {"6m": 2, "none": 4, "short": 1}
    assert figures.movement == {
        "6m": {"improved": 1, "same": 1},
        "none": {"same": 1, "worse": 1, "unknown": 2},
        "short": {"improved": 1},
    }
    assert figures.poorest == {"6m": {"left": 1}, "none": {"stayed": 1}, "short": {"left": 1}}
    assert figures.closures == {"none": {"office": 1}}
    [fakir] = figures.by_category
    assert (fakir.name, fakir.by_group, fakir.better_off) == ("Fakir Miskin", {"none": 1}, {})


def test_the_whole_office_adds_kecamatan_b(outcomes):
    figures = outcome_figures(None, AS_OF)
    assert figures.households == {"6m": 3, "none": 4, "short": 1}
    assert figures.movement["6m"] == {"improved": 2, "same": 1}
