"""Deep pages: every list answers a Link to the next page, a keyset cursor that
walks the reports in order, once each, even while new reports arrive."""

import base64
import json
import re

import pytest

from reports import auth
from reports.schemas import encode_cursor

from conftest import CONTRACT_REPORT

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
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", "rpt_0000000", 2),
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", "rpt_0000000G", 2),
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", "rpt_00000000\n", 2),
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", 5, 2),  # a row counter
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", "rpt_00000000", 1),
        encode_cursor("-created_at", "yesterday", "rpt_00000000", 2),
        encode_cursor("-priority", "2026-03-20T14:10:00Z", "rpt_00000000", 2),
        encode_cursor("-created_at", "2026-03-20T14:10:00Z", "rpt_00000000", 2) + "x",
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


def decoded(url):
    cursor = url.split("cursor=")[1].split("&")[0]
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "-submitted_at", "session_date"])
def test_a_cursor_holds_the_sort_key_and_id_of_the_last_report_and_no_count(
    client, five_reports, sort
):
    """Nothing in it counts reports: a row number would tell a mentor how many
    reports others filed in between."""
    pages = client.get(f"{REPORTS}?limit=2&sort={sort}")
    last = pages.json["data"][-1]
    key = {"session_date": "2026-03-20", "submitted_at": "", "created_at": last["created_at"]}

    assert decoded(next_url(pages)) == [sort, key[sort.lstrip("-")], last["report_id"], 2]


@pytest.fixture
def mentors(app):
    with app.app_context():
        secrets = {
            "mona": auth.create_token("mona", "mentor", "usr_mentor_042"),
            "milo": auth.create_token("milo", "mentor", "usr_mentor_007"),
        }
    return {name: {"Authorization": f"Bearer {secret}"} for name, secret in secrets.items()}


def test_a_mentors_cursor_is_the_same_however_many_reports_others_filed(client, mentors, clock):
    def create(who, peer_mentor_id):
        body = {**CONTRACT_REPORT, "peer_mentor_id": peer_mentor_id}
        response = client.post(REPORTS, json=body, headers=mentors[who])
        assert response.status_code == 201
        clock.advance(seconds=1)

    create("mona", "usr_mentor_042")
    create("mona", "usr_mentor_042")
    first = next_url(client.get(f"{REPORTS}?limit=1", headers=mentors["mona"]))
    for _ in range(7):
        create("milo", "usr_mentor_007")
    create("mona", "usr_mentor_042")
    create("mona", "usr_mentor_042")

    pages = walk_as(client, f"{REPORTS}?limit=1", mentors["mona"])

    cursors = [decoded(url) for url in pages[1:]]
    assert all(type(member) is not int for cursor in cursors for member in cursor[:3]), cursors
    assert [cursor[3] for cursor in cursors] == [2, 3, 4]
    # The cursor after the report that was newest then names it as it did then.
    assert decoded(pages[3])[:3] == decoded(first)[:3]


def walk_as(client, url, headers):
    """The URLs a walk from `url` visits, in order."""
    urls = []
    while url is not None:
        urls.append(url)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.json
        url = next_url(response)
    return urls


def test_when_the_last_report_of_a_page_is_deleted_its_link_still_continues(client, five_reports):
    first = client.get(f"{REPORTS}?limit=2")
    client.delete(f"{REPORTS}/{five_reports[1]}")

    second = client.get(next_url(first)).json

    assert [item["report_id"] for item in second["data"]] == five_reports[2:4]


def test_a_deleted_anchor_among_ties_may_repeat_reports_but_never_skips_one(client, make_report):
    """Five reports created in the same second: the deleted anchor's place among
    them is lost, so the walk goes on from the first of them again."""
    created = [make_report()["report_id"] for _ in range(5)]
    first = client.get(f"{REPORTS}?limit=2")
    anchor = first.json["data"][-1]["report_id"]
    client.delete(f"{REPORTS}/{anchor}")

    pages = walk(client, next_url(first))

    seen = [item["report_id"] for item in first.json["data"]]
    seen += [item["report_id"] for page in pages for item in page["data"]]
    assert set(created) - {anchor} <= set(seen)
    assert anchor not in seen[2:]


def test_another_mentors_report_is_no_anchor_for_a_cursor(client, mentors, clock):
    """A cursor naming a report the caller may not see goes on as if it were
    gone, so a made-up cursor tells nothing about other mentors' reports."""
    for who, peer_mentor_id in [("mona", "usr_mentor_042"), ("milo", "usr_mentor_007"),
                                ("mona", "usr_mentor_042")]:  # fmt: skip
        body = {**CONTRACT_REPORT, "peer_mentor_id": peer_mentor_id}
        client.post(REPORTS, json=body, headers=mentors[who])
    milos = client.get(REPORTS, headers=mentors["milo"]).json["data"][0]

    def page_after(report_id):
        cursor = encode_cursor("-created_at", milos["created_at"], report_id, 2)
        return client.get(f"{REPORTS}?limit=5&cursor={cursor}", headers=mentors["mona"]).json

    assert page_after(milos["report_id"]) == page_after("rpt_00000000")
