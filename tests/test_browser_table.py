"""The reports table in a real browser: a coordinator signs in, filters and
searches, sorts by a column, pages, downloads the view as CSV and as XLSX, and
meets a bad filter; on a phone the page never scrolls sideways. Every page is
checked with axe-core and shot at a phone's and a desk's width (browser.py)."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import openpyxl

from reports import auth, create_app, formats

import browser
from conftest import CONTRACT_REPORT
from serving import REPORTS

PHONE = (360, 780)


def coordinator_token(server):
    """A coordinator token in the server's database, as `flask token create` makes one."""
    app = create_app({"DATABASE": str(server.database), "SECRET_KEY": "a-test-secret-key"})
    with app.app_context():
        return auth.create_token("carla", "coordinator")


def add_reports(server, secret):
    """25 submitted reports mentioning rain (their session dates a day apart), and
    3 others: a draft about rain and two submitted ones that do not mention it."""
    headers = {"Authorization": f"Bearer {secret}"}

    def add(status, **fields):
        body = {**CONTRACT_REPORT, "status": status}
        body["fields"] = {**CONTRACT_REPORT["fields"], **fields}
        created = server.request("POST", REPORTS, body, headers)
        assert created.status == 201, created
        return created.json["report_id"]

    rainy = [
        add(
            "submitted",
            session_topic=f"Rainy session {day:02}",
            session_date=f"2026-01-{day:02}",
            challenges_noted="Heavy rain kept some away",
        )
        for day in range(25, 0, -1)
    ]
    add("draft", session_topic="Rainy draft", challenges_noted="More rain")
    add("submitted", session_topic="Dry one", session_date="2026-02-01")
    add("submitted", session_topic="Dry two", session_date="2026-02-02")
    return rainy


def shown_topics(web):
    return [
        cell.text
        for cell in web.driver.find_elements("css selector", ".report-table td.report-title")
    ]


def query(url):
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def scrolls_sideways(web):
    """Whether the page is wider than a phone's screen, at 360 px."""
    width, height = PHONE
    web.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
    )
    try:
        return web.driver.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth"
        )
    finally:
        web.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def filters_open_at(web, size):
    """Whether the filter form is open when the page is loaded at `size`."""
    width, height = size
    web.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    try:
        web.driver.refresh()
        return web.wait_for("details.table-filters").get_property("open")
    finally:
        web.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_coordinator_filters_sorts_pages_and_downloads_the_reports(web):
    from selenium.webdriver.support.select import Select

    secret = coordinator_token(web.server)
    rainy = add_reports(web.server, secret)

    web.open("/login")
    web.wait_for("main form input[name=token]").send_keys(secret)
    web.click_to_leave("main form button[type=submit]")
    assert web.wait_for("main h1").text == "Review queue"
    web.open("/reports")
    web.wait_for(".report-table")
    assert "28 reports (page 1 of 2)" in web.driver.find_element("css selector", "main").text
    web.check_page("table")
    assert not scrolls_sideways(web)

    # Filter and search: the form folds away until it is opened.
    web.wait_for("details.table-filters summary").click()
    Select(web.wait_for("select#status")).select_by_visible_text("Submitted")
    web.wait_for("input#q").send_keys("rain")
    web.check_page("table-filter-form")
    web.click_to_leave(".table-filters button[type=submit]")
    web.wait_for(".report-table")
    assert query(web.driver.current_url) == {
        "status": "submitted",
        "q": "rain",
        "sort": "-created_at",
    }
    main = web.driver.find_element("css selector", "main").text
    assert "25 reports (page 1 of 2)" in main and "2 filters in force" in main
    assert "Dry one" not in shown_topics(web) and "Rainy draft" not in shown_topics(web)
    web.check_page("table-filtered")
    assert not scrolls_sideways(web)
    assert filters_open_at(web, PHONE) is False  # table.js folds it, to show the table
    assert filters_open_at(web, (1280, 900)) is True

    # Sort by session date: newest first, then the other way round.
    web.driver.find_element("css selector", ".report-table thead a[href*='session_date']").click()
    web.wait_for("th[aria-sort='descending']")
    assert shown_topics(web)[:2] == ["Rainy session 25", "Rainy session 24"]
    web.driver.find_element("css selector", "th[aria-sort='descending'] a").click()
    header = web.wait_for("th[aria-sort='ascending']")
    assert header.text == "Session date ↑"
    assert shown_topics(web)[:2] == ["Rainy session 01", "Rainy session 02"]
    web.check_page("table-sorted")

    # Page on: the filters and the sort go along.
    web.driver.find_element("css selector", "a[rel=next]").click()
    web.wait_for("a[rel=prev]")
    assert query(web.driver.current_url) == {
        "status": "submitted",
        "q": "rain",
        "sort": "session_date",
        "page": "2",
    }
    assert shown_topics(web) == [f"Rainy session {day:02}" for day in range(21, 26)]
    assert "25 reports (page 2 of 2)" in web.driver.find_element("css selector", "main").text
    web.check_page("table-page-2")
    assert not scrolls_sideways(web)

    # The downloads, side by side on a desk and wrapped on a phone, none on another.
    for width_name, width, _ in browser.WIDTHS:
        links = web.boxes_at(width_name, "main .downloads a")
        assert [text for text, _ in links] == [
            "Download CSV", "Download JSON Lines", "Download XLSX (Excel)",
        ], width_name  # fmt: skip
        browser.assert_targets_fit([box for _, box in links], width)

    # The download links answer the view as a CSV file and as an Excel workbook,
    # to this browser's session.
    href, download = web.download("Download CSV")
    assert query(href) == {"status": "submitted", "q": "rain", "sort": "session_date"}
    assert download.content_type == "text/csv; charset=utf-8"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="reports-')
    rows = list(csv.DictReader(io.StringIO(download.raw.decode("utf-8-sig"))))
    assert [row["report_id"] for row in rows] == rainy[::-1]  # by session date
    href, workbook = web.download("Download XLSX (Excel)")
    assert query(href) == {"status": "submitted", "q": "rain", "sort": "session_date"}
    assert workbook.content_type == formats.XLSX
    disposition = workbook.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="reports-')
    assert disposition.endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(workbook.raw), read_only=True)
    try:
        (sheet,) = book.worksheets
        ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    finally:
        book.close()
    assert ids == rainy[::-1]

    # A bad filter is shown next to its field, and the table is not.
    web.open("/reports?session_date_from=2026-03-10&session_date_to=2026-03-01")
    web.wait_for(".error-summary")
    assert not web.driver.find_elements("css selector", ".report-table")
    error = web.driver.find_element("css selector", "#session_date_to-error").text
    assert "Must not be before session_date_from." in error
    web.check_page("table-range-error")
    web.open("/reports?q=a*&status=submitted")
    web.wait_for(".error-summary")
    assert "at least 2 letters" in web.driver.find_element("css selector", "#q-error").text
    web.check_page("table-errors")
    assert not scrolls_sideways(web)
