"""Calendar months as the first day of the month: the unit of reports and stipends."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils.formats import date_format


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def previous_month(day: datetime.date) -> datetime.date:
    """The month before the one `day` lies in (its first day): the latest month that is over."""
    return month_start(month_start(day) - datetime.timedelta(days=1))


def month_end(month: datetime.date) -> datetime.date:
    return next_month(month) - datetime.timedelta(days=1)


def add_months(day: datetime.date, count: int) -> datetime.date:
    """`day` moved `count` months on; the 31st becomes the month's last day where it has none."""
    index = day.year * 12 + day.month - 1 + count
    year, month = divmod(index, 12)
    first = datetime.date(year, month + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def months_between(first: datetime.date, last: datetime.date) -> Iterator[datetime.date]:
    """The months from `first` to `last`, both included."""
    month = month_start(first)
    while month <= last:
        yield month
        month = next_month(month)


def month_runs(months) -> dict[int, list[list[datetime.date]]]:
    """`months` by year, each year's months in runs of consecutive months (sorted, each once):
    {2024: [[May], [Jul, Aug, Sep]]}, for writing them as "Mei, Juli–September 2024"."""
    by_year: dict[int, list[list[datetime.date]]] = {}
    previous = None  # the month index (year * 12 + month) of the last month placed
    for month in sorted(set(months)):
        runs = by_year.setdefault(month.year, [])
        # Month indexes, not next_month(): the bank file asks this once per transfer (100,000
        # in a batch), and building a date each time was a fifth of the CSV's time.
        index = month.year * 12 + month.month
        if runs and previous == index - 1:
            runs[-1].append(month)
        else:
            runs.append([month])
        previous = index
    return by_year


def month_label(month: datetime.date) -> str:
    """Oktober 2024 (in the active language)."""
    return date_format(month, "YEAR_MONTH_FORMAT")


def months_text(months: list[datetime.date], *, short: bool = False) -> str:
    """Months as a person writes them, runs joined: "Mei, Juli–September 2024"; with `short`
    "Mei, Jul–Sep 2024" (in the active language)."""
    name = "M" if short else "F"
    parts = []
    for year, runs in month_runs(months).items():
        labels = [
            date_format(run[0], name)
            if len(run) == 1
            else f"{date_format(run[0], name)}–{date_format(run[-1], name)}"
            for run in runs
        ]
        parts.append(f"{', '.join(labels)} {year}")
    return ", ".join(parts)
