"""The integrations page (reports/web/integrations.py), a coordinator's only:
whether e-mail is on, each webhook with its address, its event types and its
state (delivering, waiting to retry, failing), a Resume button where it does
not deliver, and the last deliveries, newest first. Deliveries go to a real
receiver on 127.0.0.1 (tests/peers.py). No page shows a webhook's secret."""

import re

import pytest

from reports import auth, dispatcher, service
from reports.cli import OPERATOR

from conformance import ConformingClient
from conftest import app_with
from peers import Receiver, free_port
from web_helpers import csrf_token, sign_in, text

PAGE = "/integrations"


@pytest.fixture
def app(database):
    """The app, a failed delivery tried again once, a minute later."""
    app = app_with(database, RETRY_SCHEDULE=[60])
    app.test_client_class = ConformingClient
    return app


@pytest.fixture
def receiver():
    peer = Receiver()
    yield peer
    peer.stop()


def add_webhook(app, url, events=None):
    """Add a webhook as `flask --app reports webhook add URL` does: (its id, its secret)."""
    with app.app_context():
        return service.add_webhook(url, events, allow_private=True, caller=OPERATOR)


def deliver(app):
    dispatcher.run_until_idle(app)


def row_of(body, url):
    """The HTML of the webhooks' table's row of `url`."""
    found = re.search(rf"<tr>\s*<td[^>]*><code>{re.escape(url)}</code></td>.*?</tr>", body, re.S)
    return found.group(0)


def cells(row):
    """The text of each cell of a table's row."""
    return [
        " ".join(re.sub(r"<[^>]+>", "", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def state_of(body, url):
    """What the state cell of the webhook at `url` says."""
    return cells(row_of(body, url))[2]


def resume_path(webhook_id):
    return f"{PAGE}/{webhook_id}/retry"


def deliveries(body):
    """The rows of the deliveries' table: each cell's text."""
    table = re.search(r'<table class="report-table delivery-table">.*?</table>', body, re.S)
    return [cells(row) for row in re.findall(r"<tr>.*?</tr>", table.group(0), re.S)[1:]]


# Who gets the page -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "mentor"])
def test_a_mentor_and_a_viewer_get_the_403_page_and_see_no_address(
    app, browsers, receiver, new_report, who
):
    webhook_id, _ = add_webhook(app, receiver.url)
    new_report(status="submitted")
    deliver(app)
    browser = browsers[who]

    answers = [
        browser.get(PAGE),
        browser.post(resume_path(webhook_id), data={"csrf_token": csrf_token(browser)}),
    ]

    for answer in answers:
        assert answer.status_code == 403 and answer.mimetype == "text/html"
        assert f"Only a coordinator token may do this, not a {who} token." in text(answer)
        assert receiver.url not in text(answer)
    assert f'href="{PAGE}"' not in text(browser.get("/summary"))


def test_a_signed_out_browser_goes_to_the_sign_in_page(browsers, tokens):
    browser = browsers["none"]
    form = {"csrf_token": csrf_token(browser)}
    for answer in (browser.get(PAGE), browser.post(resume_path(1), data=form)):
        assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_a_coordinator_has_integrations_last_in_the_header(browsers):
    body = text(browsers["coordinator"].get("/reports"))
    nav = re.search(r'<nav aria-label="Pages">(.*?)</nav>', body, re.S).group(1)

    assert re.findall(r'<a href="([^"]+)">([\w ]+)</a>', nav)[-1] == (PAGE, "Integrations")


# The webhooks and their states ----------------------------------------------------------


def test_each_webhook_is_listed_with_its_address_and_event_types(
    app, browsers, receiver, new_report
):
    add_webhook(app, receiver.url)
    other = f"http://127.0.0.1:{receiver.port}/submitted-only"
    add_webhook(app, other, ["report.submitted", "report.reviewed"])
    new_report(status="submitted")
    deliver(app)

    body = text(browsers["coordinator"].get(PAGE))

    every, some = row_of(body, receiver.url), row_of(body, other)
    assert cells(some)[1] == "report.reviewed report.submitted"
    assert cells(every)[1] == "Every event"
    assert state_of(body, receiver.url) == state_of(body, other) == "Delivering"
    assert "Resume" not in every + some


def test_a_failed_delivery_waits_to_retry_and_after_the_last_try_the_webhook_is_failing(
    clock, app, browsers, new_report
):
    refusing = Receiver(answers=[503, 503])
    try:
        add_webhook(app, refusing.url)
        new_report(status="submitted")
        deliver(app)
        waiting = text(browsers["coordinator"].get(PAGE))
        clock.advance(seconds=60)
        deliver(app)
        failing = text(browsers["coordinator"].get(PAGE))
    finally:
        refusing.stop()

    assert (
        state_of(waiting, refusing.url)
        == "Waiting To retry at 20 Mar 2026, 14:11, after 1 failed try."
    )
    assert '<time datetime="2026-03-20T14:11:00Z">' in row_of(waiting, refusing.url)
    assert state_of(failing, refusing.url) == (
        "Failing Stopped after 2 failed tries: resume it once the receiver works again."
    )
    for body in (waiting, failing):
        assert f'action="{resume_path(1)}"' in row_of(body, refusing.url)


def test_resume_tries_the_failed_event_again_at_once(clock, app, browsers, new_report):
    refusing = Receiver(answers=[503, 503])
    try:
        webhook_id, _ = add_webhook(app, refusing.url)
        new_report(status="submitted")
        deliver(app)
        clock.advance(seconds=60)
        deliver(app)
        coordinator = browsers["coordinator"]

        resumed = coordinator.post(
            resume_path(webhook_id), data={"csrf_token": csrf_token(coordinator, PAGE)}
        )
        assert resumed.status_code == 303 and resumed.headers["Location"] == PAGE
        body = text(coordinator.get(PAGE))
        assert f"{refusing.url} is resumed: its next event is tried now." in body
        assert state_of(body, refusing.url) == "Delivering"
        deliver(app)  # no clock moved: it was due at once
    finally:
        refusing.stop()

    tries = [(each["status"], each["headers"]["webhook-id"]) for each in refusing.deliveries]
    assert [status for status, _ in tries] == [503, 503, 200, 200]
    assert tries[0][1] == tries[1][1] == tries[2][1]  # the same event, until delivered


def test_the_last_deliveries_are_listed_newest_first(clock, app, browsers, receiver, new_report):
    add_webhook(app, receiver.url, ["report.submitted"])
    nobody = f"http://127.0.0.1:{free_port()}/hooks"
    add_webhook(app, nobody)
    new_report(status="submitted")
    deliver(app)

    rows = deliveries(text(browsers["coordinator"].get(PAGE)))

    (delivered,) = receiver.deliveries
    assert len(rows) == 2
    when, webhook, event, message_id, answer, took = rows[0]
    assert (when, webhook, event) == ("20 Mar 2026, 14:10", nobody, "report.created")
    assert answer.startswith("No answer") and "refused" in answer
    assert rows[1][:5] == [
        "20 Mar 2026, 14:10",
        receiver.url,
        "report.submitted",
        delivered["headers"]["webhook-id"],
        "200",
    ]
    assert re.fullmatch(r"\d+", took) and message_id.startswith("msg_")


def test_no_page_ever_shows_a_webhook_s_secret(clock, app, browsers, receiver, new_report):
    _, secret = add_webhook(app, receiver.url)
    refusing = Receiver(answers=[503, 503])
    try:
        failing_id, other_secret = add_webhook(app, refusing.url)
        new_report(status="submitted")
        deliver(app)
        coordinator = browsers["coordinator"]
        token = csrf_token(coordinator, PAGE)
        pages = [
            coordinator.get(PAGE),
            coordinator.post(
                resume_path(failing_id), data={"csrf_token": token}, follow_redirects=True
            ),
        ]
    finally:
        refusing.stop()

    assert secret.startswith("whsec_") and other_secret.startswith("whsec_")
    for page in pages:
        assert page.status_code == 200
        for each in (secret, other_secret, secret.removeprefix("whsec_")):
            assert each not in text(page)


def test_a_resume_without_its_csrf_token_is_refused_and_changes_nothing(
    clock, app, browsers, new_report
):
    refusing = Receiver(answers=[503])
    try:
        webhook_id, _ = add_webhook(app, refusing.url)
        new_report(status="submitted")
        deliver(app)
        coordinator = browsers["coordinator"]
        coordinator.get(PAGE)

        refused = coordinator.post(resume_path(webhook_id))
    finally:
        refusing.stop()

    assert refused.status_code == 400 and "This form has expired" in text(refused)
    with app.app_context():
        webhook = service.find_webhook(webhook_id, caller=OPERATOR)
    assert (webhook["failures"], webhook["next_attempt_at"]) == (1, "2026-03-20T14:11:00Z")


def test_resuming_a_webhook_that_is_no_more_is_a_404_page(app, browsers, receiver):
    webhook_id, _ = add_webhook(app, receiver.url)
    with app.app_context():
        service.remove_webhook(webhook_id, caller=OPERATOR)
    coordinator = browsers["coordinator"]

    for missing in (webhook_id, "nothing", "99999999999999999999999"):
        answer = coordinator.post(
            resume_path(missing), data={"csrf_token": csrf_token(coordinator)}
        )
        assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_no_webhooks_nor_deliveries_yet(browsers):
    body = text(browsers["coordinator"].get(PAGE))

    assert "No webhooks yet." in body and "Nothing was delivered yet." in body
    assert "<code>flask --app reports webhook add URL</code>" in body


# E-mail ---------------------------------------------------------------------------------


def test_e_mail_off_says_how_to_turn_it_on(browsers):
    body = text(browsers["coordinator"].get(PAGE))

    assert "E-mail is off: nothing is e-mailed to anyone." in body
    assert "<code>SMTP_HOST</code>" in body and "<code>docs/configuration.md</code>" in body


def test_e_mail_on_says_from_where_and_through_which_server_but_no_password(tmp_path):
    database = str(tmp_path / "mailing.sqlite")
    app = app_with(
        database,
        SMTP_HOST="mail.example.org",
        SMTP_USER="reports-sender",
        SMTP_PASSWORD="a-mail-password",
        MAIL_FROM="Reports <reports@example.org>",
        PUBLIC_URL="https://reports.example.org",
    )
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")
    coordinator = app.test_client()
    sign_in(coordinator, secret)

    body = text(coordinator.get(PAGE))

    assert (
        "E-mail is sent from <code>Reports &lt;reports@example.org&gt;</code> through "
        "<code>mail.example.org:587</code>, encrypted with STARTTLS."
    ) in body
    assert "a-mail-password" not in body and "reports-sender" not in body
