"""What the tests of the pages share: a form's CSRF token, signing a test
client in, the pages' own markers, and an app with a catalogue of
translations of its own."""

import re
from contextlib import contextmanager

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from reports import auth, create_app, db, limits, queries
from reports.db import get_db

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path="/login"):
    """The CSRF token of the form on the page at `path`."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return CSRF_FIELD.search(page.get_data(as_text=True)).group(1)


def secret_of(headers):
    """The token secret of an Authorization header from the `tokens` fixture."""
    return headers["Authorization"].split()[1]


def sign_in(client, secret):
    response = client.post("/login", data={"token": secret, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text(response):
    return response.get_data(as_text=True)


@contextmanager
def every_slot_taken(app, kind):
    """Within the block, every slot of `kind` ("search", "export") is held elsewhere."""
    with app.app_context():
        held = [limits.take(kind) for _ in range(limits.slots(kind).size)]
    try:
        yield
    finally:
        for slot in held:
            slot.release()


def signed_in_as(client):
    """The name of the token the client's session signed in, as the server's
    record of it says; None when it holds no session that signed one in."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return None
    with client.application.app_context():
        record = queries.web_session(get_db(), auth.hash_secret(cookie.value.split(".")[0]))
    return None if record is None else record["token_name"]


def add_catalogue(instance, code, messages, fuzzy=()):
    """A catalogue of `messages` (English, or (singular, plural), to its
    translation) in the instance folder `instance`, as an organisation adds one."""
    catalogue = Catalog(locale=code, fuzzy=False)
    for english, translation in messages.items():
        catalogue.add(english, translation, flags=("fuzzy",) if english in fuzzy else ())
    folder = instance / "translations" / code / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.po", "wb") as file:
        write_po(file, catalogue)


def app_in(instance, database):
    """An app of the instance folder `instance`, on a new database."""
    app = create_app(
        {"TESTING": True, "DATABASE": database, "SECRET_KEY": "a-test-secret-key"},
        instance_path=str(instance),
    )
    db.init_db(database)
    return app
