import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from exporting import AWKWARD, REPORTS

from reports import auth, create_app, db, dispatcher, service
from reports.cli import OPERATOR
from reports.examples import CREATE_EXAMPLE

import browser
from conformance import ConformingClient
from peers import mail_settings, smtp_inbox
from serving import Server
from web_helpers import secret_of, sign_in

# The contract's own POST example.
CONTRACT_REPORT = CREATE_EXAMPLE


@pytest.fixture
def database(tmp_path):
    return str(tmp_path / "reports.sqlite")


def app_with(database, **settings):
    """An app on a new database at `database`, with `settings` over the tests' own."""
    app = create_app(
        {"TESTING": True, "DATABASE": database, "SECRET_KEY": "a-test-secret-key", **settings}
    )
    db.init_db(database)
    return app


def mailing_app(database, port, **settings):
    """An app that e-mails through the SMTP server on `port` (tests/peers.py),
    its dispatcher ready to make e-mail of what happens from now on."""
    app = app_with(database, **{**mail_settings(port), **settings})
    dispatcher.prepare(app)
    return app


@pytest.fixture
def app(database):
    app = app_with(database)
    # Every response a test sees through `client` must match the OpenAPI document.
    app.test_client_class = ConformingClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def inbox():
    """A real SMTP server (aiosmtpd) on 127.0.0.1, and what it receives (tests/peers.py)."""
    with smtp_inbox() as received:
        yield received


# A youth club's own report form: a field of every kind (tests/catalogues/).
YOUTH_CLUB = str(Path(__file__).parent / "catalogues" / "youth_club.toml")
# A report of the youth club's form that can be submitted.
CLUB_REPORT = {
    "activity_id": "act_club",
    "peer_mentor_id": "usr_mentor_042",
    "org_id": "org_youth",
    "fields": {
        "held_on": "2026-03-20",
        "theme": "Cooking night",
        "young_people": 14,
        "activities": ["cooking", "music"],
        "mood": "lively",
        "snack_cost": "23.50",
        "incident": False,
        "next_steps": "Ask the parents about the trip",
        "notes": "Two new members came.",
    },
}


def started_with_catalogue(database, path):
    """The app with the catalogue at `path`, started on `database` as a start
    does; its test client checks every answer against the OpenAPI document."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "a-test-secret-key",
            "CATALOGUE": path,
        }
    )
    db.init_db(database, form=app.extensions["catalogue"])
    app.test_client_class = ConformingClient
    return app


@pytest.fixture
def club_app(database):
    """The app with the youth club's catalogue, on a database made for it."""
    return started_with_catalogue(database, YOUTH_CLUB)


@pytest.fixture
def club_client(club_app):
    return club_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def tokens(app):
    """Authorization headers of a coordinator (carla), a viewer (victor) and the
    contract report's mentor (mona); once they exist, every request needs one."""
    with app.app_context():
        secrets = {
            "coordinator": auth.create_token("carla", "coordinator"),
            "viewer": auth.create_token("victor", "viewer"),
            "mentor": auth.create_token("mona", "mentor", CONTRACT_REPORT["peer_mentor_id"]),
        }
    return {role: {"Authorization": f"Bearer {secret}"} for role, secret in secrets.items()}


def delete_every_report_in_the_file(database):
    """DELETE FROM report, straight into the database file, not through the service."""
    connection = sqlite3.connect(database)
    db.add_functions(connection)  # the search index's triggers use them
    with connection:
        connection.execute("DELETE FROM report")
    connection.close()


@pytest.fixture
def make_report(client):
    """Create a report through the API and return its full JSON; `overrides`
    replace top-level keys, `fields` is merged into the contract's fields."""

    def make(fields=None, **overrides):
        body = {**CONTRACT_REPORT, **overrides}
        body["fields"] = {**CONTRACT_REPORT["fields"], **(fields or {})}
        created = client.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.json
        return client.get(created.headers["Location"]).json

    return make


def rows_in(database, *queries):
    """What each query reads from the database file, through a connection of its own."""
    db = sqlite3.connect(database)
    try:
        return [db.execute(query).fetchall() for query in queries]
    finally:
        db.close()


def revoke_token(name):
    """In an app context: revoke the token `name`, as `flask --app reports token revoke` does."""
    return service.revoke_token(name, caller=OPERATOR)


@pytest.fixture
def snapshot(database):
    """Everything stored, so a test can check that a refused request changed nothing."""
    return lambda: rows_in(database, "SELECT * FROM report ORDER BY seq")[0]


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now):
        self.now = now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Freeze the service's clock at the contract's creation time, 2026-03-20T14:10:00Z."""
    frozen = Clock(datetime(2026, 3, 20, 14, 10, tzinfo=UTC))
    monkeypatch.setattr("reports.clock.now", lambda: frozen.now)
    return frozen


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """A database of serving.SEEDED_REPORTS reports, made once; tests serve a copy."""
    from serving import seed

    database = tmp_path_factory.mktemp("seeded") / "reports.sqlite"
    seed(database)
    return database


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless Chromium for a test module, with a fresh profile; skipped with
    the reason (failed under CI=true) where it or axe-core is not installed. Not
    for the whole run: an idle browser would still take CPU from the timing tests."""
    missing = browser.missing_parts()
    if missing:
        browser.skip_or_fail(f"{', '.join(missing)} not found")
    driver = browser.start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture
def live_server(tmp_path):
    """The real `python app.py` on a free port, with a new database of the test's own."""
    with Server(tmp_path) as server:
        yield server


@pytest.fixture
def web(chromium, live_server, tmp_path):
    """The browser, signed out, on the test's own server; it checks every page it is
    asked to with axe-core and keeps its screenshots in the test's tmp_path/screenshots."""
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return browser.Browser(chromium, live_server, tmp_path / "screenshots")


def pytest_terminal_summary(terminalreporter):
    """Say it at the end of the run too, where it cannot be missed, when the browser
    tests were skipped."""
    for reason in browser.skipped_because:
        terminalreporter.section("BROWSER TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.line(reason, red=True, bold=True)


# The pages' tests ----------------------------------------------------------------


@pytest.fixture
def new_report(client, tokens):
    """Create a report through the API as the coordinator; returns its id."""

    def create(peer_mentor_id=CONTRACT_REPORT["peer_mentor_id"], status="draft", **fields):
        body = {**CONTRACT_REPORT, "peer_mentor_id": peer_mentor_id, "status": status}
        body["fields"] = {**CONTRACT_REPORT["fields"], **fields}
        created = client.post("/api/v1/reports", json=body, headers=tokens["coordinator"])
        assert created.status_code == 201, created.json
        return created.json["report_id"]

    return create


@pytest.fixture
def review(client, tokens):
    def put(report_id, review_state, comment=""):
        reviewed = client.put(
            f"/api/v1/reports/{report_id}/review",
            json={"review_state": review_state, "comment": comment},
            headers=tokens["coordinator"],
        )
        assert reviewed.status_code == 200, reviewed.json

    return put


@pytest.fixture
def browsers(app, tokens):
    """A test client signed in as each role, and one with no session."""
    clients = {"none": app.test_client()}
    for role in ("coordinator", "viewer", "mentor"):
        clients[role] = app.test_client()
        sign_in(clients[role], secret_of(tokens[role]))
    return clients


@pytest.fixture
def awkward_reports(client):
    """One report per awkward text, in every free-text field, the last submitted."""
    ids = []
    for number, text in enumerate(AWKWARD):
        fields = {
            **CONTRACT_REPORT["fields"],
            "session_topic": f"Topic {number} {text}",
            "challenges_noted": text,
            "mentor_notes": text,
            "way_forward": text,
            "follow_up_needed": number % 2 == 0,
            "duration_minutes": 30 + number,
        }
        created = client.post(REPORTS, json={**CONTRACT_REPORT, "fields": fields})
        assert created.status_code == 201, created.json
        ids.append(created.json["report_id"])
    client.put(f"{REPORTS}/{ids[-1]}", json={"status": "submitted"})
    return ids


@pytest.fixture
def reviewed(client, awkward_reports):
    """The submitted one of the awkward reports, reviewed with an awkward comment."""
    review = {"review_state": "has_issues", "comment": '=cmd|" /C calc"!A0, and "more"'}
    assert client.put(f"{REPORTS}/{awkward_reports[-1]}/review", json=review).status_code == 200
    return awkward_reports[-1]


@pytest.fixture
def second_app(tmp_path):
    """Another instance with its own empty database, to import into."""
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "second.sqlite")})
    db.init_db(app.config["DATABASE"])
    return app
