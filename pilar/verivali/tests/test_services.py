import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.models import Activity, DecileRecord
from pilar.regions.models import Area
from pilar.verivali import reviews, selectors, services
from pilar.verivali.models import Finding, Round, Visit

from .conftest import D, make_kk, nik, visit_of

pytestmark = pytest.mark.django_db


def record(user, visit, **data):
    version = data.pop("version", None)
    data = {"kind": "confirmed", "visited_on": D(2026, 3, 10), **data}
    return services.finding_record(by=Actor(user=user), visit=visit, data=data, version=version)


def accept(user, finding):
    finding.refresh_from_db()
    return reviews.finding_accept(by=Actor(user=user), finding=finding, version=finding.version)


# --- opening a round ------------------------------------------------------------------------


def test_round_lists_every_active_household_and_gives_each_to_its_pillar(round, households, people):
    given = {v.household_id: v.person_id for v in round.visits.all()}
    assert given == {
        households["h1"].pk: people["a1"].pk,  # the accompanying PSM
        households["h2"].pk: people["a1"].pk,  # the kelurahan's PSM
        households["h3"].pk: people["a2"].pk,
        households["hb"].pk: people["b1"].pk,
        households["h9"].pk: None,  # no PSM in 1003: to assign on the round's page
    }
    assert {v.area_id for v in round.visits.all()} == {h.area_id for h in households.values()}
    entry = AuditEntry.objects.get(object_type="verivali.round", object_id=str(round.pk))
    assert entry.batch == round.pk and entry.changes["visits"] == [None, 5]


def test_round_selection_takes_all_criteria_at_once(open_round, households, area):
    kec_a = area("13.75.01")
    assert open_round(areas=[kec_a]).visits.count() == 4
    only = open_round(areas=[kec_a], deciles=[5])
    assert list(only.visits.values_list("household", flat=True)) == [households["h2"].pk]
    assert only.deciles == [5] and list(only.areas.all()) == [kec_a]


def test_round_spreads_a_kelurahan_among_its_psm_by_fewest_visits(
    households, make_household, make_person, make_assignment, open_round
):
    other = make_person("Eka PSM 1002", kelurahan="13.75.01.1002")
    make_assignment(other, "PSM", "13.75.01.1002")
    for i in range(3):
        make_household("13.75.01.1002", head=f"Pak Nomor{i}")
    round = open_round(areas=[Area.objects.get(code="13.75.01.1002")])
    per_person = {}
    for person_id in round.visits.values_list("person", flat=True):
        per_person[person_id] = per_person.get(person_id, 0) + 1
    assert sorted(per_person.values()) == [2, 2]


def test_opening_does_not_query_per_household(
    households, make_household, open_round, django_assert_max_num_queries
):
    for i in range(25):
        make_household("13.75.01.1002", head=f"Pak Banyak{i}")
    with django_assert_max_num_queries(12):
        round = open_round()
    assert round.visits.count() == 30


def test_round_open_refusals(open_round, households, actors, area):
    with pytest.raises(PermissionDenied):
        services.round_open(
            by=Actor(user=actors["coordinator_a"]),
            data={"name": "x", "period_start": D(2026, 3, 1), "period_end": D(2026, 3, 31)},
        )
    with pytest.raises(ValidationError) as exc:
        open_round(period_end=D(2026, 2, 1), deciles=[11])
    assert set(exc.value.message_dict) == {"period_end", "deciles"}
    with pytest.raises(ValidationError) as exc:
        open_round(deciles=[9])
    assert "No active household" in str(exc.value)
    assert not Round.objects.exists()


# --- recording ------------------------------------------------------------------------------


def test_a_recorded_visit_counts_as_one_activity_of_the_pillar(round, households, actors):
    visit = visit_of(round, households["h2"])  # a1's as PSM of 1001, not in a1's caseload
    finding = record(actors["pillar"], visit, note="Semua sesuai")
    assert finding.status == "submitted" and finding.recorded_by == visit.person
    activity = finding.activity
    assert activity.sector == "perlindungan" and activity.activity_type.code == "DATA_UPDATE"
    assert activity.date == D(2026, 3, 10)
    assert list(activity.households.all()) == [households["h2"]]
    entry = AuditEntry.objects.get(object_type="verivali.finding")
    assert entry.batch == round.pk and entry.action == "create"


def test_a_household_not_assigned_to_the_pillar_is_refused(round, households, a2_user):
    with pytest.raises(ValidationError) as exc:
        record(a2_user, visit_of(round, households["h1"]))
    assert "not assigned to you" in str(exc.value)
    assert not Finding.objects.exists() and not Activity.objects.exists()


def test_the_office_cannot_record_a_finding(round, households, actors):
    with pytest.raises(PermissionDenied):
        record(actors["operator"], visit_of(round, households["h1"]))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"visited_on": D(2026, 2, 28)}, "visited_on"),
        ({"visited_on": D(2026, 3, 25)}, "visited_on"),  # after today
        ({"kind": "moved"}, "moved_to"),
        ({"kind": "not_found"}, "note"),
        ({"kind": "better_off"}, "note"),
        ({"kind": "deceased", "deceased_on": D(2026, 3, 1)}, "deceased_member"),
        ({"kind": "split", "split_members": [999999]}, "split_members"),
        ({"kind": "corrected"}, "changes"),
        ({"kind": "corrected", "changes": {"decile": 11}}, "changes.decile"),
        ({"kind": "corrected", "changes": {"kk_number": "1234"}}, "changes.kk_number"),
        ({"kind": "corrected", "changes": {"rt_rw": "satu"}}, "changes.rt_rw"),
        ({"kind": "confirmed", "changes": {"address": "Jl. Baru"}}, "changes"),
        ({"kind": "proposed"}, "kind"),
    ],
)
def test_bad_findings_are_refused_by_field(round, households, actors, data, field):
    with pytest.raises(ValidationError) as exc:
        record(actors["pillar"], visit_of(round, households["h1"]), **data)
    assert field in exc.value.message_dict
    assert not Finding.objects.exists() and not Activity.objects.exists()


def test_a_corrected_nik_is_checked(round, households, actors):
    head = households["h1"].members.get(relation="head")
    good_nik = nik("L")
    with pytest.raises(ValidationError) as exc:
        record(
            actors["pillar"],
            visit_of(round, households["h1"]),
            kind="corrected",
            changes={"members": {str(head.pk): {"nik": "13750112345"}}},
        )
    assert f"changes.members.{head.pk}.nik" in exc.value.message_dict
    finding = record(
        actors["pillar"],
        visit_of(round, households["h1"]),
        kind="corrected",
        changes={"members": {str(head.pk): {"nik": good_nik, "name": head.name}}},
    )
    # Only what differs is kept.
    assert finding.changes == {"members": {str(head.pk): {"nik": good_nik}}}


def test_two_recordings_of_one_household_the_second_is_told_to_reload(round, households, actors):
    visit = visit_of(round, households["h1"])
    first = record(actors["pillar"], visit)
    with pytest.raises(ValidationError) as exc:
        record(actors["pillar"], visit)
    assert "already recorded" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        record(actors["pillar"], visit, version=first.version + 5)
    assert "Someone else changed" in str(exc.value)
    assert Finding.objects.count() == 1 and Activity.objects.count() == 1


def test_returned_finding_corrected_once_more_without_a_second_activity(round, households, actors):
    visit = visit_of(round, households["h1"])
    finding = record(actors["pillar"], visit)
    reviews.finding_return(
        by=Actor(user=actors["coordinator_a"]),
        finding=finding,
        note="Periksa desilnya",
        version=finding.version,
    )
    finding.refresh_from_db()
    assert finding.status == "returned" and finding.review_note == "Periksa desilnya"
    again = record(
        actors["pillar"], visit, kind="corrected", changes={"decile": 4}, version=finding.version
    )
    assert again.status == "submitted" and again.changes == {"decile": 4}
    assert again.version == finding.version + 1
    assert Activity.objects.count() == 1


def test_a_corrected_visit_day_moves_its_activity(round, households, actors):
    visit = visit_of(round, households["h1"])
    finding = record(actors["pillar"], visit)
    again = record(actors["pillar"], visit, visited_on=D(2026, 3, 12), version=finding.version)
    current = Activity.objects.filter(cancelled_at__isnull=True)
    assert list(current.values_list("date", flat=True)) == [D(2026, 3, 12)]
    assert again.activity == current.get()
    assert Activity.objects.get(pk=finding.activity_id).cancelled_at is not None


def test_a_finding_accepted_cannot_be_edited(round, households, actors):
    visit = visit_of(round, households["h1"])
    finding = accept(actors["coordinator_a"], record(actors["pillar"], visit))
    with pytest.raises(ValidationError) as exc:
        record(actors["pillar"], visit, kind="moved", moved_to="Padang", version=finding.version)
    assert "accepted by the TKSK" in str(exc.value)


def test_closed_round_takes_no_findings(round, households, actors, office_actor):
    services.round_close(by=office_actor, round=round)
    with pytest.raises(ValidationError) as exc:
        record(actors["pillar"], visit_of(round, households["h1"]))
    assert "closed" in str(exc.value)


# --- review and applying --------------------------------------------------------------------


def test_accepting_corrections_applies_them_field_by_field(round, households, actors):
    household = households["h1"]
    head = household.members.get(relation="head")
    new_nik = nik("L")
    child = {"name": "Rina", "sex": "P", "relation": "child", "birth_date": "2015-04-04"}
    finding = record(
        actors["pillar"],
        visit_of(round, household),
        kind="corrected",
        changes={
            "address": "Jl. Perintis No. 9",
            "rt_rw": "3/4",
            "decile": 1,
            "dtsen_id": "DT-77",
            "members": {str(head.pk): {"nik": new_nik, "name": "Amir Sutan"}},
            "new_members": [child],
        },
    )
    accept(actors["coordinator_a"], finding)
    household.refresh_from_db()
    head.refresh_from_db()
    assert (household.address, household.rt_rw, household.decile, household.dtsen_id) == (
        "Jl. Perintis No. 9",
        "003/004",
        1,
        "DT-77",
    )
    assert (head.nik, head.name) == (new_nik, "Amir Sutan")
    assert household.members.filter(name="Rina", left_on__isnull=True).exists()
    record_ = DecileRecord.objects.get(household=household, source="verivali")
    # Dated the visit (10 March) unless a later record exists: the household's decile entered
    # on its form on 20 March is one, so the round's record takes that day and stays the newest.
    assert (record_.decile, record_.reference, record_.as_of) == (1, round.pk, D(2026, 3, 20))
    assert DecileRecord.objects.filter(household=household).first() == record_
    finding.refresh_from_db()
    assert finding.status == "accepted" and finding.applied_at and finding.reviewed_at
    applied = AuditEntry.objects.filter(source="verivali")
    assert applied.count() == 3 and set(applied.values_list("batch", flat=True)) == {round.pk}
    assert applied.filter(object_type="casework.householdmember", action="create").exists()


def test_moved_deceased_split_better_off_and_not_found(
    round, households, actors, a2_user, make_user, people
):
    pillar = actors["pillar"]
    coordinator = actors["coordinator_a"]
    h1, h2, h3 = households["h1"], households["h2"], households["h3"]
    accept(coordinator, record(pillar, visit_of(round, h1), kind="moved", moved_to="Padang"))
    wife = h2.members.get(relation="spouse")
    accept(
        coordinator,
        record(
            pillar,
            visit_of(round, h2),
            kind="deceased",
            deceased_member=wife.pk,
            deceased_on=D(2026, 2, 14),
        ),
    )
    wife3 = h3.members.get(relation="spouse")
    accept(
        coordinator, record(a2_user, visit_of(round, h3), kind="split", split_members=[wife3.pk])
    )
    h1.refresh_from_db()
    wife.refresh_from_db()
    wife3.refresh_from_db()
    assert (h1.status, h1.status_reason) == ("moved", "Padang")
    assert wife.left_on == D(2026, 2, 14) and "Died" in wife.left_reason
    assert wife3.left_on == D(2026, 3, 10) and "Split off" in wife3.left_reason
    hb = households["hb"]
    b1_user = make_user("psm-b1", "pillar", person=people["b1"])
    accept(
        actors["admin"],
        record(b1_user, visit_of(round, hb), kind="better_off", note="Sudah punya toko besar"),
    )
    hb.refresh_from_db()
    assert (hb.status, hb.status_reason) == ("closed", "Sudah punya toko besar")
    # The status history keeps both, dated by the visits, from the round.
    for h, status in [(h1, "moved"), (hb, "closed")]:
        latest = h.status_history.order_by("-as_of", "-pk").first()
        assert (latest.status, latest.reason, latest.source, latest.reference) == (
            status,
            h.status_reason,
            "verivali",
            round.pk,
        )
        # As of the visit, or of the day the household was recorded when that came later.
        recorded = h.status_history.order_by("as_of", "pk").first().as_of
        assert latest.as_of == max(h.status_date, recorded)


def test_not_found_keeps_the_household_active(round, households, actors):
    visit = visit_of(round, households["h2"])
    accept(
        actors["coordinator_a"], record(actors["pillar"], visit, kind="not_found", note="Kosong")
    )
    households["h2"].refresh_from_db()
    assert households["h2"].status == "active"


def test_review_scope_and_state(round, households, actors):
    finding = record(actors["pillar"], visit_of(round, households["h1"]))
    for user in (actors["coordinator_b"], actors["pillar"], actors["viewer"]):
        with pytest.raises(PermissionDenied):
            accept(user, finding)
    assert list(Finding.objects.reviewable_by(actors["coordinator_a"])) == [finding]
    assert not Finding.objects.reviewable_by(actors["coordinator_b"]).exists()
    with pytest.raises(ValidationError) as exc:
        reviews.finding_return(
            by=Actor(user=actors["coordinator_a"]), finding=finding, note=" ", version=1
        )
    assert "note" in exc.value.message_dict
    # Without the version the reviewer saw, nothing is accepted.
    with pytest.raises(ValidationError) as exc:
        reviews.finding_accept(
            by=Actor(user=actors["coordinator_a"]), finding=finding, version=None
        )
    assert "reload" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        reviews.finding_accept(
            by=Actor(user=actors["coordinator_a"]), finding=finding, version=finding.version - 1
        )
    assert "reload" in str(exc.value)
    accept(actors["coordinator_a"], finding)
    with pytest.raises(ValidationError) as exc:
        accept(actors["operator"], finding)
    assert "not waiting for review" in str(exc.value)


def test_a_failed_application_saves_nothing(round, households, actors, make_household):
    other = make_household("13.75.01.1002", head="Pak Lain")
    taken = other.members.get(relation="spouse").nik
    head = households["h1"].members.get(relation="head")
    finding = record(
        actors["pillar"],
        visit_of(round, households["h1"]),
        kind="corrected",
        changes={"address": "Jl. Lain", "decile": 3},
    )
    # Since the finding was recorded, a member's NIK became another household's.
    Finding.objects.filter(pk=finding.pk).update(
        changes={"address": "Jl. Lain", "members": {str(head.pk): {"nik": taken}}}
    )
    with pytest.raises(ValidationError):
        accept(actors["coordinator_a"], finding)
    households["h1"].refresh_from_db()
    assert households["h1"].address == "Jl. Sudirman No. 1"
    assert Finding.objects.get().status == "submitted"


# --- proposals ------------------------------------------------------------------------------


def proposal(**extra):
    return {
        "kk_number": make_kk(),
        "address": "Jl. Baru No. 2",
        "rt_rw": "001/005",
        "decile": 1,
        "area": Area.objects.get(code="13.75.01.1001"),
        "visited_on": D(2026, 3, 12),
        "members": [
            {
                "name": "Pak Baru",
                "sex": "L",
                "relation": "head",
                "nik": nik("L"),
                "birth_date": D(1980, 1, 1),
            },
            {"name": "Anak Baru", "sex": "P", "relation": "child", "birth_date": "2010-05-05"},
        ],
        **extra,
    }


def test_a_proposed_household_is_created_when_accepted(round, households, actors):
    visit = services.visit_propose(by=Actor(user=actors["pillar"]), round=round, data=proposal())
    assert visit.household is None and visit.finding.kind == "proposed"
    assert visit.person == actors["pillar"].person
    accept(actors["coordinator_a"], visit.finding)
    visit.refresh_from_db()
    household = visit.household
    assert household.kk_number == visit.proposed["kk_number"] and household.rt_rw == "001/005"
    assert household.members.count() == 2 and household.decile == 1
    assert DecileRecord.objects.filter(household=household, reference=round.pk).exists()


def test_proposal_refusals(round, households, actors):
    by = Actor(user=actors["pillar"])
    with pytest.raises(ValidationError) as exc:
        services.visit_propose(
            by=by, round=round, data=proposal(kk_number=households["h1"].kk_number)
        )
    assert "already registered" in str(exc.value)
    data = proposal()
    services.visit_propose(by=by, round=round, data=data)
    with pytest.raises(ValidationError) as exc:
        services.visit_propose(by=by, round=round, data={**data})
    assert "already proposed" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        services.visit_propose(
            by=by,
            round=round,
            data=proposal(area=Area.objects.get(code="13.75.02.1001"), members=[]),
        )
    assert set(exc.value.message_dict) >= {"area", "members"}
    assert Visit.objects.filter(household__isnull=True).count() == 1


# --- assigning, closing, progress -----------------------------------------------------------


def test_assigning_an_unassigned_visit(
    round, households, people, office_actor, actors, make_person, make_assignment
):
    visit = visit_of(round, households["h9"])
    with pytest.raises(ValidationError) as exc:
        services.visit_assign(by=office_actor, visit=visit, person=people["b1"])
    assert "person" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.visit_assign(
            by=Actor(user=actors["coordinator_a"]), visit=visit, person=people["tksk_a"]
        )
    # The kecamatan's TKSK serves above the kelurahan: a visit may be given to them too.
    services.visit_assign(by=office_actor, visit=visit, person=people["tksk_a"])
    newcomer = make_person("Fajar PSM 1003", sex="L", kelurahan="13.75.01.1003")
    make_assignment(newcomer, "PSM", "13.75.01.1003", start=D(2026, 1, 1))
    services.visit_assign(by=office_actor, visit=visit, person=newcomer)
    assert Visit.objects.get(pk=visit.pk).person == newcomer
    entry = AuditEntry.objects.filter(object_type="verivali.visit").last()
    assert entry.batch == round.pk


def test_closing_waits_for_reviews_unless_forced(round, households, actors, office_actor):
    record(actors["pillar"], visit_of(round, households["h1"]))
    with pytest.raises(ValidationError) as exc:
        services.round_close(by=office_actor, round=round)
    assert "1 findings still wait" in str(exc.value)
    services.round_close(by=office_actor, round=round, force=True)
    round.refresh_from_db()
    assert round.status == "closed" and round.closed_at


def test_progress_per_kelurahan_and_pillar(round, households, actors, people):
    pillar, coordinator = actors["pillar"], actors["coordinator_a"]
    accept(coordinator, record(pillar, visit_of(round, households["h1"])))
    f2 = record(pillar, visit_of(round, households["h2"]))
    reviews.finding_return(by=Actor(user=coordinator), finding=f2, note="Foto", version=f2.version)
    by_area = selectors.progress(round, actors["operator"], by="area")
    row = next(r for r in by_area.rows if r.key == households["h1"].area_id)
    assert (row.total, row.visited, row.accepted, row.returned, row.waiting, row.outstanding) == (
        2,
        2,
        1,
        1,
        0,
        0,
    )
    assert by_area.totals.total == 5 and by_area.totals.outstanding == 3
    by_person = selectors.progress(round, actors["operator"], by="person")
    rows = {r.key: r for r in by_person.rows}
    assert rows[people["a1"].pk].total == 2 and rows[None].total == 1
    # The coordinator of B sees B only; the figures open their visits.
    mine = selectors.progress(round, actors["coordinator_b"])
    assert [r.total for r in mine.rows] == [1]
    returned = selectors.visits(round, actors["operator"], state="returned")
    assert [v.household for v in returned] == [households["h2"]]
    assert selectors.visits(round, actors["operator"], person=0).get().household == households["h9"]
    assert (
        list(Visit.objects.visible_to(actors["pillar"]).values_list("person", flat=True))
        == [people["a1"].pk] * 2
    )


def test_progress_queries_do_not_grow(round, actors, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        selectors.progress(round, actors["operator"], by="area")
    with django_assert_max_num_queries(4):
        selectors.progress(round, actors["operator"], by="person")


def test_visits_are_written_in_batches_while_the_households_are_read(
    households, make_household, open_round, monkeypatch
):
    for i in range(7):
        make_household("13.75.01.1002", head=f"Pak Batch{i}")
    monkeypatch.setattr(services, "VISITS_BATCH", 3)
    round = open_round()
    listed = list(round.visits.values_list("household", flat=True))
    assert len(listed) == len(set(listed)) == 12


# --- found in review: scope, races, bad input -----------------------------------------------


def test_an_operator_of_one_kecamatan_gets_its_results_only_and_cannot_close_the_city_round(
    round, households, actors, make_user
):
    from pilar.verivali import exports

    accept(actors["coordinator_a"], record(actors["pillar"], visit_of(round, households["h1"])))
    scoped = make_user("operator-a", "operator", area="13.75.01")
    finding = record(
        actors["pillar"], visit_of(round, households["h2"]), kind="moved", moved_to="Padang"
    )
    accept(actors["coordinator_a"], finding)
    everyone = list(exports.result_rows(round))
    mine = list(exports.result_rows(round, scoped))
    assert mine == everyone  # both accepted findings lie in kecamatan A
    other = make_user("operator-b", "operator", area="13.75.02")
    assert list(exports.result_rows(round, other)) == []
    codes = {row[0] for row in exports.summary_rows(round, scoped)}
    assert all(code.startswith("137501") for code in codes) and codes
    with pytest.raises(ValidationError) as exc:
        services.round_close(by=Actor(user=scoped), round=round, force=True)
    assert "outside your area" in str(exc.value)
    round.refresh_from_db()
    assert round.status == "open"


def test_a_correction_after_the_accept_is_refused_and_nothing_applies_twice(
    round, households, actors
):
    visit = visit_of(round, households["h1"])
    child = {"name": "Anak Baru", "sex": "P", "relation": "child"}
    finding = record(actors["pillar"], visit, kind="corrected", changes={"new_members": [child]})
    stale_version = finding.version
    accept(actors["coordinator_a"], finding)
    with pytest.raises(ValidationError):
        record(
            actors["pillar"],
            visit,
            kind="corrected",
            changes={"new_members": [child]},
            version=stale_version,
        )
    assert households["h1"].members.filter(name="Anak Baru").count() == 1


def test_accepting_a_finding_whose_member_is_gone_is_refused_not_a_500(round, households, actors):
    household = households["h1"]
    head = household.members.get(relation="head")
    finding = record(
        actors["pillar"],
        visit_of(round, household),
        kind="corrected",
        changes={"members": {str(head.pk): {"name": "Amir Sutan"}}},
    )
    head.delete()
    with pytest.raises(ValidationError) as exc:
        accept(actors["coordinator_a"], finding)
    assert "no longer there" in str(exc.value)
    finding.refresh_from_db()
    assert finding.status == "submitted" and finding.applied_at is None


@pytest.mark.parametrize(
    "changes",
    [{"members": [1]}, {"decile": 1e400}, {"new_members": 5}, "not a dict"],
)
def test_unreadable_corrections_are_refused_by_field(round, households, actors, changes):
    with pytest.raises(ValidationError) as exc:
        record(
            actors["pillar"], visit_of(round, households["h1"]), kind="corrected", changes=changes
        )
    assert exc.value.message_dict
    assert not Finding.objects.exists()


def test_split_members_not_a_list_is_refused(round, households, actors):
    with pytest.raises(ValidationError) as exc:
        record(actors["pillar"], visit_of(round, households["h1"]), kind="split", split_members=7)
    assert "split_members" in exc.value.message_dict


def test_a_round_lies_in_the_office_years_and_lasts_at_most_a_year(open_round):
    with pytest.raises(ValidationError) as exc:
        open_round(period_start=D(1, 1, 1), period_end=D(9999, 12, 31))
    assert "period_start" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        open_round(period_start=D(2026, 1, 1), period_end=D(2027, 6, 30))
    assert "at most a year" in str(exc.value)


def test_a_new_member_born_before_1900_is_refused(round, households, actors):
    child = {"name": "Bayi", "sex": "L", "relation": "child", "birth_date": "0001-01-01"}
    with pytest.raises(ValidationError) as exc:
        record(
            actors["pillar"],
            visit_of(round, households["h1"]),
            kind="corrected",
            changes={"new_members": [child]},
        )
    assert "1900" in str(exc.value)
