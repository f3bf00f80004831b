"""E-mail (reports/mail.py), sent to a real SMTP server on this machine, and a
sign-in link asked for by e-mail at /login (reports/service/emailed_links.py):
the answer is the same whoever has the address, and the link signs in once."""

import os
import re
import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller

from reports import auth, create_app, db, dispatcher, mail, service
from reports.config import ConfigError
from reports.db import get_db

from conftest import revoke_token
from peers import MAIL_FROM, Inbox, free_port, mail_settings
from web_helpers import csrf_token, signed_in_as, text

PUBLIC_URL = "http://reports.example.org"
LINK = re.compile(r"^http://reports\.example\.org(/login/[A-Za-z0-9_-]{43})$", re.MULTILINE)
SENT = "If a person here has that address, a sign-in link is on its way to it."


def sending_to(database, port, **settings):
    """The app on `database` with e-mail on, sending to the SMTP server on
    `port`, and links at PUBLIC_URL; `settings` added."""
    config = {"TESTING": True, "DATABASE": database, "SECRET_KEY": "a-test-secret-key"}
    return create_app({**config, **mail_settings(port, PUBLIC_URL), **settings})


@pytest.fixture
def app(database, inbox):
    """The app with e-mail on, sending to `inbox`."""
    app = sending_to(database, inbox.port)
    db.init_db(database)
    return app


@pytest.fixture
def omar(app, tokens):
    """A mentor with an e-mail address (written with capitals), among the
    `tokens` fixture's people: a token is in force."""
    with app.app_context():
        auth.create_token("omar", "mentor", "usr_mentor_007", email="Omar@Example.org")
    return "Omar@Example.org"


def ask(client, address):
    """Ask for a sign-in link by e-mail, and wait until the dispatcher has done it."""
    answer = client.post("/login/email", data={"email": address, "csrf_token": csrf_token(client)})
    dispatcher.run_until_idle(client.application)
    return answer


# Sending one message -----------------------------------------------------------


def test_send_delivers_one_plain_text_message_from_mail_from(app, inbox):
    with app.app_context():
        mail.send("ana@example.org", "Hello", "One line.\nÅse's second line.\n")

    [(recipients, message)] = inbox.messages
    assert recipients == ["ana@example.org"]
    assert message["From"] == MAIL_FROM and message["To"] == "ana@example.org"
    assert message["Subject"] == "Hello"
    assert message["Date"] and message["Message-ID"].endswith("@example.org>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "One line.\nÅse's second line.\n"


@pytest.fixture
def tls_inbox(tmp_path, monkeypatch):
    """An SMTP server that takes mail only after STARTTLS and a login, with a
    certificate of its own, which mail.py is made to trust."""
    if shutil.which("openssl") is None:
        reason = "openssl is not installed: no certificate for the SMTP server"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (apt-get install openssl).", pytrace=False)
        pytest.skip(reason)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    monkeypatch.setattr(mail, "tls_context", lambda: ssl.create_default_context(cafile=cert))
    received = Inbox()
    controller = Controller(
        received,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_context,
        require_starttls=True,
        authenticator=received.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    received.port = controller.port
    yield received
    controller.stop()


def test_with_starttls_the_login_and_the_message_cross_an_encrypted_connection(database, tls_inbox):
    app = sending_to(
        database,
        tls_inbox.port,
        SMTP_TLS="starttls",
        SMTP_USER="reports",
        SMTP_PASSWORD="a mail password",
    )

    with app.app_context():
        mail.send("ana@example.org", "Hello", "One line.\n")

    assert tls_inbox.logins == [("reports", "a mail password")]
    assert [recipients for recipients, _ in tls_inbox.messages] == [["ana@example.org"]]


def test_the_smtp_server_s_certificate_is_checked(database, tls_inbox, monkeypatch):
    monkeypatch.setattr(mail, "tls_context", ssl.create_default_context)
    app = sending_to(database, tls_inbox.port, SMTP_TLS="starttls")

    with app.app_context(), pytest.raises(ssl.SSLCertVerificationError):
        mail.send("ana@example.org", "Hello", "One line.\n")

    assert tls_inbox.messages == [] and tls_inbox.logins == []


# Asking for a sign-in link by e-mail --------------------------------------------


def test_the_login_page_offers_a_link_by_email_in_a_form_of_its_own(client, tokens):
    body = text(client.get("/login"))

    form = body[body.index('action="/login/email"') :]
    assert '<label for="email">Your e-mail address</label>' in form
    field = re.search(r'<input id="email"[^>]*>', form).group(0)
    for attribute in ('type="email"', 'autocomplete="email"', 'inputmode="email"'):
        assert attribute in field
    assert 'name="csrf_token"' in form and "E-mail me a sign-in link" in form


def test_the_email_is_in_the_persons_language_and_its_link_opens_the_pages_in_it(
    app, client, inbox, tokens
):
    with app.app_context():
        auth.create_token("olena", "mentor", "usr_mentor_008", email="olena@example.org")
        get_db().execute("UPDATE person SET language = 'uk' WHERE email = 'olena@example.org'")

    ask(client, "olena@example.org")

    [message] = inbox.to("olena@example.org")
    assert message["Subject"] == "Ваше посилання для входу в «Звіти після зустрічей»"
    body = message.get_content()
    assert body.startswith("Вітаємо, olena!")
    assert "15 хвилин" in body
    assert re.search(r"/login/[A-Za-z0-9_-]{43}\?lang=uk$", body, re.MULTILINE)


def test_the_email_of_a_person_without_a_language_is_in_the_language_it_was_asked_in(
    app, client, inbox, omar
):
    client.get("/login?lang=nb")

    ask(client, "omar@example.org")

    [message] = inbox.to(omar)
    assert "Hello" not in message.get_content()
    assert message["Subject"] != "Your sign-in link to Post-Session Reports"


def test_a_known_address_gets_one_email_whose_link_signs_in_once(app, client, inbox, omar):
    answer = ask(client, "omar@EXAMPLE.org")

    assert answer.status_code == 200 and SENT in text(answer)
    [message] = inbox.to(omar)
    body = message.get_content()
    assert body.startswith("Hello omar,")
    assert "It works once, within 15 minutes." in body
    assert "If you did not ask for this, ignore this e-mail." in body
    path = LINK.search(body).group(1)
    browser = app.test_client()
    used = browser.post(path, data={"csrf_token": csrf_token(browser, path)})
    assert used.status_code == 302 and signed_in_as(browser) == "omar_2"
    mine = browser.get("/reports/mine")
    assert mine.status_code == 200 and "Signed in as <strong><bdi>omar</bdi></strong>" in text(mine)
    assert browser.get(path).status_code == 400  # used up


def test_an_unknown_address_gets_the_same_answer_and_no_email(app, client, inbox, omar):
    known = ask(client, omar)
    unknown = ask(app.test_client(), "nobody@example.org")

    assert unknown.status_code == known.status_code == 200
    assert text(unknown).replace("nobody@example.org", omar) == text(known)
    assert inbox.to("nobody@example.org") == [] and len(inbox.messages) == 1


def test_the_answer_does_not_wait_for_the_mail_server(app, client, inbox, omar):
    inbox.held.clear()  # the server takes the message only when let go

    answer = client.post("/login/email", data={"email": omar, "csrf_token": csrf_token(client)})

    assert answer.status_code == 200 and inbox.messages == []
    inbox.held.set()
    dispatcher.run_until_idle(app)
    assert len(inbox.to(omar)) == 1


def test_a_removed_person_s_address_gets_no_email(app, client, inbox, omar):
    with app.app_context():
        [person] = [each for each in service.list_people(caller=auth.ANONYMOUS) if each["email"]]
        service.remove_person(person["person_id"], caller=auth.ANONYMOUS)

    answer = ask(client, omar)

    assert answer.status_code == 200 and SENT in text(answer)
    assert inbox.messages == []


@pytest.mark.parametrize("role", ["coordinator", "viewer", "mentor"])
def test_a_person_of_any_role_gets_a_link(app, client, inbox, tokens, role):
    with app.app_context():
        mentor = "usr_mentor_009" if role == "mentor" else None
        auth.create_token("rita", role, mentor, email="rita@example.org")

    ask(client, "rita@example.org")

    assert len(inbox.to("rita@example.org")) == 1


def test_an_address_gets_one_email_in_5_minutes_however_often_asked(app, inbox, omar, clock):
    for _ in range(3):
        assert SENT in text(ask(app.test_client(), omar))
    clock.advance(minutes=4, seconds=59)
    ask(app.test_client(), omar.upper())
    assert len(inbox.to(omar)) == 1

    clock.advance(seconds=1)
    ask(app.test_client(), omar)

    assert len(inbox.to(omar)) == 2


def test_no_link_is_emailed_while_no_token_is_in_force(app, client, inbox):
    with app.app_context():
        auth.create_token("omar", "mentor", "usr_mentor_007", email="omar@example.org")
        revoke_token("omar")

    answer = ask(client, "omar@example.org")

    assert answer.status_code == 200 and inbox.messages == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("omar.example.org", "Enter an e-mail address such as name@example.org"),
        ("omar@", "Enter an e-mail address such as name@example.org"),
        ("  ", "Enter your e-mail address"),
    ],
)
def test_an_invalid_address_is_refused_next_to_the_field(client, inbox, omar, typed, message):
    refused = ask(client, typed)

    assert refused.status_code == 422
    body = text(refused)
    assert '<div class="error-summary"' in body and f'<a href="#email">{message}' in body
    assert body.index('id="email-error"') < body.index('<input id="email"')
    assert 'aria-describedby="email-hint email-error"' in body
    assert f'value="{typed.strip()}"' in body
    assert inbox.messages == []


def test_an_ask_without_the_csrf_token_is_refused(client, inbox, omar):
    refused = client.post("/login/email", data={"email": omar})
    dispatcher.run_until_idle(client.application)

    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert inbox.messages == []


def test_asks_count_as_wrong_tokens_of_the_client(database, inbox, omar, clock):
    limited = sending_to(database, inbox.port, SIGN_IN_FAILURES=3, SIGN_IN_WINDOW_SECONDS=60)
    client = limited.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for number in range(3):
        assert ask(client, f"someone{number}@example.org").status_code == 200

    refused = ask(client, omar)

    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert '<a href="#email">Too many sign-in links asked for from here lately' in text(refused)
    assert inbox.messages == []
    wrong_token = client.post("/login", data={"token": "psr_x", "csrf_token": csrf_token(client)})
    assert wrong_token.status_code == 429


def test_a_mail_server_that_cannot_be_reached_is_logged_and_the_answer_is_the_same(
    database, omar, caplog
):
    app = sending_to(database, free_port())  # nothing listens there

    answer = ask(app.test_client(), omar)

    assert answer.status_code == 200 and SENT in text(answer)
    assert "An e-mail (sign_in_link) could not be sent; it is tried again in 5 s" in caplog.text


# Without e-mail ------------------------------------------------------------------


def test_without_smtp_host_there_is_no_form_and_the_ask_is_a_404(database, tokens):
    app = create_app({"TESTING": True, "DATABASE": database, "SECRET_KEY": "a-test-secret-key"})
    client = app.test_client()

    page = text(client.get("/login"))
    refused = client.post(
        "/login/email", data={"email": "carla@example.org", "csrf_token": csrf_token(client)}
    )

    assert "/login/email" not in page and 'id="email"' not in page
    assert refused.status_code == 404 and client.get("/login/email").status_code == 404


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({"MAIL_FROM": None}, "MAIL_FROM must be"),
        ({"MAIL_FROM": "reports at example.org"}, "MAIL_FROM must be"),
        ({"MAIL_FROM": "a@example.org\nBcc: b@example.org"}, "MAIL_FROM must be"),
        ({"PUBLIC_URL": None}, "PUBLIC_URL must be set when SMTP_HOST is"),
        ({"SMTP_PORT": 0}, "SMTP_PORT must be"),
        ({"SMTP_TLS": "yes"}, "SMTP_TLS must be starttls, ssl or none"),
        ({"SMTP_STARTTLS": 1}, "SMTP_STARTTLS is now SMTP_TLS"),
        ({"SMTP_USERNAME": "reports"}, "SMTP_USERNAME is now SMTP_USER"),
        ({"SMTP_HOST": ""}, "SMTP_HOST must be"),
        ({"SMTP_PASSWORD": "hunter2-secret"}, "set together"),
        ({"SMTP_USER": "reports", "SMTP_PASSWORD": "hunter2-secret"}, "SMTP_TLS = starttls or ssl"),
        ({"SMTP_PASSWORD": True}, "SMTP_PASSWORD must be"),
    ],
)
def test_a_mail_setting_the_service_cannot_send_with_stops_the_start(database, settings, said):
    config = {"DATABASE": database, **mail_settings(25, PUBLIC_URL), **settings}

    with pytest.raises(ConfigError, match=re.escape(said)) as stopped:
        create_app(config)

    assert "hunter2" not in str(stopped.value)


def test_mail_settings_come_from_the_environment_as_text(database, monkeypatch):
    monkeypatch.setenv("REPORTS_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("REPORTS_SMTP_TLS", "ssl")
    monkeypatch.setenv("REPORTS_SMTP_USER", "reports")
    monkeypatch.setenv("REPORTS_SMTP_PASSWORD", "123456")
    monkeypatch.setenv("REPORTS_MAIL_FROM", "reports@example.org")
    monkeypatch.setenv("REPORTS_PUBLIC_URL", PUBLIC_URL)

    config = create_app({"DATABASE": database}).config

    assert (config["SMTP_HOST"], config["SMTP_PORT"]) == ("mail.example.org", 465)
    assert config["SMTP_TLS"] == "ssl" and config["SMTP_PASSWORD"] == "123456"
