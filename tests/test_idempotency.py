"""Idempotent create: a POST retried with the same Idempotency-Key creates one report."""

import pytest

from reports import auth

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"


def post(client, body=CONTRACT_REPORT, key="retry-me-1"):
    return client.post(REPORTS, json=body, headers={"Idempotency-Key": key})


def test_a_retry_answers_the_original_201_and_creates_nothing(client, clock, snapshot):
    first = post(client)
    stored = snapshot()
    clock.advance(minutes=5)

    retry = post(client)

    assert retry.status_code == 201
    assert retry.json == first.json
    assert retry.headers["Location"] == first.headers["Location"]
    assert snapshot() == stored


def test_a_retry_answers_the_original_even_after_the_report_changed(client):
    first = post(client)
    client.put(first.headers["Location"], json={"status": "submitted"})

    assert post(client).json == first.json


def test_the_same_body_with_other_formatting_is_the_same_request(client):
    first = post(client)
    reordered = dict(reversed(list(CONTRACT_REPORT.items())))

    assert post(client, body=reordered).json["report_id"] == first.json["report_id"]


def test_the_same_key_with_another_body_is_422_and_creates_nothing(client, snapshot):
    post(client)
    before = snapshot()

    response = post(client, body={**CONTRACT_REPORT, "activity_id": "act_other"})

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "Idempotency-Key" in response.json["errors"]
    assert snapshot() == before


def test_different_keys_create_different_reports(client):
    assert post(client, key="a").json["report_id"] != post(client, key="b").json["report_id"]


def test_without_a_key_every_post_creates(client):
    first = client.post(REPORTS, json=CONTRACT_REPORT)
    second = client.post(REPORTS, json=CONTRACT_REPORT)

    assert first.json["report_id"] != second.json["report_id"]


def test_a_refused_create_does_not_use_up_the_key(client):
    refused = post(client, body={**CONTRACT_REPORT, "status": "archived"})

    assert refused.status_code == 422
    assert post(client).status_code == 201


def test_keys_are_kept_for_24_hours(client, clock):
    first = post(client)
    clock.advance(hours=23, minutes=59)

    assert post(client).json["report_id"] == first.json["report_id"]


def test_after_24_hours_a_key_may_be_used_again(client, clock):
    first = post(client)
    clock.advance(hours=24, seconds=1)

    assert post(client).json["report_id"] != first.json["report_id"]


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "naïve"])
def test_a_malformed_key_is_400_and_creates_nothing(client, snapshot, key):
    before = snapshot()

    response = client.post(REPORTS, json=CONTRACT_REPORT, headers={"Idempotency-Key": key})

    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert snapshot() == before


def test_a_key_of_255_visible_characters_is_accepted(client):
    assert post(client, key="k" * 254 + "~").status_code == 201


# A key is its caller's own ------------------------------------------------------

OTHER_MENTOR = "usr_mentor_007"


@pytest.fixture
def two_mentors(app):
    """Authorization headers of two mentor tokens, each for a peer mentor of its own."""
    with app.app_context():
        mona = auth.create_token("mona", "mentor", CONTRACT_REPORT["peer_mentor_id"])
        milo = auth.create_token("milo", "mentor", OTHER_MENTOR)
    return {"Authorization": f"Bearer {mona}"}, {"Authorization": f"Bearer {milo}"}


def test_another_caller_reusing_a_key_creates_its_own_report(client, two_mentors):
    mona, milo = two_mentors
    key = {"Idempotency-Key": "monday-1"}
    milos_body = {**CONTRACT_REPORT, "peer_mentor_id": OTHER_MENTOR}

    first = client.post(REPORTS, json=CONTRACT_REPORT, headers={**mona, **key})
    other = client.post(REPORTS, json=milos_body, headers={**milo, **key})
    retry = client.post(REPORTS, json=CONTRACT_REPORT, headers={**mona, **key})
    other_retry = client.post(REPORTS, json=milos_body, headers={**milo, **key})

    assert (first.status_code, other.status_code) == (201, 201), other.json
    assert other.json["report_id"] != first.json["report_id"]
    assert other.json["peer_mentor_id"] == OTHER_MENTOR
    assert (retry.status_code, retry.json) == (201, first.json)
    assert (other_retry.status_code, other_retry.json) == (201, other.json)


def test_a_key_used_while_the_api_was_open_is_not_a_tokens_key(app, client):
    first = post(client)
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")

    again = client.post(
        REPORTS,
        json={**CONTRACT_REPORT, "activity_id": "act_other"},
        headers={"Idempotency-Key": "retry-me-1", "Authorization": f"Bearer {secret}"},
    )

    assert again.status_code == 201, again.json
    assert again.json["report_id"] != first.json["report_id"]
