"""The whole journey in a real browser, as the people the service is for take it:
a coordinator makes a mentor's token with a sign-in link; the mentor opens it,
files a draft, meets a validation error, fixes it and submits; the coordinator
finds the report by filter and search and marks it as having issues; the mentor
reads the comment and corrects it; the coordinator approves it, deletes it,
restores it from the trash, downloads the CSV and reads the summary's chart.
Every page is checked with axe-core and shot at a phone's and a desk's width."""

import csv
import io
from datetime import UTC, datetime

from selenium.webdriver.support.select import Select

from conftest import CONTRACT_REPORT
from test_browser_pages import flask, sign_in

MENTOR = CONTRACT_REPORT["peer_mentor_id"]
TOPIC = "Spring budgeting circle"
COMMENT = "Attendance of 60 for a circle of 8? Please check the sign-in sheet."


def find(web, css):
    return web.driver.find_element("css selector", css)


def flash_text(web):
    return web.wait_for(".flashes").text


def sign_in_with_token(web, secret, name):
    web.open("/login")
    web.wait_for("main form input[name=token]").send_keys(secret)
    web.check_page(f"{name}-login")
    web.leave_by(find(web, "main form button[type=submit]"))
    web.wait_for("main h1")


def sign_out(web):
    web.leave_by(find(web, "header form button[type=submit]"))
    assert flash_text(web) == "Signed out."


def assert_prints_cleanly(web, name):
    """On paper a report's page is the report: no navigation, no forms, no buttons."""
    web.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = [
            css
            for css in ("header nav", "header form", ".review-form", "main button", ".skip-link")
            for element in web.driver.find_elements("css selector", css)
            if element.is_displayed()
        ]
        assert shown == [], shown
        assert TOPIC in find(web, "main h1").text
        web.screenshot(f"{name}-print")
    finally:
        web.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_a_report_goes_from_a_mentors_phone_to_approved_and_back_from_the_trash(web):
    coordinator_secret, coordinator_link = flask(
        web.server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    mentor_secret, mentor_link = flask(
        web.server, "token", "create", "--name", "mona", "--role", "mentor",
        "--mentor", MENTOR, "--link",
    )  # fmt: skip

    # The mentor opens its link, and files a draft with a mistake in it.
    sign_in(web, mentor_link, "journey-mentor")
    assert web.wait_for("main h1").text == "My reports"
    web.leave_by(find(web, "nav a[href='/reports/new']"))
    web.wait_for("form.report-form")
    find(web, "#activity_id").send_keys(CONTRACT_REPORT["activity_id"])
    find(web, "#org_id").send_keys(CONTRACT_REPORT["org_id"])
    # A date input takes keys in the browser's locale's order; its value is ISO.
    today = datetime.now(UTC).date().isoformat()
    web.driver.execute_script(
        "arguments[0].value = arguments[1]", find(web, "#session_date"), today
    )
    find(web, "#attendance_count").send_keys("-6")
    find(web, "#session_topic").send_keys(TOPIC)
    web.leave_by(find(web, "button[value=draft]"))
    web.wait_for(".error-summary")
    assert "greater than or equal to 0" in find(web, "#attendance_count-error").text
    assert find(web, "#session_topic").get_attribute("value") == TOPIC
    web.check_page("journey-draft-error")

    find(web, "#attendance_count").clear()
    find(web, "#attendance_count").send_keys("60")
    web.leave_by(find(web, "button[value=draft]"))
    assert flash_text(web) == "Draft saved."
    assert find(web, "main h1").text == TOPIC
    report_path = web.driver.current_url.removeprefix(web.base_url)

    # ...and submits it from its edit form.
    web.leave_by(find(web, "main a[href$='/edit']"))
    web.wait_for("form.report-form")
    web.leave_by(find(web, "button[value=submit]"))
    assert flash_text(web) == "Report submitted."
    web.check_page("journey-submitted")
    sign_out(web)

    # The coordinator's start page is the review queue, where it waits; the
    # coordinator finds it among the submitted reports by a word of its topic too.
    sign_in(web, coordinator_link, "journey-coordinator")
    queue = web.wait_for(".queue-list")
    assert TOPIC in queue.text
    assert "1 report waits for review" in find(web, "main").text
    web.check_page("journey-queue")
    web.leave_by(web.driver.find_element("link text", "All reports"))
    web.wait_for(".report-table")
    find(web, "details.table-filters summary").click()
    Select(find(web, "select#status")).select_by_visible_text("Submitted")
    find(web, "input#q").send_keys("budgeting")
    web.leave_by(find(web, ".table-filters button[type=submit]"))
    web.wait_for(".report-table")
    assert "1 report" in find(web, "main").text
    web.check_page("journey-found")
    web.leave_by(web.driver.find_element("link text", TOPIC))

    # It has issues, and says which.
    web.wait_for("#review-form-heading")
    find(web, "label[for='review_state-has_issues']").click()
    find(web, "#comment").send_keys(COMMENT)
    web.leave_by(find(web, ".review-form button[type=submit]"))
    assert flash_text(web) == "Review saved: Has issues."
    sign_out(web)

    # The mentor reads the comment, and corrects the report.
    sign_in_with_token(web, mentor_secret, "journey-mentor-again")
    flagged = find(web, ".report-list li.has-issues")
    assert COMMENT in flagged.text
    web.check_page("journey-has-issues")
    web.leave_by(flagged.find_element("link text", TOPIC))
    web.wait_for("main h1")
    web.leave_by(find(web, "main a[href$='/edit']"))
    web.wait_for("form.report-form")
    assert "back for review" in find(web, "main").text
    find(web, "#attendance_count").clear()
    find(web, "#attendance_count").send_keys("8")
    web.leave_by(find(web, "button[value=correct]"))
    assert flash_text(web).startswith("Correction saved.")
    sign_out(web)

    # The coordinator approves the correction, deletes the report and restores it.
    sign_in_with_token(web, coordinator_secret, "journey-coordinator-again")
    web.open(report_path)
    web.wait_for("#review-form-heading")
    find(web, "input[name=review_state][value=approved]").click()
    web.leave_by(find(web, ".review-form button[type=submit]"))
    assert flash_text(web) == "Review saved: Approved."
    actions = [item.text.split(" by ")[0] for item in web.driver.find_elements(
        "css selector", ".timeline-head")]  # fmt: skip
    assert actions == ["Created", "Submitted", "Reviewed", "Updated", "Reviewed"], actions
    web.check_page("journey-approved")
    assert_prints_cleanly(web, "journey-approved")

    web.leave_by(web.driver.find_element("link text", "Delete this report"))
    web.leave_by(web.wait_for("main form button[type=submit]"))
    assert "is in the trash" in flash_text(web)
    web.leave_by(web.driver.find_element("link text", "Trash"))
    web.leave_by(web.wait_for(".trash-list li button[type=submit]"))
    assert "is restored" in flash_text(web)
    assert web.driver.current_url.endswith(report_path)

    # The CSV of the reports holds the report as corrected.
    web.leave_by(web.driver.find_element("link text", "Reports"))
    href = web.driver.find_element("link text", "Download CSV").get_attribute("href")
    cookie = web.driver.get_cookie("session")
    download = web.server.request(
        "GET", href.removeprefix(web.base_url), headers={"Cookie": f"session={cookie['value']}"}
    )
    assert download.status == 200, download
    (row,) = csv.DictReader(io.StringIO(download.raw.decode("utf-8-sig")))
    assert row["session_topic"] == TOPIC and row["attendance_count"] == "8"

    # The summary counts it, in a chart.
    web.leave_by(web.driver.find_element("link text", "Summary"))
    web.wait_for("main svg[role=img]")
    bars = web.driver.find_elements("css selector", "main rect.bar-reports")
    assert [bar.get_attribute("data-value") for bar in bars][-1] == "1"
    web.check_page("journey-summary")
    sign_out(web)
    web.open(report_path)
    assert "/login" in web.driver.current_url
    assert not web.page_problems()
