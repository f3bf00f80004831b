"""Every error a client can cause answers an RFC 9457 problem body and changes nothing stored."""

import json
import logging
from http import HTTPStatus
from io import BytesIO

import pytest

from reports import create_app, db, queries, service

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"
KNOWN_ID = "rpt_abcdef12"
KNOWN = f"{REPORTS}/{KNOWN_ID}"
LISTS = [REPORTS, f"{REPORTS}/by-activity/act_7b4e9f2a", f"{REPORTS}/by-mentor/usr_mentor_042"]
# Every read whose query string is loaded by a schema of its own.
QUERIED = [*LISTS, f"{REPORTS}/summary", f"{REPORTS}/deleted", "/api/v1/events"]

PROBLEM_KEYS = {"type", "title", "status", "detail"}
CATALOGUE = (
    "session_date", "attendance_count", "session_topic", "participant_engagement",
    "challenges_noted", "mentor_notes", "way_forward", "duration_minutes", "follow_up_needed",
)  # fmt: skip
TEXT_LIMITS = {
    "session_topic": 200, "challenges_noted": 5000, "mentor_notes": 10000, "way_forward": 5000,
}  # fmt: skip
TEXT_FIELDS = tuple(TEXT_LIMITS)
REQUIRED_TO_SUBMIT = ("session_date", "attendance_count", "session_topic")
ENTITY_IDS = ("activity_id", "peer_mentor_id", "org_id")
ONE_MIB = 1024 * 1024

# The two requests that carry a body: create, and update of the stored report.
WRITES = [pytest.param("POST", REPORTS, id="POST"), pytest.param("PUT", KNOWN, id="PUT")]


def assert_problem(response, status):
    """The response is an RFC 9457 problem details document for `status`, and nothing more."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert "Traceback" not in text
    assert "<html" not in text.lower()
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(text)
    assert set(body) == (PROBLEM_KEYS | {"errors"} if status == 422 else PROBLEM_KEYS)
    assert body["status"] == response.status_code == status
    assert body["title"] == HTTPStatus(status).phrase
    assert body["type"] == "about:blank"
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if status == 422:
        assert isinstance(body["errors"], dict) and body["errors"]
    return body


def create_body(fields=None, **top):
    """The contract's create request, top-level keys replaced and `fields` merged in."""
    body = {**CONTRACT_REPORT, **top}
    body["fields"] = {**CONTRACT_REPORT["fields"], **(fields or {})}
    return body


def without(mapping, *names):
    return {key: value for key, value in mapping.items() if key not in names}


def write_body(method, fields=None, **top):
    """A request body for `method` that is valid except for what the test puts in."""
    if method == "POST":
        return create_body(fields, **top)
    return {"fields": fields or {}, **top}


def send_json(client, method, path, body):
    """Send `body` as JSON text with every non-ASCII character (and lone surrogate) escaped."""
    return client.open(path, method=method, data=json.dumps(body), content_type="application/json")


def padded(body, size):
    """`body` as JSON, padded with trailing whitespace to exactly `size` bytes."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def only_field_error(body, name):
    """The 422 names exactly one catalogue field, `name`, under errors["fields"]."""
    assert set(body["errors"]) == {"fields"}
    assert set(body["errors"]["fields"]) == {name}
    messages = body["errors"]["fields"][name]
    assert messages and all(isinstance(message, str) and message for message in messages)
    return messages


@pytest.fixture
def report(make_report):
    """One stored draft under a known id, so every refused write has something it could break."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service.lifecycle, "new_report_id", lambda: KNOWN_ID)
        return make_report()


@pytest.fixture
def submitted(make_report):
    return make_report(status="submitted")


# 404: nothing is there -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/api/v1/reportsX"),
        ("GET", "/api/v1/report"),
        ("GET", "/api/v2/reports"),
        ("GET", f"{REPORTS}/"),
        ("GET", f"{KNOWN}/fields"),
        ("GET", f"{REPORTS}/by-activity/"),
        ("GET", f"{REPORTS}/by-mentor/x/y"),
        ("POST", "/nope"),
        ("PUT", "/api/v1/reportsX"),
        ("DELETE", "/nope"),
        ("PATCH", "/nope"),
        ("GET", "/api/v1//reports"),
        ("POST", "/api/v1//reports"),
        ("GET", "/api//v1/reports"),
        ("GET", f"{REPORTS}//{KNOWN_ID}"),
        ("OPTIONS", "/nope"),
    ],
)
def test_an_unknown_route_is_a_404_problem(client, report, snapshot, method, path):
    before = snapshot()

    response = client.open(path, method=method, json={"status": "submitted"})

    assert_problem(response, 404)
    assert snapshot() == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_report_id_is_a_404_problem(client, report, snapshot, method):
    before = snapshot()

    response = client.open(
        f"{REPORTS}/rpt_00000000", method=method, json={"fields": {"attendance_count": 7}}
    )

    assert_problem(response, 404)
    assert snapshot() == before


@pytest.mark.parametrize(
    "report_id",
    [
        "RPT_abcdef12",
        "rpt_abcdef1",
        "rpt_abcdef123",
        "rpt_ABCDEF12",
        "rpt_abcdef1g",
        "rpt-abcdef12",
        "abcdef12",
        "rpt_abcdef12%0A",
        "rpt_abcdef12%20",
        "%20rpt_abcdef12",
        "by-activity",
        "by-mentor",
    ],
)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_report_id_that_cannot_exist_is_a_404_problem(
    client, report, snapshot, method, report_id
):
    before = snapshot()

    response = client.open(
        f"{REPORTS}/{report_id}", method=method, json={"fields": {"attendance_count": 7}}
    )

    assert_problem(response, 404)
    assert snapshot() == before


BAD_ENTITY_PATH_IDS = [
    pytest.param("a" * 65, id="65-chars"),
    pytest.param("act%20one", id="space"),
    pytest.param("act!", id="bang"),
    pytest.param("act@1", id="at"),
    pytest.param("act%2B1", id="plus"),
    pytest.param("act~1", id="tilde"),
    pytest.param("act,1", id="comma"),
    pytest.param("act%3B1", id="semicolon"),
    pytest.param("act%2F1", id="encoded-slash"),
    pytest.param("%C3%A6t", id="non-ascii"),
    pytest.param("act%00", id="nul"),
    pytest.param("act%0A", id="trailing-newline"),
]


@pytest.mark.parametrize("entity_id", BAD_ENTITY_PATH_IDS)
@pytest.mark.parametrize("kind", ["by-activity", "by-mentor"])
def test_an_activity_or_mentor_id_that_cannot_exist_is_a_404_problem(client, kind, entity_id):
    assert_problem(client.get(f"{REPORTS}/{kind}/{entity_id}"), 404)


@pytest.mark.parametrize("kind", ["by-activity", "by-mentor"])
def test_a_64_character_activity_or_mentor_id_is_an_empty_list_not_an_error(client, report, kind):
    response = client.get(f"{REPORTS}/{kind}/{'a' * 64}")

    assert response.status_code == 200
    assert response.json == {"data": [], "pagination": {"page": 1, "limit": 20, "total": 0}}


# 405: the route exists, the method does not ----------------------------------


ITEM_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
COLLECTION_METHODS = {"GET", "HEAD", "OPTIONS", "POST"}
LIST_METHODS = {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", KNOWN, ITEM_METHODS),
        ("POST", KNOWN, ITEM_METHODS),
        ("DELETE", REPORTS, COLLECTION_METHODS),
        ("PUT", REPORTS, COLLECTION_METHODS),
        ("PATCH", REPORTS, COLLECTION_METHODS),
        ("POST", f"{REPORTS}/by-mentor/x", LIST_METHODS),
        ("DELETE", f"{REPORTS}/by-mentor/x", LIST_METHODS),
        ("PUT", f"{REPORTS}/by-activity/x", LIST_METHODS),
        ("PUT", f"{REPORTS}/summary", LIST_METHODS),
        ("DELETE", f"{REPORTS}/summary", LIST_METHODS),
        ("POST", f"{REPORTS}/summary", LIST_METHODS),
        ("PUT", f"{REPORTS}/deleted", LIST_METHODS),
        ("DELETE", f"{REPORTS}/deleted", LIST_METHODS),
        ("PATCH", f"{REPORTS}/deleted", LIST_METHODS),
        ("POST", "/healthz", LIST_METHODS),
    ],
)
def test_a_wrong_method_is_a_405_problem_with_allow(
    client, report, snapshot, method, path, allowed
):
    before = snapshot()

    response = client.open(path, method=method, json={"status": "submitted"})

    assert_problem(response, 405)
    assert {name.strip() for name in response.headers["Allow"].split(",")} == allowed
    assert snapshot() == before


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (KNOWN, ITEM_METHODS),
        (REPORTS, COLLECTION_METHODS),
        (f"{REPORTS}/summary", LIST_METHODS),
        (f"{REPORTS}/by-mentor/x", LIST_METHODS),
        ("/api/v1/openapi.json", LIST_METHODS),
        ("/healthz", LIST_METHODS),
    ],
)
def test_options_is_a_204_with_allow_and_no_body(client, tokens, snapshot, path, allowed):
    """OPTIONS says only what the routes allow, which the OpenAPI document says
    to anyone, so it needs no token."""
    before = snapshot()

    response = client.open(path, method="OPTIONS")

    assert response.status_code == 204
    assert {name.strip() for name in response.headers["Allow"].split(",")} == allowed
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert snapshot() == before


# 400: the body is not a JSON object ------------------------------------------


NOT_A_JSON_OBJECT = [
    pytest.param(b'{"activity_id": ', id="truncated"),
    pytest.param(b"{'activity_id': 'a1'}", id="single-quotes"),
    pytest.param(b'{"activity_id": "a1",}', id="trailing-comma"),
    pytest.param(b"{} {}", id="two-documents"),
    pytest.param(b"hello", id="bare-word"),
    pytest.param(b"", id="empty"),
    pytest.param(b"  \r\n\t", id="whitespace-only"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'[{"activity_id": "a1"}]', id="array-of-object"),
    pytest.param(b'"x"', id="string"),
    pytest.param(b"1", id="number"),
    pytest.param(b"1.5", id="float"),
    pytest.param(b"null", id="null"),
    pytest.param(b"true", id="true"),
    pytest.param(b"false", id="false"),
    pytest.param(b'{"fields": {"attendance_count": NaN}}', id="NaN"),
    pytest.param(b'{"fields": {"attendance_count": Infinity}}', id="Infinity"),
    pytest.param(b'{"fields": {"attendance_count": -Infinity}}', id="-Infinity"),
    pytest.param(b"NaN", id="bare-NaN"),
    pytest.param(b"[" * 100_000, id="100000-open-brackets"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="100000-nested-arrays"),
    pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, id="100000-nested-objects"),
    pytest.param(b'{"activity_id": "\xff"}', id="invalid-utf8-byte"),
    pytest.param(b'{"activity_id": "\xc3"}', id="truncated-utf8-sequence"),
    pytest.param(b'{"activity_id": "\xc0\xaf"}', id="overlong-utf8"),
    pytest.param(b'{"activity_id": "\xed\xa0\x80"}', id="utf8-encoded-surrogate"),
    pytest.param('{"activity_id": "æ"}'.encode("latin-1"), id="latin-1"),
    pytest.param(json.dumps(CONTRACT_REPORT).encode("utf-16"), id="utf-16"),
    pytest.param(b"\xef\xbb\xbf" + json.dumps(CONTRACT_REPORT).encode(), id="utf8-bom"),
]


@pytest.mark.parametrize("raw", NOT_A_JSON_OBJECT)
@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_body_that_is_not_a_json_object_in_utf8_is_a_400_problem(
    client, report, snapshot, method, path, raw
):
    before = snapshot()

    response = client.open(path, method=method, data=raw, content_type="application/json")

    assert_problem(response, 400)
    assert snapshot() == before


# 415: the body is not sent as JSON --------------------------------------------


def form_data(body):
    return {"data": {key: json.dumps(value) for key, value in body.items()}}


NOT_JSON_CONTENT = [
    pytest.param(lambda body: {"data": json.dumps(body)}, id="no-content-type"),
    pytest.param(
        lambda body: {"data": json.dumps(body), "content_type": "text/plain"}, id="text-plain"
    ),
    pytest.param(
        lambda body: {"data": json.dumps(body), "content_type": "application/xml"}, id="xml"
    ),
    pytest.param(
        lambda body: {
            "data": json.dumps(body),
            "content_type": "application/x-www-form-urlencoded",
        },
        id="urlencoded-header",
    ),
    pytest.param(form_data, id="form-data"),
    pytest.param(
        lambda body: {"data": {"body": (BytesIO(json.dumps(body).encode()), "body.json")}},
        id="multipart",
    ),
]


@pytest.mark.parametrize("encode", NOT_JSON_CONTENT)
@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_body_not_sent_as_application_json_is_a_415_problem(
    client, report, snapshot, method, path, encode
):
    before = snapshot()

    response = client.open(path, method=method, **encode(write_body(method, status="submitted")))

    assert_problem(response, 415)
    assert snapshot() == before


def test_the_no_content_type_case_really_sends_no_content_type(client):
    response = client.post(REPORTS, data=json.dumps(CONTRACT_REPORT))

    assert "CONTENT_TYPE" not in response.request.environ
    assert_problem(response, 415)


# 413: the body is larger than MAX_CONTENT_LENGTH -------------------------------


@pytest.fixture
def small_client(database):
    """An instance that takes bodies of at most 1000 bytes."""
    app = create_app({"TESTING": True, "DATABASE": database, "MAX_CONTENT_LENGTH": 1000})
    db.init_db(database)
    return app.test_client()


@pytest.fixture
def small_report(small_client):
    created = small_client.post(REPORTS, json=CONTRACT_REPORT)
    assert created.status_code == 201, created.json
    return created.headers["Location"]


def test_a_create_one_byte_over_the_limit_is_a_413_problem(small_client, small_report, snapshot):
    before = snapshot()

    response = small_client.post(
        REPORTS, data=padded(CONTRACT_REPORT, 1001), content_type="application/json"
    )

    assert_problem(response, 413)
    assert snapshot() == before


def test_an_update_one_byte_over_the_limit_is_a_413_problem(small_client, small_report, snapshot):
    before = snapshot()

    response = small_client.put(
        small_report, data=padded({"status": "submitted"}, 1001), content_type="application/json"
    )

    assert_problem(response, 413)
    assert snapshot() == before


def test_a_body_exactly_at_the_limit_is_not_refused(small_client, small_report):
    created = small_client.post(
        REPORTS, data=padded(CONTRACT_REPORT, 1000), content_type="application/json"
    )
    updated = small_client.put(
        small_report, data=padded({"status": "submitted"}, 1000), content_type="application/json"
    )

    assert created.status_code == 201, created.json
    assert updated.status_code == 200, updated.json


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_the_default_limit_is_1_mib(client, report, snapshot, method, path):
    body = write_body(method, status="submitted")
    before = snapshot()

    over = client.open(
        path, method=method, data=padded(body, ONE_MIB + 1), content_type="application/json"
    )

    assert_problem(over, 413)
    assert snapshot() == before
    at_limit = client.open(
        path, method=method, data=padded(body, ONE_MIB), content_type="application/json"
    )
    assert at_limit.status_code == (201 if method == "POST" else 200), at_limit.json


# 422: create needs its ids, and takes no unknown keys ------------------------


@pytest.mark.parametrize("missing", ENTITY_IDS)
def test_create_without_an_id_is_a_422_naming_it(client, report, snapshot, missing):
    before = snapshot()

    response = client.post(REPORTS, json=without(CONTRACT_REPORT, missing))

    body = assert_problem(response, 422)
    assert body["errors"] == {missing: ["Missing data for required field."]}
    assert snapshot() == before


def test_an_empty_create_names_every_required_id(client, report, snapshot):
    before = snapshot()

    body = assert_problem(client.post(REPORTS, json={}), 422)

    assert set(body["errors"]) == set(ENTITY_IDS)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("key", ["colour", "Status", "field", "submitted_at", "created_at"])
def test_an_unknown_top_level_key_is_a_422_naming_it(client, report, snapshot, method, path, key):
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, **{key: "x"}))

    body = assert_problem(response, 422)
    assert body["errors"] == {key: ["Unknown field."]}
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("key", ["mood", "Session_Date", "field_count", "session date"])
def test_an_unknown_field_is_a_422_that_lists_the_allowed_fields(
    client, report, snapshot, method, path, key
):
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, {key: "x"}))

    body = assert_problem(response, 422)
    [message] = only_field_error(body, key)
    assert all(name in message for name in CATALOGUE)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_the_allowed_fields_are_said_once_however_many_unknown_fields(client, report, method, path):
    unknown = {"mood": "x", "colour": "y", "Session_Date": "z"}

    response = client.open(path, method=method, json=write_body(method, unknown))

    errors = assert_problem(response, 422)["errors"]
    allowed = f"Unknown field. Allowed fields: {', '.join(CATALOGUE)}."
    assert errors == {
        "fields": {
            "mood": [allowed],
            "colour": ["Unknown field."],
            "Session_Date": ["Unknown field."],
        }
    }


UNKNOWN_KEYS = 50_000  # about 600 KB of body, under the 1 MiB limit


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("where", ["fields", "top level"])
def test_a_body_of_many_unknown_keys_gets_a_small_422(
    client, report, snapshot, method, path, where
):
    before = snapshot()
    unknown = {f"k{n}": 0 for n in range(UNKNOWN_KEYS)}
    body = write_body(method, unknown) if where == "fields" else write_body(method, **unknown)

    response = client.open(path, method=method, json=body)

    assert len(response.data) < 4000, len(response.data)
    errors = assert_problem(response, 422)["errors"]
    listed = errors["fields"] if where == "fields" else errors
    assert [key for key in listed if key != "_schema"] == [f"k{n}" for n in range(20)]
    assert listed["_schema"] == [f"{UNKNOWN_KEYS} unknown fields in all; the first 20 are listed."]
    assert snapshot() == before


@pytest.mark.parametrize("path", QUERIED)
def test_a_query_of_many_unknown_parameters_gets_a_small_422(client, path):
    query = "&".join(f"x{n}=1" for n in range(3000))

    needed = "group_by=org&" if path.endswith("summary") else ""

    response = client.get(f"{path}?{needed}{query}")

    assert len(response.data) < 3000, len(response.data)
    errors = assert_problem(response, 422)["errors"]
    assert [key for key in errors if key != "_schema"] == [f"x{n}" for n in range(20)]
    assert errors["_schema"] == ["3000 unknown fields in all; the first 20 are listed."]


@pytest.mark.parametrize("path", QUERIED)
def test_a_query_of_many_repeated_parameters_gets_a_small_422(client, path):
    query = "&".join(f"x{n}=1&x{n}=2" for n in range(3000))

    response = client.get(f"{path}?{query}")

    assert len(response.data) < 3000, len(response.data)
    errors = assert_problem(response, 422)["errors"]
    assert [key for key in errors if key != "_schema"] == [f"x{n}" for n in range(20)]
    assert errors["_schema"] == [
        "3000 parameters given more than once in all; the first 20 are listed."
    ]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("fields", [None, [], "x", 1, True])
def test_fields_that_is_not_an_object_is_a_422(client, report, snapshot, method, path, fields):
    body = {**write_body(method), "fields": fields}
    before = snapshot()

    response = client.open(path, method=method, json=body)

    assert set(assert_problem(response, 422)["errors"]) == {"fields"}
    assert snapshot() == before


# 422: every catalogue field has its JSON type and its rule ---------------------


WRONG_VALUES = [
    ("attendance_count", "6"),
    ("attendance_count", True),
    ("attendance_count", False),
    ("attendance_count", 6.0),
    ("attendance_count", 6.5),
    ("attendance_count", -1),
    ("attendance_count", 1001),
    ("attendance_count", [6]),
    ("attendance_count", {"n": 6}),
    ("duration_minutes", "45"),
    ("duration_minutes", True),
    ("duration_minutes", False),
    ("duration_minutes", 6.0),
    ("duration_minutes", 6.5),
    ("duration_minutes", 0),
    ("duration_minutes", 1441),
    ("follow_up_needed", 1),
    ("follow_up_needed", 0),
    ("follow_up_needed", "true"),
    ("follow_up_needed", "false"),
    ("follow_up_needed", "yes"),
    ("follow_up_needed", [True]),
    ("session_date", 20240105),
    ("session_date", "20240105"),
    ("session_date", "2024-1-5"),
    ("session_date", "2024-02-30"),
    ("session_date", "2023-02-29"),
    ("session_date", "2024-13-01"),
    ("session_date", "2024-00-10"),
    ("session_date", "2024-01-05T10:00:00Z"),
    ("session_date", " 2024-01-05"),
    ("session_date", "2024-01-05\n"),
    ("session_date", "05.01.2024"),
    ("session_date", "２０２４-01-05"),
    ("session_date", ""),
    ("session_date", True),
    ("session_date", ["2024-01-05"]),
    ("participant_engagement", "HIGH"),
    ("participant_engagement", "extreme"),
    ("participant_engagement", "very high"),
    ("participant_engagement", ""),
    ("participant_engagement", 3),
    ("participant_engagement", True),
    ("session_topic", 42),
    ("session_topic", True),
    ("session_topic", ["CVs"]),
    ("session_topic", ""),
    ("session_topic", "   "),
    ("session_topic", "\t\r\n"),
    ("challenges_noted", 42),
    ("challenges_noted", ["x"]),
    ("mentor_notes", 4.2),
    ("mentor_notes", {"text": "x"}),
    ("way_forward", True),
    ("way_forward", 0),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(("name", "value"), WRONG_VALUES)
def test_a_field_of_the_wrong_type_or_out_of_its_rule_is_a_422_naming_it(
    client, report, snapshot, method, path, name, value
):
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, {name: value}))

    only_field_error(assert_problem(response, 422), name)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("day", ["2026-03-22", "2026-12-31", "9999-12-31"])
def test_a_session_after_tomorrow_utc_is_a_422(client, report, snapshot, clock, method, path, day):
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, {"session_date": day}))

    only_field_error(assert_problem(response, 422), "session_date")
    assert snapshot() == before


def test_a_session_tomorrow_utc_is_the_last_day_accepted(client, clock):
    response = client.post(REPORTS, json=create_body({"session_date": "2026-03-21"}))

    assert response.status_code == 201, response.json


@pytest.mark.parametrize("name", CATALOGUE)
def test_null_is_not_a_wrong_type_it_leaves_the_field_unset(client, name):
    created = client.post(REPORTS, json=create_body({name: None}))

    assert created.status_code == 201, created.json
    assert name not in client.get(created.headers["Location"]).json["fields"]


# 422: text fields have length limits and no control characters ----------------


@pytest.mark.parametrize("char", ["x", "ø"])
@pytest.mark.parametrize(("name", "limit"), TEXT_LIMITS.items())
def test_text_at_its_length_limit_is_accepted(client, name, limit, char):
    created = client.post(REPORTS, json=create_body({name: char * limit}))

    assert created.status_code == 201, created.json
    assert client.get(created.headers["Location"]).json["fields"][name] == char * limit


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("char", ["x", "ø"])
@pytest.mark.parametrize(("name", "limit"), TEXT_LIMITS.items())
def test_text_one_character_over_its_limit_is_a_422(
    client, report, snapshot, method, path, name, limit, char
):
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, {name: char * (limit + 1)}))

    only_field_error(assert_problem(response, 422), name)
    assert snapshot() == before


CONTROL_CHARACTERS = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f",
]  # fmt: skip


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda char: f"U+{ord(char):04X}")
@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_a_control_character_in_text_is_a_422(client, report, snapshot, method, path, name, char):
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, {name: f"CV{char}s"}))

    only_field_error(assert_problem(response, 422), name)
    assert snapshot() == before


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_tab_cr_and_lf_are_the_control_characters_text_may_hold(client, name):
    text = "CVs\tand\r\nreferrals\n"

    created = client.post(REPORTS, json=create_body({name: text}))

    assert created.status_code == 201, created.json
    assert client.get(created.headers["Location"]).json["fields"][name] == text


LONE_SURROGATES = [
    pytest.param("\ud800", id="high"),
    pytest.param("\udfff", id="low"),
    pytest.param("\udc00\ud800", id="reversed-pair"),
    pytest.param("x\ud83d", id="high-at-end"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("surrogate", LONE_SURROGATES)
@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_a_lone_surrogate_sent_as_a_json_escape_is_a_422(
    client, report, snapshot, method, path, name, surrogate
):
    body = write_body(method, {name: f"CV{surrogate}s"})
    assert "\\ud" in json.dumps(body)
    before = snapshot()

    response = send_json(client, method, path, body)

    only_field_error(assert_problem(response, 422), name)
    assert snapshot() == before


@pytest.mark.parametrize("key", ["\ud800", "x\udfff"])
def test_a_lone_surrogate_in_an_unknown_key_is_a_422(client, report, snapshot, key):
    before = snapshot()

    response = send_json(client, "POST", REPORTS, {**CONTRACT_REPORT, key: "x"})

    assert assert_problem(response, 422)["errors"] == {key: ["Unknown field."]}
    assert snapshot() == before


def test_a_surrogate_pair_sent_as_a_json_escape_is_one_character_and_accepted(client):
    created = send_json(client, "POST", REPORTS, create_body({"session_topic": "CVs \U0001f600"}))

    assert created.status_code == 201, created.json
    assert client.get(created.headers["Location"]).json["fields"]["session_topic"] == "CVs 😀"


# 422: ids and status ---------------------------------------------------------


BAD_ENTITY_IDS = [
    pytest.param("a" * 65, id="65-chars"),
    pytest.param("", id="empty"),
    pytest.param("act one", id="space"),
    pytest.param("act/one", id="slash"),
    pytest.param("act\x00", id="nul"),
    pytest.param("act\n", id="trailing-newline"),
    pytest.param("æt", id="non-ascii"),
    pytest.param("act\ud800", id="lone-surrogate"),
    pytest.param(42, id="number"),
    pytest.param(None, id="null"),
    pytest.param(["act"], id="array"),
]


@pytest.mark.parametrize("value", BAD_ENTITY_IDS)
@pytest.mark.parametrize("name", ENTITY_IDS)
def test_an_id_outside_1_to_64_safe_characters_is_a_422(client, report, snapshot, name, value):
    before = snapshot()

    response = send_json(client, "POST", REPORTS, create_body(**{name: value}))

    assert set(assert_problem(response, 422)["errors"]) == {name}
    assert snapshot() == before


@pytest.mark.parametrize("value", ["a" * 64, "A", "Az09_.:-"])
@pytest.mark.parametrize("name", ENTITY_IDS)
def test_an_id_of_1_to_64_safe_characters_is_accepted(client, name, value):
    created = client.post(REPORTS, json=create_body(**{name: value}))

    assert created.status_code == 201, created.json
    assert client.get(created.headers["Location"]).json[name] == value


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("status", ["archived", "Draft", "SUBMITTED", "", " draft", None, 1, True])
def test_a_status_other_than_draft_or_submitted_is_a_422(
    client, report, snapshot, method, path, status
):
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, status=status))

    assert set(assert_problem(response, 422)["errors"]) == {"status"}
    assert snapshot() == before


# 422: what an update may not do ------------------------------------------------


def test_an_empty_update_is_a_422(client, report, snapshot):
    before = snapshot()

    response = client.put(KNOWN, json={})

    assert assert_problem(response, 422)["errors"]
    assert snapshot() == before


# A report's activity may be corrected (tests/test_report_activity.py); its other ids stay.
FILED_FOR_GOOD = ["report_id", "peer_mentor_id", "org_id"]


@pytest.mark.parametrize("key", FILED_FOR_GOOD)
@pytest.mark.parametrize("given", ["same", "other"])
def test_an_update_cannot_change_an_id(client, report, snapshot, key, given):
    value = report[key] if given == "same" else "changed_1"
    before = snapshot()

    response = client.put(KNOWN, json={"fields": {"attendance_count": 7}, key: value})

    assert set(assert_problem(response, 422)["errors"]) == {key}
    assert snapshot() == before


@pytest.mark.parametrize("key", FILED_FOR_GOOD)
def test_an_update_naming_only_an_id_is_a_422(client, report, snapshot, key):
    before = snapshot()

    response = client.put(KNOWN, json={key: report[key]})

    assert key in assert_problem(response, 422)["errors"]
    assert snapshot() == before


# 422: submitting needs session_date, attendance_count and session_topic --------


MISSING_TO_SUBMIT = [
    *[(name,) for name in REQUIRED_TO_SUBMIT],
    ("session_date", "attendance_count"),
    ("attendance_count", "session_topic"),
    REQUIRED_TO_SUBMIT,
]


@pytest.mark.parametrize("missing", MISSING_TO_SUBMIT, ids="+".join)
def test_submitting_on_create_names_exactly_the_missing_fields(client, report, snapshot, missing):
    fields = without(CONTRACT_REPORT["fields"], *missing)
    before = snapshot()

    response = client.post(
        REPORTS, json={**CONTRACT_REPORT, "fields": fields, "status": "submitted"}
    )

    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"fields"}
    assert set(body["errors"]["fields"]) == set(missing)
    assert snapshot() == before


@pytest.mark.parametrize("missing", MISSING_TO_SUBMIT, ids="+".join)
def test_submitting_on_create_counts_a_null_as_missing(client, report, snapshot, missing):
    fields = {**CONTRACT_REPORT["fields"], **dict.fromkeys(missing)}
    before = snapshot()

    response = client.post(
        REPORTS, json={**CONTRACT_REPORT, "fields": fields, "status": "submitted"}
    )

    assert set(assert_problem(response, 422)["errors"]["fields"]) == set(missing)
    assert snapshot() == before


@pytest.mark.parametrize("missing", MISSING_TO_SUBMIT, ids="+".join)
def test_submitting_an_update_names_exactly_the_missing_fields(
    client, make_report, snapshot, missing
):
    draft = make_report(fields=dict.fromkeys(missing))
    before = snapshot()

    response = client.put(f"{REPORTS}/{draft['report_id']}", json={"status": "submitted"})

    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"fields"}
    assert set(body["errors"]["fields"]) == set(missing)
    assert snapshot() == before


@pytest.mark.parametrize("missing", MISSING_TO_SUBMIT, ids="+".join)
def test_submitting_an_update_that_removes_fields_names_them(client, report, snapshot, missing):
    before = snapshot()

    response = client.put(KNOWN, json={"status": "submitted", "fields": dict.fromkeys(missing)})

    assert set(assert_problem(response, 422)["errors"]["fields"]) == set(missing)
    assert snapshot() == before


@pytest.mark.parametrize("status", [None, "submitted"])
@pytest.mark.parametrize("name", REQUIRED_TO_SUBMIT)
def test_removing_a_required_field_from_a_submitted_report_is_a_422(
    client, submitted, snapshot, name, status
):
    body = {"fields": {name: None}, **({"status": status} if status else {})}
    before = snapshot()

    response = client.put(f"{REPORTS}/{submitted['report_id']}", json=body)

    assert assert_problem(response, 422)["errors"] == {
        "fields": {name: ["Required to submit the report."]}
    }
    assert snapshot() == before


# 422: list query strings ----------------------------------------------------


BAD_QUERIES = [
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=1.5", "page"),
    ("page=1e3", "page"),
    ("page=0x10", "page"),
    ("page=", "page"),
    ("page=%201", "page"),
    ("page=%EF%BC%91", "page"),
    ("limit=0", "limit"),
    ("limit=-1", "limit"),
    ("limit=101", "limit"),
    ("limit=abc", "limit"),
    ("limit=1.5", "limit"),
    ("limit=", "limit"),
    (f"limit={'9' * 5000}", "limit"),
    (f"limit={10**30}", "limit"),
    ("status=archived", "status"),
    ("status=DRAFT", "status"),
    ("status=", "status"),
    ("colour=red", "colour"),
    ("Page=2", "Page"),
    ("page=1&page=2", "page"),
    ("limit=5&limit=5", "limit"),
    ("status=draft&status=submitted", "status"),
]


@pytest.mark.parametrize(("query", "parameter"), BAD_QUERIES)
@pytest.mark.parametrize("path", LISTS)
def test_a_bad_list_query_is_a_422_naming_the_parameter(client, report, path, query, parameter):
    response = client.get(f"{path}?{query}")

    assert set(assert_problem(response, 422)["errors"]) == {parameter}


@pytest.mark.parametrize("page", [2**63, 10**30])
@pytest.mark.parametrize("path", LISTS)
def test_a_huge_page_is_past_the_end_not_an_error(client, report, path, page):
    response = client.get(f"{path}?page={page}")

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {"data": [], "pagination": {"page": page, "limit": 20, "total": 1}}


@pytest.mark.parametrize("path", LISTS)
def test_a_page_number_too_long_to_read_is_a_422(client, report, path):
    # Python reads at most 4300 digits as an integer; past that it is no number.
    response = client.get(f"{path}?page={'9' * 5000}")

    assert set(assert_problem(response, 422)["errors"]) == {"page"}


# 409: a submitted report cannot go back to draft -------------------------------


@pytest.mark.parametrize(
    "body",
    [{"status": "draft"}, {"status": "draft", "fields": {"attendance_count": 9}}],
    ids=["status-only", "with-fields"],
)
def test_submitted_to_draft_is_a_409_problem(client, submitted, snapshot, body):
    before = snapshot()

    response = client.put(f"{REPORTS}/{submitted['report_id']}", json=body)

    assert_problem(response, 409)
    assert snapshot() == before


# 500: an unexpected failure is logged, answered plainly, and rolled back -------


SECRET = "disk on fire at /srv/secret.sqlite"


def fail(*args, **kwargs):
    raise RuntimeError(SECRET)


def then_fail(real):
    """`real`, which does its work, and then a failure before the commit."""

    def run(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError(SECRET)

    return run


def assert_unexpected_error(response, caplog):
    body = assert_problem(response, 500)
    assert SECRET not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    [record] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert record.exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text and SECRET in caplog.text
    return body


@pytest.mark.parametrize(("method", "path"), [("GET", KNOWN), ("PUT", KNOWN), ("DELETE", KNOWN)])
def test_a_failing_read_is_a_logged_500_problem_without_a_traceback(
    client, report, snapshot, monkeypatch, caplog, method, path
):
    monkeypatch.setattr(queries, "report_by_id", fail)
    monkeypatch.setattr(queries, "delete_report", fail)
    before = snapshot()

    response = client.open(path, method=method, json={"fields": {"attendance_count": 9}})

    assert_unexpected_error(response, caplog)
    assert snapshot() == before


@pytest.mark.parametrize("path", LISTS)
def test_a_failing_list_is_a_logged_500_problem(client, report, monkeypatch, caplog, path):
    monkeypatch.setattr(queries, "count_reports", fail)

    assert_unexpected_error(client.get(path), caplog)


@pytest.mark.parametrize(
    ("query", "method", "path"),
    [
        ("insert_report", "POST", REPORTS),
        ("update_report", "PUT", KNOWN),
        ("delete_report", "DELETE", KNOWN),
    ],
)
def test_a_write_that_fails_half_way_is_rolled_back(
    client, report, snapshot, monkeypatch, caplog, query, method, path
):
    monkeypatch.setattr(queries, query, then_fail(getattr(queries, query)))
    before = snapshot()

    response = client.open(path, method=method, json=write_body(method, status="submitted"))

    assert_unexpected_error(response, caplog)
    assert snapshot() == before
