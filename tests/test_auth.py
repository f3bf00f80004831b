"""Access control: once a token is in force every request needs one, and each
role may do only what it may; denied requests change nothing."""

import hashlib
import io
import json
import sqlite3

import openpyxl
import pytest

from reports import auth, db
from reports.db import write

from conftest import CONTRACT_REPORT, revoke_token

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]  # the mentor token acts for this one
OTHER_MENTOR = "usr_mentor_007"
ACTIVITY = CONTRACT_REPORT["activity_id"]


@pytest.fixture
def secrets_by_role(app):
    """A token of each role, and one revoked, by the role (or "revoked")."""
    with app.app_context():
        secrets = {
            "coordinator": auth.create_token("carla", "coordinator"),
            "viewer": auth.create_token("victor", "viewer"),
            "mentor": auth.create_token("mona", "mentor", MENTOR),
            "revoked": auth.create_token("old-laptop", "coordinator"),
        }
        revoke_token("old-laptop")
    return secrets


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def headers(secrets_by_role):
    """The Authorization header each kind of caller sends."""
    return {
        "missing": {},
        "malformed": {"Authorization": f"Token {secrets_by_role['coordinator']}"},
        "unknown": bearer("psr_" + "x" * 43),
        "revoked": bearer(secrets_by_role["revoked"]),
        **{role: bearer(secrets_by_role[role]) for role in ("coordinator", "viewer", "mentor")},
    }


@pytest.fixture
def stored(database):
    """Every report and every recorded change, to check that nothing changed."""

    def take():
        db = sqlite3.connect(database)
        try:
            return (
                db.execute("SELECT * FROM report ORDER BY seq").fetchall(),
                db.execute("SELECT * FROM report_change ORDER BY change_id").fetchall(),
            )
        finally:
            db.close()

    return take


def create_as(client, headers, peer_mentor_id):
    body = {**CONTRACT_REPORT, "peer_mentor_id": peer_mentor_id}
    response = client.post(REPORTS, json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["report_id"]


CHANGE = {"fields": {"attendance_count": 9}}
FOR_OTHER_MENTOR = {**CONTRACT_REPORT, "peer_mentor_id": OTHER_MENTOR}

# Each endpoint as (method, path, body); `own` and `other` are the ids of a
# report of the mentor token's peer mentor and of another peer mentor's.
ENDPOINTS = {
    "list": lambda own, other: ("GET", REPORTS, None),
    "by-activity": lambda own, other: ("GET", f"{REPORTS}/by-activity/{ACTIVITY}", None),
    "by-mentor own": lambda own, other: ("GET", f"{REPORTS}/by-mentor/{MENTOR}", None),
    "by-mentor other": lambda own, other: ("GET", f"{REPORTS}/by-mentor/{OTHER_MENTOR}", None),
    "get own": lambda own, other: ("GET", f"{REPORTS}/{own}", None),
    "get other": lambda own, other: ("GET", f"{REPORTS}/{other}", None),
    "create own": lambda own, other: ("POST", REPORTS, CONTRACT_REPORT),
    "create other": lambda own, other: ("POST", REPORTS, FOR_OTHER_MENTOR),
    "update own": lambda own, other: ("PUT", f"{REPORTS}/{own}", CHANGE),
    "update other": lambda own, other: ("PUT", f"{REPORTS}/{other}", CHANGE),
    "delete own": lambda own, other: ("DELETE", f"{REPORTS}/{own}", None),
    "delete other": lambda own, other: ("DELETE", f"{REPORTS}/{other}", None),
    "openapi": lambda own, other: ("GET", "/api/v1/openapi.json", None),
    "summary": lambda own, other: ("GET", f"{REPORTS}/summary?group_by=org", None),
    "deleted": lambda own, other: ("GET", f"{REPORTS}/deleted", None),
    "export": lambda own, other: ("GET", f"{REPORTS}?format=csv", None),
}

# The status each caller gets from each endpoint, in the order of ENDPOINTS.
STATUSES = {
    # list, by-activity, by-mentor own and other, get own and other, create own and
    # other, update own and other, delete own and other, openapi, summary, deleted, export
    "missing":     [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 401, 401, 401],
    "malformed":   [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 401, 401, 401],
    "unknown":     [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 401, 401, 401],
    "revoked":     [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 401, 401, 401],
    "coordinator": [200, 200, 200, 200, 200, 200, 201, 201, 200, 200, 200, 200, 200, 200, 200, 200],
    "viewer":      [200, 200, 200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 200, 200, 200, 200],
    "mentor":      [200, 200, 200, 403, 200, 404, 201, 403, 200, 404, 200, 404, 200, 200, 200, 200],
}  # fmt: skip

MATRIX = [
    pytest.param(caller, endpoint, status, id=f"{caller}-{endpoint}")
    for caller, statuses in STATUSES.items()
    for endpoint, status in zip(ENDPOINTS, statuses, strict=True)
]


@pytest.mark.parametrize(("caller", "endpoint", "status"), MATRIX)
def test_each_caller_may_do_what_its_role_allows_and_nothing_else(
    client, headers, stored, caller, endpoint, status
):
    own = create_as(client, headers["coordinator"], MENTOR)
    other = create_as(client, headers["coordinator"], OTHER_MENTOR)
    method, path, body = ENDPOINTS[endpoint](own, other)
    before = stored()

    response = client.open(path, method=method, json=body, headers=headers[caller])

    assert response.status_code == status, response.json
    if status >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == status
        assert stored() == before
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer realm=reports"


def test_a_401_does_not_say_whether_the_token_was_missing_malformed_unknown_or_revoked(
    client, headers
):
    answers = {
        caller: client.get(REPORTS, headers=headers[caller])
        for caller in ("missing", "malformed", "unknown", "revoked")
    }

    bodies = {caller: response.json for caller, response in answers.items()}
    assert all(body == bodies["missing"] for body in bodies.values()), bodies
    assert bodies["missing"]["status"] == 401
    assert {r.headers["WWW-Authenticate"] for r in answers.values()} == {"Bearer realm=reports"}


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "bearer", "Basic dXNlcjpwYXNz", "Bearer psr_short", "psr_x Bearer"],
)
def test_a_malformed_authorization_header_is_a_401(client, secrets_by_role, authorization):
    response = client.get(REPORTS, headers={"Authorization": authorization})

    assert response.status_code == 401


def test_the_bearer_scheme_is_case_insensitive(client, secrets_by_role):
    response = client.get(REPORTS, headers={"Authorization": f"bearer {secrets_by_role['viewer']}"})

    assert response.status_code == 200


def test_a_mentor_lists_and_counts_only_its_own_reports(client, headers):
    coordinator, mentor = headers["coordinator"], headers["mentor"]
    own = {create_as(client, coordinator, MENTOR) for _ in range(2)}
    for _ in range(3):
        create_as(client, coordinator, OTHER_MENTOR)

    for path in (REPORTS, f"{REPORTS}/by-activity/{ACTIVITY}"):
        page = client.get(path, headers=mentor).json
        assert {item["report_id"] for item in page["data"]} == own, path
        assert page["pagination"]["total"] == 2, path
    assert client.get(REPORTS, headers=coordinator).json["pagination"]["total"] == 5


def test_a_mentor_s_spreadsheets_hold_only_its_own_reports(client, headers):
    coordinator, mentor = headers["coordinator"], headers["mentor"]
    own = create_as(client, coordinator, MENTOR)
    create_as(client, coordinator, OTHER_MENTOR)

    with client.get(f"{REPORTS}?format=xlsx", headers=mentor) as response:
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    with client.get(f"{REPORTS}/summary?group_by=mentor&format=xlsx", headers=mentor) as response:
        summary = openpyxl.load_workbook(io.BytesIO(response.data)).active
    csv_summary = client.get(f"{REPORTS}/summary?group_by=mentor&format=csv", headers=mentor)
    other = client.get(f"{REPORTS}/by-mentor/{OTHER_MENTOR}?format=xlsx", headers=mentor)

    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [own]
    # Its own group, with the name of the token's person, mona.
    assert [row[:3] for row in summary.iter_rows(min_row=2, values_only=True)] == [
        (MENTOR, "mona", 1)
    ]
    assert csv_summary.data.decode("utf-8-sig").splitlines()[1].startswith(f"{MENTOR},mona,1,")
    assert other.status_code == 403 and other.mimetype == "application/problem+json"


def test_a_mentor_exports_summarises_and_syncs_only_its_own_reports(client, headers):
    coordinator, mentor = headers["coordinator"], headers["mentor"]
    own = create_as(client, coordinator, MENTOR)
    create_as(client, coordinator, MENTOR)
    other = create_as(client, coordinator, OTHER_MENTOR)
    create_as(client, coordinator, OTHER_MENTOR)
    for report_id in (own, other):
        client.delete(f"{REPORTS}/{report_id}", headers=coordinator)

    export = client.get(f"{REPORTS}?format=ndjson", headers=mentor).data.decode().splitlines()
    summary = client.get(f"{REPORTS}/summary?group_by=mentor", headers=mentor).json
    deleted = client.get(f"{REPORTS}/deleted", headers=mentor).json["data"]

    assert [json.loads(line)["peer_mentor_id"] for line in export] == [MENTOR]
    assert [(group["group"], group["reports"]) for group in summary["groups"]] == [(MENTOR, 1)]
    assert [item["report_id"] for item in deleted] == [own]
    assert len(client.get(f"{REPORTS}/deleted", headers=coordinator).json["data"]) == 2


def test_a_mentor_may_not_read_another_mentors_report_through_a_page_link(client, headers):
    coordinator, mentor = headers["coordinator"], headers["mentor"]
    for peer_mentor_id in (MENTOR, OTHER_MENTOR, MENTOR, OTHER_MENTOR):
        create_as(client, coordinator, peer_mentor_id)

    first = client.get(f"{REPORTS}?limit=1", headers=mentor)
    second = client.get(first.headers["Link"].split(">")[0].lstrip("<"), headers=mentor)

    seen = first.json["data"] + second.json["data"]
    assert [item["peer_mentor_id"] for item in seen] == [MENTOR, MENTOR]
    assert "Link" not in second.headers


def test_a_viewer_is_refused_a_write_before_its_body_is_read(client, headers, stored):
    before = stored()

    response = client.post(REPORTS, data="not json", headers=headers["viewer"])

    assert response.status_code == 403
    assert stored() == before


def test_a_mentor_gets_a_422_for_a_bad_body_of_its_own(client, headers):
    response = client.post(REPORTS, json={"peer_mentor_id": MENTOR}, headers=headers["mentor"])

    assert response.status_code == 422


def test_a_mentor_may_retry_its_own_create_with_an_idempotency_key(client, headers):
    retry = {**headers["mentor"], "Idempotency-Key": "mona-monday-1"}

    first = client.post(REPORTS, json=CONTRACT_REPORT, headers=retry)
    again = client.post(REPORTS, json=CONTRACT_REPORT, headers=retry)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json


# Open mode -------------------------------------------------------------------


def test_with_no_token_the_api_is_open(client):
    created = client.post(REPORTS, json=CONTRACT_REPORT)

    assert created.status_code == 201
    assert client.get(created.headers["Location"]).status_code == 200


def test_with_no_token_in_force_an_authorization_header_is_ignored(client):
    response = client.get(REPORTS, headers=bearer("psr_" + "x" * 43))

    assert response.status_code == 200


HOW_TO_CREATE = "flask --app reports token create --name NAME --role coordinator"


def test_revoking_the_last_token_keeps_the_api_closed(app, client):
    with app.app_context():
        secret = auth.create_token("only", "coordinator")
        revoke_token("only")

    answers = [
        client.get(REPORTS),
        client.get(REPORTS, headers={"Authorization": "Bearer garbage"}),
        client.get(REPORTS, headers=bearer(secret)),
        client.post(REPORTS, json=CONTRACT_REPORT, headers=bearer(secret)),
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 401]
    assert all(HOW_TO_CREATE in answer.json["detail"] for answer in answers)
    assert answers[0].headers["WWW-Authenticate"] == "Bearer realm=reports"


def test_a_new_token_after_the_last_was_revoked_is_served(app, client):
    with app.app_context():
        auth.create_token("old", "coordinator")
        revoke_token("old")
        secret = auth.create_token("new", "coordinator")

    assert client.get(REPORTS, headers=bearer(secret)).status_code == 200
    assert client.get(REPORTS).status_code == 401


def test_reopening_opens_the_api_again_deliberately(app, client):
    with app.app_context():
        auth.create_token("only", "viewer")
        revoke_token("only")
        auth.reopen()

    assert client.get(REPORTS).status_code == 200


def test_reopening_is_refused_while_a_token_is_in_force(app, client):
    with app.app_context():
        secret = auth.create_token("only", "viewer")
        with pytest.raises(auth.TokenError, match="only"):
            auth.reopen()

    assert client.get(REPORTS).status_code == 401
    assert client.get(REPORTS, headers=bearer(secret)).status_code == 200


def test_allow_open_serves_an_api_whose_tokens_were_all_revoked(app, client):
    with app.app_context():
        auth.create_token("only", "viewer")
        revoke_token("only")
    app.config["ALLOW_OPEN"] = True

    assert client.get(REPORTS).status_code == 200


def test_allow_open_does_not_open_an_api_with_a_token_in_force(app, client):
    with app.app_context():
        auth.create_token("only", "viewer")
    app.config["ALLOW_OPEN"] = True

    assert client.get(REPORTS).status_code == 401


def test_an_old_database_whose_tokens_were_all_revoked_stays_closed(app, client, database):
    with app.app_context():
        auth.create_token("only", "viewer")
        revoke_token("only")
    connection = sqlite3.connect(database)
    with connection:
        connection.execute("DROP TABLE api_access")  # as before access was kept
    connection.close()

    db.init_db(database)

    assert client.get(REPORTS).status_code == 401


def test_an_old_database_that_never_had_a_token_stays_open(app, client, database):
    connection = sqlite3.connect(database)
    with connection:
        connection.execute("DROP TABLE api_access")
    connection.close()

    db.init_db(database)

    assert client.get(REPORTS).status_code == 200


# While open, only this machine -------------------------------------------------

NOT_FROM_THIS_MACHINE = {
    "a peer elsewhere": ({"REMOTE_ADDR": "192.0.2.7"}, {}),
    "an IPv6 peer elsewhere": ({"REMOTE_ADDR": "2001:db8::7"}, {}),
    "a foreign Host": ({}, {"Host": "attacker.example"}),
    "a foreign Host with a port": ({}, {"Host": "attacker.example:8080"}),
    "a Host that only starts like localhost": ({}, {"Host": "localhost.attacker.example"}),
    "an address Host beyond loopback": ({}, {"Host": "192.0.2.1:8080"}),
    "X-Forwarded-For": ({}, {"X-Forwarded-For": "203.0.113.9"}),
    "X-Forwarded-Host": ({}, {"X-Forwarded-Host": "reports.example"}),
    "X-Forwarded-Proto": ({}, {"X-Forwarded-Proto": "https"}),
    "Forwarded": ({}, {"Forwarded": "for=203.0.113.9;proto=https"}),
    "X-Real-IP": ({}, {"X-Real-IP": "203.0.113.9"}),
}
FROM_THIS_MACHINE = {
    "localhost": ({}, {"Host": "localhost"}),
    "LocalHost with a port": ({}, {"Host": "LocalHost:8080"}),
    "127.0.0.1 with a port": ({}, {"Host": "127.0.0.1:8080"}),
    "[::1] with a port": ({"REMOTE_ADDR": "::1"}, {"Host": "[::1]:8080"}),
    "[::1]": ({"REMOTE_ADDR": "::1"}, {"Host": "[::1]"}),
}


@pytest.mark.parametrize(("environ", "sent"), NOT_FROM_THIS_MACHINE.values(),
                         ids=NOT_FROM_THIS_MACHINE)  # fmt: skip
def test_an_open_api_refuses_a_request_from_beyond_this_machine(client, stored, environ, sent):
    before = stored()

    answers = [
        client.get(REPORTS, environ_base=environ, headers=sent),
        client.post(REPORTS, json=CONTRACT_REPORT, environ_base=environ, headers=sent),
    ]

    for answer in answers:
        assert answer.status_code == 401, answer.json
        assert answer.mimetype == "application/problem+json"
        assert HOW_TO_CREATE in answer.json["detail"]
        assert answer.headers["WWW-Authenticate"] == "Bearer realm=reports"
    assert stored() == before


@pytest.mark.parametrize(("environ", "sent"), FROM_THIS_MACHINE.values(), ids=FROM_THIS_MACHINE)
def test_an_open_api_serves_a_request_from_this_machine(client, environ, sent):
    assert client.get(REPORTS, environ_base=environ, headers=sent).status_code == 200


@pytest.mark.parametrize(("environ", "sent"), NOT_FROM_THIS_MACHINE.values(),
                         ids=NOT_FROM_THIS_MACHINE)  # fmt: skip
def test_allow_open_serves_an_open_api_to_any_peer(app, client, environ, sent):
    app.config["ALLOW_OPEN"] = True

    assert client.get(REPORTS, environ_base=environ, headers=sent).status_code == 200


@pytest.mark.parametrize(("environ", "sent"), NOT_FROM_THIS_MACHINE.values(),
                         ids=NOT_FROM_THIS_MACHINE)  # fmt: skip
def test_a_token_is_served_from_anywhere(client, headers, environ, sent):
    response = client.get(REPORTS, environ_base=environ, headers={**headers["viewer"], **sent})

    assert response.status_code == 200


def test_a_token_created_while_serving_guards_the_api_at_once(app, client):
    assert client.get(REPORTS).status_code == 200

    with app.app_context():
        secret = auth.create_token("late", "coordinator")

    assert client.get(REPORTS).status_code == 401
    assert client.get(REPORTS, headers=bearer(secret)).status_code == 200


# Who did it ------------------------------------------------------------------


def changes_of(database, report_id):
    db = sqlite3.connect(database)
    try:
        return db.execute(
            "SELECT action, actor, version FROM report_change WHERE report_id = ? "
            "ORDER BY change_id",
            (report_id,),
        ).fetchall()
    finally:
        db.close()


def test_every_write_records_the_acting_token(client, headers, database):
    report_id = create_as(client, headers["mentor"], MENTOR)
    client.put(f"{REPORTS}/{report_id}", json={"fields": {"attendance_count": 2}},
               headers=headers["coordinator"])  # fmt: skip
    client.delete(f"{REPORTS}/{report_id}", headers=headers["mentor"])

    assert changes_of(database, report_id) == [
        ("create", "mona", 1),
        ("update", "carla", 2),
        ("delete", "mona", 2),
    ]


def test_in_open_mode_writes_are_recorded_as_anonymous_and_a_submit_as_such(client, database):
    report_id = create_as(client, {}, MENTOR)
    client.put(f"{REPORTS}/{report_id}", json={"status": "submitted"})

    assert changes_of(database, report_id) == [
        ("create", "anonymous", 1),
        ("submit", "anonymous", 2),
    ]


def test_a_retried_create_records_no_second_change(client, database):
    retry = {"Idempotency-Key": "k-1"}
    report_id = client.post(REPORTS, json=CONTRACT_REPORT, headers=retry).json["report_id"]
    client.post(REPORTS, json=CONTRACT_REPORT, headers=retry)

    assert changes_of(database, report_id) == [("create", "anonymous", 1)]


def test_a_refused_write_records_no_change(client, database):
    report_id = create_as(client, {}, MENTOR)
    client.put(f"{REPORTS}/{report_id}", json={"status": "submitted"}, headers={"If-Match": '"9"'})

    assert changes_of(database, report_id) == [("create", "anonymous", 1)]


# Tokens ----------------------------------------------------------------------


def token_row(database, name):
    db = sqlite3.connect(database)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM api_token WHERE name = ?", (name,)).fetchone()
    finally:
        db.close()


def test_only_a_hash_of_a_secret_is_stored(app, database):
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")

    row = token_row(database, "carla")
    assert secret not in [str(value) for value in row]
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()


def test_secrets_are_random_and_long(app):
    with app.app_context():
        secrets = [auth.create_token(f"t{n}", "viewer") for n in range(20)]

    assert len(set(secrets)) == 20
    # 32 random bytes are 43 characters of URL-safe base64, after the prefix.
    assert all(len(secret) == len("psr_") + 43 for secret in secrets)


def flush_writes(app):
    """Wait until every write queued so far (such as a last-use stamp) is done."""
    with app.app_context():
        write(lambda db: None)


def test_last_use_is_recorded_at_most_once_a_minute(app, client, clock, database):
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")
    assert token_row(database, "carla")["last_used_at"] is None

    client.get(REPORTS, headers=bearer(secret))
    flush_writes(app)
    first_use = token_row(database, "carla")["last_used_at"]
    clock.advance(seconds=59)
    client.get(REPORTS, headers=bearer(secret))
    flush_writes(app)
    unchanged = token_row(database, "carla")["last_used_at"]
    clock.advance(seconds=1)
    client.get(REPORTS, headers=bearer(secret))
    flush_writes(app)

    assert first_use == "2026-03-20T14:10:00Z"
    assert unchanged == first_use
    assert token_row(database, "carla")["last_used_at"] == "2026-03-20T14:11:00Z"


def change_in_another_process(database, sql, **values):
    other = sqlite3.connect(database)
    try:
        other.execute(sql, values)
        other.commit()
    finally:
        other.close()


def test_a_token_revoked_by_another_process_is_refused_at_its_next_request(app, client, database):
    """The service keeps the tokens it has found in force, and reads them again
    after any commit to the file, by any process."""
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")
        auth.create_token("victor", "viewer")
    assert [client.get(REPORTS, headers=bearer(secret)).status_code for _ in range(3)] == [200] * 3
    flush_writes(app)

    change_in_another_process(
        database,
        "UPDATE api_token SET revoked_at = '2026-03-20T14:10:00Z' WHERE name = :name",
        name="carla",
    )

    assert client.get(REPORTS, headers=bearer(secret)).status_code == 401


def test_a_role_changed_by_another_process_holds_at_the_token_s_next_request(app, client, database):
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")
    assert client.get(REPORTS, headers=bearer(secret)).status_code == 200
    flush_writes(app)

    change_in_another_process(
        database,
        "UPDATE person SET role = 'viewer' WHERE person_id = "
        "(SELECT person_id FROM api_token WHERE name = :name)",
        name="carla",
    )

    assert client.get(REPORTS, headers=bearer(secret)).status_code == 200
    assert client.post(REPORTS, json=CONTRACT_REPORT, headers=bearer(secret)).status_code == 403


@pytest.mark.parametrize(
    ("name", "role", "mentor"),
    [
        ("", "viewer", None),
        ("has space", "viewer", None),
        ("x" * 65, "viewer", None),
        ("anonymous", "coordinator", None),
        ("carla", "admin", None),
        ("mona", "mentor", None),
        ("carla", "coordinator", MENTOR),
        ("mona", "mentor", "not valid"),
    ],
)
def test_a_token_that_breaks_a_rule_is_not_created(app, database, name, role, mentor):
    with app.app_context(), pytest.raises(auth.TokenError):
        auth.create_token(name, role, mentor)

    assert token_row(database, name) is None


def test_a_token_name_is_never_reused(app):
    with app.app_context():
        auth.create_token("carla", "coordinator")
        revoke_token("carla")
        with pytest.raises(auth.TokenError, match="never reused"):
            auth.create_token("carla", "coordinator")
