"""A coordinator reviews, deletes and restores a report in a real browser: it
opens a submitted report, marks it has_issues with a comment, sees the review
in the history's timeline, deletes the report after confirming, and restores it
from the trash. Every page is checked with axe-core and shot at a phone's and a
desk's width (browser.py)."""

from conftest import CONTRACT_REPORT
from serving import REPORTS
from test_browser_pages import flask, sign_in

COMMENT = "Attendance looks low for a whole morning:\nplease check the sign-in sheet."
LONG_NOTES = "Went through each CV line by line, and agreed who writes to whom. " * 12


def test_a_coordinator_reviews_deletes_and_restores_a_report(web):
    server = web.server
    secret, coordinator_link = flask(
        server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    bearer = {"Authorization": f"Bearer {secret}"}
    body = {**CONTRACT_REPORT, "status": "submitted"}
    created = server.request("POST", REPORTS, body, bearer)
    assert created.status == 201, created
    # A correction, so that the timeline shows a long text's before and after.
    changes = {"fields": {"attendance_count": 3, "mentor_notes": LONG_NOTES}}
    changed = server.request("PUT", f"{REPORTS}/{created.json['report_id']}", changes, bearer)
    assert changed.status == 200, changed
    report_id = created.json["report_id"]
    report_path = f"/reports/{report_id}"

    sign_in(web, coordinator_link, "coordinator")
    web.wait_for("main h1")
    web.open(report_path)
    web.wait_for("#review-form-heading")
    web.check_page("review-report")

    # Saving with no state chosen says so next to the radios, keeping the comment.
    web.driver.find_element("id", "comment").send_keys(COMMENT)
    web.leave_by(web.driver.find_element("css selector", ".review-form button[type=submit]"))
    summary = web.wait_for(".error-summary")
    assert "Choose approve, has issues or reject." in summary.text
    assert web.driver.find_element("id", "comment").get_attribute("value") == COMMENT
    web.check_page("review-error")

    web.driver.find_element("css selector", "label[for='review_state-has_issues']").click()
    web.leave_by(web.driver.find_element("css selector", ".review-form button[type=submit]"))
    flash = web.wait_for(".flashes")
    assert flash.text == "Review saved: Has issues."
    last = web.driver.find_elements("css selector", ".timeline > li")[-1]
    assert last.text.startswith("Reviewed by carla")
    assert "Not reviewed" in last.text and "Has issues" in last.text
    assert COMMENT in last.text
    web.check_page("reviewed-report")

    web.leave_by(web.driver.find_element("link text", "Delete this report"))
    web.wait_for("main h1")
    assert web.driver.find_element("css selector", "main h1").text == "Delete this report?"
    web.check_page("delete-confirm")
    web.leave_by(web.driver.find_element("css selector", "main form button[type=submit]"))
    assert "is in the trash" in web.wait_for(".flashes").text

    web.leave_by(web.driver.find_element("link text", "Trash"))
    web.wait_for(".trash-list")
    entry = web.driver.find_element("css selector", ".trash-list li")
    assert CONTRACT_REPORT["fields"]["session_topic"] in entry.text and "by carla" in entry.text
    web.check_page("trash")

    web.leave_by(entry.find_element("css selector", "button[type=submit]"))
    assert "is restored" in web.wait_for(".flashes").text
    assert web.driver.current_url.endswith(report_path)
    actions = [
        item.text.split(" by ")[0]
        for item in web.driver.find_elements("css selector", ".timeline-head")
    ]
    assert actions == ["Created", "Updated", "Reviewed", "Deleted", "Restored"]
    web.check_page("restored-report")

    web.leave_by(web.driver.find_element("link text", "Trash"))
    assert "The trash is empty." in web.wait_for("main").text
    web.check_page("trash-empty")
