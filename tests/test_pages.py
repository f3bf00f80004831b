"""Deep pages: every list answers a Link to the next page, a keyset cursor that
walks the reports in order, once each, even while new reports arrive."""

import re

import pytest

from reports.schemas import encode_cursor

REPORTS = "/api/v1/reports"
LISTS = [REPORTS, f"{REPORTS}/by-activity/act_7b4e9f2a", f"{REPORTS}/by-mentor/usr_mentor_042"]
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def next_url(response):
    link = response.headers.get("Link")
    return None if link is None else LINK.fullmatch(link)["url"]


def walk(client, url):
    """Follow the Links from `url`; every page's body, in order."""
    pages = []
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.json
        pages.append(response.json)
        url = next_url(response)
    return pages


@pytest.fixture
def five_reports(make_report, clock):
    created = []
    for _ in range(5):
        created.append(make_report()["report_id"])
        clock.advance(seconds=1)
    return created[::-1]  # newest first


@pytest.mark.parametrize("path", LISTS)
def test_following_the_links_walks_every_report_once_newest_first(client, five_reports, path):
    pages = walk(client, f"{path}?limit=2")

    assert [item["report_id"] for page in pages for item in page["data"]] == five_reports
    assert [page["pagination"] for page in pages] == [
        {"page": number, "limit": 2, "total": 5} for number in (1, 2, 3)
    ]


def test_the_last_page_has_no_link(client, five_reports):
    assert "Link" not in client.get(f"{REPORTS}?limit=5").headers
    assert "Link" in client.get(f"{REPORTS}?limit=4").headers


def test_a_page_by_number_links_to_the_page_after_it(client, five_reports):
    page_two = client.get(f"{REPORTS}?page=2&limit=2")

    page_three = client.get(next_url(page_two)).json

    assert [item["report_id"] for item in page_three["data"]] == five_reports[4:]
    assert page_three["pagination"]["page"] == 3


def test_the_cursor_page_keeps_the_contract_keys(client, five_reports):
    page = client.get(next_url(client.get(f"{REPORTS}?limit=2"))).json

    assert list(page) == ["data", "pagination"]
    assert list(page["pagination"]) == ["page", "limit", "total"]


def test_new_reports_do_not_shift_the_next_page(client, make_report, five_reports, clock):
    first = client.get(f"{REPORTS}?limit=2")
    for _ in range(3):
        make_report()

    second = client.get(next_url(first)).json

    assert [item["report_id"] for item in second["data"]] == five_reports[2:4]
    assert second["pagination"]["total"] == 8


def test_the_link_keeps_the_status_filter(client, make_report):
    submitted = [make_report(status="submitted")["report_id"] for _ in range(3)]
    make_report()

    pages = walk(client, f"{REPORTS}?status=submitted&limit=1")

    assert sorted(item["report_id"] for page in pages for item in page["data"]) == sorted(submitted)
    assert all(page["pagination"]["total"] == 3 for page in pages)


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%FF",
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", 0, 2),
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", 2**63, 2),
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", 1, 1),
        encode_cursor("-created_at", "yesterday", 1, 2),
        encode_cursor("-priority", "2026-03-20T14:10:00Z", 1, 2),
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", "1", 2),
    ],
)
def test_a_cursor_the_service_did_not_make_is_422(client, cursor):
    response = client.get(f"{REPORTS}?cursor={cursor}")

    assert response.status_code == 422
    assert list(response.json["errors"]) == ["cursor"]


def test_page_and_cursor_together_is_422(client, five_reports):
    cursor = next_url(client.get(f"{REPORTS}?limit=2")).split("cursor=")[1]

    response = client.get(f"{REPORTS}?page=2&cursor={cursor}")

    assert response.status_code == 422
    assert list(response.json["errors"]) == ["cursor"]
