"""The summary page: the API's summary, per month, mentor, activity or
organisation, for the same filters in the same query string; a mentor's own
figures only; filter errors next to their fields; per month the charts of
reports and attendance, drawn on the server as SVG; and the same summary
downloaded as the API's CSV or XLSX file."""

import csv
import html
import io
import re
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from reports import catalogue, formats
from reports.schemas import shapes
from reports.web import summary

from conftest import CONTRACT_REPORT
from web_helpers import every_slot_taken, text

SUMMARY = "/api/v1/reports/summary"
ACTIVITIES = "/api/v1/activities"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]  # mona's
OTHER_MENTOR = "usr_mentor_007"
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
GROUPINGS = ("month", "mentor", "activity", "org")
ENGAGEMENT = ("low", "medium", "high", "very_high")


@pytest.fixture
def add_report(client, tokens):
    """Create a report as the coordinator: `top` keys (activity_id, org_id, ...)
    replace the contract's; `fields` are merged into its fields, None removing one."""

    def create(mentor=MENTOR, status="submitted", top=None, **fields):
        merged = {**CONTRACT_REPORT["fields"], **fields}
        body = {
            **CONTRACT_REPORT,
            "peer_mentor_id": mentor,
            "status": status,
            **(top or {}),
            "fields": {name: value for name, value in merged.items() if value is not None},
        }
        created = client.post("/api/v1/reports", json=body, headers=tokens["coordinator"])
        assert created.status_code == 201, created.json["errors"]
        return created.json["report_id"]

    return create


@pytest.fixture
def varied(add_report, review):
    """Reports of two mentors, three activities and two organisations over four
    months and one without a session date, in both states, with every engagement."""
    first = add_report(
        top={"activity_id": "act_a", "org_id": "org_a"},
        session_date="2026-01-05", attendance_count=5, participant_engagement="low",
        follow_up_needed=True, duration_minutes=60, way_forward="Letters by Friday",
    )  # fmt: skip
    add_report(
        status="draft", top={"activity_id": "act_a", "org_id": "org_a"},
        session_date="2026-01-20", attendance_count=7, participant_engagement="medium",
    )  # fmt: skip
    third = add_report(
        top={"activity_id": "act_b", "org_id": "org_b"},
        session_date="2026-03-02", attendance_count=12, participant_engagement="high",
        follow_up_needed=False, duration_minutes=90,
    )  # fmt: skip
    add_report(
        OTHER_MENTOR, top={"activity_id": "act_b", "org_id": "org_a"},
        session_date="2025-11-11", attendance_count=3, participant_engagement="very_high",
        follow_up_needed=True,
    )  # fmt: skip
    add_report(
        OTHER_MENTOR, status="draft", top={"activity_id": "act_c", "org_id": "org_b"},
        session_date="2026-03-15", attendance_count=None, participant_engagement=None,
    )  # fmt: skip
    add_report(
        status="draft", top={"activity_id": "act_c", "org_id": "org_b"},
        session_date=None, attendance_count=None, session_topic=None,
    )  # fmt: skip
    add_report(
        OTHER_MENTOR, top={"activity_id": "act_a", "org_id": "org_a"},
        session_date="2026-02-28", attendance_count=20, participant_engagement="high",
        session_topic="Budget planning", duration_minutes=45,
    )  # fmt: skip
    review(first, "approved")
    review(third, "has_issues", "Attendance?")


# Reading the page -------------------------------------------------------------------------


def cells(body, section="tbody"):
    """The text of each cell of each row of the table's `section`."""
    found = re.search(rf"<{section}>(.*?)</{section}>", body, re.DOTALL)
    if found is None:
        return []
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in row]
        for row in (
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.DOTALL)
        )
    ]


def api_rows(client, token, query):
    """The API's summary for `query`, as the page's table writes it: a month
    ("2026-03" in the API) in words ("Mar 2026"), a group with a name as the
    name, then its id."""
    answer = client.get(SUMMARY, query_string=query, headers=token)
    assert answer.status_code == 200, answer.json
    in_words = query.get("group_by", "month") == "month"
    return [
        [
            "No session date"
            if group["group"] is None
            else month_in_words(group["group"])
            if in_words
            else shown_with_name(group["group"], group.get("name")),
            *(str(group[name]) for name in ("reports", "submitted", "drafts", "attendance_total")),
            "–" if group["attendance_average"] is None else f"{group['attendance_average']:.2f}",
            str(group["duration_minutes_total"]),
            *(str(group["engagement"][level]) for level in ENGAGEMENT),
            str(group["follow_ups_needed"]),
        ]
        for group in answer.json["groups"]
    ]


def shown_with_name(group_id, name):
    """How the table's first cell shows a mentor or an activity: its name, then
    its id (in smaller text); only its id where the directory has no name."""
    return group_id if not name else f"{name} {group_id}"


def month_in_words(month):
    """A month of the API, YYYY-MM, as the page writes it: "Mar 2026"."""
    names = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return f"{names[int(month[5:7]) - 1]} {int(month[:4])}"


def bars(body, series):
    """(value, height) of each bar of the chart of `series`, left to right."""
    return [
        (int(value), float(height))
        for height, value in re.findall(
            rf'<rect class="chart-bar bar-{series}"[^>]* height="([^"]+)" data-value="(\d+)"', body
        )
    ]


def row_links(body):
    """{group label: the query of its link} of the table's rows."""
    links = re.findall(r'<th scope="row"><a href="([^"]+)" dir="auto">([^<]+)</a>', body)
    return {
        html.unescape(label): parse_qs(urlsplit(html.unescape(href)).query) for href, label in links
    }


# The figures ------------------------------------------------------------------------------


def test_each_grouping_shows_the_api_s_figures(browsers, client, tokens, varied):
    for group_by in GROUPINGS:
        page = browsers["coordinator"].get(f"/summary?group_by={group_by}")

        assert page.status_code == 200
        expected = api_rows(client, tokens["coordinator"], {"group_by": group_by})
        assert cells(text(page)) == expected, group_by
        assert len(expected) >= 2, group_by


def test_the_summary_is_per_month_by_default(browsers, client, tokens, varied):
    body = text(browsers["viewer"].get("/summary"))

    assert cells(body) == api_rows(client, tokens["coordinator"], {"group_by": "month"})
    assert [row[0] for row in cells(body)] == [
        "Nov 2025", "Jan 2026", "Feb 2026", "Mar 2026", "No session date",
    ]  # fmt: skip
    assert '<input type="radio" name="group_by" value="month" id="group_by" checked>' in body
    assert "<caption>Reports per month: 5 rows</caption>" in body


def test_the_totals_row_adds_up_the_counts_and_gives_no_average(browsers, varied):
    body = text(browsers["coordinator"].get("/summary?group_by=activity"))

    rows, (totals,) = cells(body), cells(body, "tfoot")
    assert totals[0] == "Total" and totals[5] == "–"
    for column in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11):
        assert int(totals[column]) == sum(int(row[column]) for row in rows)
    assert totals[1:5] == ["7", "4", "3", "47"]


def test_one_group_has_no_totals_row(browsers, new_report):
    new_report()

    body = text(browsers["coordinator"].get("/summary"))

    assert len(cells(body)) == 1 and "<tfoot>" not in body


def test_numbers_are_right_aligned_under_headers_with_scope(browsers, varied):
    body = text(browsers["coordinator"].get("/summary"))

    assert re.search(r"<th scope=\"col\" rowspan=\"2\">Month</th>", body)
    assert body.count('scope="colgroup"') == 3
    assert '<th scope="row"><a href=' in body
    figures = re.findall(r"<td( class=\"[^\"]*\")?>", body)
    assert figures and all("num" in classes for classes in figures)


# A page of groups --------------------------------------------------------------------------


@pytest.fixture
def five_mentors(add_report, monkeypatch):
    """A report of each of five mentors, and pages of two groups."""
    monkeypatch.setattr(summary, "GROUPS_PER_PAGE", 2, raising=False)
    for number in range(5):
        add_report(f"usr_mentor_{number:03}", attendance_count=number + 1)


def pager_links(body):
    """{rel: the query of its link} of the summary's pager."""
    return {
        rel: parse_qs(urlsplit(html.unescape(href)).query)
        for href, rel in re.findall(r'<a href="([^"]+)" rel="(next|prev)">', body)
    }


def test_the_page_shows_a_page_of_groups_and_the_downloads_hold_them_all(browsers, five_mentors):
    first = text(browsers["coordinator"].get("/summary?group_by=mentor&status=submitted"))
    third = text(browsers["coordinator"].get("/summary?group_by=mentor&status=submitted&page=3"))

    assert [row[0] for row in cells(first)] == ["usr_mentor_000", "usr_mentor_001"]
    assert [row[0] for row in cells(third)] == ["usr_mentor_004"]
    caption = "<caption>Reports per mentor, with the filters above: rows {} of 5</caption>"
    assert caption.format("1 to 2") in first and caption.format("5 to 5") in third
    # The totals are of every group, and say so.
    (totals,) = cells(first, "tfoot")
    assert totals[:2] == ["Total of all 5", "5"] and totals[4] == "15"
    query = {"group_by": ["mentor"], "status": ["submitted"]}
    assert pager_links(first) == {"next": {**query, "page": ["2"]}}
    assert pager_links(third) == {"prev": {**query, "page": ["2"]}}
    # The page says where the whole table is, and the downloads hold it.
    assert "The page shows 2 groups at a time; the downloads hold all 5:" in first
    assert download_links(first)["Download CSV"] == ("/summary.csv", query)
    with browsers["coordinator"].get("/summary.csv?group_by=mentor&status=submitted") as whole:
        assert len(summary_rows(whole)) == 5


def test_one_page_of_groups_has_no_pager(browsers, varied):
    body = text(browsers["coordinator"].get("/summary?group_by=mentor"))

    assert pager_links(body) == {} and "at a time" not in body
    assert "<caption>Reports per mentor: 2 rows</caption>" in body


def test_a_page_past_the_last_says_which_is_the_last(browsers, five_mentors):
    response = browsers["coordinator"].get("/summary?group_by=mentor&page=4")

    assert response.status_code == 200 and cells(text(response)) == []
    assert "There are no groups on page 4: the last page is" in text(response)
    assert pager_links(text(response)) == {"prev": {"group_by": ["mentor"], "page": ["3"]}}


NOT_A_PAGE = "The page must be a whole number from 1."


@pytest.mark.parametrize(
    ("page", "message"),
    [("0", NOT_A_PAGE), ("two", NOT_A_PAGE), ("-1", NOT_A_PAGE), ("%EF%BC%92", NOT_A_PAGE),
     ("2&page=3", "Give the page once.")],
)  # fmt: skip
def test_a_bad_page_number_is_a_422_that_says_so(browsers, five_mentors, page, message):
    response = browsers["coordinator"].get(f"/summary?group_by=mentor&page={page}")

    assert response.status_code == 422
    assert f'<li><a href="#page">{message}</a></li>' in text(response)
    assert f'<p class="error-message" id="page">{message}</p>' in text(response)
    assert "<table" not in text(response) and "Correct the filters" not in text(response)


def test_the_page_shows_50_groups_at_a_time(browsers, client, tokens):
    for number in range(60):
        body = {**CONTRACT_REPORT, "peer_mentor_id": f"usr_mentor_{number:04}"}
        created = client.post("/api/v1/reports", json=body, headers=tokens["coordinator"])
        assert created.status_code == 201

    body = text(browsers["coordinator"].get("/summary?group_by=mentor"))

    assert len(cells(body)) == 50
    assert "<caption>Reports per mentor: rows 1 to 50 of 60</caption>" in body


# The limits -------------------------------------------------------------------------------


def test_the_page_takes_a_search_slot_even_for_a_kept_summary(app, browsers, varied):
    assert browsers["coordinator"].get("/summary?group_by=mentor").status_code == 200
    with every_slot_taken(app, "search"):
        response = browsers["coordinator"].get("/summary?group_by=mentor")

    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "as many searches, summaries and heavy pages as it allows at once" in text(response)
    assert browsers["coordinator"].get("/summary?group_by=mentor").status_code == 200


def test_with_one_search_slot_the_page_s_own_serves_its_summary(app, browsers, varied):
    app.config["MAX_SEARCHES"] = 1

    # Not kept yet: the service counts it in the slot the page holds.
    response = browsers["coordinator"].get("/summary?group_by=activity&q=budget")

    assert response.status_code == 200 and cells(text(response))


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_a_summary_download_takes_an_export_slot(app, browsers, varied, export):
    with every_slot_taken(app, "export"):
        response = browsers["coordinator"].get(f"/summary.{export}?group_by=mentor")

    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "as many exports as it allows at once" in text(response)
    with browsers["coordinator"].get(f"/summary.{export}") as download:
        assert download.status_code == 200


# The filters ------------------------------------------------------------------------------


FILTERED = [
    {"status": "submitted"},
    {"status": "draft"},
    {"review_state": "approved"},
    {"review_state": "none"},
    {"session_date_from": "2026-01-01", "session_date_to": "2026-03-01"},
    {"peer_mentor_id": OTHER_MENTOR},
    {"activity_id": "act_b"},
    {"org_id": "org_b"},
    {"follow_up_needed": "true"},
    {"follow_up_needed": "false"},
    {"participant_engagement": "high"},
    {"has_way_forward": "true"},
    {"q": "Budget"},
    {"submitted_to": "2000-01-01"},
    {"status": "submitted", "org_id": "org_a", "group_by": "mentor"},
]


def test_each_filter_narrows_the_summary_as_it_narrows_the_api_s(browsers, client, tokens, varied):
    everything = sum(int(row[1]) for row in cells(text(browsers["coordinator"].get("/summary"))))

    for query in FILTERED:
        page = browsers["coordinator"].get("/summary", query_string=query)

        body = text(page)
        rows = cells(body)
        assert rows == api_rows(client, tokens["coordinator"], {"group_by": "month", **query})
        assert sum(int(row[1]) for row in rows) < everything, query
        for value in query.values():
            assert f'value="{value}"' in body, query
        assert '<details class="filters" open>' in body, query
        assert f"Filters ({len(query) - ('group_by' in query)} in use)" in body, query


def test_no_matching_report_says_so_without_a_table_or_chart(browsers, varied):
    body = text(browsers["coordinator"].get("/summary?submitted_to=2000-01-01"))

    assert "No reports match these filters." in body
    assert "<table" not in body and "<svg" not in body and "Download" not in body


def test_empty_form_fields_and_names_of_other_pages_are_left_out(browsers, varied):
    plain = text(browsers["coordinator"].get("/summary"))

    page = browsers["coordinator"].get(
        "/summary?group_by=&status=&q=&session_date_from=&peer_mentor_id=&page=&sort=x&limit=5"
    )

    assert page.status_code == 200
    assert cells(text(page)) == cells(plain)
    assert '<details class="filters">' in text(page) and "Filters (" not in text(page)


def test_clear_the_filters_keeps_the_grouping(browsers, varied):
    body = text(browsers["coordinator"].get("/summary?group_by=org&status=draft"))

    assert '<a href="/summary?group_by=org">Clear the filters</a>' in body


def test_each_group_links_to_its_reports_with_the_same_filters(browsers, varied):
    by_month = text(
        browsers["coordinator"].get("/summary?session_date_from=2026-03-10&status=draft")
    )
    by_mentor = text(browsers["coordinator"].get("/summary?group_by=mentor&follow_up_needed=true"))

    assert row_links(by_month) == {
        "Mar 2026": {
            "status": ["draft"],
            "session_date_from": ["2026-03-10"],
            "session_date_to": ["2026-04-01"],
        }
    }
    everything = row_links(text(browsers["coordinator"].get("/summary")))
    assert everything["Nov 2025"] == {
        "session_date_from": ["2025-11-01"],
        "session_date_to": ["2025-12-01"],
    }
    assert "No session date" not in everything
    # Mona's link is her name (the `tokens` fixture's person); the other
    # mentor, whom the directory does not know, is its id.
    assert row_links(by_mentor) == {
        label: {"follow_up_needed": ["true"], "peer_mentor_id": [mentor]}
        for label, mentor in (("mona", MENTOR), (OTHER_MENTOR, OTHER_MENTOR))
    }


def first_cells(body):
    """The markup of the first cell of each row of the table's body, its link's address left out."""
    rows = re.search(r"<tbody>(.*?)</tbody>", body, re.DOTALL).group(1)
    return [
        re.sub(r'<a href="[^"]+" dir="auto">', "<a>", cell)
        for cell in re.findall(r'<th scope="row">(.*?)</th>', rows, re.DOTALL)
    ]


def test_a_named_activity_or_mentor_is_its_name_with_its_id_after_it_in_smaller_text(
    browsers, client, tokens, varied
):
    activity = {"name": "Job club", "activity_id": "act_a"}
    assert client.post(ACTIVITIES, json=activity, headers=tokens["coordinator"]).status_code == 201

    by_activity = first_cells(text(browsers["coordinator"].get("/summary?group_by=activity")))
    by_mentor = first_cells(text(browsers["coordinator"].get("/summary?group_by=mentor")))

    assert by_activity == [
        '<a>Job club</a> <span class="meta"><code>act_a</code></span>',
        "<a>act_b</a>",  # no name in the directory: its id alone
        "<a>act_c</a>",
    ]
    assert by_mentor == [
        f"<a>{OTHER_MENTOR}</a>",
        f'<a>mona</a> <span class="meta"><code>{MENTOR}</code></span>',
    ]


# Who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "viewer", "mentor"])
def test_every_role_has_the_summary_in_its_navigation(browsers, who):
    start = browsers[who].get("/", follow_redirects=True)

    assert '<li><a href="/summary">Summary</a></li>' in text(start)
    assert browsers[who].get("/summary").status_code == 200


@pytest.mark.parametrize("path", ["/summary", "/summary?group_by=mentor&status=draft"])
def test_without_a_session_the_summary_sends_you_to_sign_in(browsers, path):
    response = browsers["none"].get(path)

    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_a_mentor_sees_the_figures_of_its_own_reports_only(browsers, client, tokens, varied):
    for group_by in GROUPINGS:
        body = text(browsers["mentor"].get(f"/summary?group_by={group_by}"))

        rows = cells(body)
        assert rows == api_rows(client, tokens["mentor"], {"group_by": group_by}), group_by
        assert rows != api_rows(client, tokens["coordinator"], {"group_by": group_by})
        assert sum(int(row[1]) for row in rows) == 4, group_by
        assert OTHER_MENTOR not in body, group_by
        assert "The figures of your own reports." in body


def test_a_mentor_asking_for_another_mentor_s_figures_gets_none(browsers, varied):
    body = text(browsers["mentor"].get(f"/summary?peer_mentor_id={OTHER_MENTOR}"))

    assert "No reports match these filters." in body and "<table" not in body


# Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "finished"),
        ("review_state", "maybe"),
        ("session_date_from", "2026-02-30"),
        ("session_date_to", "20260301"),
        ("peer_mentor_id", "mona lisa"),
        ("activity_id", "a" * 65),
        ("org_id", "org/1"),
        ("follow_up_needed", "yes"),
        ("has_way_forward", "1"),
        ("participant_engagement", "extreme"),
        ("q", "x" * 201),
        ("submitted_from", "yesterday"),
        ("updated_since", "2026-03-20T25:00:00Z"),
    ],
)
def test_a_bad_filter_is_a_422_with_the_api_s_message_next_to_its_field(
    browsers, client, tokens, name, value
):
    api = client.get(
        SUMMARY, query_string={"group_by": "month", name: value}, headers=tokens["viewer"]
    )

    page = browsers["viewer"].get("/summary", query_string={name: value})

    assert api.status_code == page.status_code == 422
    body = text(page)
    message = html.escape(api.json["errors"][name][0], quote=True).replace("&#x27;", "&#39;")
    assert f'<li><a href="#{name}">{message}</a></li>' in body
    assert re.search(
        rf'<p class="error-message" id="{name}-error"><span class="visually-hidden">Error:'
        rf"</span> {re.escape(message)}</p>\s*<(input|select) id=\"{name}\"[^>]*"
        rf'aria-describedby="([^"]* )?{name}-error" aria-invalid="true"',
        body,
    )
    assert f'value="{html.escape(value)}"' in body  # what was asked for is kept
    assert "<title>Error: Summary" in body
    assert "<table" not in body and "<svg" not in body


def test_a_bad_grouping_is_shown_on_the_grouping(browsers):
    page = browsers["coordinator"].get("/summary?group_by=week")

    assert page.status_code == 422
    body = text(page)
    assert '<li><a href="#group_by">Must be one of: month, mentor, activity, org.</a></li>' in body
    assert '<fieldset class="field field-error" aria-describedby="group_by-error">' in body
    assert " checked" not in body


def test_dates_out_of_order_are_an_error_on_the_second(browsers):
    page = browsers["coordinator"].get(
        "/summary?session_date_from=2026-03-01&session_date_to=2026-01-01"
    )

    assert page.status_code == 422
    assert '<a href="#session_date_to">Must not be before session_date_from.</a>' in text(page)


def test_errors_are_summarised_in_the_order_of_the_form(browsers):
    page = browsers["coordinator"].get("/summary?q=&org_id=a%20b&status=x&group_by=year")

    targets = re.findall(r'<li><a href="#([a-z_]+)">', text(page))
    assert targets == ["group_by", "status", "org_id"]


def test_the_form_offers_the_api_s_summary_filters_in_the_order_of_its_errors(app, browsers):
    body = text(browsers["coordinator"].get("/summary"))
    form = re.search(r'<form method="get".*?</form>', body, re.DOTALL).group(0)
    names = tuple(dict.fromkeys(re.findall(r' name="([a-z_]+)"', form)))

    with app.app_context():
        taken = set(shapes().SummaryQuerySchema().fields) - {"format"}  # the download's links
        order = summary.layout(catalogue.live(), None).form_order
    assert sorted(names) == sorted(taken)
    assert names == order


def test_a_filter_given_twice_is_an_error_on_it(browsers):
    page = browsers["coordinator"].get("/summary?status=draft&status=submitted")

    assert page.status_code == 422
    assert '<a href="#status">Give this filter once.</a>' in text(page)


# Downloads --------------------------------------------------------------------------------

DOWNLOADS = {"csv": "Download CSV", "xlsx": "Download XLSX (Excel)"}
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": formats.XLSX}


def download_links(body):
    """{label: (path, query)} of the page's download links."""
    found = re.search(r'<p class="downloads">(.*?)</p>', body, re.DOTALL)
    if found is None:
        return {}
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', found.group(1))
    return {
        label: (urlsplit(html.unescape(href)).path, parse_qs(urlsplit(html.unescape(href)).query))
        for href, label in links
    }


def summary_rows(response):
    """{column: value} of each group of a summary's CSV (which starts with a
    byte-order mark) or XLSX file, the latter read by openpyxl in read-only mode."""
    assert response.status_code == 200, text(response)
    data = response.get_data()
    if response.mimetype == formats.XLSX:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        try:
            (sheet,) = book.worksheets
            rows = sheet.iter_rows(values_only=True)
            header = next(rows)
            return [dict(zip(header, row, strict=True)) for row in rows]
        finally:
            book.close()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_summary_offers_its_own_grouping_and_filters_as_csv_and_xlsx(browsers, varied):
    body = text(browsers["viewer"].get("/summary?group_by=org&status=submitted&q=&sort=x"))
    by_month = text(browsers["viewer"].get("/summary?follow_up_needed=true"))

    for links, query in (
        (download_links(body), {"group_by": ["org"], "status": ["submitted"]}),
        (download_links(by_month), {"group_by": ["month"], "follow_up_needed": ["true"]}),
    ):
        assert links == {
            label: (f"/summary.{export}", query) for export, label in DOWNLOADS.items()
        }


@pytest.mark.parametrize("export", ["csv", "xlsx"])
@pytest.mark.parametrize("group_by", GROUPINGS)
def test_a_summary_download_is_the_api_s_summary_of_the_groups_shown(
    browsers, client, tokens, clock, varied, group_by, export
):
    query = {"group_by": group_by, "status": "submitted"}
    page = browsers["viewer"].get("/summary", query_string=query)
    path, link_query = download_links(text(page))[DOWNLOADS[export]]

    with browsers["viewer"].get(path, query_string=link_query) as download:
        assert download.headers["Content-Type"] == CONTENT_TYPES[export]
        assert download.headers["Content-Disposition"] == (
            f'attachment; filename="summary-by-{group_by}-2026-03-20.{export}"'
        )
        downloaded, data = summary_rows(download), download.get_data()
    api_query = {**query, "format": export}
    with client.get(SUMMARY, query_string=api_query, headers=tokens["viewer"]) as api:
        exported, api_data = summary_rows(api), api.get_data()

    assert downloaded == exported
    if export == "csv":
        assert data == api_data
    assert list(downloaded[0]) == list(formats.summary_columns(group_by))
    shown = cells(text(page))
    assert len(shown) >= 2
    # The downloads keep the API's month (2026-03); the page writes it in words.
    machine = [str(row[group_by]) for row in downloaded]
    if group_by == "month":
        machine = [month_in_words(month) for month in machine]
    names = [row.get(f"{group_by}_name") for row in downloaded]
    machine = [shown_with_name(label, name) for label, name in zip(machine, names, strict=True)]
    assert machine == [row[0] for row in shown]
    assert [str(row["reports"]) for row in downloaded] == [row[1] for row in shown]


def test_a_summary_download_without_a_grouping_is_per_month(browsers, clock, varied):
    with browsers["coordinator"].get("/summary.xlsx") as download:
        assert download.headers["Content-Disposition"] == (
            'attachment; filename="summary-by-month-2026-03-20.xlsx"'
        )
        months = [row["month"] for row in summary_rows(download)]

    assert months == ["2025-11", "2026-01", "2026-02", "2026-03", None]


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_a_mentor_s_summary_download_holds_its_own_reports_only(browsers, varied, export):
    with browsers["mentor"].get(f"/summary.{export}?group_by=mentor") as download:
        (own,) = summary_rows(download)
    with browsers["mentor"].get(f"/summary.{export}?group_by=activity") as download:
        activities = summary_rows(download)
    with browsers["mentor"].get(f"/summary.{export}?peer_mentor_id={OTHER_MENTOR}") as theirs:
        others = summary_rows(theirs)
    with browsers["coordinator"].get(f"/summary.{export}?group_by=mentor") as download:
        everyone = summary_rows(download)

    assert own["mentor"] == MENTOR and int(own["reports"]) == 4
    assert sum(int(row["reports"]) for row in activities) == 4
    assert others == []
    assert {row["mentor"] for row in everyone} == {MENTOR, OTHER_MENTOR}


@pytest.mark.parametrize("export", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("query", "name"), [("status=finished", "status"), ("group_by=week", "group_by")]
)
def test_a_summary_download_with_a_bad_query_is_the_page_with_its_error(
    browsers, varied, export, query, name
):
    response = browsers["coordinator"].get(f"/summary.{export}?{query}")

    assert response.status_code == 422 and response.mimetype == "text/html"
    assert f'<li><a href="#{name}">' in text(response)
    assert f'id="{name}-error"' in text(response)
    assert "<table" not in text(response) and "Download" not in text(response)


@pytest.mark.parametrize("path", ["/summary.csv", "/summary.xlsx?group_by=org"])
def test_without_a_session_a_summary_download_sends_you_to_sign_in(browsers, path):
    response = browsers["none"].get(path)

    assert response.status_code == 302 and response.headers["Location"] == "/login"


# Escaping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["activity_id", "peer_mentor_id", "org_id", "q", "status"])
def test_hostile_filter_text_is_shown_escaped(browsers, new_report, name):
    new_report()

    page = browsers["coordinator"].get("/summary", query_string={name: HOSTILE})

    body = text(page)
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x" in body


def test_a_hostile_name_from_the_directory_is_shown_escaped(browsers, client, tokens, add_report):
    activity = {"name": HOSTILE, "activity_id": "act_hostile"}
    assert client.post(ACTIVITIES, json=activity, headers=tokens["coordinator"]).status_code == 201
    add_report(top={"activity_id": "act_hostile"})

    body = text(browsers["coordinator"].get("/summary?group_by=activity"))

    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x" in body


def test_ids_with_every_character_an_id_may_have_are_shown_and_linked_exactly(browsers, add_report):
    # Ids are limited to A-Z a-z 0-9 _ . : - (the API refuses anything else), so
    # no stored id can carry markup; the ones it allows come through unchanged.
    odd = "org.A:b-c_9"
    add_report(top={"org_id": odd})

    body = text(browsers["coordinator"].get("/summary?group_by=org"))

    assert cells(body)[0][0] == odd
    assert row_links(body) == {odd: {"org_id": [odd]}}


def test_the_api_refuses_an_id_with_markup_so_none_reaches_the_page(client, tokens):
    body = {**CONTRACT_REPORT, "activity_id": "<b>act</b>"}

    refused = client.post("/api/v1/reports", json=body, headers=tokens["coordinator"])

    assert refused.status_code == 422 and "activity_id" in refused.json["errors"]


# The charts -------------------------------------------------------------------------------


@pytest.fixture
def monthly(add_report):
    """1 report in January 2026, none in February, 2 in March, 4 in April."""
    for day, attendance in [
        ("2026-01-10", 10),
        ("2026-03-03", 4),
        ("2026-03-17", 6),
        *[("2026-04-07", 10)] * 4,
    ]:
        add_report(session_date=day, attendance_count=attendance)


def test_the_bars_are_as_tall_as_their_values_with_empty_months_at_zero(browsers, monthly):
    body = text(browsers["coordinator"].get("/summary"))

    reports, attendance = bars(body, "reports"), bars(body, "attendance")
    assert [value for value, _ in reports] == [1, 0, 2, 4]
    assert [value for value, _ in attendance] == [10, 0, 10, 40]
    for series in (reports, attendance):
        unit = series[0][1] / series[0][0]
        assert unit > 0
        assert [height for _, height in series] == pytest.approx(
            [value * unit for value, _ in series], abs=0.02
        )
    # The table has the months that have reports.
    assert [row[0] for row in cells(body)] == ["Jan 2026", "Mar 2026", "Apr 2026"]


def test_each_chart_is_an_image_named_by_its_title_and_described(browsers, monthly):
    body = text(browsers["coordinator"].get("/summary"))

    charts = re.findall(r"<svg [^>]*>", body)
    assert len(charts) == 2
    for key, title, described in [
        ("reports", "Reports per month", "7 reports in 4 months, from Jan 2026 to Apr 2026."),
        ("attendance", "Attendance per month", "60 people in 4 months, from Jan 2026 to Apr 2026."),
    ]:
        (svg,) = [svg for svg in charts if f"chart-{key}-title" in svg]
        assert 'role="img"' in svg
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in svg
        assert re.search(r'viewBox="0 0 \d+ \d+"', svg)
        assert f'<title id="chart-{key}-title">{title}</title>' in body
        desc = re.search(rf'<desc id="chart-{key}-desc">([^<]*)</desc>', body).group(1)
        assert desc.startswith(described) and "in the table" in html.unescape(desc)
    assert "<title>Feb 2026: 0 reports</title>" in body
    assert "<title>Jan 2026: 1 report</title>" in body


def test_the_charts_leave_out_reports_without_a_session_date_and_say_so(
    browsers, monthly, add_report
):
    add_report(status="draft", session_date=None)

    body = text(browsers["coordinator"].get("/summary"))

    assert sum(value for value, _ in bars(body, "reports")) == 7
    assert "1 report without a session date is in the table only." in body
    assert cells(body)[-1][:2] == ["No session date", "1"]


def test_only_reports_without_a_session_date_have_no_chart(browsers, add_report):
    add_report(status="draft", session_date=None)

    body = text(browsers["coordinator"].get("/summary"))

    assert "<svg" not in body and "no chart per month" in body


def test_the_charts_are_per_month_only_and_say_so_for_another_grouping(browsers, monthly):
    body = text(browsers["coordinator"].get("/summary?group_by=activity&status=submitted"))

    assert "<svg" not in body
    link = re.search(r'The charts are per month: <a href="([^"]+)">group by month</a>', body)
    assert parse_qs(urlsplit(html.unescape(link.group(1))).query) == {
        "group_by": ["month"],
        "status": ["submitted"],
    }


def test_the_charts_show_the_last_ten_years_and_say_what_is_left_out(browsers, add_report):
    add_report(session_date="2001-05-05")
    add_report(session_date="2026-03-03")

    body = text(browsers["coordinator"].get("/summary"))

    assert len(bars(body, "reports")) == 120
    assert "from Apr 2016: 1 report from before are in the table only." in body
    assert [row[0] for row in cells(body)] == ["May 2001", "Mar 2026"]
