"""A report's activity is corrected with PUT, where the rules allow changing
the report: it moves between the activities' lists, the history says so, and
its other ids stay as they were filed."""

import pytest

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"
FIRST = CONTRACT_REPORT["activity_id"]


@pytest.fixture
def report_id(new_report):
    return new_report(status="submitted")


def listed_under(client, activity_id, headers):
    response = client.get(f"{REPORTS}/by-activity/{activity_id}", headers=headers)
    return [each["report_id"] for each in response.json["data"]]


def test_a_coordinator_files_a_report_under_another_activity(client, tokens, report_id):
    coordinator = tokens["coordinator"]
    changed = client.put(
        f"{REPORTS}/{report_id}", json={"activity_id": "act_job_club"}, headers=coordinator
    )
    assert changed.status_code == 200, changed.json
    assert client.get(f"{REPORTS}/{report_id}", headers=coordinator).json["activity_id"] == (
        "act_job_club"
    )
    assert listed_under(client, "act_job_club", coordinator) == [report_id]
    assert listed_under(client, FIRST, coordinator) == []


def test_the_history_records_the_activity_before_and_after(client, tokens, report_id):
    coordinator = tokens["coordinator"]
    client.put(f"{REPORTS}/{report_id}", json={"activity_id": "act_job_club"}, headers=coordinator)
    history = client.get(f"{REPORTS}/{report_id}/history", headers=coordinator).json["revisions"]
    assert history[-1]["changes"] == {"activity_id": {"before": FIRST, "after": "act_job_club"}}


def test_a_mentor_corrects_its_own_reports_activity(client, tokens, report_id):
    changed = client.put(
        f"{REPORTS}/{report_id}", json={"activity_id": "act_job_club"}, headers=tokens["mentor"]
    )
    assert changed.status_code == 200, changed.json


def test_an_approved_report_keeps_its_activity_against_its_mentor(
    client, tokens, report_id, review
):
    review(report_id, "approved")
    refused = client.put(
        f"{REPORTS}/{report_id}", json={"activity_id": "act_job_club"}, headers=tokens["mentor"]
    )
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    shown = client.get(f"{REPORTS}/{report_id}", headers=tokens["coordinator"]).json
    assert shown["activity_id"] == FIRST


def test_a_viewer_cannot_change_a_reports_activity(client, tokens, report_id):
    refused = client.put(
        f"{REPORTS}/{report_id}", json={"activity_id": "act_job_club"}, headers=tokens["viewer"]
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("name", ["report_id", "peer_mentor_id", "org_id"])
def test_the_other_ids_stay_as_filed(client, tokens, report_id, name):
    refused = client.put(
        f"{REPORTS}/{report_id}", json={name: "x_1", "status": "submitted"},
        headers=tokens["coordinator"],
    )  # fmt: skip
    assert refused.status_code == 422
    assert refused.json["errors"] == {name: ["Cannot be changed after the report is created."]}


def test_an_activity_id_must_be_an_id(client, tokens, report_id):
    refused = client.put(
        f"{REPORTS}/{report_id}", json={"activity_id": "Job club!"}, headers=tokens["coordinator"]
    )
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["activity_id"]
