"""Writes that another site's page sends are refused, before any view runs and
whatever they bear; every API write that takes a body takes it as JSON only."""

import re

import pytest

from reports.api import bp

from conftest import CONTRACT_REPORT
from web_helpers import csrf_token, text

FROM_ELSEWHERE = {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def api_writes(app):
    """(method, path pattern, view) of every write route of the API."""
    return sorted(
        (method, rule.rule, app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{bp.name}.")
        for method in rule.methods & WRITES
    )


def path_of(pattern, report_id):
    return re.sub(r"<[^>]+>", report_id, pattern)


@pytest.fixture
def trashed(client, make_report):
    report_id = make_report()["report_id"]
    assert client.delete(f"/api/v1/reports/{report_id}").status_code == 200
    return report_id


def test_a_cross_site_text_plain_post_restores_nothing(client, trashed, snapshot):
    before = snapshot()

    refused = client.post(
        f"/api/v1/reports/{trashed}/restore",
        data="{}",
        headers={**FROM_ELSEWHERE, "Content-Type": "text/plain"},
    )

    assert refused.status_code == 403, refused.json
    assert refused.content_type == "application/problem+json"
    assert "another site" in refused.json["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://elsewhere.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost.elsewhere.example"},
        {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "same-site"},
    ],
    ids=["fetch-site", "origin", "null-origin", "lookalike-origin", "same-site-other-origin"],
)
def test_every_api_write_from_another_site_is_refused(app, client, make_report, snapshot, headers):
    report_id = make_report()["report_id"]
    before = snapshot()
    for method, pattern, _ in api_writes(app):
        refused = client.open(
            path_of(pattern, report_id), method=method, json=CONTRACT_REPORT, headers=headers
        )

        assert refused.status_code == 403, (method, pattern, refused.json)
    assert snapshot() == before
    assert len(api_writes(app)) == 13  # the reports' 5, the directory's 8


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://localhost"},
        {"Origin": "https://reports.example.org"},
    ],
    ids=["a-program", "same-origin", "typed-by-hand", "own-origin", "public-url"],
)
def test_a_write_from_the_service_s_own_site_or_a_program_goes_through(app, client, headers):
    app.config["PUBLIC_URL"] = "https://reports.example.org/"

    created = client.post("/api/v1/reports", json=CONTRACT_REPORT, headers=headers)

    assert created.status_code == 201, created.json


def test_a_read_from_another_site_is_answered(client, make_report):
    report_id = make_report()["report_id"]

    assert client.get(f"/api/v1/reports/{report_id}", headers=FROM_ELSEWHERE).status_code == 200


def test_a_page_s_form_posted_from_another_site_is_refused_with_a_page(client, snapshot):
    before = snapshot()
    form = {**CONTRACT_REPORT["fields"], "csrf_token": csrf_token(client, "/reports/new")}

    refused = client.post("/reports/new", data=form, headers=FROM_ELSEWHERE)

    assert refused.status_code == 403
    assert refused.content_type.startswith("text/html")
    assert "another site" in text(refused)
    assert snapshot() == before


def test_every_api_write_that_takes_a_body_takes_json_only(app, client, make_report, snapshot):
    report_id = make_report()["report_id"]
    with_a_body = [
        (method, pattern) for method, pattern, view in api_writes(app) if view.operation.body
    ]
    assert len(with_a_body) >= 3, with_a_body
    before = snapshot()
    for method, pattern in with_a_body:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {} if content_type is None else {"Content-Type": content_type}
            refused = client.open(
                path_of(pattern, report_id), method=method, data="{}", headers=headers
            )

            assert refused.status_code == 415, (method, pattern, content_type, refused.json)
    assert snapshot() == before
