"""The API fuzzer: every operation of /api/v1/openapi.json, with values schemathesis draws from
the schema (and values that break it), for an admin and for a coordinator, on a database seeded
through the API itself so that ids in paths name real rows.

What must hold (issue 14, docs/INPUT.md "## API"): no 5xx, and every answer is documented —
its status code, its content type and its body's schema.

A few examples per operation keep the run within minutes; the draw is derandomized (the same
cases on every run), so a failure here is a bug to fix, not a flake.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pilar.wsgi import application

# Examples drawn per operation: schema-valid ones, then schema-breaking ones (half as many).
# PILAR_FUZZ_EXAMPLES draws more for a deeper run by hand; the suite keeps the default.
POSITIVE_EXAMPLES = int(os.environ.get("PILAR_FUZZ_EXAMPLES", "5"))
NEGATIVE_EXAMPLES = max(1, POSITIVE_EXAMPLES // 2)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Operations whose answer is a file (PDF, XLSX, CSV): conformance is their status and type.
FILE_PATHS = ("/transfer", "/nominatif", "/receipts", ".pdf", ".xlsx", ".csv")

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def in_test_transaction():
    """Requests through the WSGI application would close the test's database connection at
    their end (as the Django test client avoids too): keep it open for the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def token_for(username: str) -> str:
    out = io.StringIO()
    call_command("token", "create", username, "--name", "fuzz", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


class Seeder:
    """Writes a little of everything through the API and remembers the ids."""

    def __init__(self, client, token: str):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        self.ids: dict[str, int] = {}

    def post(self, path: str, body: dict, key: str | None = None, *, headers=None) -> dict:
        response = self.client.post(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            **(headers or self.headers),
        )
        assert response.status_code in (200, 201, 202), (path, response.content[:500])
        data = response.json()
        if key:
            self.ids[key] = data["id"]
        return data


@pytest.fixture
def seeded(client, actors, people):
    admin = Seeder(client, token_for(actors["admin"].username))
    pillar_headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(actors['pillar'].username)}"}
    ids = admin.ids
    ids["person_id"] = people["a1"].pk
    ids["assignment_id"] = people["a1"].assignments.get().pk
    upload = io.BytesIO(b"NIK,Nama\n1375014506850001,Ani\n")
    upload.name = "roster.csv"
    response = client.post("/api/v1/imports", {"file": upload}, **admin.headers)
    assert response.status_code == 201, response.content
    ids["import_id"] = response.json()["id"]
    household = admin.post(
        "/households",
        {
            "kk_number": "1375011501200001",
            "area_code": "13.75.01.1001",
            "address": "Jl. Sudirman 1",
            "categories": [1],
            "head": {"name": "Pak Amir", "sex": "L", "birth_date": "1970-01-01"},
        },
        "household_id",
    )
    admin.post(
        f"/households/{household['id']}/caseload",
        {"person_id": people["a1"].pk, "start_date": "2024-01-01"},
    )
    admin.post(
        "/activities",
        {"date": "2024-10-22", "activity_type": "HOME_VISIT", "household_ids": [household["id"]]},
        headers=pillar_headers,
    )
    admin.post(
        "/reports", {"kind": "PSM", "month": "2024-10-01"}, "report_id", headers=pillar_headers
    )
    admin.post(
        "/kube/groups",
        {
            "name": "KUBE Fuzz",
            "area_code": "13.75.01.1001",
            "business_type": "Kerupuk",
            "founded_on": "2023-01-01",
        },
        "group_id",
    )
    event = admin.post(
        "/tagana/events",
        {
            "kind": "flood",
            "started_on": "2024-10-01",
            "area_code": "13.75.01.1001",
            "description": "Banjir",
        },
    )
    ids["tagana_event_id"] = event["id"]
    admin.post(
        "/stipends/rates", {"kind": "PSM", "amount": 400000, "valid_from": "2024-01"}, "rate_id"
    )
    # A month is paid for a verified report, to a bank account.
    coordinator = {"HTTP_AUTHORIZATION": f"Bearer {token_for(actors['coordinator_a'].username)}"}
    admin.post(f"/reports/{ids['report_id']}/verify", {}, headers=coordinator)
    response = client.patch(
        f"/api/v1/people/{people['a1'].pk}",
        json.dumps(
            {"bank_name": "Bank Nagari", "bank_account": "1234567890", "bank_holder": "Ani"}
        ),
        content_type="application/json",
        **admin.headers,
    )
    assert response.status_code == 200, response.content
    response = client.put(
        "/api/v1/stipends/budgets",
        json.dumps({"year": 2024, "funding_source": "APBD", "amount": 10**9}),
        content_type="application/json",
        **admin.headers,
    )
    assert response.status_code == 200, response.content
    admin.post(
        "/stipends/batches",
        {"first_month": "2024-10", "last_month": "2024-10", "kinds": ["PSM"], "year": 2024},
        "batch_id",
    )
    admin.post(
        "/trainings/courses", {"name": "Dasar PSM", "level": "basic", "hours": 16}, "course_id"
    )
    event = admin.post(
        "/trainings/events",
        {
            "course_id": ids["course_id"],
            "start_date": "2024-10-21",
            "end_date": "2024-10-22",
            "place": "Aula",
            "organiser": "Dinas Sosial",
        },
    )
    ids["training_event_id"] = event["id"]
    invited = admin.post(
        f"/trainings/events/{event['id']}/participants", {"person_ids": [people["a1"].pk]}
    )
    ids["participant_id"] = invited["invited"][0]
    admin.post(
        "/equipment/items", {"name": "Rompi", "category": "clothing", "unit": "buah"}, "item_id"
    )
    admin.post(
        "/equipment/receipts",
        {"item_id": ids["item_id"], "received_on": "2024-01-02", "quantity": 10, "source": "APBD"},
    )
    admin.post(
        "/equipment/handovers",
        {
            "giver_name": "Kasi",
            "handed_on": "2024-02-01",
            "lines": [{"person_id": people["a1"].pk, "item_id": ids["item_id"], "quantity": 1}],
        },
        "handover_id",
    )
    return ids


def path_ids(path: str, ids: dict[str, int]) -> dict[str, object]:
    """Real ids for the operation's path parameters (an event is Tagana's or a training's)."""
    known = dict(ids)
    known["event_id"] = ids["tagana_event_id" if "/tagana/" in path else "training_event_id"]
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return {name: known[name] for name in names if name in known}


def fuzz(username: str, ids: dict[str, int]) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    headers = {"Authorization": f"Bearer {token_for(username)}"}
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        fixed = path_ids(operation.path, ids)
        strategies = [
            (POSITIVE_EXAMPLES, operation.as_strategy(path_parameters=fixed)),
            (
                NEGATIVE_EXAMPLES,
                operation.as_strategy(
                    generation_mode=GenerationMode.NEGATIVE, path_parameters=fixed
                ),
            ),
        ]
        for examples, strategy in strategies:

            @given(case=strategy)
            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                request = (
                    f"{username} {case.method} {case.formatted_path} query={case.query} "
                    f"body={str(case.body)[:200]}"
                )
                try:
                    response = case.call(headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported at the end
                    failures.append(f"{request} -> raised {exc!r}"[:1500])
                    return
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported at the end
                    failures.append(
                        f"{request} -> {response.status_code} {response.text[:300]}\n    {exc}"[
                            :1500
                        ]
                    )

            # Unsatisfiable: nothing to break (every parameter is fixed, the path's ids, or absent).
            with contextlib.suppress(Unsatisfiable):
                check()
    print(username, "answers by status:", dict(sorted(statuses.items())))
    return failures


@pytest.mark.parametrize("role", ["admin", "coordinator_a"])
def test_every_operation_answers_as_documented(role, actors, seeded):
    with in_test_transaction():
        failures = fuzz(actors[role].username, seeded)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
