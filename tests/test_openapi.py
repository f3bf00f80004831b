"""The OpenAPI document: valid 3.1, generated from the schemas, complete, and
honest about the examples; the suite's own responses are checked against it
(see conformance.py)."""

import inspect
import json

import pytest
from flask import Response
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from reports import api, create_app, db, directory_api, openapi, schemas
from reports.openapi_operations import answer, described

from conformance import OpenAPIDocument, spectral_lint

DOCUMENT = "/api/v1/openapi.json"
OPERATIONS = {
    "/api/v1/openapi.json": {"get"},
    "/api/v1/reports": {"get", "post"},
    "/api/v1/reports/{report_id}": {"get", "put", "delete"},
    "/api/v1/reports/by-activity/{activity_id}": {"get"},
    "/api/v1/reports/by-mentor/{mentor_id}": {"get"},
    "/api/v1/reports/summary": {"get"},
    "/api/v1/reports/deleted": {"get"},
    "/api/v1/events": {"get"},
    "/api/v1/reports/{report_id}/review": {"get", "put"},
    "/api/v1/reports/{report_id}/history": {"get"},
    "/api/v1/reports/{report_id}/restore": {"post"},
    "/api/v1/catalogue": {"get"},
    "/api/v1/people": {"get", "post"},
    "/api/v1/people/{person_id}": {"get", "put", "delete"},
    "/api/v1/people/{person_id}/sign-in-links": {"post"},
    "/api/v1/people/{person_id}/tokens": {"get"},
    "/api/v1/people/{person_id}/tokens/{token_name}": {"delete"},
    "/api/v1/activities": {"get", "post"},
    "/api/v1/activities/{activity_id}": {"get", "put", "delete"},
    "/healthz": {"get"},
}
OPERATION_IDS = {
    ("get", "/api/v1/openapi.json"): "getOpenApiDocument",
    ("get", "/api/v1/catalogue"): "getCatalogue",
    ("get", "/api/v1/reports"): "listReports",
    ("post", "/api/v1/reports"): "createReport",
    ("get", "/api/v1/reports/{report_id}"): "getReport",
    ("put", "/api/v1/reports/{report_id}"): "updateReport",
    ("delete", "/api/v1/reports/{report_id}"): "deleteReport",
    ("get", "/api/v1/reports/by-activity/{activity_id}"): "listReportsByActivity",
    ("get", "/api/v1/reports/by-mentor/{mentor_id}"): "listReportsByMentor",
    ("get", "/api/v1/reports/summary"): "summariseReports",
    ("get", "/api/v1/reports/deleted"): "listDeletedReports",
    ("get", "/api/v1/events"): "listEvents",
    ("get", "/api/v1/reports/{report_id}/review"): "getReview",
    ("put", "/api/v1/reports/{report_id}/review"): "reviewReport",
    ("get", "/api/v1/reports/{report_id}/history"): "getHistory",
    ("post", "/api/v1/reports/{report_id}/restore"): "restoreReport",
    ("get", "/healthz"): "getHealth",
    ("get", "/api/v1/people"): "listPeople",
    ("post", "/api/v1/people"): "createPerson",
    ("get", "/api/v1/people/{person_id}"): "getPerson",
    ("put", "/api/v1/people/{person_id}"): "updatePerson",
    ("delete", "/api/v1/people/{person_id}"): "removePerson",
    ("post", "/api/v1/people/{person_id}/sign-in-links"): "createSignInLink",
    ("get", "/api/v1/people/{person_id}/tokens"): "listTokens",
    ("delete", "/api/v1/people/{person_id}/tokens/{token_name}"): "revokeToken",
    ("get", "/api/v1/activities"): "listActivities",
    ("post", "/api/v1/activities"): "createActivity",
    ("get", "/api/v1/activities/{activity_id}"): "getActivity",
    ("put", "/api/v1/activities/{activity_id}"): "updateActivity",
    ("delete", "/api/v1/activities/{activity_id}"): "archiveActivity",
}


@pytest.fixture
def document(client):
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def resolve(document, node):
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = document["components"][kind][name]
    return node


def conforms(document, schema, instance):
    """Whether `instance` matches `schema`, with `#/components/...` references resolved."""
    wrapped = {"$ref": "urn:doc#/components/schemas/__probe__"}
    probe = {**document, "components": {**document["components"]}}
    probe["components"]["schemas"] = {**document["components"]["schemas"], "__probe__": schema}
    registry = Registry().with_resource(
        "urn:doc", Resource(contents=probe, specification=DRAFT202012)
    )
    return not list(Draft202012Validator(wrapped, registry=registry).iter_errors(instance))


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_the_document_has_every_endpoint_and_method(document):
    assert {
        path: set(ops) - {"parameters", "options"} for path, ops in document["paths"].items()
    } == OPERATIONS


def test_every_operation_documents_its_errors_as_problem_details(document):
    for path, operations in OPERATIONS.items():
        for method in operations:
            responses = document["paths"][path][method]["responses"]
            errors = [
                resolve(document, responses[s]) for s in responses if s.startswith(("4", "5"))
            ]
            assert {"500", "503"} <= set(responses), (path, method)
            for error in errors:
                assert (
                    resolve(document, error["content"]["application/problem+json"]["schema"])
                    == (document["components"]["schemas"]["Problem"])
                )


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/reports", "post", {"201", "400", "413", "415", "422"}),
        (
            "/api/v1/reports/{report_id}",
            "put",
            {"200", "400", "404", "409", "412", "413", "415", "422"},
        ),
        ("/api/v1/reports/{report_id}", "delete", {"200", "404", "412"}),
        ("/api/v1/reports/{report_id}", "get", {"200", "304", "404"}),
        ("/api/v1/reports", "get", {"200", "422"}),
    ],
)
def test_each_operation_lists_the_statuses_it_can_answer(document, path, method, statuses):
    assert statuses <= set(document["paths"][path][method]["responses"])


def test_every_contract_example_matches_its_own_schema(document):
    checked = 0
    for operations in document["paths"].values():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            bodies = [operation.get("requestBody", {})]
            bodies += [resolve(document, r) for r in operation["responses"].values()]
            for body in bodies:
                for media in body.get("content", {}).values():
                    if "example" in media:
                        assert conforms(document, media["schema"], media["example"]), media
                        checked += 1
    # The contract's seven responses and two request bodies, the CSV and NDJSON
    # exports of the three lists, the summary and its CSV, the deleted ids, the
    # review's three, the history and restore, the health check and GET /catalogue; the
    # directory's eight answers and two bodies of people, five and two of activities; the
    # events feed.
    assert checked == 9 + 3 * 2 + 2 + 1 + 3 + 2 + 1 + 1 + 10 + 7 + 1


def test_the_request_shapes_come_from_the_marshmallow_schemas(document):
    schemas = document["components"]["schemas"]

    assert set(schemas["NewReport"]["required"]) == {"activity_id", "peer_mentor_id", "org_id"}
    assert schemas["NewReport"]["additionalProperties"] is False
    assert set(schemas["ReportChanges"]["properties"]) == {"status", "fields", "activity_id"}
    fields = schemas["ReportFields"]["properties"]
    assert fields["attendance_count"]["maximum"] == 1000
    assert fields["session_topic"]["maxLength"] == 200
    assert fields["mentor_notes"]["maxLength"] == 10000


def test_with_a_default_org_id_the_document_makes_org_id_optional(database):
    client = create_app({"DATABASE": database, "DEFAULT_ORG_ID": "org_home"}).test_client()
    db.init_db(database)

    assert (
        "org_id" not in client.get(DOCUMENT).json["components"]["schemas"]["NewReport"]["required"]
    )


def test_the_conformance_check_catches_an_undocumented_status(app, document):
    checker = OpenAPIDocument(document)

    with pytest.raises(AssertionError, match="does not list"):
        checker.check(app, "DELETE", "/api/v1/reports/rpt_00000000", Response(status=409))


def test_the_conformance_check_catches_a_body_that_breaks_the_schema(app, document):
    checker = OpenAPIDocument(document)
    wrong = Response('{"report_id": 5}', status=200, mimetype="application/json")

    with pytest.raises(AssertionError):
        checker.check(app, "GET", "/api/v1/reports/rpt_00000000", wrong)


def test_the_document_declares_the_bearer_scheme_and_that_a_token_may_be_needed(client):
    document = client.get("/api/v1/openapi.json").json

    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}, {}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "parameters" and operation.get("security") != []:
                assert "401" in operation["responses"], (method, path)


def test_the_document_describes_healthz_which_needs_no_token(document):
    healthz = document["paths"]["/healthz"]["get"]

    assert healthz["security"] == []
    assert {"200", "503"} <= set(healthz["responses"])


def test_every_operation_takes_and_answers_x_request_id(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            parameters = [resolve(document, p) for p in operation.get("parameters", [])]
            names = [p["name"] for p in parameters if p["in"] == "header"]
            assert "X-Request-ID" in names, (method, path)
            for status, response in operation["responses"].items():
                assert "X-Request-ID" in resolve(document, response).get("headers", {}), (
                    method,
                    path,
                    status,
                )


def test_every_path_documents_options_as_a_204_with_allow(document):
    for path, operations in document["paths"].items():
        answer = operations["options"]["responses"]["204"]
        assert "Allow" in answer["headers"], path
        assert "content" not in answer, path


# Declared beside the routes, and a designed API's names --------------------------------


def operations(document):
    """((method, path), operation) of every operation of the document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield (method, path), operation


def test_each_operation_has_its_short_operation_id(document):
    ids = {where: operation["operationId"] for where, operation in operations(document)}

    assert {where: ids[where] for where in OPERATION_IDS} == OPERATION_IDS
    assert len(set(ids.values())) == len(ids)
    assert ids[("options", "/api/v1/reports/{report_id}/review")] == "optionsReportsReportIdReview"


def test_each_operation_has_one_tag_of_the_document_and_words_of_its_own(document):
    tags = {tag["name"] for tag in document["tags"]}

    assert tags == {"reports", "review", "sync", "exports", "service", "directory"}
    for where, operation in operations(document):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, where
        assert operation["summary"] and operation["description"], where
    assert {
        operation["tags"][0] for where, operation in operations(document) if where[0] != "options"
    } == tags


def test_every_route_of_the_api_declares_its_operation_and_every_declaration_is_routed(app):
    api_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{api.bp.name}.") or rule.endpoint == "healthz"
    ]
    undeclared = [
        rule.rule
        for rule in api_rules
        if not hasattr(app.view_functions[rule.endpoint], "operation")
    ]
    routed = {app.view_functions[rule.endpoint] for rule in api_rules}
    declared = [
        view
        for module in (api, directory_api)
        for view in vars(module).values()
        if inspect.isfunction(view) and hasattr(view, "operation")
    ]

    assert undeclared == []
    assert [view.__name__ for view in declared if view not in routed] == []
    assert len(declared) == len(OPERATION_IDS)


def test_the_document_is_assembled_from_the_routes_of_the_app(database):
    @described("getExtra", "service", answers={200: answer("It is.", "Health", example="health")})
    def extra():
        """An extra operation

        Routed by this test alone.
        """

    app = create_app({"DATABASE": database})
    app.add_url_rule("/api/v1/extra/<report_id>", view_func=extra)

    operation = openapi.build_spec(app)["paths"]["/api/v1/extra/{report_id}"]
    assert operation["get"]["operationId"] == "getExtra"
    assert operation["get"]["summary"] == "An extra operation"
    assert operation["parameters"] == [{"$ref": "#/components/parameters/PathReportId"}]


def nodes(node, where=()):
    """(where, node) of every object in a part of the document."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from nodes(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nodes(value, (*where, index))


def test_every_enum_is_a_component_of_its_own_that_each_use_refers_to(document):
    components = document["components"]
    enums = {name for name, schema in components["schemas"].items() if "enum" in schema}
    inline = [
        where
        for part in (document["paths"], components["parameters"], components["schemas"])
        for where, node in nodes(part)
        if "enum" in node and not (len(where) == 1 and where[0] in enums)
    ]

    assert inline == []
    assert enums == set(schemas.ENUMS) | {"ParticipantEngagement"}
    review_state = components["schemas"]["Review"]["properties"]["review_state"]
    assert review_state["anyOf"] == [
        {"$ref": "#/components/schemas/ReviewState"},
        {"type": "null"},
    ]


def test_every_parameter_is_a_component_that_each_operation_refers_to(document):
    for where, operation in operations(document):
        assert all(set(p) == {"$ref"} for p in operation.get("parameters", [])), where
    for path, item in document["paths"].items():
        assert all(set(p) == {"$ref"} for p in item.get("parameters", [])), path
    status = document["components"]["parameters"]["QueryStatus"]
    assert status["schema"] == {"$ref": "#/components/schemas/ReportStatus"}


def test_a_catalogue_choice_named_like_another_component_gets_a_name_of_its_own(database):
    document = {
        "paths": {},
        "components": {
            "parameters": {},
            "schemas": {
                "Review": {"type": "object"},
                "Fields": {
                    "properties": {
                        "review": {
                            "type": "string",
                            "enum": ["a", "b"],
                            schemas.ENUM_NAME: "Review",
                        },
                        "state": {
                            "type": "string",
                            "enum": ["x"],
                            schemas.ENUM_NAME: "ReviewState",
                        },
                    }
                },
            },
        },
    }

    named = openapi.with_named_enums(document)["components"]["schemas"]

    assert named["Fields"]["properties"]["review"] == {"$ref": "#/components/schemas/ReviewChoice"}
    assert named["Fields"]["properties"]["state"] == {
        "$ref": "#/components/schemas/ReviewStateChoice"
    }
    assert named["ReviewChoice"] == {"type": "string", "enum": ["a", "b"]}
    assert named["Review"] == {"type": "object"}


def test_spectral_finds_nothing_to_say_of_the_document(document, tmp_path):
    results = spectral_lint(document, tmp_path)

    assert [(result["code"], ".".join(map(str, result["path"]))) for result in results] == []


def test_spectral_finds_what_a_document_without_operation_ids_lacks(document, tmp_path):
    stripped = json.loads(json.dumps(document))
    del stripped["paths"]["/api/v1/reports"]["get"]["operationId"]

    results = spectral_lint(stripped, tmp_path)

    assert [result["code"] for result in results] == ["operation-operationId"]
