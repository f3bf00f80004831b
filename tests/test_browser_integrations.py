"""The integrations page and the e-mails' own page in a real browser, against
the real server with its dispatcher, a real webhook receiver and a real SMTP
server on 127.0.0.1 (tests/peers.py): a coordinator adds its e-mail address
on its person's page, a mentor submits a report, one webhook gets it, another
fails until the coordinator resumes it on the integrations page; the e-mail
that came links to the page where its person picks a daily digest, and its
List-Unsubscribe address shows "None" picked. Every page is checked with
axe-core and shot at a phone's and a desk's width (browser.py)."""

import re
import time

import pytest
from selenium.webdriver.support.select import Select

import browser
from conftest import CONTRACT_REPORT
from peers import Receiver, free_port, mail_environment
from serving import REPORTS, Server
from test_browser_pages import flask, sign_in

WAIT_SECONDS = 20


@pytest.fixture
def web(chromium, tmp_path, inbox):
    """The browser on a server of the test's own, e-mailing through `inbox`,
    and trying a failed delivery again once, a second later."""
    port = free_port()
    server = Server(
        tmp_path,
        REPORTS_PORT=str(port),
        REPORTS_RETRY_SCHEDULE="[1]",
        **mail_environment(inbox.port, f"http://127.0.0.1:{port}"),
    )
    with server:
        chromium.delete_all_cookies()
        yield browser.Browser(chromium, server, tmp_path / "screenshots")


@pytest.fixture
def receivers():
    """A receiver that takes every delivery, and one that refuses its first two."""
    taking, refusing = Receiver(), Receiver(answers=[503, 503])
    yield taking, refusing
    taking.stop()
    refusing.stop()


def until(check, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} within {WAIT_SECONDS} s"
        time.sleep(0.1)


def test_a_coordinator_resumes_a_failing_webhook_and_chooses_a_daily_digest(web, receivers, inbox):
    taking, refusing = receivers
    server = web.server
    secrets = [
        flask(server, "webhook", "add", taking.url, "--allow-private")[-1],
        flask(server, "webhook", "add", refusing.url, "--allow-private",
              "--event", "report.submitted", "--event", "report.reviewed")[-1],
    ]  # fmt: skip
    _, coordinator_link = flask(
        server, "token", "create", "--name", "carla", "--role", "coordinator", "--link"
    )
    mentor_secret, _ = flask(
        server, "token", "create", "--name", "mona", "--role", "mentor",
        "--mentor", CONTRACT_REPORT["peer_mentor_id"], "--link",
    )  # fmt: skip
    sign_in(web, coordinator_link, "coordinator")
    web.wait_for("main h1")

    # The coordinator gives itself an address, and each e-mail as it happens.
    web.open("/people")
    web.leave_by(web.driver.find_element("link text", "carla"))
    web.wait_for("#email").send_keys("carla@example.org")
    assert Select(web.driver.find_element("id", "notify")).first_selected_option.text == (
        "Each e-mail, as it happens"
    )
    web.check_page("person-e-mails")
    web.click_to_leave("form.report-form button[type=submit]")
    assert "carla is changed." in web.wait_for(".flashes").text

    submitted = server.request(
        "POST",
        REPORTS,
        {**CONTRACT_REPORT, "status": "submitted"},
        {"Authorization": f"Bearer {mentor_secret}"},
    )
    assert submitted.status == 201, submitted
    assert taking.wait_for(2), taking.deliveries  # report.created, report.submitted

    def shown_failing():
        web.open("/integrations")
        return "Failing" in web.wait_for("main .webhook-table").text

    until(shown_failing, "The refusing webhook was not shown failing")
    page = web.wait_for("main").text
    assert "E-mail is sent from Post-Session Reports <reports@example.org>" in page
    assert "Every event" in page and "report.reviewed report.submitted" in page
    assert all(secret not in web.driver.page_source for secret in secrets)
    shots = web.check_page("integrations")
    web.keep_for_readme(shots[1], "screenshot-integrations.png")

    web.click_to_leave("main .webhook-table button[type=submit]")
    assert f"{refusing.url} is resumed" in web.wait_for(".flashes").text
    assert refusing.wait_for(1), refusing.deliveries
    ids = {each["headers"]["webhook-id"] for each in refusing.deliveries}
    assert len(refusing.deliveries) == 3 and len(ids) == 1  # one event, tried three times
    web.open("/integrations")
    assert "Failing" not in web.wait_for("main .webhook-table").text

    # The e-mail of the report links to the page of its person's e-mails.
    def of_the_report():
        return [
            message
            for message in inbox.to("carla@example.org")
            if message["Subject"].startswith("Report submitted")
        ]

    until(of_the_report, "No e-mail of the report came to the coordinator")
    (message,) = of_the_report()
    text = message.get_body(("plain",)).get_content()
    settings = re.search(r"http://\S+/notifications/\S+", text).group(0)
    web.driver.delete_all_cookies()
    web.driver.get(settings)
    assert web.wait_for("main h1").text == "Your e-mails"
    web.check_page("notifications")
    web.wait_for("label[for='notify-digest']").click()
    web.click_to_leave("main form button[type=submit]")
    assert "Saved: you get a daily digest." in web.wait_for(".flashes").text
    assert web.driver.find_element("id", "notify-digest").is_selected()

    unsubscribe = message["List-Unsubscribe"].strip("<>")
    web.driver.get(unsubscribe)
    assert web.wait_for("#notify-off").is_selected()
    web.check_page("notifications-off")
    web.driver.get(settings)
    assert web.wait_for("#notify-digest").is_selected()  # a GET changed nothing
