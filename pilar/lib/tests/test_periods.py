"""The period rules of pilar.lib.periods: the names they give, what they refuse, and that the
models built on them have in the database the constraints their migrations created."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import F, Q

from pilar.lib.periods import end_after_start, one_open_per, one_per_month, span_constraints

D = datetime.date


def test_rules_are_named_table_then_rule():
    assert [c.name for c in span_constraints("caseload", one_open="household")] == [
        "caseload_one_open_per_household",
        "caseload_end_after_start",
    ]
    assert [c.name for c in span_constraints("assignment")] == ["assignment_end_after_start"]
    assert one_per_month("report", "person", "kind").name == "report_one_per_person_kind_month"
    assert one_per_month("kube_record", "group", rule="month").name == "kube_record_one_per_month"
    assert one_per_month("report", "person", "kind").fields == ("person", "kind", "month")


def test_an_open_span_may_end_empty_a_closed_one_may_not():
    open_ended = end_after_start("x", start="start", end="end")
    closed = end_after_start("x", open_ended=False)
    assert open_ended.condition == Q(end__isnull=True) | Q(end__gte=F("start"))
    assert closed.condition == Q(end_date__gte=F("start_date"))
    assert one_open_per("x", "group").condition == Q(end_date__isnull=True)


def test_a_span_is_active_from_its_first_to_its_last_day():
    from pilar.registry.models import Assignment

    duty = Assignment(start_date=D(2024, 1, 10), end_date=D(2024, 3, 31))
    assert not duty.is_active_on(D(2024, 1, 9))
    assert duty.is_active_on(D(2024, 1, 10)) and duty.is_active_on(D(2024, 3, 31))
    assert not duty.is_active_on(D(2024, 4, 1)) and duty.has_ended_by(D(2024, 4, 1))
    assert Assignment(start_date=D(2024, 1, 10)).is_active_on(D(2099, 1, 1))


BUILT = [
    ("casework.Caseload", ["caseload_one_open_per_household", "caseload_end_after_start"]),
    ("casework.MonthlyReport", ["report_one_per_person_kind_month"]),
    ("kube.KubeCompanion", ["kube_companion_one_open_per_group", "kube_companion_end_after_start"]),
    ("kube.KubeMonthlyRecord", ["kube_record_one_per_month"]),
    ("registry.Assignment", ["assignment_end_after_start"]),
    ("stipends.StipendLine", ["stipend_line_one_per_person_kind_month"]),
    ("tagana.Deployment", ["tagana_deployment_end_after_start"]),
    ("trainings.TrainingEvent", ["training_event_end_after_start"]),
    ("equipment.HandoverLine", ["handover_line_reversal_has_reason"]),
    ("equipment.Return", ["return_reversal_has_reason"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,names", BUILT)
def test_the_database_holds_the_rules_by_their_names(label, names):
    from django.apps import apps

    model = apps.get_model(label)
    assert set(names) <= {c.name for c in model._meta.constraints}
    with connection.cursor() as cursor:
        in_database = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert set(names) <= set(in_database), sorted(in_database)
