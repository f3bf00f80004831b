"""The report form in a real browser: a mentor files a report, gets an error
next to the field it is about, fixes it and submits; then opens the form to
correct it. Every page is checked with axe-core and shot at a phone's and a
desk's width (browser.py)."""

from datetime import UTC, datetime

from reports import auth, create_app

from conftest import CONTRACT_REPORT


def mentor_link(server):
    """A one-time sign-in link for a new mentor token on the test's server."""
    app = create_app({"DATABASE": str(server.database), "SECRET_KEY": "a-test-secret-key"})
    with app.app_context():
        auth.create_token("mona", "mentor", CONTRACT_REPORT["peer_mentor_id"])
        return f"/login/{auth.create_sign_in_link('mona', 15)}"


def test_a_mentor_files_a_report_fixes_an_error_and_submits_it(web):
    web.open(mentor_link(web.server))
    web.leave_by(web.wait_for("main form button[type=submit]"))
    web.wait_for("main h1")

    web.leave_by(web.driver.find_element("css selector", "nav a[href='/reports/new']"))
    web.wait_for("form.report-form")
    web.check_page("new-report")
    fill = web.driver.find_element
    fill("id", "activity_id").send_keys("act_spring")
    fill("id", "org_id").send_keys("org_nansen_01")
    # A date input takes keys in the browser's locale's order; its value is ISO.
    today = datetime.now(UTC).date().isoformat()
    web.driver.execute_script(
        "arguments[0].value = arguments[1]", fill("id", "session_date"), today
    )
    fill("id", "attendance_count").send_keys("2000")
    fill("id", "session_topic").send_keys("Budgeting")
    notes = fill("id", "mentor_notes")
    notes.send_keys("Went well.")
    assert fill("id", "mentor_notes-counter").text == "9990 characters left"
    assert "mentor_notes-counter" in notes.get_attribute("aria-describedby")
    fill("id", "follow_up_needed").click()
    web.leave_by(fill("css selector", "button[value=submit]"))

    web.wait_for(".error-summary")
    error = fill("id", "attendance_count-error")
    assert "less than or equal to 1000" in error.text
    assert fill("id", "attendance_count").get_attribute("aria-invalid") == "true"
    assert fill("id", "session_topic").get_attribute("value") == "Budgeting"
    assert fill("id", "mentor_notes").get_attribute("value") == "Went well."
    assert fill("id", "follow_up_needed").is_selected()
    # For the README (with UPDATE_SCREENSHOTS=1): the form on a phone, an error at its field.
    web.check_page("new-report-error")
    web.keep_for_readme(
        web.screen_at("phone", "new-report-error", ".field-error"), "screenshot-new-report.png"
    )
    # The summary's link takes the keyboard to the field.
    fill("css selector", ".error-summary a[href='#attendance_count']").click()
    assert web.driver.switch_to.active_element == fill("id", "attendance_count")

    field = fill("id", "attendance_count")
    field.clear()
    field.send_keys("6")
    web.leave_by(fill("css selector", "button[value=submit]"))

    heading = web.wait_for("main h1")
    assert heading.text == "Budgeting"
    main = fill("css selector", "main").text
    assert "Report submitted." in main and "submitted" in main
    web.check_page("submitted-report")

    fill("css selector", "main a[href$='/edit']").click()
    web.wait_for("form.report-form")
    assert fill("id", "attendance_count").get_attribute("value") == "6"
    assert fill("css selector", "button[value=correct]").text == "Save correction"
    web.check_page("correct-report")
    assert not web.page_problems()
