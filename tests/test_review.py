"""Review: coordinators review submitted reports; a mentor corrects its own
report only while it is unreviewed or has issues, and that reopens it."""

import pytest

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]


def submitted_report(client, headers=None):
    body = {**CONTRACT_REPORT, "status": "submitted"}
    response = client.post(REPORTS, json=body, headers=headers or {})
    assert response.status_code == 201, response.json
    return response.json["report_id"]


def review(client, report_id, state, comment="", headers=None):
    return client.put(
        f"{REPORTS}/{report_id}/review",
        json={"review_state": state, "comment": comment},
        headers=headers or {},
    )


def test_an_unreviewed_report_has_a_review_of_nulls(client):
    report_id = submitted_report(client)

    response = client.get(f"{REPORTS}/{report_id}/review")

    assert response.status_code == 200
    assert response.json == {
        "report_id": report_id,
        "review_state": None,
        "comment": None,
        "reviewed_by": None,
        "reviewed_at": None,
    }


@pytest.mark.parametrize("state", ["approved", "has_issues", "rejected"])
def test_a_coordinator_reviews_a_submitted_report(client, tokens, clock, state):
    report_id = submitted_report(client, tokens["coordinator"])
    clock.advance(minutes=5)

    response = review(client, report_id, state, "Checked.", tokens["coordinator"])

    assert response.status_code == 200
    expected = {
        "report_id": report_id,
        "review_state": state,
        "comment": "Checked.",
        "reviewed_by": "carla",
        "reviewed_at": "2026-03-20T14:15:00Z",
    }
    assert response.json == expected
    assert client.get(f"{REPORTS}/{report_id}/review", headers=tokens["viewer"]).json == expected


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (a, b)
        for a in ("approved", "has_issues", "rejected")
        for b in ("approved", "has_issues", "rejected")
    ],
)
def test_a_review_may_be_changed_to_any_state(client, earlier, later):
    report_id = submitted_report(client)
    review(client, report_id, earlier)

    response = review(client, report_id, later)

    assert response.status_code == 200
    assert client.get(f"{REPORTS}/{report_id}/review").json["review_state"] == later


def test_a_review_makes_a_new_version_of_the_report(client, clock):
    report_id = submitted_report(client)
    before = client.get(f"{REPORTS}/{report_id}")
    clock.advance(minutes=1)

    review(client, report_id, "approved")

    after = client.get(f"{REPORTS}/{report_id}")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.json["updated_at"] == "2026-03-20T14:11:00Z"
    assert list(after.json) == list(before.json)  # the contract's keys, no more


def test_a_draft_cannot_be_reviewed(client, snapshot):
    report_id = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    before = snapshot()

    response = review(client, report_id, "approved")

    assert response.status_code == 409
    assert snapshot() == before
    assert client.get(f"{REPORTS}/{report_id}/review").json["review_state"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"review_state": "fine"},
        {"review_state": "approved", "comment": "x" * 5001},
        {"review_state": "approved", "comment": "bell\x07"},
        {"review_state": "approved", "reviewer": "me"},
    ],
)
def test_a_bad_review_is_a_422(client, body):
    report_id = submitted_report(client)

    response = client.put(f"{REPORTS}/{report_id}/review", json=body)

    assert response.status_code == 422


def test_a_review_of_no_report_is_a_404(client):
    assert review(client, "rpt_00000000", "approved").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "mentor"])
def test_only_a_coordinator_may_review(client, tokens, snapshot, role):
    report_id = submitted_report(client, tokens["coordinator"])
    before = snapshot()

    response = review(client, report_id, "approved", headers=tokens[role])

    assert response.status_code == 403
    assert snapshot() == before


def test_the_lists_filter_by_review_state(client):
    approved, has_issues, unreviewed = (submitted_report(client) for _ in range(3))
    review(client, approved, "approved")
    review(client, has_issues, "has_issues")

    def listed(state):
        return [
            item["report_id"] for item in client.get(f"{REPORTS}?review_state={state}").json["data"]
        ]

    assert listed("approved") == [approved]
    assert listed("has_issues") == [has_issues]
    assert listed("rejected") == []
    assert listed("none") == [unreviewed]


# A mentor's corrections ---------------------------------------------------------


def correct(client, report_id, headers):
    return client.put(f"{REPORTS}/{report_id}", json={"fields": {"attendance_count": 9}},
                      headers=headers)  # fmt: skip


@pytest.mark.parametrize(
    ("state", "status", "review_after"),
    [
        (None, 200, None),
        ("has_issues", 200, None),  # corrected: back to unreviewed
        ("approved", 403, "approved"),
        ("rejected", 403, "rejected"),
    ],
)
def test_a_mentor_corrects_its_report_only_while_unreviewed_or_with_issues(
    client, tokens, snapshot, state, status, review_after
):
    report_id = submitted_report(client, tokens["mentor"])
    if state:
        review(client, report_id, state, headers=tokens["coordinator"])
    before = snapshot()

    response = correct(client, report_id, tokens["mentor"])

    assert response.status_code == status
    current = client.get(f"{REPORTS}/{report_id}/review", headers=tokens["mentor"]).json
    assert current["review_state"] == review_after
    if status == 403:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("state", "status"),
    [(None, 200), ("has_issues", 200), ("approved", 403), ("rejected", 403)],
)
def test_a_mentor_deletes_its_report_only_while_unreviewed_or_with_issues(
    client, tokens, snapshot, state, status
):
    report_id = submitted_report(client, tokens["mentor"])
    if state:
        review(client, report_id, state, headers=tokens["coordinator"])
    before = snapshot()

    response = client.delete(f"{REPORTS}/{report_id}", headers=tokens["mentor"])

    assert response.status_code == status, response.json
    if status == 403:
        assert response.mimetype == "application/problem+json"
        assert response.json["detail"] == (
            f"This report is {state}: its mentor may correct or delete it only while it is "
            "unreviewed or has issues."
        )
        assert snapshot() == before
        assert client.get(f"{REPORTS}/{report_id}", headers=tokens["mentor"]).status_code == 200
        current = client.get(f"{REPORTS}/{report_id}/review", headers=tokens["mentor"]).json
        assert current["review_state"] == state


def test_a_coordinator_deletes_a_reviewed_report(client, tokens):
    report_id = submitted_report(client, tokens["mentor"])
    review(client, report_id, "approved", headers=tokens["coordinator"])

    response = client.delete(f"{REPORTS}/{report_id}", headers=tokens["coordinator"])

    assert response.status_code == 200


def test_a_coordinators_correction_keeps_the_review(client, tokens):
    report_id = submitted_report(client, tokens["coordinator"])
    review(client, report_id, "approved", headers=tokens["coordinator"])

    assert correct(client, report_id, tokens["coordinator"]).status_code == 200
    review_now = client.get(f"{REPORTS}/{report_id}/review", headers=tokens["coordinator"]).json
    assert review_now["review_state"] == "approved"


def test_a_mentor_may_edit_its_draft_whatever_happened_before(client, tokens):
    response = client.post(REPORTS, json=CONTRACT_REPORT, headers=tokens["mentor"])

    assert correct(client, response.json["report_id"], tokens["mentor"]).status_code == 200


def test_a_mentor_reads_the_review_of_its_own_reports_only(client, tokens):
    other = client.post(
        REPORTS,
        json={**CONTRACT_REPORT, "peer_mentor_id": "usr_mentor_007", "status": "submitted"},
        headers=tokens["coordinator"],
    ).json["report_id"]

    response = client.get(f"{REPORTS}/{other}/review", headers=tokens["mentor"])

    assert response.status_code == 404
