"""The outcomes the demo tells (docs/OUTCOMES.md, "The demo"), checked on the loaded demo by
pilar/core/tests/test_demo_today.py: figures for 2024 through the loading day."""

from __future__ import annotations

import datetime

from pilar.accounts.models import User
from pilar.casework.cohorts import Change, Closure, Group, Poorest
from pilar.outcomes.figures import outcome_figures


def assert_demo_outcomes(client, today: datetime.date, django_assert_max_num_queries) -> None:
    # 2024: the July release moved deciles since the January extract; the 2024 moves.
    late_2024 = outcome_figures(None, datetime.date(2024, 12, 31))
    for group in Group.COMPARED:
        assert late_2024.households[group] > 100
        assert late_2024.movement[group][Change.IMPROVED] > 0
        assert late_2024.poorest[group][Poorest.LEFT] > 0
    assert late_2024.closures[Group.NONE][Closure.MOVED] > 0
    assert all(m.groups > 0 for m in late_2024.kube)
    # The loading day: accompanied households' deciles rose more often (the demo's story).
    now = outcome_figures(None, today)
    assert now.share(Group.ACCOMPANIED, Change.IMPROVED) > now.share(Group.NONE, Change.IMPROVED)
    assert [m.groups > 0 for m in now.kube] == [True] * 12
    # The head of office reads them, each figure linked to the households behind it.
    client.force_login(User.objects.get(username="kepala"))
    with django_assert_max_num_queries(25):
        page = client.get("/outcomes/")
    assert page.status_code == 200
    assert "/households/?accompanied=6m&amp;decile_change=improved" in page.content.decode()
