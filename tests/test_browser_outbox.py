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
    fill_a_report(web)

    web.server.stop()
    web.driver.find_element("css selector", "button[value=submit]").click()
    notice = web.wait_for("#outbox")
    assert (
        notice.text == "Saved on this phone. It will be sent when you are back online: 1 waiting."
    )
    assert not web.driver.find_element("css selector", "form.report-form").is_displayed()
    web.keep_for_readme(web.screen_at("phone", "saved-on-this-phone"), "screenshot-outbox.png")
    assert len(outbox(web)) == 1
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
