"""Every endpoint of the contract, and every rule of the report lifecycle."""

import re

import pytest

from reports import service

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")

FULL_KEYS = [
    "report_id", "activity_id", "peer_mentor_id", "org_id", "status", "fields",
    "submitted_at", "created_at", "updated_at",
]  # fmt: skip
SUMMARY_KEYS = [
    "report_id", "activity_id", "peer_mentor_id", "status", "submitted_at", "created_at",
    "field_count", "has_way_forward",
]  # fmt: skip
SUBMITTABLE = {"session_date": "2026-03-20", "attendance_count": 6, "session_topic": "CVs"}


def submit(client, report_id, **fields):
    return client.put(f"{REPORTS}/{report_id}", json={"status": "submitted", "fields": fields})


# Create -------------------------------------------------------------------


def test_create_answers_201_with_location_and_the_contract_keys(client, clock):
    response = client.post(REPORTS, json=CONTRACT_REPORT)

    assert response.status_code == 201
    body = response.json
    assert list(body) == ["report_id", "activity_id", "peer_mentor_id", "status", "created_at"]
    assert response.headers["Location"] == f"{REPORTS}/{body['report_id']}"
    assert body["activity_id"] == "act_7b4e9f2a"
    assert body["peer_mentor_id"] == "usr_mentor_042"
    assert body["status"] == "draft"
    assert body["created_at"] == "2026-03-20T14:10:00Z"


def test_report_ids_are_rpt_and_eight_random_lowercase_hex_digits(client):
    ids = {client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"] for _ in range(20)}

    assert len(ids) == 20
    assert all(re.fullmatch(r"rpt_[0-9a-f]{8}", report_id) for report_id in ids)


def test_a_colliding_report_id_is_drawn_again(client, monkeypatch):
    drawn = iter(["rpt_0000000a", "rpt_0000000a", "rpt_0000000b"])
    monkeypatch.setattr(service.lifecycle, "new_report_id", lambda: next(drawn))

    first = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    second = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]

    assert (first, second) == ("rpt_0000000a", "rpt_0000000b")


def test_a_new_draft_has_no_submitted_at_and_updated_at_equal_to_created_at(make_report):
    report = make_report()

    assert report["status"] == "draft"
    assert report["submitted_at"] is None
    assert TIMESTAMP.fullmatch(report["created_at"])
    assert report["updated_at"] == report["created_at"]


def test_a_report_created_as_submitted_is_submitted_at_creation(make_report, clock):
    report = make_report(status="submitted")

    assert report["status"] == "submitted"
    assert report["submitted_at"] == report["created_at"] == "2026-03-20T14:10:00Z"


def test_fields_and_status_are_optional_on_create(client):
    body = {"activity_id": "a1", "peer_mentor_id": "m1", "org_id": "o1"}
    created = client.post(REPORTS, json=body)

    report = client.get(created.headers["Location"]).json
    assert (report["status"], report["fields"]) == ("draft", {})


def test_org_id_falls_back_to_the_instance_default(database):
    from reports import create_app, db

    client = create_app({"DATABASE": database, "DEFAULT_ORG_ID": "org_home"}).test_client()
    db.init_db(database)
    without = client.post(REPORTS, json={"activity_id": "a1", "peer_mentor_id": "m1"})
    given = client.post(REPORTS, json={"activity_id": "a1", "peer_mentor_id": "m1", "org_id": "o2"})

    assert client.get(without.headers["Location"]).json["org_id"] == "org_home"
    assert client.get(given.headers["Location"]).json["org_id"] == "o2"


def test_org_id_is_required_without_an_instance_default(client):
    response = client.post(REPORTS, json={"activity_id": "a1", "peer_mentor_id": "m1"})

    assert response.status_code == 422
    assert response.json["errors"] == {"org_id": ["Missing data for required field."]}


@pytest.mark.parametrize("missing", ["session_date", "attendance_count", "session_topic"])
def test_submitting_on_create_needs_the_three_required_fields(client, missing):
    fields = {name: value for name, value in SUBMITTABLE.items() if name != missing}
    body = {**CONTRACT_REPORT, "status": "submitted", "fields": fields}

    response = client.post(REPORTS, json=body)

    assert response.status_code == 422
    assert response.json["errors"] == {"fields": {missing: ["Required to submit the report."]}}


def test_a_session_dated_tomorrow_is_accepted_and_the_day_after_is_not(make_report, client, clock):
    assert make_report(fields={"session_date": "2026-03-21"})["fields"]["session_date"]

    body = {**CONTRACT_REPORT, "fields": {"session_date": "2026-03-22"}}
    assert client.post(REPORTS, json=body).status_code == 422


# Read ---------------------------------------------------------------------


def test_a_report_reads_back_with_exactly_the_contract_keys(make_report, clock):
    report = make_report()

    assert list(report) == FULL_KEYS
    assert report["org_id"] == "org_nansen_01"
    assert report["fields"] == CONTRACT_REPORT["fields"]


def test_fields_hold_only_the_fields_that_are_set(client):
    created = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": {"attendance_count": 0}})

    assert client.get(created.headers["Location"]).json["fields"] == {"attendance_count": 0}


def test_every_catalogue_field_round_trips_with_its_json_type(make_report, clock):
    every_field = {
        "session_date": "2026-03-20",
        "attendance_count": 1000,
        "session_topic": "Budgeting",
        "participant_engagement": "very_high",
        "challenges_noted": "",
        "mentor_notes": "Notes",
        "way_forward": "Meet again",
        "duration_minutes": 1440,
        "follow_up_needed": False,
    }

    assert make_report(fields=every_field)["fields"] == every_field


@pytest.mark.parametrize(
    "text",
    [
        "Robert'); DROP TABLE report;--",
        "' OR 1=1 --",
        "Møte om CV 📄✅ med 👩🏽‍💼",
        "مناقشة السيرة الذاتية",
        "line one\r\nline two\n\ttabbed",
        "  leading and trailing spaces  ",
    ],
)
def test_text_is_stored_and_returned_exactly_as_sent(make_report, text):
    report = make_report(fields={"mentor_notes": text, "session_topic": text})

    assert report["fields"]["mentor_notes"] == text
    assert report["fields"]["session_topic"] == text


# Update -------------------------------------------------------------------


def test_update_answers_with_the_contract_keys(client, make_report):
    report = make_report()

    response = client.put(f"{REPORTS}/{report['report_id']}", json={"fields": {"way_forward": "x"}})

    assert response.status_code == 200
    assert list(response.json) == ["report_id", "status", "submitted_at", "updated_at"]


def test_the_contract_update_submits_and_merges_the_fields(client, make_report, clock):
    report = make_report()
    clock.advance(minutes=22)
    contract_update = {
        "fields": {
            "attendance_count": 7,
            "mentor_notes": "Group discussed CV writing. One participant completed application.",
            "participant_engagement": "very_high",
        },
        "status": "submitted",
    }

    response = client.put(f"{REPORTS}/{report['report_id']}", json=contract_update)

    assert response.json == {
        "report_id": report["report_id"],
        "status": "submitted",
        "submitted_at": "2026-03-20T14:32:00Z",
        "updated_at": "2026-03-20T14:32:00Z",
    }
    stored = client.get(f"{REPORTS}/{report['report_id']}").json
    assert stored["fields"] == {**CONTRACT_REPORT["fields"], **contract_update["fields"]}
    assert stored["created_at"] == "2026-03-20T14:10:00Z"


def test_a_field_given_as_null_is_removed_and_fields_not_given_stay(client, make_report):
    report = make_report(fields={"way_forward": "Call the job centre"})

    client.put(f"{REPORTS}/{report['report_id']}", json={"fields": {"way_forward": None}})

    stored = client.get(f"{REPORTS}/{report['report_id']}").json
    assert stored["fields"] == CONTRACT_REPORT["fields"]


def test_every_update_moves_updated_at_and_nothing_else_of_the_times(client, make_report, clock):
    report = make_report()
    clock.advance(hours=1)

    response = client.put(
        f"{REPORTS}/{report['report_id']}", json={"fields": {"mentor_notes": "x"}}
    )

    assert response.json["updated_at"] == "2026-03-20T15:10:00Z"
    assert response.json["submitted_at"] is None
    assert client.get(f"{REPORTS}/{report['report_id']}").json["created_at"] == report["created_at"]


def test_submitted_at_is_set_once_and_kept_by_later_submits(client, make_report, clock):
    report = make_report()
    clock.advance(minutes=5)
    first = submit(client, report["report_id"]).json
    clock.advance(minutes=5)
    again = submit(client, report["report_id"], attendance_count=8).json

    assert first["submitted_at"] == "2026-03-20T14:15:00Z"
    assert again["submitted_at"] == "2026-03-20T14:15:00Z"
    assert again["updated_at"] == "2026-03-20T14:20:00Z"


def test_the_fields_of_a_submitted_report_may_still_be_corrected(client, make_report):
    report = make_report(status="submitted")

    response = client.put(
        f"{REPORTS}/{report['report_id']}", json={"fields": {"attendance_count": 9}}
    )

    assert response.status_code == 200
    assert response.json["status"] == "submitted"
    assert client.get(f"{REPORTS}/{report['report_id']}").json["fields"]["attendance_count"] == 9


def test_a_submitted_report_cannot_go_back_to_draft(client, make_report, snapshot):
    report = make_report(status="submitted")
    before = snapshot()

    response = client.put(f"{REPORTS}/{report['report_id']}", json={"status": "draft"})

    assert response.status_code == 409
    assert snapshot() == before


@pytest.mark.parametrize("missing", ["session_date", "attendance_count", "session_topic"])
def test_submitting_an_update_names_each_missing_required_field(client, missing):
    fields = {name: value for name, value in SUBMITTABLE.items() if name != missing}
    created = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields})

    response = submit(client, created.json["report_id"])

    assert response.status_code == 422
    assert response.json["errors"] == {"fields": {missing: ["Required to submit the report."]}}


def test_a_submitted_report_keeps_its_required_fields(client, make_report, snapshot):
    report = make_report(status="submitted")
    before = snapshot()

    response = client.put(
        f"{REPORTS}/{report['report_id']}", json={"fields": {"session_date": None}}
    )

    assert response.status_code == 422
    assert response.json["errors"] == {
        "fields": {"session_date": ["Required to submit the report."]}
    }
    assert snapshot() == before


# Delete -------------------------------------------------------------------


def test_delete_answers_as_the_contract_and_the_report_is_gone(client, make_report):
    report = make_report()
    report_id = report["report_id"]

    response = client.delete(f"{REPORTS}/{report_id}")

    assert response.status_code == 200
    assert response.json == {"deleted": True, "report_id": report_id}
    assert client.get(f"{REPORTS}/{report_id}").status_code == 404
    assert client.get(REPORTS).json["pagination"]["total"] == 0
    assert client.delete(f"{REPORTS}/{report_id}").status_code == 404


def test_delete_removes_only_that_report(client, make_report):
    kept, deleted = make_report(), make_report()

    client.delete(f"{REPORTS}/{deleted['report_id']}")

    assert [item["report_id"] for item in client.get(REPORTS).json["data"]] == [kept["report_id"]]


# Lists --------------------------------------------------------------------


def test_the_list_has_the_contract_keys_and_pagination(client, make_report):
    make_report(fields={"way_forward": "Follow up on referrals"}, status="submitted")

    body = client.get(REPORTS).json

    assert list(body) == ["data", "pagination"]
    assert list(body["data"][0]) == SUMMARY_KEYS
    assert body["data"][0]["field_count"] == 7
    assert body["data"][0]["has_way_forward"] is True
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1}


@pytest.mark.parametrize(
    ("way_forward", "expected"),
    [(None, False), ("", False), ("  \n\t", False), ("Next: CVs", True)],
)
def test_has_way_forward_is_true_only_when_way_forward_is_set_and_not_blank(
    client, make_report, way_forward, expected
):
    make_report(fields={"way_forward": way_forward})

    assert client.get(REPORTS).json["data"][0]["has_way_forward"] is expected


def test_field_count_follows_every_change(client, make_report):
    report = make_report()
    path = f"{REPORTS}/{report['report_id']}"

    client.put(
        path, json={"fields": {"mentor_notes": None, "duration_minutes": 90, "way_forward": "x"}}
    )

    assert client.get(REPORTS).json["data"][0]["field_count"] == 7


def test_lists_are_newest_first_with_ties_broken_by_insertion_order(client, make_report, clock):
    oldest = make_report()["report_id"]
    clock.advance(seconds=1)
    same_second = [make_report()["report_id"] for _ in range(3)]

    listed = [item["report_id"] for item in client.get(REPORTS).json["data"]]

    assert listed == [*reversed(same_second), oldest]


def test_pages_walk_through_every_report_once(client, make_report, clock):
    created = []
    for _ in range(5):
        created.append(make_report()["report_id"])
        clock.advance(seconds=1)

    pages = [client.get(f"{REPORTS}?page={page}&limit=2").json for page in (1, 2, 3)]

    assert [item["report_id"] for page in pages for item in page["data"]] == created[::-1]
    assert [page["pagination"] for page in pages] == [
        {"page": page, "limit": 2, "total": 5} for page in (1, 2, 3)
    ]


def test_a_page_past_the_end_is_empty_but_still_counts_the_total(client, make_report):
    make_report()

    body = client.get(f"{REPORTS}?page=3&limit=1").json

    assert body == {"data": [], "pagination": {"page": 3, "limit": 1, "total": 1}}


def test_limit_may_be_anything_from_1_to_100(client):
    assert client.get(f"{REPORTS}?limit=1").status_code == 200
    assert client.get(f"{REPORTS}?limit=100").json["pagination"]["limit"] == 100


def test_by_activity_lists_only_that_activity_with_its_contract_keys(client, make_report):
    mine = make_report(activity_id="act_1")
    make_report(activity_id="act_2")

    body = client.get(f"{REPORTS}/by-activity/act_1").json

    assert body["data"] == [
        {
            "report_id": mine["report_id"],
            "peer_mentor_id": "usr_mentor_042",
            "status": "draft",
            "submitted_at": None,
        }
    ]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1}


def test_by_mentor_lists_only_that_mentor_with_its_contract_keys(client, make_report):
    mine = make_report(peer_mentor_id="usr_1", status="submitted")
    make_report(peer_mentor_id="usr_2")

    body = client.get(f"{REPORTS}/by-mentor/usr_1").json

    assert body["data"] == [
        {
            "report_id": mine["report_id"],
            "activity_id": "act_7b4e9f2a",
            "status": "submitted",
            "submitted_at": mine["submitted_at"],
        }
    ]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1}


@pytest.mark.parametrize(
    "path", [REPORTS, f"{REPORTS}/by-activity/act_1", f"{REPORTS}/by-mentor/usr_1"]
)
def test_every_list_filters_by_status_and_counts_only_matches(client, make_report, path):
    drafts = {
        make_report(activity_id="act_1", peer_mentor_id="usr_1")["report_id"] for _ in range(2)
    }
    submitted = make_report(activity_id="act_1", peer_mentor_id="usr_1", status="submitted")

    draft_page = client.get(f"{path}?status=draft").json
    submitted_page = client.get(f"{path}?status=submitted").json

    assert {item["report_id"] for item in draft_page["data"]} == drafts
    assert draft_page["pagination"]["total"] == 2
    assert [item["report_id"] for item in submitted_page["data"]] == [submitted["report_id"]]
    assert submitted_page["pagination"]["total"] == 1


@pytest.mark.parametrize(
    "path", [f"{REPORTS}/by-activity/act_none", f"{REPORTS}/by-mentor/usr_none"]
)
def test_an_activity_or_mentor_with_no_reports_is_an_empty_list(client, make_report, path):
    make_report()

    assert client.get(path).json == {"data": [], "pagination": {"page": 1, "limit": 20, "total": 0}}
