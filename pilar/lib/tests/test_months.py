"""Months in runs, as the bank file's description and the pages write them."""

import datetime

from pilar.lib.months import month_runs

D = datetime.date


def test_months_fall_into_runs_of_consecutive_months_per_year():
    months = [D(2024, 9, 1), D(2024, 5, 1), D(2025, 1, 1), D(2024, 8, 1), D(2024, 7, 1)]
    months += [D(2024, 12, 1), D(2025, 2, 1), D(2024, 8, 1)]  # unsorted, one twice
    assert month_runs(months) == {
        2024: [[D(2024, 5, 1)], [D(2024, 7, 1), D(2024, 8, 1), D(2024, 9, 1)], [D(2024, 12, 1)]],
        # December to January crosses a year: each year is written on its own.
        2025: [[D(2025, 1, 1), D(2025, 2, 1)]],
    }


def test_a_gap_of_a_year_is_not_a_run():
    assert month_runs([D(2023, 5, 1), D(2024, 5, 1)]) == {
        2023: [[D(2023, 5, 1)]],
        2024: [[D(2024, 5, 1)]],
    }
