"""Signing in to the pages: with a token pasted into /login, or with a one-time
link from `flask --app reports token link`; the session cookie, its key, and
how revoking a token ends its sessions."""

import os
import re
import sqlite3
import stat

import pytest

from reports import auth, create_app, db
from reports.config import ConfigError

from conftest import CONTRACT_REPORT, revoke_token
from web_helpers import csrf_token, secret_of, sign_in, signed_in_as, text

MENTOR = CONTRACT_REPORT["peer_mentor_id"]
LINK = re.compile(r"^http://127\.0\.0\.1:8080/login/([A-Za-z0-9_-]{43})$", re.MULTILINE)


def session_cookie(response):
    return next(
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    )


# Signing in with a token ------------------------------------------------------


def test_the_login_page_is_a_labelled_form_with_a_csrf_token(client, tokens):
    page = client.get("/login")

    assert page.status_code == 200 and page.mimetype == "text/html"
    body = text(page)
    assert '<label for="token">Your token</label>' in body
    assert 'aria-describedby="token-hint"' in body
    assert re.search(r'name="csrf_token" value="[^"]+"', body)


@pytest.mark.parametrize(
    ("role", "start"),
    [("coordinator", "/"), ("viewer", "/reports"), ("mentor", "/reports/mine")],
)
def test_a_good_token_signs_in_and_leads_to_the_role_s_start_page(app, tokens, role, start):
    client = app.test_client()

    signed_in = sign_in(client, secret_of(tokens[role]))

    assert signed_in.headers["Location"] == "/"
    cookie = session_cookie(signed_in)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    home = client.get("/")
    # A coordinator's start page is "/" itself, the review queue; the others are sent on.
    assert home.headers.get("Location", "/") == start
    page = client.get(start)
    assert page.status_code == 200
    assert "Signed in as" in text(page) and {
        "coordinator": "carla",
        "viewer": "victor",
        "mentor": "mona",
    }[role] in text(page)


def test_the_session_holds_the_token_s_name_not_its_secret(app, client, tokens):
    sign_in(client, secret_of(tokens["mentor"]))

    assert signed_in_as(client) == "mona"
    assert secret_of(tokens["mentor"]) not in client.get_cookie("session").value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("psr_" + "x" * 43, "This token is not one in force"),
        ("", "Enter your token"),
        ("   ", "Enter your token"),
    ],
)
def test_a_bad_token_is_refused_next_to_the_field_with_what_was_typed(
    client, tokens, typed, message
):
    refused = client.post("/login", data={"token": typed, "csrf_token": csrf_token(client)})

    assert refused.status_code == 400
    body = text(refused)
    assert '<div class="error-summary"' in body and '<a href="#token">' + message in body
    assert 'id="token-error"' in body and 'aria-describedby="token-hint token-error"' in body
    assert f'value="{typed}"' in body
    assert body.index('id="token-error"') < body.index('<input id="token"')
    assert client.get("/").headers["Location"] == "/login"


def test_a_revoked_token_does_not_sign_in(app, client, tokens):
    with app.app_context():
        revoke_token("carla")

    refused = client.post(
        "/login", data={"token": secret_of(tokens["coordinator"]), "csrf_token": csrf_token(client)}
    )

    assert refused.status_code == 400
    assert "not one in force" in text(refused)
    assert signed_in_as(client) is None


def test_revoking_a_token_ends_its_sessions_at_the_next_request(app, client, tokens):
    sign_in(client, secret_of(tokens["coordinator"]))
    assert client.get("/reports").status_code == 200

    with app.app_context():
        revoke_token("carla")
    ended = client.get("/reports")

    assert ended.status_code == 302 and ended.headers["Location"] == "/login"
    assert "its token was revoked" in text(client.get("/login"))
    assert signed_in_as(client) is None


def test_signing_out_ends_the_session(client, tokens):
    sign_in(client, secret_of(tokens["viewer"]))

    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/reports")})

    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert "Signed out." in text(client.get("/login"))
    assert client.get("/reports").headers["Location"] == "/login"


def test_signing_out_without_the_csrf_token_is_refused(client, tokens):
    sign_in(client, secret_of(tokens["viewer"]))

    refused = client.post("/logout")

    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert client.get("/reports").status_code == 200


def test_with_secure_cookies_the_session_cookie_is_secure(database, tokens):
    app = create_app({"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "SECURE_COOKIES": 1})
    client = app.test_client()

    signed_in = sign_in(client, secret_of(tokens["coordinator"]))

    assert "Secure" in session_cookie(signed_in)


# Signing in with a link ---------------------------------------------------------


def link_secret(runner, *args):
    """The secret of the sign-in link a token command prints."""
    result = runner.invoke(args=["token", *args])
    assert result.exit_code == 0, result.output
    return LINK.search(result.stdout).group(1)


def test_token_create_with_link_prints_the_secret_then_a_link(runner, app):
    result = runner.invoke(
        args=["token", "create", "--name", "mona", "--role", "mentor", "--mentor", MENTOR, "--link"]
    )

    assert result.exit_code == 0, result.output
    secret, link = result.stdout.splitlines()
    assert secret.startswith("psr_")
    assert LINK.fullmatch(link)
    assert "works once, for 15 minutes" in result.stderr


def test_the_link_signs_in_once(app, runner, tokens):
    secret = link_secret(runner, "link", "mona")
    client = app.test_client()

    page = client.get(f"/login/{secret}")
    again = client.get(f"/login/{secret}")  # a link preview uses nothing up
    assert page.status_code == again.status_code == 200
    assert "<button" in text(page) and 'method="post"' in text(page)
    assert signed_in_as(client) is None

    used = client.post(
        f"/login/{secret}", data={"csrf_token": csrf_token(client, f"/login/{secret}")}
    )
    assert used.status_code == 302 and used.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/reports/mine"

    other = app.test_client()
    token = csrf_token(other)
    assert other.post(f"/login/{secret}", data={"csrf_token": token}).status_code == 400
    assert other.get(f"/login/{secret}").status_code == 400
    assert "does not work" in text(other.get(f"/login/{secret}"))
    assert other.get("/").headers["Location"] == "/login"


def test_the_link_asks_to_keep_the_session_ticked_and_keeps_it_only_if_ticked(app, runner, tokens):
    for keep, kept in (({"keep": "yes"}, True), ({}, False)):
        secret = link_secret(runner, "link", "mona")
        client = app.test_client()
        page = text(client.get(f"/login/{secret}"))
        box = re.search(r'<input type="checkbox" id="keep" name="keep" value="yes"[^>]*>', page)
        assert box is not None and "checked" in box.group(0)

        used = client.post(
            f"/login/{secret}", data={"csrf_token": csrf_token(client, f"/login/{secret}"), **keep}
        )

        assert used.status_code == 302 and signed_in_as(client) == "mona"
        assert ("Max-Age=2592000" in session_cookie(used)) is kept


def test_a_link_expires_after_link_minutes(app, runner, tokens, clock):
    early, late = link_secret(runner, "link", "carla"), link_secret(runner, "link", "carla")
    client = app.test_client()
    token = csrf_token(client)

    clock.advance(minutes=14, seconds=59)
    assert client.post(f"/login/{early}", data={"csrf_token": token}).status_code == 302
    clock.advance(seconds=1)
    assert client.get(f"/login/{late}").status_code == 400
    assert app.test_client().post(f"/login/{late}", data={"csrf_token": token}).status_code == 400


def test_link_minutes_sets_how_long_a_link_works(database, tokens, clock):
    app = create_app({"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "LINK_MINUTES": 2})
    secret = link_secret(app.test_cli_runner(), "link", "carla")

    clock.advance(minutes=2)

    assert app.test_client().get(f"/login/{secret}").status_code == 400


def test_the_link_of_a_revoked_token_does_not_sign_in(app, runner, tokens):
    secret = link_secret(runner, "link", "victor")
    with app.app_context():
        revoke_token("victor")
    client = app.test_client()

    assert client.get(f"/login/{secret}").status_code == 400
    assert (
        client.post(f"/login/{secret}", data={"csrf_token": csrf_token(client)}).status_code == 400
    )
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    ("name", "message"), [("nobody", "No token is named"), ("old", "is revoked")]
)
def test_no_link_for_an_unknown_or_revoked_token(app, runner, tokens, name, message):
    with app.app_context():
        auth.create_token("old", "viewer")
        revoke_token("old")

    result = runner.invoke(args=["token", "link", name])

    assert result.exit_code == 1 and message in result.output


def test_an_unknown_link_is_refused(client, tokens):
    assert client.get("/login/" + "x" * 43).status_code == 400
    assert (
        client.post("/login/" + "x" * 43, data={"csrf_token": csrf_token(client)}).status_code
        == 400
    )


def test_only_a_hash_of_the_link_is_stored(runner, database, tokens):
    secret = link_secret(runner, "link", "carla")

    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("SELECT * FROM sign_in_link").fetchall()
    finally:
        connection.close()
    assert len(rows) == 1 and rows[0][0] == auth.hash_secret(secret)
    assert secret not in repr(rows)


def test_a_link_is_at_public_url_when_it_is_set(database, tokens):
    app = create_app({"DATABASE": database, "PUBLIC_URL": "https://reports.example.org/"})

    result = app.test_cli_runner().invoke(args=["token", "link", "carla"])

    assert re.fullmatch(r"https://reports\.example\.org/login/[A-Za-z0-9_-]{43}\n", result.stdout)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PUBLIC_URL", "reports.example.org"),
        ("PUBLIC_URL", "https://x.org/?a=1"),
        ("SECURE_COOKIES", 2),
        ("LINK_MINUTES", 0),
        ("SECRET_KEY", "short"),
    ],
)
def test_a_bad_sign_in_setting_stops_the_start(database, setting, value):
    with pytest.raises(ConfigError, match=setting):
        create_app({"DATABASE": database, setting: value})


# The key that signs the session -------------------------------------------------


def test_without_secret_key_one_is_made_in_the_instance_folder_0600_and_reused(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    database = str(tmp_path / "reports.sqlite")
    db.init_db(database)
    first = create_app({"DATABASE": database})
    assert first.test_client().get("/api/v1/reports").status_code == 200
    assert not (tmp_path / "instance").exists()  # the API needs no key

    client = first.test_client()
    with first.app_context():
        secret = auth.create_token("carla", "coordinator")
    sign_in(client, secret)

    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key = key_file.read_text()
    assert len(key) == 64

    # A restart reads the same key: the browser stays signed in.
    second = create_app({"DATABASE": database})
    restarted = second.test_client()
    restarted.set_cookie("session", client.get_cookie("session").value)
    assert restarted.get("/reports").status_code == 200
    assert key_file.read_text() == key == second.secret_key


def test_a_configured_secret_key_makes_no_file(tmp_path, monkeypatch, tokens, database):
    monkeypatch.chdir(tmp_path)
    app = create_app({"DATABASE": database, "SECRET_KEY": "a-configured-secret-key"})

    sign_in(app.test_client(), secret_of(tokens["coordinator"]))

    assert not (tmp_path / "instance").exists()


def test_the_purge_forgets_expired_links_and_keeps_the_others(app, runner, database, tokens, clock):
    link_secret(runner, "link", "carla")
    clock.advance(minutes=10)
    fresh = link_secret(runner, "link", "carla")
    clock.advance(minutes=6)

    assert runner.invoke(args=["trash", "purge"]).exit_code == 0

    connection = sqlite3.connect(database)
    try:
        kept = [row[0] for row in connection.execute("SELECT secret_hash FROM sign_in_link")]
    finally:
        connection.close()
    assert kept == [auth.hash_secret(fresh)]


# Too many wrong tokens ----------------------------------------------------------

WRONG_SECRET = "psr_" + "x" * 43
# What a wrong token is answered at each place, while under the limit.
WRONG_STATUS = {"login": 400, "link": 400, "api": 401}


@pytest.fixture
def limited(database, tokens):
    """An app that allows 3 wrong tokens a minute; its client does not check
    the API's answers against the OpenAPI document."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE": database,
            "SECRET_KEY": "a-test-secret-key",
            "SIGN_IN_FAILURES": 3,
            "SIGN_IN_WINDOW_SECONDS": 60,
        }
    )


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_wrong(client, place):
    if place == "login":
        return client.post("/login", data={"token": WRONG_SECRET, "csrf_token": csrf_token(client)})
    if place == "link":
        return client.get("/login/" + "x" * 43)
    return client.get("/api/v1/reports", headers={"Authorization": f"Bearer {WRONG_SECRET}"})


def try_right(app, client, place, tokens):
    if place == "login":
        secret = secret_of(tokens["viewer"])
        return client.post("/login", data={"token": secret, "csrf_token": csrf_token(client)})
    if place == "link":
        secret = link_secret(app.test_cli_runner(), "link", "victor")
        return client.post(f"/login/{secret}", data={"csrf_token": csrf_token(client)})
    return client.get("/api/v1/reports", headers=tokens["viewer"])


def assert_throttled(response, place, retry_after):
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(retry_after)
    if place == "api":
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 429 and response.json["title"] == "Too Many Requests"
        assert "Too many wrong tokens" in response.json["detail"]
        return
    assert response.mimetype == "text/html"
    body = text(response)
    assert "Too many wrong tokens" in body and WRONG_SECRET not in body.split("value=")[0]
    if place == "login":
        assert 'id="token-error"' in body and '<a href="#token">Too many wrong tokens' in body


@pytest.mark.parametrize("place", ["login", "link", "api"])
def test_one_wrong_token_over_the_limit_is_a_429_with_retry_after(limited, tokens, clock, place):
    client = from_address(limited, "192.0.2.7")
    for _ in range(3):
        assert try_wrong(client, place).status_code == WRONG_STATUS[place]

    assert_throttled(try_wrong(client, place), place, 60)
    clock.advance(seconds=59)
    assert_throttled(try_wrong(client, place), place, 1)
    clock.advance(seconds=1)
    assert try_wrong(client, place).status_code == WRONG_STATUS[place]


@pytest.mark.parametrize("place", ["login", "link", "api"])
def test_a_right_token_is_never_slowed_by_the_limit(limited, tokens, clock, place):
    client = from_address(limited, "192.0.2.7")
    for _ in range(4):
        try_wrong(client, place)
    assert try_wrong(client, place).status_code == 429

    right = try_right(limited, client, place, tokens)

    assert right.status_code == (200 if place == "api" else 302)


@pytest.mark.parametrize("place", ["login", "link", "api"])
def test_another_address_is_not_throttled(limited, tokens, clock, place):
    throttled = from_address(limited, "192.0.2.7")
    for _ in range(4):
        try_wrong(throttled, place)

    for address in ("192.0.2.8", "2001:db8:1::1"):
        assert try_wrong(from_address(limited, address), place).status_code == WRONG_STATUS[place]


def test_an_ipv6_client_is_counted_by_its_64_bit_prefix(limited, tokens, clock):
    for number in range(3):
        try_wrong(from_address(limited, f"2001:db8:1:2::{number + 1}"), "api")

    assert try_wrong(from_address(limited, "2001:db8:1:2:ffff::9"), "api").status_code == 429
    assert try_wrong(from_address(limited, "2001:db8:1:3::1"), "api").status_code == 401


@pytest.mark.parametrize("place", ["login", "link"])
def test_the_pages_count_wrong_tokens_per_session_too(limited, tokens, clock, place):
    client = limited.test_client()
    for number in range(3):
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 1}"
        assert try_wrong(client, place).status_code == 400

    client.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    assert_throttled(try_wrong(client, place), place, 60)
    assert try_wrong(from_address(limited, "192.0.2.99"), place).status_code == 400


def test_what_is_no_wrong_token_is_not_counted(limited, tokens, clock):
    client = from_address(limited, "192.0.2.7")
    for _ in range(5):
        assert (
            client.post("/login", data={"token": " ", "csrf_token": csrf_token(client)}).status_code
            == 400
        )
        assert client.get("/api/v1/reports").status_code == 401
        assert (
            client.post("/login", data={"token": WRONG_SECRET}).status_code == 400
        )  # no CSRF token
        assert try_right(limited, client, "api", tokens).status_code == 200

    assert try_wrong(client, "api").status_code == 401


def test_each_wrong_token_is_logged_once_without_its_secret(limited, tokens, clock, caplog):
    client = from_address(limited, "192.0.2.7")
    link = "y" * 43
    try_wrong(client, "login")
    client.get(f"/login/{link}")
    try_wrong(client, "api")
    for _ in range(5):
        try_wrong(client, "api")

    lines = [record.getMessage() for record in caplog.records if "sign-in" in record.getMessage()]
    assert len(lines) == 4, lines
    assert "/login" in lines[0] and "192.0.2.7" in lines[0]
    assert "sign-in link" in lines[1] and "API" in lines[2]
    assert "limit" in lines[3]
    assert all(WRONG_SECRET not in line and link not in line for line in lines)
    assert WRONG_SECRET not in caplog.text and link not in caplog.text


def test_an_open_api_serves_a_wrong_token_as_before_uncounted(database, clock):
    db.init_db(database)
    app = create_app({"DATABASE": database, "SIGN_IN_FAILURES": 1})
    client = app.test_client()

    answers = [try_wrong(client, "api").status_code for _ in range(3)]

    assert answers == [200, 200, 200]


@pytest.mark.parametrize(
    ("setting", "value"),
    [("SIGN_IN_FAILURES", 0), ("SIGN_IN_FAILURES", "10"), ("SIGN_IN_WINDOW_SECONDS", 0)],
)
def test_a_bad_throttle_setting_stops_the_start(database, setting, value):
    with pytest.raises(ConfigError, match=setting):
        create_app({"DATABASE": database, setting: value})
