"""The outbox against the real server: `python app.py` with its dispatcher
thread, a real webhook receiver (http.server) and a real SMTP server
(aiosmtpd) on this machine, and the `webhook`, `trash` and `mail` commands
run as an operator runs them. Every delivery is verified with the official
`standardwebhooks` package, as a receiver would."""

import ipaddress
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest
from standardwebhooks.webhooks import Webhook

from reports.examples import CREATE_EXAMPLE

from peers import MAIL_FROM, Receiver, answered_2xx, free_port, mail_environment, smtp_inbox
from serving import REPORTS, Server, server_env

# A failed delivery is tried again a second later, eight times.
QUICK_RETRIES = "[1, 1, 1, 1, 1, 1, 1, 1]"
# The seconds any one thing the tests wait for may take.
WAIT = 10
PUBLIC_URL = "http://reports.example.org"
COMMENT = "Say which participants need a referral, and to whom."
OTHER_MENTOR = "usr_mentor_007"


def flask(database, *args, **settings):
    """`flask --app reports ARGS` as an operator runs it, on `database`."""
    [result] = flask_at_once(database, [args], **settings)
    return result


def flask_at_once(database, commands, **settings):
    """Several `flask --app reports` commands run side by side (each takes a
    second or two to start); their CompletedProcess, in order."""
    env = server_env(database, **settings)
    started = [
        (
            args,
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "reports", *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for args in commands
    ]
    results = []
    for args, process in started:
        stdout, stderr = process.communicate(timeout=30)
        results.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
    return results


def add_webhook(server, url):
    """`webhook add URL --allow-private` (the receivers are on 127.0.0.1): its secret."""
    added = flask(server.database, "webhook", "add", url, "--allow-private")
    assert added.returncode == 0, added.stderr
    return added.stdout.strip()


def verified(receiver, secret):
    """Each delivery the receiver answered with a 2xx, oldest first, as
    (its webhook-id, its payload as standardwebhooks verified it)."""
    webhook = Webhook(secret)
    return [
        (webhook_id(delivery), webhook.verify(delivery["body"], delivery["headers"]))
        for delivery in receiver.deliveries
        if answered_2xx(delivery)
    ]


def webhook_id(delivery):
    return {name.lower(): value for name, value in delivery["headers"].items()}["webhook-id"]


def told(payloads):
    """What each payload tells: (its type, its report)."""
    return [(payload["type"], payload["data"]["report_id"]) for payload in payloads]


def ok(answer, status=200):
    assert answer.status == status, answer
    return answer.json


def one_value(database, query, parameters=()):
    with closing(sqlite3.connect(database, timeout=5)) as connection:
        return connection.execute(query, parameters).fetchone()[0]


def wait_until(condition, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


@pytest.fixture
def server(tmp_path):
    """The real server, whose failed deliveries are tried again a second later."""
    with Server(tmp_path, REPORTS_RETRY_SCHEDULE=QUICK_RETRIES) as started:
        yield started


# Webhooks ------------------------------------------------------------------------


def test_every_change_of_a_report_is_delivered_signed_with_the_report_as_the_api_answers(
    server, receiver
):
    secret = add_webhook(server, receiver.url)
    created = server.request("POST", REPORTS, CREATE_EXAMPLE)
    report_id = ok(created, 201)["report_id"]
    path = created.headers["Location"]
    expected = [("report.created", ok(server.request("GET", path)))]
    ok(server.request("PUT", path, {"fields": {"attendance_count": 7}}))
    expected.append(("report.updated", ok(server.request("GET", path))))
    ok(server.request("PUT", path, {"status": "submitted"}))
    expected.append(("report.submitted", ok(server.request("GET", path))))
    review = {"review_state": "has_issues", "comment": COMMENT}
    ok(server.request("PUT", f"{path}/review", review))
    reviewed = ok(server.request("GET", path))
    review_answer = ok(server.request("GET", f"{path}/review"))
    expected.append(("report.reviewed", {**reviewed, "review": review_answer}))
    ok(server.request("DELETE", path))
    expected.append(("report.deleted", reviewed))
    restored = ok(server.request("POST", f"{path}/restore"))
    expected.append(("report.restored", restored))
    ok(server.request("DELETE", path))
    expected.append(("report.deleted", restored))
    # Every event is delivered before the purge, which leaves only the id in the outbox.
    assert receiver.wait_for(len(expected), WAIT), receiver.deliveries

    # The report was deleted two days ago, as far as the trash knows, and a day is kept.
    with closing(sqlite3.connect(server.database, timeout=5)) as connection, connection:
        connection.execute(
            "UPDATE report_trash SET deleted_at = strftime('%Y-%m-%dT%H:%M:%SZ', deleted_at, "
            "'-2 days')"
        )
    purged = flask(server.database, "trash", "purge", REPORTS_TRASH_DAYS="1")
    assert purged.returncode == 0 and "Purged 1 report" in purged.stdout, purged.stderr
    expected.append(("report.purged", {"report_id": report_id}))
    assert receiver.wait_for(len(expected), WAIT), receiver.deliveries

    deliveries = verified(receiver, secret)
    assert [(payload["type"], payload["data"]) for _, payload in deliveries] == expected
    for _, payload in deliveries:
        assert list(payload) == ["type", "timestamp", "data"]
    times = [payload["timestamp"] for _, payload in deliveries]
    assert times == sorted(times)
    for _, payload in deliveries:
        if payload["type"] not in ("report.deleted", "report.purged"):
            assert payload["timestamp"] == payload["data"]["updated_at"]
    assert len({message_id for message_id, _ in deliveries}) == len(expected)


def test_the_events_come_in_the_order_of_the_changes_to_each_endpoint(server):
    steady, shaky = Receiver(), Receiver(answers=[503])
    try:
        secrets = [add_webhook(server, steady.url), add_webhook(server, shaky.url)]
        first = ok(server.request("POST", REPORTS, CREATE_EXAMPLE), 201)["report_id"]
        other = {**CREATE_EXAMPLE, "peer_mentor_id": OTHER_MENTOR, "status": "submitted"}
        second = ok(server.request("POST", REPORTS, other), 201)["report_id"]
        changed = {"fields": {"attendance_count": 9}, "status": "submitted"}
        ok(server.request("PUT", f"{REPORTS}/{first}", changed))
        ok(server.request("PUT", f"{REPORTS}/{second}/review", {"review_state": "approved"}))
        ok(server.request("DELETE", f"{REPORTS}/{first}"))
        ok(server.request("PUT", f"{REPORTS}/{second}", {"fields": {"attendance_count": 3}}))
        ok(server.request("POST", f"{REPORTS}/{first}/restore"))
        changes = [
            ("report.created", first),
            ("report.created", second),
            ("report.submitted", second),
            ("report.updated", first),
            ("report.submitted", first),
            ("report.reviewed", second),
            ("report.deleted", first),
            ("report.updated", second),
            ("report.restored", first),
        ]

        for receiver, secret in zip((steady, shaky), secrets, strict=True):
            assert receiver.wait_for(len(changes), WAIT), receiver.deliveries
            assert told(payload for _, payload in verified(receiver, secret)) == changes
        assert [delivery["status"] for delivery in shaky.deliveries] == [503] + [200] * 9
    finally:
        steady.stop()
        shaky.stop()


def test_a_receiver_that_answers_503_then_200_gets_two_tries_with_one_webhook_id(server):
    receiver = Receiver(answers=[503])
    try:
        secret = add_webhook(server, receiver.url)
        ok(server.request("POST", REPORTS, CREATE_EXAMPLE), 201)

        assert receiver.wait_for(1, WAIT), receiver.deliveries
        tries = receiver.deliveries
        assert [each["status"] for each in tries] == [503, 200]
        assert webhook_id(tries[0]) == webhook_id(tries[1])
        payloads = [Webhook(secret).verify(each["body"], each["headers"]) for each in tries]
        assert payloads[0] == payloads[1] and payloads[0]["type"] == "report.created"
        # The second try waited for the schedule's first span, a second.
        stamps = [int(each["headers"]["webhook-timestamp"]) for each in tries]
        assert stamps[1] - stamps[0] >= 1
    finally:
        receiver.stop()


def test_a_change_made_before_a_kill_9_is_delivered_after_the_restart(server):
    port = free_port()  # where the receiver listens only once the server was killed
    secret = add_webhook(server, f"http://127.0.0.1:{port}/hooks")
    report_id = ok(server.request("POST", REPORTS, CREATE_EXAMPLE), 201)["report_id"]
    server.kill()
    receiver = Receiver(port=port)
    try:
        server.start()

        assert receiver.wait_for(1, WAIT), server.output()
        [(message_id, payload)] = verified(receiver, secret)
        assert told([payload]) == [("report.created", report_id)]
        written = one_value(
            server.database, "SELECT message_id FROM event WHERE type = ?", ("report.created",)
        )
        assert message_id == written
    finally:
        receiver.stop()


def test_a_delivery_cut_by_a_kill_9_is_made_again_with_the_same_webhook_id(server, receiver):
    secret = add_webhook(server, receiver.url)
    receiver.held.clear()  # the receiver takes the delivery, and does not answer yet
    report_id = ok(server.request("POST", REPORTS, CREATE_EXAMPLE), 201)["report_id"]
    assert receiver.wait_for_arrivals(1, WAIT)
    server.kill()
    receiver.held.set()
    server.start()

    assert receiver.wait_for_arrivals(2, WAIT), server.output()
    assert receiver.wait_for(2, WAIT)
    first, again = receiver.deliveries
    assert webhook_id(first) == webhook_id(again)
    payloads = [Webhook(secret).verify(each["body"], each["headers"]) for each in (first, again)]
    assert told(payloads) == [("report.created", report_id)] * 2


def test_a_receiver_down_for_a_while_gets_everything_in_order_when_it_is_back(server):
    receiver = Receiver()
    secret = add_webhook(server, receiver.url)
    receiver.stop()  # its port is closed now
    first = ok(server.request("POST", REPORTS, CREATE_EXAMPLE), 201)["report_id"]
    second = ok(server.request("POST", REPORTS, CREATE_EXAMPLE), 201)["report_id"]
    ok(server.request("PUT", f"{REPORTS}/{first}", {"status": "submitted"}))
    ok(server.request("DELETE", f"{REPORTS}/{second}"))
    changes = [
        ("report.created", first),
        ("report.created", second),
        ("report.submitted", first),
        ("report.deleted", second),
    ]
    wait_until(
        lambda: one_value(server.database, "SELECT failures FROM webhook") >= 2,
        "two tries while the receiver is down",
    )
    back = Receiver(port=receiver.port)
    try:
        assert back.wait_for(len(changes), WAIT), server.output()
        deliveries = verified(back, secret)
        assert told(payload for _, payload in deliveries) == changes
        assert len({message_id for message_id, _ in deliveries}) == len(changes)
    finally:
        back.stop()


def test_two_servers_on_one_database_never_deliver_one_event_twice_at_once(tmp_path, receiver):
    database = tmp_path / "reports.sqlite"
    folders = [tmp_path / "first", tmp_path / "second"]
    for folder in folders:
        folder.mkdir()
    with (
        Server(folders[0], database, REPORTS_RETRY_SCHEDULE=QUICK_RETRIES) as first,
        Server(folders[1], database, REPORTS_RETRY_SCHEDULE=QUICK_RETRIES) as second,
    ):
        secret = add_webhook(first, receiver.url)
        receiver.held.clear()  # the first delivery waits for its answer
        reports = [
            ok(server.request("POST", REPORTS, CREATE_EXAMPLE), 201)["report_id"]
            for server in (first, second) * 4
        ]
        assert receiver.wait_for_arrivals(1, WAIT)
        time.sleep(1)  # four rounds of each dispatcher
        assert len(receiver.deliveries) == 1, "another delivery while the first is under way"
        receiver.held.set()
        assert receiver.wait_for(len(reports), WAIT)
        last = one_value(database, "SELECT max(event_id) FROM event")
        wait_until(
            lambda: one_value(database, "SELECT delivered_up_to FROM webhook") == last,
            "the webhook marked as having every event",
        )
        time.sleep(0.5)  # a second delivery of any event would be here by now

    deliveries = verified(receiver, secret)
    assert told(payload for _, payload in deliveries) == [
        ("report.created", report_id) for report_id in reports
    ]
    ids = [message_id for message_id, _ in deliveries]
    assert len(set(ids)) == len(ids) == len(receiver.deliveries)


def test_a_webhook_on_this_machine_on_a_private_network_or_not_http_is_refused(tmp_path):
    database = tmp_path / "reports.sqlite"
    assert flask(database, "init-db").returncode == 0
    urls = [
        f"http://127.0.0.1:{free_port()}/x",
        "http://localhost/hooks",
        "http://10.0.0.1/",
        "ftp://example.org/hooks",
        "http://2130706433/hooks",  # 127.0.0.1 in disguise
        f"http://{name_of_this_machine()}/hooks",
    ]

    results = flask_at_once(database, [("webhook", "add", url) for url in urls])

    for url, result in zip(urls, results, strict=True):
        assert result.returncode == 1, (url, result)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("Error: ") and result.stdout == "", (url, result)
        assert "Traceback" not in result.stderr
    assert "resolves to 127.0.0.1, a loopback or private address" in results[0].stderr
    assert "Only an http or https URL is taken" in results[3].stderr
    assert one_value(database, "SELECT count(*) FROM webhook") == 0


def name_of_this_machine():
    """A name that resolves to a loopback address: this machine's own, if it
    does, else LOCALHOST (found in /etc/hosts whatever its case)."""
    name = socket.gethostname()
    try:
        found = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return "LOCALHOST"
    loopback = all(ipaddress.ip_address(info[4][0]).is_loopback for info in found)
    return name if loopback else "LOCALHOST"


# E-mail --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inbox():
    """A real SMTP server for the module's tests, which share one e-mailing server."""
    with smtp_inbox() as received:
        yield received


class Mailing:
    """A server that e-mails, and its people: the coordinators carla and cora
    (with addresses) and colin (without), the mentor mona (with a token) and
    the mentor omar. Its tests share it: each looks at the e-mail that came
    after it began (`new_mail`)."""

    def __init__(self, server, inbox, tokens):
        self.server = server
        self.inbox = inbox
        self.tokens = tokens
        self.seen = 0

    def request(self, whom, method, path, body=None):
        """A request with the token of `whom`."""
        headers = {"Authorization": f"Bearer {self.tokens[whom]}"}
        return self.server.request(method, path, body, headers)

    def submitted_by_mona(self):
        body = {**CREATE_EXAMPLE, "status": "submitted"}
        return ok(self.request("mona", "POST", REPORTS, body), 201)["report_id"]

    def wait_until_mailed(self):
        """Wait until the dispatcher has made the e-mail of every event and sent it all."""
        wait_until(
            lambda: one_value(
                self.server.database,
                "SELECT (SELECT event_id FROM mail_cursor) "
                "    IS (SELECT coalesce(max(event_id), 0) FROM event) "
                "   AND NOT EXISTS (SELECT 1 FROM mail)",
            ),
            "every e-mail sent",
        )

    def new_mail(self):
        """Once the e-mail waiting is sent: what came since the last call, as
        (recipients, message), sorted by recipient."""
        self.wait_until_mailed()
        seen, self.seen = self.seen, len(self.inbox.messages)
        return sorted(self.inbox.messages[seen:], key=lambda each: each[0])


@pytest.fixture(scope="module")
def mailing(tmp_path_factory, inbox):
    """The real server, e-mailing through `inbox`, with its people, for every
    test of the e-mail it sends."""
    folder = tmp_path_factory.mktemp("mailing")
    with Server(
        folder, REPORTS_RETRY_SCHEDULE=QUICK_RETRIES, **mail_environment(inbox.port, PUBLIC_URL)
    ) as server:
        carla, mona = flask_at_once(
            server.database,
            [
                ("token", "create", "--name", "carla", "--role", "coordinator",
                 "--email", "carla@example.org"),
                ("token", "create", "--name", "mona", "--role", "mentor",
                 "--mentor", CREATE_EXAMPLE["peer_mentor_id"], "--email", "mona@example.org"),
            ],
        )  # fmt: skip
        assert carla.returncode == mona.returncode == 0, (carla.stderr, mona.stderr)
        tokens = {"carla": carla.stdout.strip(), "mona": mona.stdout.strip()}
        mailing = Mailing(server, inbox, tokens)
        for person in (
            {"name": "cora", "role": "coordinator", "email": "cora@example.org"},
            {"name": "colin", "role": "coordinator"},
            {"name": "omar", "role": "mentor", "peer_mentor_id": OTHER_MENTOR,
             "email": "omar@example.org"},
        ):  # fmt: skip
            ok(mailing.request("carla", "POST", "/api/v1/people", person), 201)
        yield mailing


def parts(message):
    """The plain-text and the HTML part of an e-mail."""
    return [message.get_body((kind,)).get_content() for kind in ("plain", "html")]


COORDINATORS = [["carla@example.org"], ["cora@example.org"]]


def test_a_report_submitted_is_emailed_to_each_coordinator_with_an_address(mailing):
    mailing.new_mail()
    report_id = mailing.submitted_by_mona()

    mail = mailing.new_mail()

    assert [recipients for recipients, _ in mail] == COORDINATORS
    link = f"{PUBLIC_URL}/reports/{report_id}"
    for _, message in mail:
        assert message["From"] == MAIL_FROM
        assert message["Subject"].startswith("Report submitted by mona")
        assert message["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/notifications/")
        for part in parts(message):
            assert link in part


def test_a_review_with_issues_is_emailed_to_the_report_s_mentor_alone(mailing):
    report_id = mailing.submitted_by_mona()
    others = {**CREATE_EXAMPLE, "peer_mentor_id": OTHER_MENTOR, "status": "submitted"}
    ok(mailing.request("carla", "POST", REPORTS, others), 201)
    mailing.new_mail()

    review = {"review_state": "has_issues", "comment": COMMENT}
    ok(mailing.request("carla", "PUT", f"{REPORTS}/{report_id}/review", review))

    [(recipients, message)] = mailing.new_mail()
    assert recipients == ["mona@example.org"]
    assert message["Subject"].endswith("has issues")
    for part in parts(message):
        assert COMMENT in part
        assert f"{PUBLIC_URL}/reports/{report_id}" in part
    assert mailing.inbox.to("omar@example.org") == []


def test_a_coordinator_who_turned_email_off_gets_none(mailing):
    cleo = {"name": "cleo", "role": "coordinator", "email": "cleo@example.org"}
    person_id = ok(mailing.request("carla", "POST", "/api/v1/people", cleo), 201)["person_id"]
    off = mailing.request("carla", "PUT", f"/api/v1/people/{person_id}", {"notify": "off"})
    assert ok(off)["notify"] == "off"
    mailing.new_mail()

    mailing.submitted_by_mona()

    assert [recipients for recipients, _ in mailing.new_mail()] == COORDINATORS
    assert mailing.inbox.to("cleo@example.org") == []


def test_an_email_the_smtp_server_refuses_for_a_while_is_sent_once_it_takes_it(mailing):
    mailing.new_mail()
    mailing.inbox.refusing = True
    try:
        mailing.submitted_by_mona()
        wait_until(
            lambda: (
                one_value(mailing.server.database, "SELECT count(*) FROM mail WHERE failures > 0")
                == len(COORDINATORS)
            ),
            "each e-mail refused once",
        )
    finally:
        mailing.inbox.refusing = False

    assert [recipients for recipients, _ in mailing.new_mail()] == COORDINATORS


def test_mail_test_sends_one_email_and_says_so(tmp_path, inbox):
    before = len(inbox.messages)
    result = flask(
        tmp_path / "reports.sqlite",
        "mail",
        "test",
        "ana@example.org",
        **mail_environment(inbox.port, PUBLIC_URL),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Sent a test e-mail to ana@example.org through 127.0.0.1:{inbox.port} (none).\n"
    )
    [(recipients, message)] = inbox.messages[before:]
    assert recipients == ["ana@example.org"] and message["From"] == MAIL_FROM


def test_mail_test_with_no_smtp_server_there_fails_in_one_line(tmp_path):
    port = free_port()
    result = flask(
        tmp_path / "reports.sqlite",
        "mail",
        "test",
        "ana@example.org",
        **mail_environment(port, PUBLIC_URL),
    )

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: Could not send through 127.0.0.1:{port} (none): ")
    assert result.stdout == ""
