"""The outbox as a feed (GET /api/v1/events, reports/service/events.py): every
change of a report is an event, in the order it was made, each once to a
script that polls with the cursor the feed answers; a coordinator's alone,
and English whatever the request asks."""

import json
import re

import pytest

from reports import auth, dispatcher, service
from reports.cli import OPERATOR

from conftest import CONTRACT_REPORT
from peers import Receiver

EVENTS = "/api/v1/events"
REPORTS = "/api/v1/reports"
OTHER_MENTOR = "usr_mentor_007"
PROBLEM = "application/problem+json"
CURSOR_REFUSED = (
    "Not a valid cursor: give 0, or a cursor the feed answered (`next_after`, "
    "or an event's `cursor`)."
)
LIMIT_REFUSED = "Must be greater than or equal to 1 and less than or equal to 1000."


@pytest.fixture
def coordinator(tokens):
    return tokens["coordinator"]


def feed(client, headers, query=""):
    """The feed's answer to `query`, which must be a 200."""
    response = client.get(f"{EVENTS}{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def types(page):
    return [event["type"] for event in page["data"]]


def create(client, headers, **overrides):
    created = client.post(REPORTS, json={**CONTRACT_REPORT, **overrides}, headers=headers)
    assert created.status_code == 201, created.json
    return created.json["report_id"]


def report_as_read(client, headers, report_id):
    return client.get(f"{REPORTS}/{report_id}", headers=headers).json


def a_report_s_life(client, headers):
    """A draft created, corrected, submitted, reviewed, deleted and restored;
    returns its id and what GET answered after each change."""
    report_id = create(client, headers)
    seen = [report_as_read(client, headers, report_id)]
    changes = [
        ("PUT", f"{REPORTS}/{report_id}", {"fields": {"attendance_count": 9}}),
        ("PUT", f"{REPORTS}/{report_id}", {"status": "submitted"}),
        ("PUT", f"{REPORTS}/{report_id}/review", {"review_state": "has_issues",
                                                  "comment": "Count again."}),
        ("DELETE", f"{REPORTS}/{report_id}", None),
        ("POST", f"{REPORTS}/{report_id}/restore", None),
    ]  # fmt: skip
    for method, path, body in changes:
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == 200, response.json
        if method != "DELETE":
            seen.append(report_as_read(client, headers, report_id))
    return report_id, seen


# In order ------------------------------------------------------------------------------


def test_each_change_of_a_report_is_an_event_in_the_order_it_was_made(client, coordinator):
    report_id, seen = a_report_s_life(client, coordinator)

    page = feed(client, coordinator)

    assert types(page) == [
        "report.created", "report.updated", "report.submitted", "report.reviewed",
        "report.deleted", "report.restored",
    ]  # fmt: skip
    assert [event["cursor"] for event in page["data"]] == ["1", "2", "3", "4", "5", "6"]
    assert all(re.fullmatch(r"msg_[0-9a-f]{24}", event["id"]) for event in page["data"])
    assert len({event["id"] for event in page["data"]}) == 6
    assert page["pagination"] == {"limit": 100, "next_after": "6", "has_more": False}
    created, updated, submitted, reviewed, deleted, restored = (
        event["data"] for event in page["data"]
    )
    # The report as GET answered it just after each change; a review brings its review.
    assert [created, updated, submitted] == seen[:3]
    review = client.get(f"{REPORTS}/{report_id}/review", headers=coordinator).json
    assert reviewed == {**seen[3], "review": review}
    assert deleted == seen[3]
    assert restored == seen[4]


def test_a_report_created_submitted_is_created_then_submitted(client, coordinator):
    report_id = create(client, coordinator, status="submitted")

    page = feed(client, coordinator)

    assert types(page) == ["report.created", "report.submitted"]
    report = report_as_read(client, coordinator, report_id)
    assert [event["data"] for event in page["data"]] == [report, report]


def test_a_purged_report_is_told_by_its_id_alone_and_so_are_its_earlier_events(
    app, client, coordinator, runner, clock
):
    app.config["EVENTS_DAYS"] = 365  # the outbox keeps the events the trash had
    report_id = create(client, coordinator)
    client.delete(f"{REPORTS}/{report_id}", headers=coordinator)
    clock.advance(days=app.config["TRASH_DAYS"] + 1)

    assert runner.invoke(args=["trash", "purge"]).exit_code == 0

    page = feed(client, coordinator)
    assert types(page) == ["report.created", "report.deleted", "report.purged"]
    assert [event["data"] for event in page["data"]] == [{"report_id": report_id}] * 3


def test_the_feed_gives_the_events_a_webhook_gets_with_its_webhook_id(app, client, coordinator):
    receiver = Receiver()
    try:
        with app.app_context():
            service.add_webhook(receiver.url, allow_private=True, caller=OPERATOR)
        a_report_s_life(client, coordinator)
        dispatcher.run_until_idle(app)
        delivered = [
            {"id": each["headers"]["webhook-id"], **json.loads(each["body"])}
            for each in receiver.deliveries
        ]
    finally:
        receiver.stop()

    events = feed(client, coordinator)["data"]

    assert len(delivered) == 6
    assert [{k: v for k, v in event.items() if k != "cursor"} for event in events] == delivered


# Polling ------------------------------------------------------------------------------


def test_polling_after_the_answered_cursor_gets_only_the_newer_events(client, coordinator):
    first = create(client, coordinator)
    before = feed(client, coordinator)
    assert types(before) == ["report.created"]

    client.put(f"{REPORTS}/{first}", json={"status": "submitted"}, headers=coordinator)
    second = create(client, coordinator)
    after = feed(client, coordinator, f"?after={before['pagination']['next_after']}")

    assert types(after) == ["report.submitted", "report.created"]
    assert [event["data"]["report_id"] for event in after["data"]] == [first, second]
    nothing = feed(client, coordinator, f"?after={after['pagination']['next_after']}")
    assert nothing["data"] == []
    assert nothing["pagination"]["next_after"] == after["pagination"]["next_after"]
    assert nothing["pagination"]["has_more"] is False


def test_a_small_limit_walks_every_event_once_in_order(client, coordinator):
    for _ in range(3):
        a_report_s_life(client, coordinator)
    everything = feed(client, coordinator, "?limit=1000")["data"]

    walked, after, pages = [], "0", 0
    while True:
        response = client.get(f"{EVENTS}?after={after}&limit=4", headers=coordinator)
        page = response.json
        walked += page["data"]
        after, pages = page["pagination"]["next_after"], pages + 1
        if not page["pagination"]["has_more"]:
            assert "Link" not in response.headers
            break
        assert response.headers["Link"] == f'</api/v1/events?after={after}&limit=4>; rel="next"'

    assert len(everything) == 18
    assert walked == everything
    assert pages == 5


def test_an_event_s_cursor_is_where_the_next_poll_starts(client, coordinator):
    a_report_s_life(client, coordinator)
    events = feed(client, coordinator)["data"]

    third = events[2]["cursor"]

    assert feed(client, coordinator, f"?after={third}")["data"] == events[3:]


def test_a_cursor_past_the_newest_event_starts_again_at_the_newest(client, coordinator):
    """As after a restore from a backup that holds fewer events than a poller saw."""
    create(client, coordinator)

    page = feed(client, coordinator, "?after=9000")

    assert page["data"] == []
    assert page["pagination"]["next_after"] == "1"


# Who may read it ---------------------------------------------------------------------------


@pytest.fixture
def other_mentor(app):
    with app.app_context():
        secret = auth.create_token("otto", "mentor", OTHER_MENTOR)
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("role", ["viewer", "mentor", "other mentor"])
def test_only_a_coordinator_reads_the_events(client, tokens, other_mentor, role):
    create(client, tokens["coordinator"])
    create(client, tokens["mentor"])
    headers = other_mentor if role == "other mentor" else tokens[role]
    kind = "mentor" if "mentor" in role else role

    response = client.get(EVENTS, headers=headers)

    assert response.status_code == 403
    assert response.mimetype == PROBLEM
    assert response.json == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": f"Only a coordinator token may do this, not a {kind} token.",
    }
    assert "data" not in response.json and b"report." not in response.data


@pytest.mark.parametrize("role", ["viewer", "mentor"])
def test_another_role_is_refused_before_its_query_is_read(client, tokens, role):
    response = client.get(f"{EVENTS}?after=x&limit=0", headers=tokens[role])

    assert response.status_code == 403


def test_without_a_token_the_feed_is_a_401_once_tokens_exist(client, tokens):
    response = client.get(EVENTS)

    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.json == client.get(REPORTS).json


# A bad query ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("after=-1", {"after": [CURSOR_REFUSED]}),
        ("after=x", {"after": [CURSOR_REFUSED]}),
        ("after=", {"after": [CURSOR_REFUSED]}),
        ("after=1.5", {"after": [CURSOR_REFUSED]}),
        ("after=%EF%BC%91", {"after": [CURSOR_REFUSED]}),  # a fullwidth 1
        ("after=9223372036854775808", {"after": [CURSOR_REFUSED]}),
        ("after=" + "0" * 5000, {"after": [CURSOR_REFUSED]}),
        ("limit=0", {"limit": [LIMIT_REFUSED]}),
        ("limit=1001", {"limit": [LIMIT_REFUSED]}),
        ("limit=ten", {"limit": ["Not a valid integer."]}),
        ("after=1&after=2", {"after": ["Give this parameter once."]}),
        ("cursor=3", {"cursor": ["Unknown field."]}),
    ],
)
def test_a_bad_query_is_a_422_naming_the_parameter(client, coordinator, query, errors):
    response = client.get(f"{EVENTS}?{query}", headers=coordinator)

    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert response.json["errors"] == errors


def test_the_largest_cursor_and_limit_are_taken(client, coordinator):
    create(client, coordinator)

    assert feed(client, coordinator, "?after=9223372036854775807&limit=1000")["data"] == []
    assert types(feed(client, coordinator, "?after=0000&limit=1")) == ["report.created"]


# English, byte for byte ------------------------------------------------------------------


def test_the_feed_is_the_same_bytes_whatever_language_is_asked(client, coordinator):
    a_report_s_life(client, coordinator)
    english = client.get(EVENTS, headers=coordinator)
    people = client.get("/api/v1/people", headers=coordinator).json["data"]
    carla = next(person for person in people if person["name"] == "carla")
    client.put(f"/api/v1/people/{carla['person_id']}", json={"language": "nb"},
               headers=coordinator)  # fmt: skip

    asked = client.get(EVENTS, headers={**coordinator, "Accept-Language": "nb"})

    assert asked.data == english.data
    assert "Set-Cookie" not in asked.headers
    assert list(asked.json["data"][0]) == ["id", "cursor", "type", "timestamp", "data"]
    assert list(asked.json["pagination"]) == ["limit", "next_after", "has_more"]
    refused = client.get(f"{EVENTS}?limit=0", headers={**coordinator, "Accept-Language": "nb"})
    assert refused.json["detail"] == "The request is not valid; `errors` says what to fix."
    assert refused.json["errors"] == {"limit": [LIMIT_REFUSED]}
