"""Lost-update protection: every write makes a new ETag; If-Match guards PUT and DELETE."""

import pytest

from conftest import CONTRACT_REPORT

REPORTS = "/api/v1/reports"


@pytest.fixture
def report(client, make_report):
    """A stored report, with the ETag its GET answers."""
    report = make_report()
    path = f"{REPORTS}/{report['report_id']}"
    return {"path": path, "etag": client.get(path).headers["ETag"]}


def test_get_answers_an_etag_that_matches_the_create(client):
    created = client.post(REPORTS, json=CONTRACT_REPORT)

    assert created.headers["ETag"] == client.get(created.headers["Location"]).headers["ETag"]


def test_every_write_changes_the_etag_and_put_answers_the_new_one(client, report):
    seen = {report["etag"]}
    for count in range(3):
        put = client.put(report["path"], json={"fields": {"attendance_count": count}})
        assert put.headers["ETag"] == client.get(report["path"]).headers["ETag"]
        seen.add(put.headers["ETag"])

    assert len(seen) == 4


def test_put_with_the_current_etag_succeeds(client, report):
    response = client.put(
        report["path"],
        json={"fields": {"attendance_count": 9}},
        headers={"If-Match": report["etag"]},
    )

    assert response.status_code == 200


def test_put_with_a_stale_etag_is_412_and_changes_nothing(client, report, snapshot):
    client.put(report["path"], json={"fields": {"attendance_count": 8}})  # someone else's edit
    before = snapshot()

    response = client.put(
        report["path"],
        json={"fields": {"attendance_count": 9}},
        headers={"If-Match": report["etag"]},
    )

    assert response.status_code == 412
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == 412
    assert snapshot() == before


def test_delete_with_a_stale_etag_is_412_and_keeps_the_report(client, report, snapshot):
    client.put(report["path"], json={"fields": {"attendance_count": 8}})
    before = snapshot()

    response = client.delete(report["path"], headers={"If-Match": report["etag"]})

    assert response.status_code == 412
    assert response.content_type == "application/problem+json"
    assert snapshot() == before


def test_delete_with_the_current_etag_deletes(client, report):
    response = client.delete(report["path"], headers={"If-Match": report["etag"]})

    assert response.status_code == 200
    assert client.get(report["path"]).status_code == 404


@pytest.mark.parametrize("if_match", ["*", '"999", {current}', "{current}"])
def test_if_match_takes_a_list_or_a_star(client, report, if_match):
    header = if_match.format(current=report["etag"])

    response = client.put(
        report["path"], json={"fields": {"attendance_count": 1}}, headers={"If-Match": header}
    )

    assert response.status_code == 200


def test_a_weak_etag_never_matches(client, report):
    response = client.put(
        report["path"],
        json={"fields": {"attendance_count": 1}},
        headers={"If-Match": f"W/{report['etag']}"},
    )

    assert response.status_code == 412


def test_without_if_match_writes_go_through_as_the_contract_shows(client, report):
    client.put(report["path"], json={"fields": {"attendance_count": 8}})

    assert client.put(report["path"], json={"fields": {"attendance_count": 9}}).status_code == 200
    assert client.delete(report["path"]).status_code == 200


def test_if_match_on_a_missing_report_is_404(client):
    response = client.put(
        f"{REPORTS}/rpt_00000000", json={"status": "draft"}, headers={"If-Match": "*"}
    )

    assert response.status_code == 404


def test_get_with_the_current_etag_in_if_none_match_is_304(client, report):
    response = client.get(report["path"], headers={"If-None-Match": report["etag"]})

    assert response.status_code == 304
    assert response.data == b""
    client.put(report["path"], json={"fields": {"attendance_count": 9}})
    assert client.get(report["path"], headers={"If-None-Match": report["etag"]}).status_code == 200
