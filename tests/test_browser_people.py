"""The People and Activities pages in a real browser, at a phone's width: a
coordinator adds a mentor and an activity the mentor leads, makes the mentor a
sign-in link and shows its QR code, and the link signs the mentor in, kept on
the device. Every page is checked with axe-core and shot (browser.py)."""

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
