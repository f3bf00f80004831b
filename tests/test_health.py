"""The health check, GET /healthz: 200 while the database can be read and
written, a 503 with Retry-After when it cannot, and it needs no token."""

from reports import db

REPORTS = "/api/v1/reports"


def test_healthz_answers_ok_and_leaves_nothing_behind(client, make_report, snapshot):
    make_report()
    before = snapshot()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert snapshot() == before


def test_healthz_needs_no_token(client, tokens):
    assert client.get(REPORTS).status_code == 401
    assert client.get("/healthz").status_code == 200


def test_healthz_is_a_503_when_the_database_cannot_be_written(app, client):
    writer = db.GroupCommit.for_database(app.config["DATABASE"]).connection
    writer.execute("PRAGMA query_only = ON")
    try:
        response = client.get("/healthz")
    finally:
        writer.execute("PRAGMA query_only = OFF")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200
