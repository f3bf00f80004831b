"""GET /api/v1/catalogue answers the report form in force, for clients that build
forms from it, and the OpenAPI document is the document of that form: its fields,
its filters and the summary's figures."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from reports import auth

from conformance import BASE, OpenAPIDocument, pointer, spectral_lint
from conftest import CLUB_REPORT

CATALOGUE = "/api/v1/catalogue"
DOCUMENT = "/api/v1/openapi.json"
REPORTS = "/api/v1/reports"
BUILT_IN_FIELDS = [
    "session_date", "attendance_count", "session_topic", "participant_engagement",
    "challenges_noted", "mentor_notes", "way_forward", "duration_minutes", "follow_up_needed",
]  # fmt: skip
CLUB_FIELDS = [
    "held_on", "theme", "young_people", "activities", "mood", "snack_cost", "incident",
    "next_steps", "notes",
]  # fmt: skip
EVERY_FIELD_HAS = ["name", "kind", "label", "labels", "help", "helps", "required"]


def by_name(answer):
    return {field["name"]: field for field in answer["fields"]}


@pytest.fixture
def club_document(club_client):
    return club_client.get(DOCUMENT).json


def component(document, name):
    return document["components"]["schemas"][name]


def resolved(document, node):
    """`node`, or the component its $ref names."""
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = document["components"][kind][name]
    return node


def query_parameters(document, path):
    parameters = [resolved(document, p) for p in document["paths"][path]["get"]["parameters"]]
    return {parameter["name"]: parameter for parameter in parameters if parameter["in"] == "query"}


# The catalogue ------------------------------------------------------------------


def test_the_built_in_catalogue_is_its_nine_fields_in_order_with_its_roles(client):
    response = client.get(CATALOGUE)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = response.json
    assert list(answer) == ["version", "default_language", "languages", "roles", "fields"]
    assert answer["version"] == "1"
    assert answer["default_language"] == "en"
    assert answer["languages"] == ["en", "nb", "ar", "uk"]
    assert answer["roles"] == {
        "session_date": "session_date",
        "way_forward": "way_forward",
        "title": "session_topic",
    }
    assert [field["name"] for field in answer["fields"]] == BUILT_IN_FIELDS


def test_a_built_in_field_says_its_label_help_rules_and_figures(client):
    fields = by_name(client.get(CATALOGUE).json)

    assert fields["attendance_count"] == {
        "name": "attendance_count",
        "kind": "integer",
        "label": "Attendance",
        "labels": {
            "en": "Attendance",
            "nb": "Oppmøte",
            "ar": "الحضور",
            "uk": "Відвідуваність",
        },
        "help": "How many participants came.",
        "helps": {
            "en": "How many participants came.",
            "nb": "Hvor mange deltakere som kom.",
            "ar": "عدد المشاركين الذين حضروا.",
            "uk": "Скільки учасників прийшло.",
        },
        "required": True,
        "min": 0,
        "max": 1000,
        "summary": {"total": "attendance_total", "average": "attendance_average"},
    }
    assert fields["participant_engagement"]["values"][3] == {
        "value": "very_high",
        "label": "Very high",
        "labels": {"en": "Very high", "nb": "Svært høyt", "ar": "مرتفع جدًا", "uk": "Дуже висока"},
    }
    assert fields["follow_up_needed"]["summary"] == {"count": "follow_ups_needed"}


def test_the_club_catalogue_gives_each_kind_its_own_keys(club_client):
    answer = club_client.get(CATALOGUE).json
    fields = by_name(answer)

    assert answer["version"] == "2026-12"
    assert (answer["default_language"], answer["languages"]) == ("en", ["en"])
    assert answer["roles"] == {
        "session_date": "held_on",
        "way_forward": "next_steps",
        "title": "theme",
    }
    assert list(fields) == CLUB_FIELDS
    assert list(fields["held_on"]) == [*EVERY_FIELD_HAS, "not_after_tomorrow"]
    assert fields["held_on"]["not_after_tomorrow"] is True
    assert fields["theme"] == {
        "name": "theme",
        "kind": "text",
        "label": "Theme",
        "labels": {"en": "Theme"},
        "help": "What the evening was about, in a line.",
        "helps": {"en": "What the evening was about, in a line."},
        "required": True,
        "min_length": 3,
        "max_length": 80,
        "multiline": False,
        "searchable": True,
    }
    assert fields["notes"]["min_length"] is None and fields["notes"]["multiline"] is True
    assert list(fields["young_people"]) == [*EVERY_FIELD_HAS, "min", "max", "summary"]
    assert (fields["young_people"]["min"], fields["young_people"]["max"]) == (1, 60)


def test_a_decimal_field_gives_its_bounds_as_strings_with_its_places(club_client):
    snack_cost = by_name(club_client.get(CATALOGUE).json)["snack_cost"]

    assert list(snack_cost) == [*EVERY_FIELD_HAS, "min", "max", "places", "summary"]
    assert (snack_cost["min"], snack_cost["max"], snack_cost["places"]) == ("0.00", "500.00", 2)
    assert snack_cost["summary"] == {"total": "snack_cost_total", "average": "snack_cost_average"}


def test_choice_fields_list_their_values_and_labels(club_client):
    fields = by_name(club_client.get(CATALOGUE).json)

    assert fields["mood"]["kind"] == "choice"
    assert fields["mood"]["values"] == [
        {"value": "calm", "label": "Calm", "labels": {"en": "Calm"}},
        {"value": "lively", "label": "Lively", "labels": {"en": "Lively"}},
        {"value": "tense", "label": "Tense", "labels": {"en": "Tense"}},
    ]
    assert fields["mood"]["summary"] == {"counts": "moods"}
    assert fields["activities"]["kind"] == "choices"
    assert [choice["value"] for choice in fields["activities"]["values"]] == [
        "sport", "music", "cooking", "homework",
    ]  # fmt: skip


def test_a_field_without_figures_has_no_summary_key(club_client):
    fields = by_name(club_client.get(CATALOGUE).json)

    assert "summary" not in fields["theme"]
    assert "summary" not in fields["held_on"]
    assert list(fields["incident"]) == [*EVERY_FIELD_HAS, "summary"]


# Who may read it ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "viewer", "mentor"])
def test_every_role_may_read_the_catalogue(client, tokens, role):
    response = client.get(CATALOGUE, headers=tokens[role])

    assert response.status_code == 200
    assert response.json["fields"][0]["name"] == "session_date"


def test_once_a_token_exists_the_catalogue_needs_one(client, tokens):
    response = client.get(CATALOGUE)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer realm=reports"


def test_options_of_the_catalogue_needs_no_token_and_says_it_is_read_only(client, tokens):
    response = client.open(CATALOGUE, method="OPTIONS")

    assert response.status_code == 204
    assert {name.strip() for name in response.headers["Allow"].split(",")} == {
        "GET", "HEAD", "OPTIONS",
    }  # fmt: skip


def test_a_mentor_of_the_club_reads_the_club_s_catalogue(club_app, club_client):
    with club_app.app_context():
        secret = auth.create_token("mona", "mentor", CLUB_REPORT["peer_mentor_id"])

    response = club_client.get(CATALOGUE, headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 200
    assert response.json["roles"]["session_date"] == "held_on"


# The club's OpenAPI document ------------------------------------------------------


def test_the_club_s_document_is_valid_openapi_3_1(club_document):
    validate(club_document)


def test_spectral_finds_nothing_to_say_of_the_club_s_document(club_document, tmp_path):
    assert spectral_lint(club_document, tmp_path) == []


def test_the_club_s_choices_are_enums_named_after_their_fields(club_document):
    enums = {
        name: schema["enum"]
        for name, schema in club_document["components"]["schemas"].items()
        if "enum" in schema and name not in ("ReportStatus", "ReviewState", "ReviewFilter")
    }

    assert enums["Mood"] == ["calm", "lively", "tense"]
    assert enums["Activities"] == ["sport", "music", "cooking", "homework"]
    assert "ParticipantEngagement" not in enums


def test_the_club_s_fields_are_its_catalogue_s_with_labels_and_help(club_document):
    fields = component(club_document, "ReportFields")["properties"]

    assert list(fields) == CLUB_FIELDS
    assert fields["theme"]["title"] == "Theme"
    assert fields["theme"]["description"].startswith("What the evening was about, in a line.")
    assert fields["young_people"]["title"] == "Young people"
    assert (fields["young_people"]["minimum"], fields["young_people"]["maximum"]) == (1, 60)


def test_the_club_s_decimal_is_a_string_of_two_places(club_document):
    snack_cost = component(club_document, "ReportFields")["properties"]["snack_cost"]

    assert "string" in snack_cost["type"]
    assert snack_cost["pattern"] == r"^-?[0-9]+\.[0-9]{2}$"
    assert snack_cost["title"] == "Snack cost (EUR)"


def test_the_club_s_activities_are_an_array_of_its_values(club_document):
    activities = component(club_document, "ReportFields")["properties"]["activities"]

    assert "array" in activities["type"]
    assert resolved(club_document, activities["items"])["enum"] == [
        "sport", "music", "cooking", "homework"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "path", [REPORTS, f"{REPORTS}/by-activity/{{activity_id}}", f"{REPORTS}/summary"]
)
def test_the_club_s_lists_and_summary_filter_on_its_own_fields(club_document, path):
    parameters = query_parameters(club_document, path)

    enums = {name: resolved(club_document, parameters[name]["schema"]) for name in parameters}
    assert enums["mood"]["enum"] == ["calm", "lively", "tense"]
    assert enums["activities"]["enum"] == ["sport", "music", "cooking", "homework"]
    assert parameters["incident"]["schema"] == {"type": "boolean"}
    assert "participant_engagement" not in parameters
    assert "follow_up_needed" not in parameters


def test_the_club_s_summary_group_has_its_figures(club_document):
    group = component(club_document, "SummaryGroup")["properties"]

    assert list(group) == [
        "group", "name", "reports", "submitted", "drafts", "young_people_total",
        "young_people_average", "snack_cost_total", "snack_cost_average", "activities",
        "moods", "incidents",
    ]  # fmt: skip
    assert group["snack_cost_total"]["pattern"] == r"^-?[0-9]+\.[0-9]{2}$"
    moods = component(club_document, group["moods"]["$ref"].rsplit("/", 1)[1])
    assert moods["properties"] == {
        name: {"type": "integer"} for name in ("calm", "lively", "tense")
    }
    assert "engagement" not in group


def test_the_catalogue_endpoint_is_documented_with_its_own_answer_as_example(
    club_client, club_document
):
    answer = club_document["paths"][CATALOGUE]["get"]["responses"]["200"]
    example = answer["content"]["application/json"]["example"]

    assert example == club_client.get(CATALOGUE).json
    assert "401" in club_document["paths"][CATALOGUE]["get"]["responses"]


def examples(document):
    """(where its schema is, example) of each example of the document's operations."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            bodies = {"requestBody": operation.get("requestBody", {})}
            bodies |= {f"responses/{status}": r for status, r in operation["responses"].items()}
            for at, body in bodies.items():
                for mimetype, media in body.get("content", {}).items():
                    if "example" in media:
                        where = f"{pointer('paths', path, method)}/{at}/content/{pointer(mimetype)}"
                        yield f"{where}/schema", media["example"]


def test_every_example_of_the_club_s_document_matches_its_own_schema(club_document):
    registry = OpenAPIDocument(club_document).registry
    checked = 0
    for schema_at, example in examples(club_document):
        validator = Draft202012Validator({"$ref": f"{BASE}#/{schema_at}"}, registry=registry)
        assert not list(validator.iter_errors(example)), schema_at
        checked += 1

    # As many as the built-in document's (see test_openapi.py: the directory's 17
    # and the events feed's among them), and the catalogue's own.
    assert checked == 24 + 17 + 1 + 1


def test_the_club_s_examples_are_reports_of_the_club(club_client, club_document):
    post = club_document["paths"][REPORTS]["post"]["requestBody"]["content"]["application/json"]
    example = {**post["example"], "status": "submitted"}

    created = club_client.post(REPORTS, json=example)

    assert created.status_code == 201, created.json
    assert list(post["example"]["fields"]) == CLUB_FIELDS


# The club's answers conform to the club's document (ConformingClient checks each) ----


def test_the_club_s_reports_and_summary_answer_as_its_document_says(club_client):
    created = club_client.post(REPORTS, json={**CLUB_REPORT, "status": "submitted"})
    assert created.status_code == 201, created.json
    report_id = created.json["report_id"]

    assert club_client.get(f"{REPORTS}/{report_id}").json["fields"] == CLUB_REPORT["fields"]
    changed = club_client.put(f"{REPORTS}/{report_id}", json={"fields": {"snack_cost": 7}})
    assert changed.status_code == 200, changed.json
    assert club_client.get(f"{REPORTS}?mood=lively&activities=music").json["pagination"] == {
        "page": 1,
        "limit": 20,
        "total": 1,
    }
    group = club_client.get(f"{REPORTS}/summary?group_by=month").json["groups"][0]
    assert group["moods"] == {"calm": 0, "lively": 1, "tense": 0}
    assert group["snack_cost_total"] == "7.00"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", CATALOGUE),
        ("POST", REPORTS),
        ("GET", REPORTS),
        ("GET", f"{REPORTS}/summary"),
    ],
)
def test_the_club_s_operations_answer_as_its_document_says_when_fuzzed(club_app, method, path):
    # A report for the lists and the summary to find.
    club_app.test_client().post(REPORTS, json={**CLUB_REPORT, "status": "submitted"})
    operation = schemathesis.openapi.from_wsgi(DOCUMENT, club_app)[path][method]
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]

    @seed(20261201)
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(
        case=st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    )
    def answers_as_documented(case):
        case.call_and_validate(checks=checks)

    answers_as_documented()
