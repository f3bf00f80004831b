"""The browser's session: a record on the server, named by a random id that is
all the cookie holds. It ends at sign-out, after SESSION_IDLE_MINUTES without
use, SESSION_MAX_HOURS after sign-in, and with its token; a copy of the cookie
ends with it."""

import base64
import binascii
import re
import sqlite3
import zlib

import pytest

from reports import auth, create_app, db
from reports.config import ConfigError

from conformance import ConformingClient
from conftest import CONTRACT_REPORT, revoke_token
from web_helpers import csrf_token, secret_of, sign_in, text

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]


def stored_sessions(database):
    """Every session record in the database file, as dicts."""
    connection = sqlite3.connect(database)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute("SELECT * FROM web_session")]
    finally:
        connection.close()


def cookie_of(client):
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


def with_cookie(app, value):
    """A new browser that holds a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def signed_in(client, start="/reports"):
    return client.get(start).status_code == 200


def decoded_parts(value):
    """Every text that a part of a cookie's value could decode to: as it is, as
    base64, and base64 of zlib (as Flask's signed cookie writes a long session)."""
    texts = [value]
    for part in value.split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        texts.append(raw.decode("latin-1"))
        try:
            texts.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            pass
    return texts


def report_count(database):
    connection = sqlite3.connect(database)
    try:
        return connection.execute("SELECT count(*) FROM report").fetchone()[0]
    finally:
        connection.close()


# Signing out ends the session, copies of its cookie too ------------------------------


def test_a_cookie_copied_before_signing_out_reads_and_writes_nothing_after(
    app, client, tokens, database
):
    sign_in(client, secret_of(tokens["mentor"]))
    assert "My reports" in text(client.get("/reports/mine"))
    copied = cookie_of(client)
    form = csrf_token(client, "/reports/new")

    client.post("/logout", data={"csrf_token": csrf_token(client, "/reports/mine")})

    thief = with_cookie(app, copied)
    mine = thief.get("/reports/mine")
    assert mine.status_code == 302 and mine.headers["Location"] == "/login"
    assert "My reports" not in text(thief.get("/login"))
    posted = thief.post(
        "/reports/new",
        data={"csrf_token": form, "activity_id": "act_1", "org_id": "org_1", "action": "draft"},
    )
    assert posted.status_code in (302, 400)
    assert posted.headers.get("Location", "/login") == "/login"
    assert report_count(database) == 0
    # Only the next page's "Signed out." is left, in a session of no token.
    assert [row["token_name"] for row in stored_sessions(database)] == [None]


def test_signing_out_deletes_the_record_at_once(client, tokens, database):
    sign_in(client, secret_of(tokens["viewer"]))
    [record] = stored_sessions(database)
    assert record["token_name"] == "victor"

    client.post("/logout", data={"csrf_token": csrf_token(client, "/reports")})

    # What is left is the next page's "Signed out." until it is shown.
    assert [row["token_name"] for row in stored_sessions(database)] == [None]
    assert "Signed out." in text(client.get("/login"))
    assert stored_sessions(database) == []


def test_signing_in_gives_a_new_session_id(app, client, tokens):
    """No fixation: an id planted in a browser before sign-in is never signed in."""
    csrf_token(client)
    planted = cookie_of(client)
    assert planted is not None

    sign_in(client, secret_of(tokens["coordinator"]))

    assert cookie_of(client) != planted
    assert signed_in(client)
    assert not signed_in(with_cookie(app, planted))


def test_signing_in_again_ends_the_session_before(app, client, tokens, database):
    sign_in(client, secret_of(tokens["coordinator"]))
    before = cookie_of(client)

    sign_in(client, secret_of(tokens["viewer"]))

    assert not signed_in(with_cookie(app, before))
    assert [row["token_name"] for row in stored_sessions(database)] == ["victor"]


# The cookie holds the id, and the server the rest ---------------------------------------


def test_the_cookie_holds_nothing_but_the_session_id(app, client, tokens, new_report, database):
    title = "Tenancy rights ZQXJ"
    report_id = new_report(session_topic=title)
    sign_in(client, secret_of(tokens["coordinator"]))
    client.get("/reports")
    value = cookie_of(client)

    deleted = client.post(
        f"/reports/{report_id}/delete",
        data={"csrf_token": csrf_token(client, f"/reports/{report_id}/delete")},
    )

    assert deleted.status_code == 303
    # The message that names the report is kept on the server, not in the cookie.
    assert cookie_of(client) == value
    assert all("Set-Cookie" not in header for header in deleted.headers.keys())
    for decoded in decoded_parts(value):
        assert "ZQXJ" not in decoded and "trash" not in decoded and "csrf" not in decoded
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+", value)
    assert "ZQXJ" in text(client.get("/reports"))


def test_only_a_hash_of_the_id_is_stored(client, tokens, database):
    sign_in(client, secret_of(tokens["mentor"]))
    session_id = cookie_of(client).split(".")[0]

    [record] = stored_sessions(database)

    assert record["id_hash"] == auth.hash_secret(session_id)
    assert session_id not in repr(record)


def test_a_cookie_whose_signature_is_wrong_is_no_session(app, client, tokens):
    sign_in(client, secret_of(tokens["coordinator"]))
    session_id, signature = cookie_of(client).split(".")
    forged = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")

    assert not signed_in(with_cookie(app, f"{session_id}.{forged}"))
    assert not signed_in(with_cookie(app, session_id))
    assert signed_in(client)


def test_another_secret_key_signs_every_browser_out(app, client, tokens, database):
    sign_in(client, secret_of(tokens["coordinator"]))

    rekeyed = create_app({"DATABASE": database, "SECRET_KEY": "another-test-secret-key"})

    assert not signed_in(with_cookie(rekeyed, cookie_of(client)))


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_when_asked(database, tokens):
    for secure in (0, 1):
        app = create_app(
            {"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "SECURE_COOKIES": secure}
        )
        client = app.test_client()
        signed = sign_in(client, secret_of(tokens["coordinator"]))
        [cookie] = [
            value for value in signed.headers.getlist("Set-Cookie") if value.startswith("session=")
        ]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) == bool(secure)
        assert "Expires" not in cookie  # it ends with the browser, if not before


# Anonymous visitors cost no record ------------------------------------------------------


def test_anonymous_visits_and_wrong_tokens_store_nothing(app, tokens, database):
    for _ in range(20):
        visitor = app.test_client()
        assert visitor.get("/login").status_code == 200
        assert visitor.get("/").status_code == 302
        visitor.post("/login", data={"token": "psr_wrong", "csrf_token": csrf_token(visitor)})
        visitor.post("/logout", data={"csrf_token": csrf_token(visitor)})

    assert stored_sessions(database) == []


def test_the_login_form_s_csrf_token_works_without_a_record(app, tokens, database):
    visitor = app.test_client()
    token = csrf_token(visitor)
    assert stored_sessions(database) == []

    sign_in_answer = visitor.post(
        "/login", data={"token": secret_of(tokens["viewer"]), "csrf_token": token}
    )

    assert sign_in_answer.status_code == 302
    assert signed_in(visitor)


def test_a_form_opened_before_signing_in_again_is_refused(client, tokens):
    sign_in(client, secret_of(tokens["coordinator"]))
    old_form = csrf_token(client, "/reports/new")
    sign_in(client, secret_of(tokens["coordinator"]))

    refused = client.post("/reports/new", data={"csrf_token": old_form, "action": "draft"})

    assert refused.status_code == 400 and "This form has expired" in text(refused)


# Timeouts ---------------------------------------------------------------------------


def test_a_session_ends_after_session_idle_minutes_without_use(app, client, tokens, clock):
    sign_in(client, secret_of(tokens["coordinator"]))

    for _ in range(3):
        clock.advance(minutes=119)
        assert signed_in(client)
    clock.advance(minutes=120)

    ended = client.get("/reports")
    assert ended.status_code == 302 and ended.headers["Location"] == "/login"
    assert "after 120 minutes without use" in text(client.get("/login"))
    assert not signed_in(client)


def test_a_session_ends_session_max_hours_after_sign_in_however_used(
    app, client, tokens, clock, database
):
    sign_in(client, secret_of(tokens["mentor"]))
    copied = cookie_of(client)

    for _ in range(11):
        clock.advance(hours=1)
        assert signed_in(client, "/reports/mine")
    clock.advance(minutes=59, seconds=59)
    assert signed_in(client, "/reports/mine")
    clock.advance(seconds=1)

    assert client.get("/reports/mine").headers["Location"] == "/login"
    assert "a sign-in lasts 12 hours" in text(client.get("/login"))
    assert not signed_in(with_cookie(app, copied), "/reports/mine")
    assert stored_sessions(database) == []


def test_the_timeouts_are_settings(database, tokens, clock):
    app = create_app(
        {
            "DATABASE": database,
            "SECRET_KEY": "a-test-secret-key",
            "SESSION_IDLE_MINUTES": 5,
            "SESSION_MAX_HOURS": 1,
        }
    )
    idle, busy = app.test_client(), app.test_client()
    sign_in(idle, secret_of(tokens["viewer"]))
    sign_in(busy, secret_of(tokens["viewer"]))

    clock.advance(minutes=4)
    assert signed_in(busy)
    clock.advance(minutes=1)
    assert not signed_in(idle)
    for _ in range(18):
        clock.advance(minutes=3)
        assert signed_in(busy)
    clock.advance(minutes=1)

    assert not signed_in(busy)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SESSION_IDLE_MINUTES", 0),
        ("SESSION_IDLE_MINUTES", "60"),
        ("SESSION_MAX_HOURS", 0),
        ("SESSION_MAX_HOURS", 24 * 366 + 1),
    ],
)
def test_a_bad_session_setting_stops_the_start(database, setting, value):
    with pytest.raises(ConfigError, match=setting):
        create_app({"DATABASE": database, setting: value})


def test_a_page_view_notes_its_use_at_most_once_a_minute(
    client, tokens, clock, database, monkeypatch
):
    sign_in(client, secret_of(tokens["coordinator"]))
    assert "Signed in as" in text(client.get("/reports"))
    [signed] = stored_sessions(database)
    writes = []
    submit = db.writer.submit
    monkeypatch.setattr(db.writer, "submit", lambda work: writes.append(work) or submit(work))

    clock.advance(seconds=30)
    for _ in range(5):
        assert signed_in(client)
    assert writes == []
    assert stored_sessions(database) == [signed]

    clock.advance(seconds=31)
    assert signed_in(client)
    assert signed_in(client)
    assert len(writes) == 1
    [touched] = stored_sessions(database)
    assert touched["seen_at"] == "2026-03-20T14:11:01Z"
    assert touched["idle_until"] == "2026-03-20T16:11:01Z"
    assert touched["ends_at"] == signed["ends_at"] == "2026-03-21T02:10:00Z"


def test_the_purge_forgets_ended_sessions_and_keeps_the_others(
    app, runner, tokens, clock, database
):
    old, fresh = app.test_client(), app.test_client()
    sign_in(old, secret_of(tokens["coordinator"]))
    clock.advance(minutes=100)
    sign_in(fresh, secret_of(tokens["viewer"]))
    clock.advance(minutes=20)

    assert runner.invoke(args=["trash", "purge"]).exit_code == 0

    assert [row["token_name"] for row in stored_sessions(database)] == ["victor"]
    assert signed_in(fresh) and not signed_in(old)


# Kept on this device -------------------------------------------------------------------


def sign_in_kept(client, secret, **extra):
    form = {"token": secret, "csrf_token": csrf_token(client), "keep": "yes"}
    answer = client.post("/login", data=form, **extra)
    assert answer.status_code == 302, text(answer)
    return answer


def session_cookies(response):
    return [
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    ]


def max_age(cookie):
    found = re.search(r"Max-Age=(\d+)", cookie)
    return None if found is None else int(found.group(1))


def test_the_login_form_asks_to_keep_the_session_unticked(client, tokens):
    page = text(client.get("/login"))

    assert re.search(r'<input type="checkbox" id="keep" name="keep" value="yes"[^>]*>', page)
    assert '<label for="keep">Keep me signed in on this device</label>' in page
    assert "checked" not in re.search(r'<input type="checkbox" id="keep"[^>]*>', page).group(0)
    assert "For 30 days after your last visit" in page


def test_a_kept_session_outlives_the_idle_and_the_max_timeouts_while_visited(
    app, client, tokens, clock, database
):
    sign_in_kept(client, secret_of(tokens["coordinator"]))
    [record] = stored_sessions(database)
    assert record["idle_until"] == "2026-04-19T14:10:00Z"

    for _ in range(10):
        clock.advance(days=29, hours=23)
        assert signed_in(client)

    # Almost ten months on, the record's end is still the last visit's, 30 days on.
    [touched] = stored_sessions(database)
    assert touched["seen_at"] == "2027-01-14T04:10:00Z"
    assert touched["idle_until"] == "2027-02-13T04:10:00Z"


def test_a_kept_session_ends_after_30_days_without_a_visit(app, client, tokens, clock, database):
    sign_in_kept(client, secret_of(tokens["mentor"]))
    copied = cookie_of(client)
    clock.advance(days=10)
    assert signed_in(client, "/reports/mine")

    clock.advance(days=30)

    assert client.get("/reports/mine").headers["Location"] == "/login"
    assert "after 30 days without use" in text(client.get("/login"))
    assert not signed_in(with_cookie(app, copied), "/reports/mine")
    assert stored_sessions(database) == []


def test_each_visit_moves_the_end_of_a_kept_session(client, tokens, clock, database):
    sign_in_kept(client, secret_of(tokens["viewer"]))
    clock.advance(days=20)
    assert signed_in(client)
    [record] = stored_sessions(database)
    assert record["seen_at"] == "2026-04-09T14:10:00Z"
    assert record["idle_until"] == "2026-05-09T14:10:00Z"

    clock.advance(days=29)
    assert signed_in(client)
    clock.advance(days=29)
    assert signed_in(client)


def test_the_kept_session_s_length_is_a_setting(database, tokens, clock):
    app = create_app(
        {"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "SESSION_KEPT_DAYS": 2}
    )
    client = app.test_client()
    signed = sign_in_kept(client, secret_of(tokens["viewer"]))
    assert [max_age(cookie) for cookie in session_cookies(signed)] == [2 * 86400]

    clock.advance(days=1, hours=23)
    assert signed_in(client)
    clock.advance(days=2)

    assert not signed_in(client)
    assert "after 2 days without use" in text(client.get("/login"))


def test_only_a_kept_session_s_cookie_has_a_max_age_renewed_on_each_page(
    app, client, tokens, clock
):
    unkept = app.test_client()
    plain = sign_in(unkept, secret_of(tokens["viewer"]))
    assert [max_age(cookie) for cookie in session_cookies(plain)] == [None]
    assert all("Expires" not in cookie for cookie in session_cookies(plain))
    assert session_cookies(unkept.get("/reports")) == []

    kept = sign_in_kept(client, secret_of(tokens["viewer"]))
    [cookie] = session_cookies(kept)
    assert max_age(cookie) == 30 * 86400 and "Expires=" in cookie
    value = cookie_of(client)

    clock.advance(days=3)
    [again] = session_cookies(client.get("/reports"))
    assert max_age(again) == 30 * 86400
    assert again.startswith(f"session={value};")
    # A file of the pages' own opens no session and sets no cookie.
    with client.get("/static/style.css") as style:
        assert style.status_code == 200 and session_cookies(style) == []


def test_signing_out_ends_a_kept_session_and_its_copies(app, client, tokens, database):
    sign_in_kept(client, secret_of(tokens["coordinator"]))
    copied = cookie_of(client)

    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/reports")})

    assert out.headers["Location"] == "/login"
    assert not signed_in(client) and not signed_in(with_cookie(app, copied))
    # The next page's "Signed out." is in a new session, which is not kept.
    [left] = stored_sessions(database)
    assert left["token_name"] is None and "kept" not in left["data"]
    assert all(max_age(cookie) is None for cookie in session_cookies(out))


def test_revoking_the_token_ends_a_kept_session(app, client, tokens, clock):
    sign_in_kept(client, secret_of(tokens["coordinator"]))
    copied = cookie_of(client)
    clock.advance(days=3)

    with app.app_context():
        revoke_token("carla")

    assert not signed_in(client)
    assert "its token was revoked" in text(client.get("/login"))
    assert not signed_in(with_cookie(app, copied))


def test_a_sign_in_without_the_csrf_token_or_from_another_site_is_refused_kept_or_not(
    app, tokens, database
):
    secret = secret_of(tokens["coordinator"])
    for keep in ({"keep": "yes"}, {}):
        client = app.test_client()
        no_csrf = client.post("/login", data={"token": secret, **keep})
        assert no_csrf.status_code == 400 and not session_cookies(no_csrf)

        cross = client.post(
            "/login",
            data={"token": secret, "csrf_token": csrf_token(client), **keep},
            headers={"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert cross.status_code in (400, 403)
        assert not signed_in(client)
    assert stored_sessions(database) == []


def test_a_bad_kept_days_setting_stops_the_start(database):
    for value in (0, 367, "30", True):
        with pytest.raises(ConfigError, match="SESSION_KEPT_DAYS"):
            create_app({"DATABASE": database, "SESSION_KEPT_DAYS": value})


# Revoking the token -----------------------------------------------------------------


def test_revoking_a_token_ends_its_sessions_and_no_others(app, tokens, database):
    carla, other_carla, victor = app.test_client(), app.test_client(), app.test_client()
    sign_in(carla, secret_of(tokens["coordinator"]))
    sign_in(other_carla, secret_of(tokens["coordinator"]))
    sign_in(victor, secret_of(tokens["viewer"]))
    copied = cookie_of(other_carla)

    with app.app_context():
        revoke_token("carla")

    # What is left of carla's sessions is the word to their browsers of why they ended.
    assert sorted(row["token_name"] or "" for row in stored_sessions(database)) == [
        "",
        "",
        "victor",
    ]
    assert not signed_in(carla)
    assert "its token was revoked" in text(carla.get("/login"))
    assert not signed_in(with_cookie(app, copied))
    assert not signed_in(other_carla)
    assert signed_in(victor)


# A read-only copy keeps its sessions in memory --------------------------------------------


@pytest.fixture
def copy(app, tokens, database):
    db.GroupCommit.close(database)
    copy = create_app(
        {"TESTING": True, "DATABASE": database, "SECRET_KEY": "a-test-secret-key", "READ_ONLY": 1}
    )
    copy.test_client_class = ConformingClient
    return copy


def test_on_a_read_only_copy_signing_out_ends_the_session_too(copy, tokens, database, clock):
    client = copy.test_client()
    sign_in(client, secret_of(tokens["mentor"]))
    assert signed_in(client, "/reports/mine")
    copied = cookie_of(client)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/reports/mine")})

    assert "Signed out." in text(client.get("/login"))
    assert not signed_in(with_cookie(copy, copied), "/reports/mine")
    sign_in(client, secret_of(tokens["mentor"]))
    clock.advance(minutes=120)
    assert not signed_in(client, "/reports/mine")
    assert stored_sessions(database) == []


# The table comes with a migration ------------------------------------------------------


def test_a_database_of_version_6_gets_the_session_table(database):
    db.init_db(database)
    connection = sqlite3.connect(database)
    connection.executescript("DROP TABLE web_session; PRAGMA user_version = 6;")
    connection.close()

    db.upgrade(database)

    assert stored_sessions(database) == []
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION >= 7
    finally:
        connection.close()
