"""The demo's verivali round (pilar/verivali/demo.py). The demo takes a minute to load: these
checks run on the demo loaded once per day by pilar/core/tests/test_demo_today.py, which calls
`assert_demo_round_in_progress`."""

from __future__ import annotations

import datetime

from pilar.accounts.models import User
from pilar.casework.models import Activity, Household
from pilar.verivali.demo import PSM_USERS, round_kelurahan, semester_name
from pilar.verivali.models import Finding, Round, Visit


def assert_demo_round_in_progress(client, today: datetime.date) -> None:
    rnd = Round.objects.get()
    assert rnd.name == semester_name(today)
    assert rnd.status == Round.Status.OPEN
    assert rnd.period_start < today < rnd.period_end
    assert rnd.deciles == [1, 2, 3, 4]
    # Two kelurahan of each of the three kecamatan; every listed household was of deciles 1-4
    # (an accepted correction may have changed it since, by one).
    areas = set(Visit.objects.values_list("area", flat=True))
    assert areas == {a.pk for a in round_kelurahan()}
    assert len({a.parent_id for a in round_kelurahan()}) == 3
    listed = Visit.objects.filter(household__isnull=False)
    assert set(listed.values_list("household__decile", flat=True)) <= set(range(1, 6))
    assert not Visit.objects.filter(person__isnull=True).exists()
    # Every kind and every state; some visits not visited yet.
    findings = Finding.objects.select_related("visit__household", "activity")
    assert set(findings.values_list("kind", flat=True)) == set(Finding.Kind.values)
    assert set(findings.values_list("status", flat=True)) == set(Finding.Status.values)
    outstanding = Visit.objects.filter(finding__isnull=True).count()
    assert 0.25 * listed.count() < outstanding < 0.6 * listed.count()
    proposed = Visit.objects.get(household__isnull=True)
    assert proposed.finding.kind == "proposed" and proposed.finding.status == "submitted"
    for finding in findings:
        # Dated in the round's period, before the loading day (on it only on the 1st).
        assert rnd.period_start <= finding.visited_on <= today
        assert finding.visited_on < today or today.day == 1
        # Recorded by the visit's pillar, and counted as that pillar's activity.
        assert finding.recorded_by_id == finding.visit.person_id
        assert finding.activity.person_id == finding.visit.person_id
        assert finding.activity.date == finding.visited_on
        if finding.status == "accepted":
            assert finding.applied_at is not None and finding.reviewed_by is not None
        if finding.status == "returned":
            assert finding.review_note
    # Accepted findings are in the household records.
    for finding in findings.filter(status="accepted", kind="moved"):
        assert finding.visit.household.status == Household.Status.MOVED
    for finding in findings.filter(status="accepted", kind="better_off"):
        assert finding.visit.household.status == Household.Status.CLOSED
    # One activity per visit made (a finding corrected after a return keeps its activity).
    assert Activity.objects.filter(pk__in=findings.values("activity")).count() == findings.count()
    # The demo's PSM users have visits, with findings and visits still to make.
    mine = Visit.objects.filter(person__user__username__in=PSM_USERS)
    assert mine.filter(finding__isnull=False).exists()
    assert mine.filter(finding__isnull=True).exists()
    for username in PSM_USERS:
        assert Visit.objects.filter(person__user__username=username).exists(), username
    # The pages open on it: the office's round, the pillar's list, the coordinator's review.
    client.force_login(User.objects.get(username="operator"))
    assert rnd.name in client.get("/verivali/").content.decode()
    assert client.get(f"/verivali/{rnd.pk}/").status_code == 200
    client.force_login(User.objects.get(username="psm-001"))
    assert client.get("/verivali/my/").status_code == 200
    client.force_login(User.objects.get(username="tksk-137501"))
    assert client.get("/verivali/review/").status_code == 200
