"""Webhooks by the Standard Webhooks specification (reports/webhooks.py,
reports/service/webhooks.py): added and managed with `flask webhook ...`,
each delivery signed and verified here with the official `standardwebhooks`
package, in order per endpoint, retried on RETRY_SCHEDULE with one
webhook-id, and an endpoint failing after the last retry until resumed."""

import base64
import json
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from reports import dispatcher, service, webhooks
from reports.cli import OPERATOR

from conftest import CONTRACT_REPORT, app_with, mailing_app
from peers import Receiver, free_port

REPORTS = "/api/v1/reports"


@pytest.fixture
def app(database):
    return app_with(database, RETRY_SCHEDULE=[1, 1])


@pytest.fixture
def receiver():
    receiving = Receiver()
    yield receiving
    receiving.stop()


def add(runner, url, *options):
    """`webhook add`; returns its result and the secret it printed."""
    result = runner.invoke(args=["webhook", "add", url, "--allow-private", *options])
    return result, result.stdout.strip()


def deliver(app):
    dispatcher.run_until_idle(app)


def retry_now(app, database):
    """Make the waiting retries due now, as if their time had come."""
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE webhook SET next_attempt_at = '2000-01-01T00:00:00Z'")


# Adding, listing, removing -----------------------------------------------------------


def test_adding_prints_the_signing_secret_once_on_stdout(runner, receiver):
    result, secret = add(runner, receiver.url)

    assert result.exit_code == 0
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+=*", secret)
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert "Added webhook 1" in result.stderr and secret not in result.stderr
    listed = runner.invoke(args=["webhook", "list"])
    assert receiver.url in listed.output and secret not in listed.output


def test_list_remove_and_a_webhook_that_is_not_there(runner, receiver):
    add(runner, receiver.url, "--event", "report.submitted")

    listed = runner.invoke(args=["webhook", "list"]).output
    removed = runner.invoke(args=["webhook", "remove", receiver.url])
    again = runner.invoke(args=["webhook", "remove", "1"])

    assert "report.submitted" in listed and "active" in listed
    assert removed.exit_code == 0 and "Removed webhook 1" in removed.output
    assert (
        again.exit_code == 1 and again.output == "Error: No webhook 1: `webhook list` shows them.\n"
    )
    assert "No webhooks." in runner.invoke(args=["webhook", "list"]).output


def test_an_unknown_event_type_and_a_url_twice_are_refused(runner, receiver):
    add(runner, receiver.url)

    twice, _ = add(runner, receiver.url)
    unknown = runner.invoke(args=["webhook", "add", receiver.url + "2", "--event", "report.eaten"])

    assert twice.exit_code == 1 and "is a webhook already" in twice.output
    assert unknown.exit_code == 2 and "report.eaten" in unknown.output


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",
        "http://localhost/hooks",
        "http://10.0.0.1/hooks",
        "http://192.168.1.20/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_a_url_of_this_machine_or_a_private_network_is_refused(runner, url):
    result = runner.invoke(args=["webhook", "add", url])

    assert result.exit_code == 1
    assert "a loopback or private address: refused, unless" in result.output
    assert "--allow-private" in result.output and "Traceback" not in result.output
    assert "No webhooks." in runner.invoke(args=["webhook", "list"]).output


@pytest.mark.parametrize(
    "url", ["ftp://example.org/hooks", "file:///etc/passwd", "example.org/hooks", "http://"]
)
def test_only_an_http_or_https_url_is_taken(runner, url):
    result = runner.invoke(args=["webhook", "add", url, "--allow-private"])

    assert result.exit_code == 1 and "Only an http or https URL is taken" in result.output


def test_a_delivery_checks_the_address_again(app, client, runner, receiver, database):
    add(runner, receiver.url)
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE webhook SET allow_private = 0")
    client.post(REPORTS, json=CONTRACT_REPORT)

    deliver(app)

    assert receiver.deliveries == []
    with app.app_context():
        [attempt] = service.webhook_deliveries(caller=OPERATOR)
    assert attempt["status"] is None and "private address" in attempt["error"]


# Deliveries ----------------------------------------------------------------------------


def test_each_delivery_is_signed_as_standard_webhooks_says(app, client, runner, receiver):
    _, secret = add(runner, receiver.url)
    report = client.post(REPORTS, json={**CONTRACT_REPORT, "status": "submitted"}).json

    deliver(app)

    verifier = Webhook(secret)
    payloads = [verifier.verify(each["body"], each["headers"]) for each in receiver.deliveries]
    assert [payload["type"] for payload in payloads] == ["report.created", "report.submitted"]
    answered = client.get(f"{REPORTS}/{report['report_id']}").json
    assert payloads[1]["data"] == answered
    assert payloads[0]["timestamp"] == answered["created_at"]
    headers = receiver.deliveries[0]["headers"]
    assert headers["content-type"] == "application/json"
    assert re.fullmatch(r"msg_[0-9a-f]{24}", headers["webhook-id"])
    assert headers["webhook-signature"].startswith("v1,")


def test_a_signature_made_with_another_secret_does_not_verify(app, client, runner, receiver):
    add(runner, receiver.url)
    client.post(REPORTS, json=CONTRACT_REPORT)

    deliver(app)

    other = Webhook(webhooks.new_secret())
    with pytest.raises(Exception, match="No matching signature found"):
        other.verify(receiver.deliveries[0]["body"], receiver.deliveries[0]["headers"])


def test_a_webhook_gets_only_the_events_after_it_was_added(app, client, runner, receiver):
    client.post(REPORTS, json=CONTRACT_REPORT)
    add(runner, receiver.url)
    client.post(REPORTS, json={**CONTRACT_REPORT, "activity_id": "act_later"})

    deliver(app)

    [payload] = receiver.payloads()
    assert payload["data"]["activity_id"] == "act_later"


def test_a_webhook_gets_only_the_types_it_asked_for(app, client, runner, receiver):
    add(runner, receiver.url, "--event", "report.submitted", "--event", "report.reviewed")
    report = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
    client.put(f"{REPORTS}/{report}", json={"status": "submitted"})
    client.put(f"{REPORTS}/{report}/review", json={"review_state": "rejected", "comment": "No."})
    client.delete(f"{REPORTS}/{report}")

    deliver(app)

    payloads = receiver.payloads()
    assert [each["type"] for each in payloads] == ["report.submitted", "report.reviewed"]
    assert payloads[1]["data"]["review"]["comment"] == "No."


def test_a_503_then_a_200_is_two_tries_of_one_webhook_id(app, database, client, runner):
    receiver = Receiver(answers=[503])
    try:
        add(runner, receiver.url)
        client.post(REPORTS, json=CONTRACT_REPORT)
        client.post(REPORTS, json=CONTRACT_REPORT)

        deliver(app)
        assert [each["status"] for each in receiver.deliveries] == [503]
        retry_now(app, database)
        deliver(app)
    finally:
        receiver.stop()

    first, again, second = receiver.deliveries
    assert [first["status"], again["status"], second["status"]] == [503, 200, 200]
    assert first["headers"]["webhook-id"] == again["headers"]["webhook-id"]
    assert first["body"] == again["body"]
    assert second["headers"]["webhook-id"] != first["headers"]["webhook-id"]


def test_an_event_waits_for_the_one_before_it(app, database, client, runner):
    receiver = Receiver(answers=[500])
    try:
        add(runner, receiver.url)
        for activity in ("act_1", "act_2", "act_3"):
            client.post(REPORTS, json={**CONTRACT_REPORT, "activity_id": activity})

        deliver(app)
        assert len(receiver.deliveries) == 1  # the rest wait their turn
        retry_now(app, database)
        deliver(app)
    finally:
        receiver.stop()

    assert [each["data"]["activity_id"] for each in receiver.payloads()] == [
        "act_1",
        "act_2",
        "act_3",
    ]


def test_a_delivery_after_a_retry_starts_the_schedule_afresh(app, database, client, runner):
    receiver = Receiver(answers=[500, 200, 500])
    try:
        add(runner, receiver.url)
        client.post(REPORTS, json=CONTRACT_REPORT)
        client.post(REPORTS, json=CONTRACT_REPORT)
        deliver(app)
        retry_now(app, database)

        deliver(app)  # the first event, at its retry; then the second fails once
    finally:
        receiver.stop()

    assert [each["status"] for each in receiver.deliveries] == [500, 200, 500]
    with app.app_context():
        [webhook] = service.all_webhooks(caller=OPERATOR)
    assert (webhook["state"], webhook["failures"]) == ("active", 1)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(app, client, runner):
    receiver = Receiver(answers=[302])
    try:
        add(runner, receiver.url)
        client.post(REPORTS, json=CONTRACT_REPORT)

        deliver(app)
    finally:
        receiver.stop()

    assert [each["status"] for each in receiver.deliveries] == [302]
    with app.app_context():
        [webhook] = service.all_webhooks(caller=OPERATOR)
    assert webhook["failures"] == 1 and webhook["next_attempt_at"] is not None


def test_after_the_last_retry_the_webhook_is_failing_until_resumed(
    app, database, client, runner, caplog
):
    receiver = Receiver(answers=[500, 500, 500])
    try:
        _, secret = add(runner, receiver.url)
        client.post(REPORTS, json=CONTRACT_REPORT)
        for _ in range(3):  # the first try, and the two retries of RETRY_SCHEDULE
            retry_now(app, database)
            deliver(app)
        client.post(REPORTS, json=CONTRACT_REPORT)
        deliver(app)
        failing = runner.invoke(args=["webhook", "list"]).output
        assert len(receiver.deliveries) == 3

        resumed = runner.invoke(args=["webhook", "retry", "1"])
        deliver(app)
    finally:
        receiver.stop()

    assert "failing" in failing
    assert resumed.exit_code == 0
    assert [each["type"] for each in receiver.payloads()] == ["report.created", "report.created"]
    assert "is failing after 3 tries: HTTP 500" in caplog.text
    assert secret not in caplog.text


def test_a_failing_webhook_is_emailed_to_the_coordinators(database, client, tokens, inbox):
    receiver = Receiver(answers=[500, 500])
    try:
        app = mailing_app(database, inbox.port, RETRY_SCHEDULE=[1])
        with app.app_context():
            people = service.list_people(caller=OPERATOR)
            [carla] = [each for each in people if each["name"] == "carla"]
            service.update_person(
                carla["person_id"], {"email": "carla@example.org"}, caller=OPERATOR
            )
            service.add_webhook(receiver.url, allow_private=True, caller=OPERATOR)
        dispatcher.prepare(app)
        app.test_client().post(REPORTS, json=CONTRACT_REPORT, headers=tokens["coordinator"])
        deliver(app)
        retry_now(app, database)
        deliver(app)
    finally:
        receiver.stop()

    [message] = inbox.to("carla@example.org")
    assert message["Subject"] == f"A webhook is failing: {receiver.url}"
    text = message.get_body(("plain",)).get_content()
    assert "HTTP 500" in text and "webhook retry 1" in text
    assert "https://reports.example.org/integrations" in text


# Testing an endpoint, and its deliveries -------------------------------------------------


def test_webhook_test_posts_a_signed_webhook_test_event(runner, receiver):
    _, secret = add(runner, receiver.url)

    result = runner.invoke(args=["webhook", "test", receiver.url])

    assert result.exit_code == 0 and f"{receiver.url} answered 200 in" in result.output
    [delivery] = receiver.deliveries
    payload = Webhook(secret).verify(delivery["body"], delivery["headers"])
    assert payload["type"] == "webhook.test" and payload["data"] == {}


def test_webhook_test_of_an_endpoint_that_does_not_answer_fails_in_one_line(runner):
    receiver = Receiver()
    url = receiver.url
    receiver.stop()  # nothing listens there now
    add(runner, url)

    result = runner.invoke(args=["webhook", "test", "1"])

    assert result.exit_code == 1
    assert result.output.startswith(f"Error: The test event did not reach {url}: ")
    assert result.output.count("\n") == 1


def test_deliveries_lists_the_last_attempts_newest_first(app, client, runner):
    receiver = Receiver(answers=[503])
    try:
        add(runner, receiver.url)
        client.post(REPORTS, json=CONTRACT_REPORT)
        deliver(app)
        runner.invoke(args=["webhook", "test", "1"])
    finally:
        receiver.stop()

    lines = runner.invoke(args=["webhook", "deliveries", "1"]).output.splitlines()
    assert lines[0].split() == ["WHEN", "WEBHOOK", "EVENT", "TYPE", "STATUS", "MS"]
    assert lines[1].split()[3:5] == ["webhook.test", "200"]
    assert lines[2].split()[3:5] == ["report.created", "503"]


def test_the_secret_is_never_logged(app, client, runner, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    _, secret = add(runner, receiver.url)
    client.post(REPORTS, json=CONTRACT_REPORT)
    deliver(app)
    runner.invoke(args=["webhook", "test", "1"])
    runner.invoke(args=["webhook", "deliveries"])

    assert secret not in caplog.text
    assert secret.removeprefix("whsec_") not in caplog.text
    assert json.dumps(secret) not in caplog.text


# The receiver docs/integrations.md shows ----------------------------------------------


def receiver_of_the_docs():
    page = (Path(__file__).parent.parent / "docs" / "integrations.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    return code


def test_the_receiver_the_docs_show_verifies_a_delivery_and_refuses_a_forgery(
    app, client, runner, tmp_path
):
    port = free_port()
    _, secret = add(runner, f"http://127.0.0.1:{port}/hooks")
    script = tmp_path / "receiver.py"
    script.write_text(receiver_of_the_docs(), encoding="utf-8")
    environment = {**os.environ, "WEBHOOK_SECRET": secret, "PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, str(script)], env=environment, stdout=subprocess.PIPE, text=True
    )
    try:
        wait_until_listening(port)
        report = client.post(REPORTS, json=CONTRACT_REPORT).json["report_id"]
        deliver(app)
        forged = webhooks.post(
            f"http://127.0.0.1:{port}/hooks",
            webhooks.new_secret(),
            "msg_forged",
            b'{"type":"report.deleted","timestamp":"2026-01-01T00:00:00Z","data":{}}',
            allow_private=True,
        )
    finally:
        process.terminate()
        printed, _ = process.communicate(timeout=10)

    assert printed.splitlines() == [f"report.created {report}"]
    assert forged == 401
    with app.app_context():
        [attempt] = service.webhook_deliveries(caller=OPERATOR)
    assert attempt["status"] == 204


def wait_until_listening(port, seconds=10):
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.05)


# The dispatcher's thread ---------------------------------------------------------------


def test_an_endpoint_that_hangs_delays_no_other(app, client, runner):
    hanging, other = Receiver(), Receiver()
    hanging.held.clear()  # it takes the request and answers only when let go
    stopped = threading.Event()
    try:
        add(runner, hanging.url)
        add(runner, other.url)
        dispatcher.start(app, stopped)
        client.post(REPORTS, json=CONTRACT_REPORT)
        assert hanging.wait_for_arrivals(1, timeout=10)

        client.post(REPORTS, json=CONTRACT_REPORT)

        assert other.wait_for(2, timeout=5)
        assert len(hanging.deliveries) == 1
    finally:
        dispatcher.stop(app, stopped)
        hanging.stop()
        other.stop()


@pytest.mark.parametrize("webhook", ["99999999999999999999999", "١", "1.5", "0"])
def test_a_webhook_that_is_not_there_is_said_in_one_line_whatever_is_typed(runner, webhook):
    for command in ("remove", "retry", "test", "deliveries"):
        result = runner.invoke(args=["webhook", command, webhook])

        assert result.exit_code == 1, (command, result.output)
        assert result.output == f"Error: No webhook {webhook}: `webhook list` shows them.\n"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://example.org/a b", "may not hold a space or a control character"),
        ("http://example.org/\nHost: evil", "may not hold a space or a control character"),
        ("https://example.org/" + "a" * 2000, "longer than 2000 characters"),
    ],
)
def test_a_url_no_request_can_carry_is_refused(runner, url, said):
    result = runner.invoke(args=["webhook", "add", url, "--allow-private"])

    assert result.exit_code == 1 and said in result.output
    assert "Traceback" not in result.output
