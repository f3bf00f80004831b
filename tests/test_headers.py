"""Cache-Control: no answer that holds reports is kept by a browser or a proxy;
only the files that are the same for everyone may be."""

import pytest

from conftest import CONTRACT_REPORT
from web_helpers import sign_in

API = "/api/v1"


@pytest.fixture
def report_id(client, make_report):
    return make_report()["report_id"]


def test_every_api_answer_that_holds_reports_is_not_stored(client, report_id):
    answers = [
        client.get(f"{API}/reports"),
        client.get(f"{API}/reports/{report_id}"),
        client.get(f"{API}/reports/{report_id}/history"),
        client.get(f"{API}/reports/{report_id}/review"),
        client.get(f"{API}/reports?format=csv"),
        client.get(f"{API}/reports?format=xlsx"),
        client.get(f"{API}/reports/summary?group_by=month"),
        client.post(f"{API}/reports", json=CONTRACT_REPORT),
        client.get(f"{API}/reports/rpt_00000000"),
    ]
    for answer in answers:
        assert answer.headers.get("Cache-Control") == "no-store", (answer.request.url, answer)
        answer.close()


def test_the_pages_downloads_are_not_stored_either(client, report_id):
    reports = ("/reports.csv", "/reports.ndjson", "/reports.xlsx")
    for path in (*reports, "/summary.csv", "/summary.xlsx"):
        answer = client.get(path)

        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path
        answer.close()


def test_a_signed_in_page_is_not_stored(client, tokens, new_report):
    report_id = new_report()
    sign_in(client, tokens["coordinator"]["Authorization"].removeprefix("Bearer "))

    assert client.get(f"/reports/{report_id}").headers["Cache-Control"] == "no-store"


def test_the_static_files_may_be_cached(client):
    for path in ("/static/style.css", "/docs/assets/swagger-ui.css"):
        answer = client.get(path)

        assert answer.status_code == 200, path
        assert answer.headers.get("Cache-Control") != "no-store", path
        answer.close()
