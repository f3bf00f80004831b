"""The People and Activities pages in a real browser, at a phone's width: a
coordinator adds a mentor and an activity the mentor leads, makes the mentor a
sign-in link and shows its QR code; the link signs the mentor in, kept on the
device; the mentor files a report by picking the activity; the coordinator
finds it in the review queue by the mentor's name and approves it; revoking a
token signs its device out. Every page is checked with axe-core and shot
(browser.py)."""

from test_browser_pages import flask, sign_in

PHONE = (360, 740)


def test_a_coordinator_adds_a_mentor_and_an_activity_and_shows_the_sign_in_code(web):
    _, coordinator_link = flask(
        web.server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    web.driver.set_window_size(*PHONE)
    sign_in(web, coordinator_link, "coordinator")
    web.wait_for("main h1")

    web.open("/people")
    web.wait_for("#name").send_keys("Mona Hansen")
    web.driver.find_element("id", "email").send_keys("mona@example.org")
    web.click_to_leave("form.report-form button[type=submit]")
    assert web.wait_for("main h1").text == "Mona Hansen"
    assert "Mona Hansen is added." in web.wait_for(".flashes").text
    person_page = web.driver.current_url

    web.open("/activities")
    web.wait_for("#name").send_keys("Job club Tuesday")
    web.driver.find_element("id", "org_id").send_keys("org_nansen_01")
    mentor = web.wait_for("label[for='mentor-1']")
    # In the middle of the screen, clear of the form's buttons kept at its foot.
    web.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", mentor)
    mentor.click()
    web.click_to_leave("form.report-form button[type=submit]")
    web.open("/activities")
    listed = web.wait_for("main table").text
    assert "Job club Tuesday" in listed and "Mona Hansen" in listed
    web.check_page("activities")

    web.driver.get(person_page)
    web.click_to_leave("main form.actions button[type=submit]")
    link = web.wait_for("#sign-in-link").get_attribute("href")
    code = web.wait_for(".qr-code svg")
    assert code.size["width"] >= 100 and code.size["height"] >= 100
    assert "/login/" in link and link not in web.driver.current_url
    web.keep_for_readme(web.check_page("people-sign-in-code")[0], "screenshot-people.png")

    web.driver.delete_all_cookies()
    sign_in(web, link, "mentor")
    assert web.wait_for("main h1").text == "My reports"
    kept = web.driver.get_cookie("session")
    assert kept is not None and kept.get("expiry")  # kept signed in on this device

    # The mentor files a report, picking the activity by its name.
    web.open("/reports/new")
    web.wait_for("label[for='activity_id']").click()
    assert web.driver.find_element("id", "activity_id").is_selected()
    assert not web.driver.find_elements("css selector", "#org_id, #peer_mentor_id")
    # A date input takes keys in the browser's locale's order; its value is ISO.
    web.driver.execute_script(
        "arguments[0].value = arguments[1]",
        web.driver.find_element("id", "session_date"),
        "2026-03-20",
    )
    web.driver.find_element("id", "attendance_count").send_keys("6")
    web.driver.find_element("id", "session_topic").send_keys("CV writing")
    web.keep_for_readme(
        web.screen_at("phone", "new-report-pick-activity"),
        "screenshot-pick-activity.png",
    )
    web.check_page("new-report-pick-activity")
    web.click_to_leave("button[value=submit]")
    assert "Report submitted." in web.wait_for(".flashes").text
    report_page = web.driver.current_url

    # The coordinator finds it in the review queue by the mentor's name, and approves it.
    web.driver.delete_all_cookies()
    sign_in(web, coordinator_link_again(web), "coordinator")
    waiting = web.wait_for("ol.queue-list")
    assert "by Mona Hansen · Job club Tuesday" in waiting.text
    web.driver.find_element("partial link text", "CV writing").click()
    web.wait_for("label[for='review_state']").click()  # Approve, the first choice
    web.click_to_leave("section.review-form form button[type=submit]")
    assert web.driver.current_url == report_page
    assert "Approved" in web.wait_for("main").text
    web.open("/")
    assert "Mona Hansen" not in web.wait_for("main").text


def coordinator_link_again(web):
    """A new sign-in link for the coordinator, made on the server."""
    return next(word for word in flask(web.server, "token", "link", "carla") if "/login/" in word)


def test_a_coordinator_revokes_a_lost_phone_s_token_and_the_phone_is_signed_out(web):
    _, coordinator_link = flask(
        web.server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    _, mentor_link = flask(
        web.server, "token", "create", "--name", "mona", "--role", "mentor", "--mentor",
        "usr_mona", "--link",
    )  # fmt: skip
    web.driver.set_window_size(*PHONE)
    sign_in(web, mentor_link, "mentor")  # kept on the device, as a link's page proposes
    assert web.wait_for("main h1").text == "My reports"
    phone = web.driver.get_cookie("session")
    web.driver.delete_all_cookies()
    sign_in(web, coordinator_link, "coordinator")
    web.wait_for("main h1")

    web.open("/people")
    web.check_page("people-list")
    web.driver.get(web.driver.find_element("link text", "mona").get_attribute("href"))
    assert "mona" in web.wait_for("main table").text
    web.check_page("person-tokens")
    web.click_to_leave("main table form button[type=submit]")

    assert "mona's token mona is revoked" in web.wait_for(".flashes").text
    assert "has no active token" in web.wait_for("main").text
    web.driver.delete_all_cookies()
    web.driver.add_cookie(phone)
    web.open("/reports/mine")
    assert "its token was revoked" in web.wait_for("main").text
