"""Filing while the service cannot be reached, in a real browser against the
real server, stopped the way a lost connection looks to a page: the form is
kept in the outbox, the page says so, and it is sent once the service answers
again, exactly once however often it is sent; a sign-in that ended meanwhile
keeps it until the person signs in again (static/form.js, offline.js)."""

import socket
import sqlite3

import pytest
from selenium.webdriver.support.wait import WebDriverWait
from test_browser_phone import PHONE, people, sign_in_kept

import browser
from serving import REPORTS, Server

TOPIC = "Budgeting in the basement"
BACK_WITHIN = 60  # seconds, from the service's return to the report filed


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def web(chromium, tmp_path):
    """The browser on a server of the test's own that comes back at the same
    address when restarted, as a server does after a lost connection (another
    port would be another origin, with storage of its own)."""
    server = Server(tmp_path, REPORTS_PORT=str(free_port()))
    server.start()
    chromium.delete_all_cookies()
    view = browser.Browser(chromium, server, tmp_path / "screenshots")
    yield view
    server.stop()


def fill_a_report(web):
    web.open("/reports/new")
    web.wait_for("#activity_id").send_keys("act_spring")
    web.driver.find_element("id", "org_id").send_keys("org_nansen_01")
    web.driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
        web.driver.find_element("id", "session_date"),
        "2026-12-01",
    )
    web.driver.find_element("id", "attendance_count").send_keys("5")
    web.driver.find_element("id", "session_topic").send_keys(TOPIC)


def outbox(web):
    return web.driver.execute_async_script(
        "const done = arguments[0], kept = window.reportsKept;"
        "kept.ready.then(() => kept.outbox()).then(done, () => done(null));"
    )


def filed(web, bearer):
    """Every report on the service, whole."""
    listed = web.server.request("GET", REPORTS, None, bearer)
    assert listed.status == 200, listed
    return [
        web.server.request("GET", f"{REPORTS}/{each['report_id']}", None, bearer).json
        for each in listed.json["data"]
    ]


def test_a_report_filed_while_the_service_is_down_is_filed_once_when_it_is_back(web):
    links, _ = people(web.server)
    bearer = bearer_of(web)
    web.driver.set_window_size(*PHONE)
    sign_in_kept(web, links["mona"])
    # My reports, once seen under the service worker, opens without the service.
    WebDriverWait(web.driver, browser.WAIT_SECONDS).until(
        lambda driver: driver.execute_script("return Boolean(navigator.serviceWorker.controller)"),
        "the service worker never took the page",
    )
    web.open("/reports/mine")
    web.wait_for("main h1")
    fill_a_report(web)

    web.server.stop()
    web.driver.find_element("css selector", "button[value=submit]").click()
    notice = web.wait_for("#outbox")
    waiting = "Saved on this phone. It will be sent when you are back online: 1 waiting."
    assert notice.text == f"{waiting}\n{TOPIC} (to submit)"
    assert not web.driver.find_element("css selector", "form.report-form").is_displayed()
    web.keep_for_readme(web.screen_at("phone", "saved-on-this-phone"), "screenshot-outbox.png")
    assert len(outbox(web)) == 1
    # My reports lists what waits.
    web.open("/reports/mine")
    assert web.wait_for("main h1").text == "My reports"
    assert web.wait_for("#outbox").text == f"{waiting}\n{TOPIC} (to submit)"
    # The same entry three times over, as retries after answers that never came would send it.
    web.driver.execute_async_script(
        "const done = arguments[0];"
        "indexedDB.open('post-session-reports').onsuccess = (event) => {"
        "  const database = event.target.result;"
        "  const store = database.transaction('outbox', 'readwrite').objectStore('outbox');"
        "  store.getAll().onsuccess = (got) => {"
        "    const entry = got.target.result[0];"
        "    delete entry.id;"
        "    store.add({...entry}); store.add({...entry}); store.transaction.oncomplete = done;"
        "  };"
        "};"
    )
    assert len(outbox(web)) == 3

    web.server.start()
    WebDriverWait(web.driver, BACK_WITHIN).until(
        lambda driver: outbox(web) == [], "the outbox was not sent within a minute"
    )
    reports = filed_here(web, bearer)
    assert len(reports) == 1
    assert reports[0]["status"] == "submitted"
    WebDriverWait(web.driver, 5).until(
        lambda driver: not driver.find_elements("id", "outbox"), "the notice stayed"
    )


def test_a_sign_in_that_ended_offline_keeps_the_report_until_the_person_signs_in(web):
    links, _ = people(web.server)
    bearer = bearer_of(web)
    sign_in_kept(web, links["mona"])
    fill_a_report(web)
    web.server.stop()
    web.driver.find_element("css selector", "button[value=draft]").click()
    web.wait_for("#outbox")

    # Meanwhile the session ended.
    with sqlite3.connect(web.server.database) as database:
        database.execute("DELETE FROM web_session")
    database.close()
    web.server.start()
    web.open("/reports/mine")
    notice = web.wait_for("#outbox")
    assert "Saved on this phone: 1 report waits to be sent. Sign in again to send them" in (
        notice.text
    )
    web.check_page("outbox-sign-in-again")
    assert len(outbox(web)) == 1 and not filed_here(web, bearer)

    sign_in_kept(web, fresh_link(web))
    WebDriverWait(web.driver, 30).until(
        lambda driver: outbox(web) == [], "the outbox was not sent after signing in"
    )
    assert [each["status"] for each in filed_here(web, bearer)] == ["draft"]


def filed_here(web, bearer):
    return [each for each in filed(web, bearer) if each["fields"].get("session_topic") == TOPIC]


def bearer_of(web):
    """A coordinator's header for the API, made on the server."""
    from reports import auth, create_app

    app = create_app({"DATABASE": str(web.server.database), "SECRET_KEY": "x" * 16})
    with app.app_context():
        secret = auth.create_token("api-reader", "coordinator")
    return {"Authorization": f"Bearer {secret}"}


def fresh_link(web):
    from reports import auth, create_app

    app = create_app({"DATABASE": str(web.server.database), "SECRET_KEY": "x" * 16})
    with app.app_context():
        return f"/login/{auth.create_sign_in_link('mona', 15)}"


@pytest.fixture
def links(web):
    """The people's sign-in links; `web.report_id` is Mona's submitted report."""
    found, report_id = people(web.server)
    web.report_id = report_id
    return found


def correct_offline(web, links, change_meanwhile):
    """Mona opens her submitted report's form; `change_meanwhile` changes the
    report on the service; the service goes down, and she saves a correction,
    which the outbox keeps; the service comes back and the outbox is sent."""
    report_id = web.report_id
    sign_in_kept(web, links["mona"])
    web.open(f"/reports/{report_id}/edit")
    web.wait_for("#session_topic")
    change_meanwhile(report_id)
    web.server.stop()
    topic = web.driver.find_element("id", "session_topic")
    topic.clear()
    topic.send_keys(TOPIC)
    web.driver.find_element("css selector", "button[value=correct]").click()
    web.wait_for("#outbox")
    web.server.start()
    WebDriverWait(web.driver, BACK_WITHIN).until(
        lambda driver: outbox(web) == [], "the outbox was not sent within a minute"
    )
    return report_id


def test_a_correction_of_a_report_changed_meanwhile_shows_both(web, links):
    bearer = bearer_of(web)

    def change(report_id):
        changed = web.server.request(
            "PUT", f"{REPORTS}/{report_id}", {"fields": {"attendance_count": 9}}, bearer
        )
        assert changed.status == 200, changed

    report_id = correct_offline(web, links, change)
    notice = web.wait_for("#outbox")
    assert "A report kept on this phone was not taken as it was: open it to see why." in (
        notice.text
    )
    web.leave_by(notice.find_element("link text", "open it"))
    web.wait_for("#restored")
    assert web.driver.find_element("id", "session_topic").get_property("value") == TOPIC
    web.click_to_leave("button[value=correct]")
    stale = web.wait_for("#notice")
    assert "Someone changed this report after you opened this form" in stale.text
    assert f"In your form: {TOPIC}" in stale.text
    web.check_page("outbox-conflict")
    # Nothing was overwritten: the service has the other change, not the typed one.
    now = web.server.request("GET", f"{REPORTS}/{report_id}", None, bearer).json
    assert now["fields"]["attendance_count"] == 9 and now["fields"]["session_topic"] != TOPIC


def test_a_correction_of_a_report_locked_meanwhile_is_kept_to_copy(web, links):
    bearer = bearer_of(web)

    def approve(report_id):
        approved = web.server.request(
            "PUT", f"{REPORTS}/{report_id}/review", {"review_state": "approved"}, bearer
        )
        assert approved.status == 200, approved

    report_id = correct_offline(web, links, approve)
    notice = web.wait_for("#outbox")
    web.leave_by(notice.find_element("link text", "open it"))
    kept_text = web.wait_for("#kept-text")
    assert "What you typed, kept on this phone" in kept_text.text
    assert TOPIC in kept_text.text
    web.check_page("outbox-locked")
    kept_text.find_element("css selector", "button").click()
    WebDriverWait(web.driver, 5).until(
        lambda driver: not kept_text.is_displayed(), "the kept text stayed"
    )
    now = web.server.request("GET", f"{REPORTS}/{report_id}", None, bearer).json
    assert now["fields"]["session_topic"] != TOPIC


def test_signing_out_with_reports_not_sent_asks_first(web, links):
    sign_in_kept(web, links["mona"])
    fill_a_report(web)
    web.server.stop()
    web.driver.find_element("css selector", "button[value=submit]").click()
    web.wait_for("#outbox")

    web.driver.find_element("css selector", "header form button[type=submit]").click()
    asked = web.wait_for("#sign-out-waiting")
    assert asked.text.startswith("1 report is not sent yet")
    web.check_page("sign-out-waiting")
    asked.find_element("xpath", ".//button[text()='Stay signed in']").click()
    assert not web.driver.find_elements("id", "sign-out-waiting")
    assert len(outbox(web)) == 1

    web.driver.find_element("css selector", "header form button[type=submit]").click()
    web.wait_for("#sign-out-waiting").find_element(
        "xpath", ".//button[text()='Discard it and sign out']"
    ).click()
    web.server.start()
    web.open("/reports/mine")
    web.wait_for("main h1")
    assert outbox(web) == []
    assert not web.driver.find_elements("id", "outbox")
