"""The OpenAPI document says what the API really answers (issue 14, docs/INPUT.md "## API")."""

import pytest
from ninja import NinjaAPI, Router, Schema

from pilar.core.api import PilarOpenAPISchema


@pytest.fixture
def document(client, reference):
    return client.get("/api/v1/openapi.json").json()


def response_schema(document, path, method="get", status="200"):
    schema = document["paths"][path][method]["responses"][status]["content"]["application/json"]
    return schema["schema"]


def component(document, ref_or_schema):
    schema = ref_or_schema.get("items", ref_or_schema)
    return schema["$ref"].rsplit("/", 1)[-1]


def test_same_named_schemas_of_different_apps_are_each_documented(document):
    schemas = document["components"]["schemas"]
    tagana = component(document, response_schema(document, "/api/v1/tagana/events"))
    training = component(document, response_schema(document, "/api/v1/trainings/events"))
    assert tagana != training
    assert "course_id" not in schemas[tagana]["properties"]
    assert "course_id" in schemas[training]["properties"]

    household = component(document, response_schema(document, "/api/v1/households/{household_id}"))
    members = component(document, schemas[household]["properties"]["members"])
    assert "relation" in schemas[members]["properties"]
    assert "kk_number" not in schemas[members]["properties"]

    kube = component(document, response_schema(document, "/api/v1/kube/groups/{group_id}"))
    kube_members = component(document, schemas[kube]["properties"]["members"])
    assert schemas[kube_members]["properties"]["role"]["enum"] == [
        "chair",
        "secretary",
        "treasurer",
        "member",
    ]
    group = component(document, response_schema(document, "/api/v1/kube/groups"))
    assert schemas[group]["properties"]["status"]["enum"] == ["active", "dissolved"]

    lines = component(
        document, response_schema(document, "/api/v1/stipends/batches/{batch_id}/lines")
    )
    assert "batch_id" in schemas[lines]["properties"]
    handover = component(
        document, response_schema(document, "/api/v1/equipment/handovers/{handover_id}")
    )
    handover_lines = component(document, schemas[handover]["properties"]["lines"])
    assert "condition" in schemas[handover_lines]["properties"]
    assert handover_lines != lines


def test_two_different_schemas_with_one_name_are_refused():
    first = type("LineOut", (Schema,), {"__annotations__": {"amount": int}})
    second = type("LineOut", (Schema,), {"__annotations__": {"condition": str}})
    api = NinjaAPI(urls_namespace="clash")
    router = Router()
    router.get("/a", response=first)(lambda request: None)
    router.get("/b", response=second)(lambda request: None)
    api.add_router("/", router)
    with pytest.raises(ValueError, match="LineOut"):
        PilarOpenAPISchema(api, "")


def test_every_operation_documents_its_errors_in_one_shape(document):
    error = "#/components/schemas/ErrorOut"
    assert set(document["components"]["schemas"]["ErrorOut"]["properties"]) == {"message", "errors"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            public = "security" not in operation
            expected = {"400", "422"} if public else {"400", "401", "403"}
            if "{" in path:
                expected |= {"404", "422"}
            if "requestBody" in operation:
                expected |= {"404", "413", "422"}
            assert expected <= set(responses), (method, path, sorted(responses))
            for status in expected:
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema.get("$ref") == error or status == "404" and public, (path, status)
            assert any(status.startswith("2") for status in responses), (method, path)


def test_bounds_are_in_the_document(document):
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/api/v1/people"]["get"]["parameters"]
    }
    assert (parameters["offset"]["minimum"], parameters["limit"]["maximum"]) == (0, 500)
    year = {
        p["name"]: p["schema"]
        for p in document["paths"]["/api/v1/trainings/events"]["get"]["parameters"]
    }["year"]
    year = next(s for s in year.get("anyOf", [year]) if s.get("type") == "integer")
    assert (year["minimum"], year["maximum"]) == (2000, 2100)
    person = document["components"]["schemas"]["PersonIn"]["properties"]
    assert person["name"]["maxLength"] == 150
    assert person["nik"]["pattern"] == "^[0-9 .-]*$"
    household = document["components"]["schemas"]["HouseholdIn"]["properties"]
    assert household["categories"]["items"]["maximum"] == 2**31 - 1
    activity = document["components"]["schemas"]["ActivityIn"]["properties"]
    assert activity["household_ids"]["items"]["maximum"] == 2**63 - 1
