import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from reports import auth, create_app, db
from reports.openapi import CREATE_EXAMPLE

from conformance import ConformingClient

# The contract's own POST example.
CONTRACT_REPORT = CREATE_EXAMPLE


@pytest.fixture
def database(tmp_path):
    return str(tmp_path / "reports.sqlite")


@pytest.fixture
def app(database):
    app = create_app({"TESTING": True, "DATABASE": database, "SECRET_KEY": "a-test-secret-key"})
    db.init_db(database)
    # Every response a test sees through `client` must match the OpenAPI document.
    app.test_client_class = ConformingClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


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


@pytest.fixture
def snapshot(database):
    """Everything stored, so a test can check that a refused request changed nothing."""

    def take():
        db = sqlite3.connect(database)
        try:
            return db.execute("SELECT * FROM report ORDER BY seq").fetchall()
        finally:
            db.close()

    return take


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
