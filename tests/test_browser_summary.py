"""The summary page in a real browser: a coordinator with reports over a few
months opens it, sees the two charts per month, groups the figures by mentor
instead and downloads them as CSV and XLSX. Each page is checked with axe-core
and shot at a phone's and a desk's width (browser.py)."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import openpyxl

from reports import formats

import browser
from conftest import CONTRACT_REPORT
from serving import REPORTS
from test_browser_pages import flask, sign_in

PEOPLE = "/api/v1/people"

ENGAGEMENT = ("high", "medium", "very_high", "high", "low")
# (session date, attendance, mentor) of the reports: 14 months, one of them empty.
SESSIONS = [
    ("2025-02-04", 6, "usr_mentor_042"),
    ("2025-03-11", 9, "usr_mentor_042"),
    ("2025-03-25", 4, "usr_mentor_007"),
    ("2025-04-08", 12, "usr_mentor_007"),
    ("2025-05-13", 7, "usr_mentor_042"),
    ("2025-06-17", 15, "usr_mentor_042"),
    ("2025-06-24", 8, "usr_mentor_007"),
    ("2025-06-30", 11, "usr_mentor_042"),
    ("2025-08-05", 5, "usr_mentor_007"),
    ("2025-09-09", 10, "usr_mentor_042"),
    ("2025-10-14", 14, "usr_mentor_007"),
    ("2025-10-28", 9, "usr_mentor_042"),
    ("2025-11-18", 18, "usr_mentor_042"),
    ("2025-12-09", 6, "usr_mentor_007"),
    ("2026-01-13", 13, "usr_mentor_042"),
    ("2026-01-27", 7, "usr_mentor_007"),
    ("2026-03-03", 16, "usr_mentor_042"),
]


def test_a_coordinator_sees_the_charts_per_month_and_groups_by_mentor(web):
    server = web.server
    secret, link = flask(
        server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    for number, (day, attendance, mentor) in enumerate(SESSIONS):
        fields = {
            **CONTRACT_REPORT["fields"],
            "session_date": day,
            "attendance_count": attendance,
            "participant_engagement": ENGAGEMENT[number % len(ENGAGEMENT)],
            "duration_minutes": 45 + 15 * (number % 5),
            "follow_up_needed": number % 3 == 0,
        }
        status = "draft" if number % 7 == 6 else "submitted"
        body = {**CONTRACT_REPORT, "peer_mentor_id": mentor, "status": status, "fields": fields}
        created = server.request("POST", REPORTS, body, {"Authorization": f"Bearer {secret}"})
        assert created.status == 201, created
    # One of the two mentors is in the directory: the summary per mentor names her.
    mona = {"name": "Mona Hansen", "role": "mentor", "peer_mentor_id": "usr_mentor_042"}
    added = server.request("POST", PEOPLE, mona, {"Authorization": f"Bearer {secret}"})
    assert added.status == 201, added
    sign_in(web, link, "coordinator")
    web.wait_for("main h1")

    web.driver.find_element("link text", "Summary").click()
    assert web.wait_for("main h1").text == "Summary"
    charts = web.driver.find_elements("css selector", "main svg[role=img]")
    assert len(charts) == 2
    for svg, bar in zip(charts, ("bar-reports", "bar-attendance"), strict=True):
        bars = svg.find_elements("css selector", f"rect.{bar}")
        assert len(bars) == 14  # 2025-02 to 2026-03, July and February drawn as 0
        heights = [float(rect.get_attribute("height")) for rect in bars]
        assert heights[4] > 0 and heights[5] == heights[-2] == 0  # June, July 2025, Feb 2026
    rows = web.driver.find_elements("css selector", "main table tbody tr")
    assert len(rows) == 12
    web.keep_for_readme(web.check_page("summary-per-month")[1], "screenshot-summary.png")
    for width_name, width, _ in browser.WIDTHS:
        links = web.boxes_at(width_name, "main .downloads a")
        assert [text for text, _ in links] == ["Download CSV", "Download XLSX (Excel)"], width_name
        browser.assert_targets_fit([box for _, box in links], width)

    web.driver.find_element("css selector", "input[name=group_by][value=mentor]").click()
    web.driver.find_element("css selector", "main form button[type=submit]").click()
    web.wait_for("main table")
    assert "group_by=mentor" in web.driver.current_url
    assert not web.driver.find_elements("css selector", "main svg")
    mentors = [
        cell.text for cell in web.driver.find_elements("css selector", "main tbody th[scope=row]")
    ]
    assert mentors == ["usr_mentor_007", "Mona Hansen\nusr_mentor_042"]
    web.check_page("summary-per-mentor")

    # The downloads hold the figures shown, per mentor.
    href, download = web.download("Download CSV")
    assert parse_qs(urlsplit(href).query) == {"group_by": ["mentor"]}
    assert download.content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(download.raw.decode("utf-8-sig"))))
    assert [(row["mentor"], row["reports"]) for row in rows] == [
        ("usr_mentor_007", "7"),
        ("usr_mentor_042", "10"),
    ]
    href, workbook = web.download("Download XLSX (Excel)")
    assert parse_qs(urlsplit(href).query) == {"group_by": ["mentor"]}
    assert workbook.content_type == formats.XLSX
    assert workbook.headers["Content-Disposition"].startswith(
        'attachment; filename="summary-by-mentor-'
    )
    book = openpyxl.load_workbook(io.BytesIO(workbook.raw), read_only=True)
    try:
        (sheet,) = book.worksheets
        header, *groups = sheet.iter_rows(max_col=3, values_only=True)
    finally:
        book.close()
    assert header == ("mentor", "mentor_name", "reports")
    assert groups == [("usr_mentor_007", None, 7), ("usr_mentor_042", "Mona Hansen", 10)]

    web.driver.find_element("css selector", "main details.filters summary").click()
    web.driver.find_element("css selector", "input[name=group_by][value=month]").click()
    web.driver.find_element("css selector", "input[name=session_date_from]").send_keys("01012026")
    web.driver.find_element("css selector", "main form button[type=submit]").click()
    web.wait_for("main svg")
    assert "session_date_from=2026-01-01" in web.driver.current_url
    bars = web.driver.find_elements("css selector", "main rect.bar-reports")
    assert [bar.get_attribute("data-value") for bar in bars] == ["2", "0", "1"]
    web.check_page("summary-filtered")
