"""What a phone keeps of a report form, in a real browser (static/form.js and
offline.js): what is typed survives leaving the page and a browser restart with
the same profile, and is put back with a notice and a Discard button; it is
forgotten once the service saves the form, and at sign-out, so that the next
person on a shared phone sees nothing of it."""

import pytest
from test_browser_phone import PHONE, people, sign_in_kept

import browser

TOPIC = "Budgeting at the library"


@pytest.fixture
def phone(tmp_path, live_server):
    """A Chromium of the test's own, whose profile outlives it: `phone.restart()`
    stops it and starts another on the same profile, as a phone's browser that
    was closed and opened again."""
    missing = browser.missing_parts()
    if missing:
        browser.skip_or_fail(f"{', '.join(missing)} not found")
    profile = tmp_path / "profile"
    web = browser.Browser(browser.start_chromium(profile), live_server, tmp_path / "screenshots")

    def restart():
        web.driver.quit()
        web.driver = browser.start_chromium(profile)

    web.restart = restart
    yield web
    web.driver.quit()


def kept_forms(web):
    """Every form the browser keeps, as offline.js reads them."""
    return web.driver.execute_async_script(
        "const done = arguments[0], kept = window.reportsKept;"
        "kept.ready.then(() => kept.all()).then(done, () => done(null));"
    )


def wait_until(web, test, what):
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(web.driver, browser.WAIT_SECONDS).until(lambda driver: test(), what)


def type_a_report(web):
    web.open("/reports/new")
    web.wait_for("#session_topic").send_keys(TOPIC)
    web.driver.find_element("id", "attendance_count").send_keys("7")
    wait_until(
        web,
        lambda: any(["session_topic", TOPIC] in each["values"] for each in kept_forms(web)),
        "the form was not kept as it was typed",
    )


def value_of(web, input_id):
    return web.driver.find_element("id", input_id).get_attribute("value")


def test_a_half_filled_form_survives_leaving_it_and_a_browser_restart(phone):
    web = phone
    links, _ = people(web.server)
    web.driver.set_window_size(*PHONE)
    sign_in_kept(web, links["mona"])
    type_a_report(web)

    web.open("/reports/mine")
    web.wait_for("main h1")
    web.open("/reports/new")
    notice = web.wait_for("#restored")
    assert notice.text.startswith("Restored what you typed at ")
    assert value_of(web, "session_topic") == TOPIC and value_of(web, "attendance_count") == "7"
    web.keep_for_readme(web.screen_at("phone", "restored-form"), "screenshot-restored-form.png")
    web.check_page("restored-form")

    web.restart()
    web.driver.set_window_size(*PHONE)
    web.open("/reports/new")
    web.wait_for("#restored")
    assert value_of(web, "session_topic") == TOPIC

    # Discard: the form as the service gives it, and nothing kept.
    web.leave_by(web.driver.find_element("css selector", "#restored button"))
    web.wait_for("form.report-form")
    assert value_of(web, "session_topic") == ""
    assert not web.driver.find_elements("id", "restored")
    assert kept_forms(web) == []


def test_a_form_the_service_saved_is_forgotten(web):
    links, _ = people(web.server)
    sign_in_kept(web, links["mona"])
    type_a_report(web)
    web.driver.find_element("id", "activity_id").send_keys("act_spring")
    web.driver.find_element("id", "org_id").send_keys("org_nansen_01")

    web.click_to_leave("button[value=draft]")
    assert "Draft saved." in web.wait_for(".flashes").text
    wait_until(web, lambda: kept_forms(web) == [], "the saved form is still kept")
    web.open("/reports/new")
    web.wait_for("form.report-form")
    assert value_of(web, "session_topic") == ""
    assert not web.driver.find_elements("id", "restored")


def kept_pages(web):
    """The addresses of the pages (not the static files) the service worker keeps."""
    return web.driver.execute_async_script(
        """
        const done = arguments[0];
        caches.keys()
          .then((names) => Promise.all(names.map((name) => caches.open(name)
            .then((cache) => cache.keys()))))
          .then((lists) => done(lists.flat().map((request) => new URL(request.url).pathname)
            .filter((path) => !path.startsWith("/static/"))));
        """
    )


def test_signing_out_forgets_every_kept_form_and_page(web):
    links, _ = people(web.server)
    sign_in_kept(web, links["mona"])
    wait_until(
        web,
        lambda: web.driver.execute_script("return Boolean(navigator.serviceWorker.controller)"),
        "the service worker never took the page",
    )
    web.open("/reports/mine")
    web.wait_for("main h1")
    type_a_report(web)
    assert sorted(kept_pages(web)) == ["/reports/mine", "/reports/new"]

    web.click_to_leave("header form button[type=submit]")
    assert "Signed out." in web.wait_for(".flashes").text
    wait_until(web, lambda: kept_forms(web) == [], "a form is kept after signing out")
    wait_until(web, lambda: kept_pages(web) == [], "a page is kept after signing out")

    # The next person on this phone finds an empty form.
    sign_in_kept(web, links["carla"])
    web.open("/reports/new")
    web.wait_for("form.report-form")
    assert value_of(web, "session_topic") == ""
