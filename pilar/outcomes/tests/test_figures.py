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


def test_the_tables_for_the_monthly_report_hold_the_same_numbers(outcomes):
    figures = outcome_figures([Area.objects.get(code="13.75.01")], AS_OF)
    tables = {title: (columns, rows) for title, columns, rows in figures.as_tables()}
    columns, rows = tables["Decile movement over 12 months"]
    assert columns == ["Movement", "Accompanied 6 months or more", "Not (yet) accompanied"]
    assert rows == [
        ["Higher decile (better off)", 1, 0],
        ["Same decile", 1, 1],
        ["Lower decile (poorer)", 0, 1],
        ["Unknown (no decile on one of the two days)", 0, 2],
    ]
    columns, rows = tables["Cases closed in the 12 months, by PMKS category"]
    assert rows == [["Fakir Miskin", 0, 1, 0, 0]]
    columns, rows = tables["KUBE groups' monthly turnover"]
    # The last month ended by 15 December 2025: November.
    assert len(rows) == 12 and rows[0][0] == "2024-12" and rows[-1][0] == "2025-11"


def test_an_earlier_day_reads_the_history_as_it_stood(outcomes):
    """The twelve months to 1 December 2024: the first deciles came on 1 March 2024 (within the
    window: the households start from them, and none has moved since), h8's closing in
    September 2024 falls within it, h7's does not yet, and h6 is not yet accompanied."""
    figures = outcome_figures([Area.objects.get(code="13.75.01")], D(2024, 12, 1))
    # Accompanied since 1 June 2024: 184 days of the window by 1 December 2024.
    assert figures.households == {"6m": 2, "none": 6}
    assert figures.movement == {"6m": {"same": 2}, "none": {"same": 4, "unknown": 2}}
    assert figures.closures == {"none": {"office": 1}}
    assert [r.name for r in figures.by_category] == []  # h8 held no category


def test_a_household_closed_then_reopened_is_not_a_closed_case(outcomes, system_actor):
    """h7 was closed by the office in March 2025; reopened in May, it is no closed case of the
    window (its closing was undone), and the households list behind the figure agrees."""
    from pilar.casework import services
    from pilar.outcomes.tests.conftest import travel

    with travel(D(2025, 5, 2)):
        services.household_update(
            by=system_actor,
            household=outcomes["h7"],
            data={"status": "active", "status_reason": ""},
        )
    figures = outcome_figures([Area.objects.get(code="13.75.01")], AS_OF)
    assert figures.closures == {}
    assert figures.by_category == []
    # Closed again in July: a closed case once more.
    with travel(D(2025, 7, 1)):
        services.household_update(
            by=system_actor,
            household=outcomes["h7"],
            data={"status": "closed", "status_reason": "Pindah"},
        )
    figures = outcome_figures([Area.objects.get(code="13.75.01")], AS_OF)
    assert sum(figures.closures.get("none", {}).values()) == 1
