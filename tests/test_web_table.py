"""The reports table: the API's filters in the query string narrow it, its
column headers sort it, it pages with the total, a bad filter is shown next to
its field, and the current view downloads as CSV, JSON Lines or XLSX; a mentor
sees and downloads its own reports only."""

import csv
import io
import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from reports import formats, limits, workbook
from reports.web import table

from conftest import CONTRACT_REPORT
from web_helpers import every_slot_taken, text

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]  # mona's
OTHER_MENTOR = "usr_mentor_007"
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
TOPIC = re.compile(
    r'<td class="report-title"><a href="/reports/(rpt_[0-9a-f]{8})" dir="auto">([^<]*)</a>'
)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def add(client, tokens):
    """Create a report through the API as the coordinator, with top-level
    `overrides` (status, activity_id, org_id, ...) and catalogue `fields`; its id."""

    def create(topic, peer_mentor_id=MENTOR, status="submitted", fields=None, **overrides):
        body = {**CONTRACT_REPORT, "peer_mentor_id": peer_mentor_id, "status": status, **overrides}
        body["fields"] = {**CONTRACT_REPORT["fields"], "session_topic": topic, **(fields or {})}
        created = client.post(REPORTS, json=body, headers=tokens["coordinator"])
        assert created.status_code == 201, created.json
        return created.json["report_id"]

    return create


def topics_of(body):
    """The topics of the table's rows, in order."""
    return [unescape(topic) for _, topic in TOPIC.findall(body)]


def topics(response):
    assert response.status_code == 200, text(response)
    return topics_of(text(response))


def links(response, rel=None, containing=""):
    """The hrefs of the page (of its links with `rel`), unescaped."""
    body = text(response)
    if rel is not None:
        return [unescape(href) for href in re.findall(rf'href="([^"]+)" rel="{rel}"', body)]
    return [unescape(href) for href in HREF.findall(body) if containing in unescape(href)]


def query_of(url):
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def downloaded_ids(response):
    """The report ids of a CSV, JSON Lines or XLSX download, in its order."""
    return [row["report_id"] for row in downloaded_rows(response)]


def downloaded_rows(response):
    """The rows of a download: {column: value} of a CSV (which starts with a
    byte-order mark) or an XLSX sheet, or the objects of JSON Lines."""
    assert response.status_code == 200, text(response)
    data = response.get_data()
    if response.mimetype == formats.XLSX:
        return sheet_rows(data)
    if response.mimetype == "text/csv":
        assert data.startswith(b"\xef\xbb\xbf")
        return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    return [json.loads(line) for line in data.decode().splitlines()]


def sheet_rows(data):
    """{column: value} of each row below the header of an XLSX workbook's one
    sheet, read back by openpyxl in read-only mode."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        (sheet,) = book.worksheets
        rows = sheet.iter_rows(values_only=True)
        header = next(rows)
        assert header == formats.COLUMNS
        return [dict(zip(header, row, strict=True)) for row in rows]
    finally:
        book.close()


# Filters ------------------------------------------------------------------------------


@pytest.fixture
def varied(add, review):
    """Reports that differ in one thing each from the first, "Plain"."""
    add("Plain", fields={"session_date": "2026-03-10", "follow_up_needed": False})
    add("Draft one", status="draft")
    review(add("Approved one"), "approved")
    review(add("Flagged one"), "has_issues", "Check the count")
    add("Other mentor's", peer_mentor_id=OTHER_MENTOR)
    add("Other activity", activity_id="act_other")
    add("Other organisation", org_id="org_other")
    add("Early session", fields={"session_date": "2026-01-05"})
    add("Late session", fields={"session_date": "2026-03-21"})
    add("Follow up", fields={"follow_up_needed": True})
    add("Low engagement", fields={"participant_engagement": "low"})
    add("Searchable", fields={"challenges_noted": "The photocopier jammed again"})


ALL_VARIED = [
    "Searchable", "Low engagement", "Follow up", "Late session", "Early session",
    "Other organisation", "Other activity", "Other mentor's", "Flagged one", "Approved one",
    "Draft one", "Plain",
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("status=draft", ["Draft one"]),
        ("status=submitted", [t for t in ALL_VARIED if t != "Draft one"]),
        ("review_state=approved", ["Approved one"]),
        ("review_state=has_issues", ["Flagged one"]),
        ("review_state=none", [t for t in ALL_VARIED if t not in ("Approved one", "Flagged one")]),
        (f"peer_mentor_id={OTHER_MENTOR}", ["Other mentor's"]),
        ("activity_id=act_other", ["Other activity"]),
        ("org_id=org_other", ["Other organisation"]),
        ("session_date_from=2026-03-21", ["Late session"]),
        ("session_date_to=2026-03-10", ["Early session"]),
        ("session_date_from=2026-03-10&session_date_to=2026-03-11", ["Plain"]),
        ("follow_up_needed=true", ["Follow up"]),
        ("follow_up_needed=false", ["Plain"]),
        ("participant_engagement=low", ["Low engagement"]),
        ("q=photocopier", ["Searchable"]),
        ("q=photo*", ["Searchable"]),
        ('q="jammed again"', ["Searchable"]),
    ],
)
def test_each_filter_narrows_the_table(browsers, varied, query, shown):
    assert topics(browsers["coordinator"].get(f"/reports?{query}")) == shown


def test_without_filters_the_table_shows_every_report_newest_first(browsers, varied):
    assert topics(browsers["coordinator"].get("/reports")) == ALL_VARIED


def test_filters_combine(browsers, add, review):
    review(add("Wanted", fields={"follow_up_needed": True, "challenges_noted": "rain"}), "approved")
    add("Not reviewed", fields={"follow_up_needed": True, "challenges_noted": "rain"})
    review(add("No follow-up", fields={"challenges_noted": "rain"}), "approved")
    review(add("Dry", fields={"follow_up_needed": True}), "approved")
    review(add("Someone else's", OTHER_MENTOR, fields={"follow_up_needed": True}), "approved")

    shown = topics(
        browsers["coordinator"].get(
            f"/reports?review_state=approved&follow_up_needed=true&q=rain&peer_mentor_id={MENTOR}"
            "&status=submitted"
        )
    )

    assert shown == ["Wanted"]


def test_the_api_s_other_filters_work_in_the_address_and_the_form_keeps_them(browsers, add, clock):
    add("Draft", status="draft")
    add("Submitted first")
    clock.advance(days=1)
    add("Submitted later")

    page = browsers["coordinator"].get("/reports?submitted_from=2026-03-21")

    assert topics(page) == ["Submitted later"]
    assert '<input type="hidden" name="submitted_from" value="2026-03-21">' in text(page)
    assert "Submitted from <code>2026-03-21</code>" in text(page)


def test_a_form_s_blank_fields_are_dropped_from_the_address(browsers, add):
    add("Only one")

    response = browsers["coordinator"].get(
        "/reports?q=&status=submitted&review_state=&peer_mentor_id=+&sort=-session_date"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/reports?status=submitted&sort=-session_date"
    for export in ("csv", "ndjson", "xlsx"):
        download = browsers["coordinator"].get(f"/reports.{export}?status=&sort=-session_date")
        assert download.status_code == 302
        assert download.headers["Location"] == f"/reports.{export}?sort=-session_date"


def test_the_form_shows_the_filters_in_force_and_is_open_only_then(browsers, add):
    add("Only one")

    plain = text(browsers["coordinator"].get("/reports"))
    filtered = text(browsers["coordinator"].get("/reports?status=submitted&q=only"))

    assert '<details class="table-filters">' in plain and "Clear filters" not in plain
    # table.js folds it on a phone, where it would push the table off the screen.
    assert '<details class="table-filters" open data-fold-on-phone>' in filtered
    assert '<script src="/static/table.js" defer></script>' in filtered
    assert "(2 filters in force)" in filtered
    assert '<option value="submitted" selected>Submitted</option>' in filtered
    assert 'name="q" type="search" value="only"' in filtered
    assert '<a href="/reports">Clear filters</a>' in filtered


def test_clear_filters_keeps_the_sort(browsers, add):
    add("Only one")

    page = browsers["coordinator"].get("/reports?status=submitted&sort=session_date")

    assert '<a href="/reports?sort=session_date">Clear filters</a>' in text(page)


# Filters that are not valid ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("session_date_from=2026-02-30", "session_date_from", "Not a valid date"),
        ("session_date_to=20260301", "session_date_to", "Not a valid date"),
        (
            "session_date_from=2026-03-10&session_date_to=2026-03-01",
            "session_date_to",
            "Must not be before session_date_from.",
        ),
        ("q=a*", "q", "at least 2 letters"),
        ("q=a+b+c+d+e+f+g+h+i", "q", "At most 8 words or phrases in one search; this has 9."),
        ("status=archived", "status", "Must be one of: draft, submitted."),
        ("review_state=maybe", "review_state", "Must be one of"),
        ("follow_up_needed=yes", "follow_up_needed", "Must be true or false."),
        ("peer_mentor_id=no%20spaces", "peer_mentor_id", "Must be 1 to 64 characters"),
        ("sort=attendance", "sort", "Must be one of"),
    ],
)
def test_a_bad_filter_is_shown_next_to_its_field_and_no_table(browsers, add, query, name, message):
    add("Not shown")

    response = browsers["coordinator"].get(f"/reports?{query}")

    body = text(response)
    assert response.status_code == 422
    assert "Not shown" not in body and "<table" not in body and "Download CSV" not in body
    assert "reports (page" not in body and "There are no reports" not in body
    # Next to the field, tied to it, and in the summary with a link to it.
    error = re.search(rf'<p class="error-message" id="{name}-error">(.*?)</p>', body, re.S)
    assert error and message in unescape(error.group(1))
    assert re.search(rf'id="{name}" name="{name}"[^>]*aria-describedby="[^"]*{name}-error"', body)
    assert re.search(rf'id="{name}" name="{name}"[^>]*aria-invalid="true"', body)
    assert re.search(rf'<li><a href="#{name}">[^<]*{re.escape(message)}', unescape(body))
    assert '<details class="table-filters" open>' in body


def test_what_was_typed_in_a_bad_filter_is_kept(browsers):
    body = text(
        browsers["coordinator"].get(
            "/reports?q=a*&activity_id=act_1&session_date_from=2026-02-30"
            "&session_date_to=2026-03-01"
        )
    )

    assert 'name="q" type="search" value="a*"' in body
    assert 'name="activity_id" type="text" value="act_1"' in body
    # A date input cannot show what is not a date: the field becomes a text input.
    assert 'name="session_date_from" type="text" value="2026-02-30"' in body
    assert 'name="session_date_to" type="date" value="2026-03-01"' in body


def test_a_bad_page_number_or_a_repeated_filter_is_a_422_that_says_so(browsers):
    for query, message in (
        ("page=0", "Page (<code>page</code>): Must be greater than or equal to 1."),
        ("page=x", "Page (<code>page</code>): Not a valid integer."),
        ("status=draft&status=submitted", "Status: Give this parameter once."),
    ):
        response = browsers["coordinator"].get(f"/reports?{query}")
        assert response.status_code == 422, query
        assert message in text(response), query


# Sorting ---------------------------------------------------------------------------------


@pytest.fixture
def three(add, client, tokens, clock):
    """Three reports whose order differs by each sort: by creation A, B, C; by
    session date B, C, A; by submission C, A, B (B and C were drafts at first)."""
    add("A", fields={"session_date": "2026-03-20"})
    clock.advance(minutes=1)
    b = add("B", status="draft", fields={"session_date": "2026-01-01"})
    clock.advance(minutes=1)
    c = add("C", status="draft", fields={"session_date": "2026-02-01"})
    for report_id in (c, b):
        clock.advance(minutes=1)
        submitted = client.put(
            f"{REPORTS}/{report_id}", json={"status": "submitted"}, headers=tokens["coordinator"]
        )
        assert submitted.status_code == 200, submitted.json


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        (None, "CBA"),
        ("-created_at", "CBA"),
        ("created_at", "ABC"),
        ("-session_date", "ACB"),
        ("session_date", "BCA"),
        ("-submitted_at", "BCA"),
        ("submitted_at", "ACB"),
    ],
)
def test_the_table_is_sorted_by_the_api_s_sorts(browsers, three, sort, order):
    path = "/reports" if sort is None else f"/reports?sort={sort}"

    assert "".join(topics(browsers["coordinator"].get(path))) == order


def test_the_sorted_column_says_so_and_its_header_link_turns_the_order_round(browsers, three):
    body = text(browsers["coordinator"].get("/reports?status=submitted&sort=-session_date"))

    headers = dict(re.findall(r'<th scope="col"( aria-sort="\w+")?>\s*<a href="([^"]+)"', body))
    sorted_header = re.search(r'<th scope="col" aria-sort="descending">\s*<a[^>]*>([^<]*)', body)
    assert sorted_header.group(1).strip() == "Session date"
    assert '<span class="sort-arrow" aria-hidden="true">↓</span>' in body
    assert body.count("aria-sort=") == 1
    assert unescape(headers[' aria-sort="descending"']) == (
        "/reports?status=submitted&sort=session_date"
    )
    header_links = [
        unescape(href) for href in re.findall(r'<th scope="col">\s*<a href="([^"]+)"', body)
    ]
    assert header_links == [
        "/reports?status=submitted&sort=-submitted_at",
        "/reports?status=submitted&sort=-created_at",
    ]


def test_an_ascending_sort_is_marked_ascending(browsers, three):
    body = text(browsers["coordinator"].get("/reports?sort=created_at"))

    assert re.search(
        r'<th scope="col" aria-sort="ascending">\s*<a href="/reports\?sort=-created_at">Created',
        body,
    )
    assert '<span class="sort-arrow" aria-hidden="true">↑</span>' in body
    assert '<option value="created_at" selected>Created, oldest first</option>' in body
    assert "Reports, sorted by created, oldest first</caption>" in body


def test_without_a_sort_the_table_is_newest_created_first(browsers, three):
    body = text(browsers["coordinator"].get("/reports"))

    assert re.search(
        r'<th scope="col" aria-sort="descending">\s*<a href="/reports\?sort=created_at">Created',
        body,
    )
    assert '<option value="-created_at" selected>Created, newest first</option>' in body


# Paging ----------------------------------------------------------------------------------


@pytest.fixture
def twenty_five(add, clock):
    for number in range(25):
        add(f"Topic {number:02}", fields={"follow_up_needed": number % 5 != 0})
        clock.advance(minutes=1)


def test_the_table_pages_twenty_at_a_time_with_the_total(browsers, twenty_five):
    first = browsers["viewer"].get("/reports")
    second = browsers["viewer"].get("/reports?page=2")

    assert "25 reports (page 1 of 2)" in text(first)
    assert topics(first) == [f"Topic {n:02}" for n in range(24, 4, -1)]
    assert "25 reports (page 2 of 2)" in text(second)
    assert topics(second) == [f"Topic {n:02}" for n in range(4, -1, -1)]
    assert links(first, "next") == ["/reports?page=2"] and links(first, "prev") == []
    assert links(second, "prev") == ["/reports?page=1"] and links(second, "next") == []


def test_the_total_counts_the_filtered_reports(browsers, twenty_five):
    page = browsers["viewer"].get("/reports?follow_up_needed=false")

    assert "5 reports (page 1 of 1)" in text(page)
    assert topics(page) == ["Topic 20", "Topic 15", "Topic 10", "Topic 05", "Topic 00"]
    assert 'class="pager"' not in text(page)
    one = browsers["viewer"].get("/reports?q=%2214%22")
    assert "1 report (page 1 of 1)" in text(one)


def test_the_pager_keeps_the_filters_over_pages(browsers, twenty_five, add):
    for number in range(21):
        add(f"Flagged {number}", fields={"participant_engagement": "low"})
    query = "participant_engagement=low&sort=-session_date"

    first = browsers["coordinator"].get(f"/reports?{query}")
    (following,) = links(first, "next")
    second = browsers["coordinator"].get(following)

    assert "21 reports (page 1 of 2)" in text(first)
    assert query_of(following) == {
        "participant_engagement": "low",
        "sort": "-session_date",
        "page": "2",
    }
    assert "21 reports (page 2 of 2)" in text(second) and len(topics(second)) == 1
    assert all(topic.startswith("Flagged") for topic in topics(first) + topics(second))


def test_the_sort_links_keep_the_filters_and_start_at_page_one(browsers, twenty_five):
    page = browsers["coordinator"].get("/reports?q=topic&page=2")

    header_links = re.findall(r'<th scope="col"[^>]*>\s*<a href="([^"]+)"', text(page))
    assert [query_of(unescape(href)) for href in header_links] == [
        {"q": "topic", "sort": "-session_date"},
        {"q": "topic", "sort": "-submitted_at"},
        {"q": "topic", "sort": "created_at"},
    ]


def test_a_page_past_the_last_is_empty_and_says_so(browsers, twenty_five):
    response = browsers["coordinator"].get("/reports?page=3&follow_up_needed=true")

    body = text(response)
    assert response.status_code == 200
    assert topics(response) == []
    assert "20 reports (page 3 of 1)" in body
    assert "There are no reports on page 3: the last page is" in body
    assert links(response, containing="page=1") == ["/reports?follow_up_needed=true&page=1"] * 2
    far = browsers["coordinator"].get("/reports?page=99999999999999999999")
    assert far.status_code == 422 and "Page 99999999999999999999 is deeper" in text(far)


def test_a_page_deeper_than_the_table_goes_is_a_422_that_says_how_to_see_further(
    browsers, twenty_five
):
    response = browsers["coordinator"].get("/reports?status=submitted&page=501")

    body = text(response)
    assert response.status_code == 422 and topics_of(body) == []
    assert (
        "Page 501 is deeper than the table goes: it shows the first 500 pages (10,000 reports) "
        "of a view. Narrow the filters, turn the sort round, download the view, or page "
        "through the API with its cursor."
    ) in unescape(body)
    # The form keeps the view, so that it can be narrowed.
    assert '<option value="submitted" selected>' in body
    assert browsers["coordinator"].get("/reports?status=submitted&page=500").status_code == 200


def test_the_pager_stops_at_the_deepest_page_and_says_why(browsers, twenty_five, monkeypatch):
    monkeypatch.setattr(table, "DEEPEST_PAGE", 1, raising=False)

    page = browsers["coordinator"].get("/reports?follow_up_needed=true")

    assert "20 reports (page 1 of 1)" in text(page)
    every = browsers["coordinator"].get("/reports")
    assert "25 reports (page 1 of 2)" in text(every)
    assert links(every, "next") == []
    assert "The table shows the first 1 page of a view" in unescape(text(every))


def test_the_table_takes_a_search_slot_and_its_downloads_an_export_slot(app, browsers, add):
    add("Waiting")
    with every_slot_taken(app, "search"):
        response = browsers["coordinator"].get("/reports")
        with browsers["coordinator"].get("/reports.csv") as download:
            assert download.status_code == 200

    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "as many searches, summaries and heavy pages as it allows at once" in text(response)
    assert topics(browsers["coordinator"].get("/reports")) == ["Waiting"]


def test_with_one_search_slot_the_table_s_own_serves_its_search(app, browsers, add):
    add("Waiting")
    app.config["MAX_SEARCHES"] = 1

    assert topics(browsers["coordinator"].get("/reports?q=waiting")) == ["Waiting"]


def test_no_reports_says_so(browsers, add):
    assert "There are no reports yet." in text(browsers["coordinator"].get("/reports"))
    add("One")
    body = text(browsers["coordinator"].get("/reports?status=draft"))
    assert "0 reports (page 1 of 1)" in body and "No reports match these filters." in body
    assert "Download CSV" not in body and "Download XLSX" not in body


# Who sees what ----------------------------------------------------------------------------


def test_a_mentor_sees_only_its_own_reports(browsers, add):
    add("Mine")
    add("Not mine", OTHER_MENTOR)

    page = browsers["mentor"].get("/reports")

    assert topics(page) == ["Mine"]
    assert "1 report (page 1 of 1)" in text(page)
    assert OTHER_MENTOR not in text(page)
    # Its own id in every row would say nothing: no mentor column, no mentor filter.
    assert 'data-label="Mentor"' not in text(page) and 'name="peer_mentor_id"' not in text(page)
    assert 'data-label="Mentor"' in text(browsers["viewer"].get("/reports"))


def test_a_mentor_asking_for_another_mentor_s_reports_gets_none(browsers, add):
    add("Mine")
    add("Not mine", OTHER_MENTOR)

    page = browsers["mentor"].get(f"/reports?peer_mentor_id={OTHER_MENTOR}")

    assert topics(page) == [] and "0 reports" in text(page)
    assert "Not mine" not in text(page)
    for export in ("csv", "ndjson", "xlsx"):
        with browsers["mentor"].get(f"/reports.{export}?peer_mentor_id={OTHER_MENTOR}") as download:
            assert downloaded_ids(download) == [], export
    # The filter it gave is shown, so that the empty table explains itself.
    assert f'name="peer_mentor_id" type="text" value="{OTHER_MENTOR}"' in text(page)


def test_a_mentor_s_xlsx_holds_its_own_reports_only(browsers, add):
    mine = [add("Mine"), add("Mine too", status="draft")]
    add("Not mine", OTHER_MENTOR)

    with browsers["mentor"].get("/reports.xlsx?sort=created_at") as download:
        rows = downloaded_rows(download)
    with browsers["coordinator"].get("/reports.xlsx?sort=created_at") as download:
        everyone = downloaded_rows(download)

    assert [row["report_id"] for row in rows] == mine
    assert {row["peer_mentor_id"] for row in rows} == {MENTOR}
    assert len(everyone) == 3 and OTHER_MENTOR in {row["peer_mentor_id"] for row in everyone}


def test_the_table_offers_its_view_as_csv_json_lines_and_xlsx(browsers, add):
    add("One")

    body = text(browsers["viewer"].get("/reports?status=submitted"))

    downloads = re.search(r'<p class="downloads">(.*?)</p>', body, re.S).group(1)
    assert [
        (unescape(href), label)
        for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', downloads)
    ] == [
        ("/reports.csv?status=submitted", "Download CSV"),
        ("/reports.ndjson?status=submitted", "Download JSON Lines"),
        ("/reports.xlsx?status=submitted", "Download XLSX (Excel)"),
    ]


@pytest.mark.parametrize("who", ["coordinator", "viewer", "mentor"])
@pytest.mark.parametrize("export", ["csv", "ndjson", "xlsx"])
def test_a_download_holds_exactly_the_table_s_reports_in_its_order(browsers, add, who, export):
    later = add("Mine, later", fields={"session_date": "2026-03-03"})
    earlier = add("Mine, earlier", fields={"session_date": "2026-03-01"})
    theirs = add("Theirs", OTHER_MENTOR, fields={"session_date": "2026-03-02"})
    add("Unwanted", fields={"participant_engagement": "low"})
    add("Unwanted of theirs", OTHER_MENTOR, fields={"participant_engagement": "low"})
    expected = [earlier, later] if who == "mentor" else [earlier, theirs, later]

    page = browsers[who].get("/reports?participant_engagement=high&sort=session_date")
    (href,) = links(page, containing=f"/reports.{export}")
    with browsers[who].get(href) as download:
        downloaded = downloaded_ids(download)

    assert query_of(href) == {"participant_engagement": "high", "sort": "session_date"}
    assert [report_id for report_id, _ in TOPIC.findall(text(page))] == expected
    assert downloaded == expected


@pytest.mark.parametrize(
    ("export", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("ndjson", "application/x-ndjson"),
        ("xlsx", formats.XLSX),
    ],
)
def test_a_download_is_a_file_named_for_today(browsers, add, clock, export, content_type):
    add("Dated")
    clock.advance(days=3)

    with browsers["viewer"].get(f"/reports.{export}") as download:
        assert download.status_code == 200
        assert download.headers["Content-Type"] == content_type
        assert download.headers["Content-Disposition"] == (
            f'attachment; filename="reports-2026-03-23.{export}"'
        )
        assert len(downloaded_ids(download)) == 1


def test_a_csv_download_is_the_api_s_export(browsers, client, tokens, add):
    add("Same", fields={"mentor_notes": "=SUM(A1)"})
    add("Draft", status="draft")

    download = browsers["coordinator"].get("/reports.csv?status=submitted")
    downloaded = download.get_data()
    api = client.get(f"{REPORTS}?format=csv&status=submitted", headers=tokens["coordinator"])

    assert downloaded == api.get_data()
    assert downloaded.startswith("\ufeffreport_id,".encode())
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_an_xlsx_download_is_the_api_s_export(browsers, client, tokens, add, review):
    review(add("Same", fields={"mentor_notes": "=SUM(A1)"}), "has_issues", "Count again")
    add("Draft", status="draft")

    with browsers["coordinator"].get("/reports.xlsx?status=submitted") as download:
        downloaded = downloaded_rows(download)
    with client.get(
        f"{REPORTS}?format=xlsx&status=submitted", headers=tokens["coordinator"]
    ) as api:
        assert api.status_code == 200
        exported = sheet_rows(api.get_data())

    assert downloaded == exported and len(downloaded) == 1
    (row,) = downloaded
    assert row["mentor_notes"] == "=SUM(A1)"
    assert (row["review_state"], row["review_comment"]) == ("has_issues", "Count again")


@pytest.mark.parametrize("export", ["csv", "ndjson", "xlsx"])
def test_a_download_with_a_bad_filter_shows_the_table_s_errors(browsers, export):
    response = browsers["coordinator"].get(f"/reports.{export}?session_date_from=yesterday")

    assert response.status_code == 422 and response.mimetype == "text/html"
    assert 'id="session_date_from-error"' in text(response)


def test_an_xlsx_of_more_reports_than_a_sheet_holds_shows_the_table_s_message(
    app, browsers, add, monkeypatch
):
    for topic in ("One", "Two", "Three"):
        add(topic)
    monkeypatch.setattr(workbook, "MAX_ROWS", 3)

    response = browsers["coordinator"].get("/reports.xlsx?status=submitted")

    body = unescape(text(response))
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "An XLSX sheet holds at most 2 rows below its header." in body
    assert "<table" not in body
    assert '<option value="submitted" selected>' in body  # the view is kept
    with app.app_context():
        assert limits.slots("export").taken == 0
    with browsers["coordinator"].get("/reports.xlsx?q=one") as narrowed:
        assert len(downloaded_ids(narrowed)) == 1


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_a_download_while_every_export_slot_is_taken_is_a_503_page(app, browsers, add, export):
    add("Waiting")
    with every_slot_taken(app, "export"):
        response = browsers["coordinator"].get(f"/reports.{export}")

    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "<h1>Service Unavailable</h1>" in text(response)
    assert "as many exports as it allows at once" in text(response)
    with browsers["coordinator"].get(f"/reports.{export}") as again:
        assert again.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/reports", "/reports?status=draft", "/reports.csv", "/reports.ndjson", "/reports.xlsx"],
)
def test_no_session_is_sent_to_sign_in(browsers, path):
    response = browsers["none"].get(path)

    assert response.status_code == 302 and response.headers["Location"] == "/login"


# Escaping ------------------------------------------------------------------------------------


def test_hostile_text_is_shown_escaped_in_the_table_and_the_form(browsers, add):
    add(HOSTILE, fields={"challenges_noted": "needle"})

    page = browsers["coordinator"].get(
        "/reports", query_string={"q": "needle", "activity_id": HOSTILE}
    )
    found = browsers["coordinator"].get("/reports", query_string={"q": "needle"})

    for body in (text(page), text(found)):
        assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x" in text(found)
    assert topics(found) == [HOSTILE]
    assert page.status_code == 422
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)' in text(page)


# The stylesheet -------------------------------------------------------------------------------


def test_every_block_of_the_stylesheet_is_closed_before_the_next_part_begins():
    """An unclosed @media print before a part of the stylesheet would leave that
    part unstyled on screen: each part (a comment that starts a line) begins at
    the top level."""
    css = (Path(__file__).parent.parent / "reports" / "static" / "style.css").read_text()
    starts = [match.start() for match in re.finditer(r"^/\*", css, flags=re.M)]
    assert len(starts) > 4
    for start in starts:
        before = re.sub(r"/\*.*?\*/", "", css[:start], flags=re.S)
        assert before.count("{") == before.count("}"), css[start : start + 60]
    assert css.count("{") == css.count("}")
