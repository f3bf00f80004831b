"""The browser's session: a record on the server, named by a random id that is
all the cookie holds. The cookie is that id signed with SECRET_KEY, or the
instance's own key, which signs the forms' CSRF tokens too.

A session begins at sign-in with a new id, so that an id planted in a browser
before is never signed in. It ends at sign-out, when its token is revoked,
SESSION_IDLE_MINUTES after its last use, or SESSION_MAX_HOURS after it began:
its record is deleted then, and a copy of its cookie is no session at all.

A session kept on the device ("Keep me signed in on this device", asked at
sign-in) ends at sign-out and with its token too, but otherwise only after
SESSION_KEPT_DAYS without use: each page moves its end, and its cookie, which
then has a Max-Age of that many days, is set again on each page. It has no
end fixed at its start (its record's ends_at is KEPT_ENDS_AT).

A visitor who has not signed in has an id too, and the CSRF token of the login
form is made from it, but no record: only a message for the next page (such
as "Signed out.") makes one, and showing the message deletes it. However many
anonymous visits come, nothing is written. A read-only copy, which writes
nothing to its database, keeps its sessions in its memory: a restart of the
copy signs its browsers out."""

import hashlib
import hmac
import json
import re
import secrets
from datetime import timedelta

from flask import current_app, flash, g, session
from flask.sessions import SessionInterface as FlaskSessionInterface
from flask.sessions import SessionMixin
from flask_babel import ngettext
from itsdangerous import BadSignature, Signer

from reports import clock, human, session_store
from reports.auth import hash_secret
from reports.web.messages import _l

# The paths that never use a session: the API (bearer tokens), /healthz, the
# icon, the web app manifest and the service worker.
NO_SESSION = ("/api/", "/healthz", "/favicon.ico", "/manifest.webmanifest", "/sw.js")
SESSION_ID_BYTES = 32
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")
# Where the session keeps the signed-in token's name, and where Flask-WTF looks
# for its CSRF token (made here from the session's id, never stored).
TOKEN_KEY = "token"
CSRF_KEY = "csrf_token"
# What a session signed in by a token since revoked holds (see reports/session_store.py).
REVOKED_KEY = "revoked"
REVOKED = _l("Your sign-in has ended: its token was revoked. Sign in again.")
# A session's use is noted at most this often, so that a page view stays a read.
SEEN_GRAIN = timedelta(minutes=1)
# What a session kept on its device holds (True), and its record's ends_at:
# no end but SESSION_KEPT_DAYS without use.
KEPT_KEY = "kept"
KEPT_ENDS_AT = "9999-12-31T23:59:59Z"


class Session(dict, SessionMixin):
    """A browser's session: its id, the id its browser sent (None if it sent
    none that is valid), and as a dict what its record holds: the signed-in
    token's name under "token", and the next page's messages. Filled from the
    record by `load`; what changed is stored when the answer is made."""

    def __init__(self, session_id, sent_id):
        super().__init__()
        self.id = session_id
        self.sent_id = sent_id
        self.loaded = False
        # (token's name, the rest as JSON) as its record holds them; None: no record.
        self.stored = None
        self.id_given = False

    @property
    def id_hash(self):
        return hash_secret(self.id)

    def __getitem__(self, key):
        if key == CSRF_KEY:
            self.id_given = True
            return self.csrf
        return super().__getitem__(key)

    def __contains__(self, key):
        return key == CSRF_KEY or super().__contains__(key)

    @property
    def csrf(self):
        """The session's CSRF token, which Flask-WTF signs into each form: made
        from its id, so that a form works before anything is stored."""
        key = current_app.secret_key
        key = key.encode() if isinstance(key, str) else key
        return hmac.new(key, b"csrf " + self.id.encode("ascii"), hashlib.sha256).hexdigest()

    def contents(self):
        """(the token's name, the rest as JSON), as a record stores them."""
        data = dict(self)
        token_name = data.pop(TOKEN_KEY, None)
        return token_name, json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def renew(self):
        """Empty, under a new id; the old id's record is the caller's to delete."""
        self.clear()
        self.id = new_id()
        self.stored = None
        g.pop(CSRF_KEY, None)  # Flask-WTF's token of the old id, kept for the request


def new_id():
    return secrets.token_urlsafe(SESSION_ID_BYTES)


class SessionInterface(FlaskSessionInterface):
    """Sessions kept on the server, for the pages, signed with the app's key
    (session_store.secret_key: without a configured SECRET_KEY, the instance
    folder's, made on the first request that may need it; never for the API,
    which has no session, nor when the app is only built)."""

    def open_session(self, app, request):
        if request.path.startswith(NO_SESSION):
            return None  # Flask's null session: nothing to read, sign or set
        session_store.secret_key(app)  # before anything reads app.secret_key
        sent = _sent_id(app, request.cookies.get(self.get_cookie_name(app)))
        return Session(sent or new_id(), sent)

    def save_session(self, app, session, response):
        if session.loaded:
            _keep(session)
        kept = session.stored is not None and session.get(KEPT_KEY) is True
        if session.id == session.sent_id and not kept:
            return
        name = self.get_cookie_name(app)
        where = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        if kept:
            # Set again on each page, so that it ends when the session would.
            days = timedelta(days=app.config["SESSION_KEPT_DAYS"])
            value = _signer(app).sign(session.id).decode("ascii")
            response.set_cookie(name, value, max_age=days, **where)
        elif session.stored is not None or session.id_given:
            # No Expires: the cookie ends with the browser, if the session has not before.
            response.set_cookie(name, _signer(app).sign(session.id).decode("ascii"), **where)
        elif session.sent_id is not None:
            response.delete_cookie(name, **where)
        response.vary.add("Cookie")


def _signer(app):
    return Signer(
        app.secret_key, salt="session id", key_derivation="hmac", digest_method=hashlib.sha256
    )


def _sent_id(app, cookie):
    """The session id a cookie holds, if its signature is this app's; else None."""
    if not cookie:
        return None
    try:
        session_id = _signer(app).unsign(cookie).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None
    return session_id if SESSION_ID.fullmatch(session_id) else None


# The session of this request ------------------------------------------------------


def _current():
    current = session._get_current_object()
    return current if isinstance(current, Session) else None


def load():
    """Fill this request's session from its record, once: a session that has
    ended is deleted, and the browser told why; a use is noted at most once a
    minute. For the pages, and for any page rendered (see web.page_context)."""
    current = _current()
    if current is None or current.loaded:
        return
    current.loaded = True
    if current.sent_id is None:
        return
    store = session_store.store()
    record = store.find(current.id_hash)
    if record is None:
        return
    now = clock.now()
    data = json.loads(record["data"])
    ended = _why_ended(record, data, clock.stamp(now))
    if ended is not None:
        store.delete(current.id_hash)
        current.renew()
        if record["token_name"] is not None or REVOKED_KEY in data:
            flash(str(ended))
        return
    current.update(data)
    if record["token_name"] is not None:
        current[TOKEN_KEY] = record["token_name"]
    current.stored = current.contents()
    not_since = clock.stamp_ago(SEEN_GRAIN, since=now)
    if record["seen_at"] <= not_since:
        idle_until = clock.stamp(now + _idle(kept=data.get(KEPT_KEY) is True))
        store.touch(current.id_hash, clock.stamp(now), idle_until, not_since)


def begin(token_name, kept=False):
    """Sign the browser in as the token `token_name`: a session of a new id,
    stored at once, kept on the device if `kept`; the session it had before ends."""
    load()
    current = _current()
    before = current.id_hash if current.stored is not None else None
    current.renew()
    current[TOKEN_KEY] = token_name
    if kept:
        current[KEPT_KEY] = True
    session_store.store().create(_new_record(current), replacing=before)
    current.stored = current.contents()


def end():
    """End the browser's session: its record is deleted at once, and the rest
    of the request has a new, empty one. Returns whether a token was signed in."""
    load()
    current = _current()
    signed_in = TOKEN_KEY in current
    if current.stored is not None:
        session_store.store().delete(current.id_hash)
    current.renew()
    return signed_in


def counted_key():
    """What the session is counted by, for wrong tokens (reports/throttle.py):
    its id's hash. Its cookie is set, so that the browser is counted as one."""
    current = _current()
    if current is None:
        return None
    current.id_given = True
    return current.id_hash


def _keep(current):
    """Store what the request changed: the record made, changed, or deleted once
    the session holds nothing."""
    contents = current.contents()
    if contents == current.stored:
        return
    empty = contents == (None, "{}")
    store = session_store.store()
    if current.stored is None:
        if not empty:
            store.create(_new_record(current))
            current.stored = contents
    elif empty:
        store.delete(current.id_hash)
        current.stored = None
    else:
        store.update(current.id_hash, *contents)
        current.stored = contents


def _new_record(current):
    now = clock.now()
    token_name, data = current.contents()
    kept = current.get(KEPT_KEY) is True
    hours = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    return {
        "id_hash": current.id_hash,
        "token_name": token_name,
        "data": data,
        "created_at": clock.stamp(now),
        "seen_at": clock.stamp(now),
        "idle_until": clock.stamp(now + _idle(kept)),
        "ends_at": KEPT_ENDS_AT if kept else clock.stamp(now + hours),
    }


def _idle(kept=False):
    """How long a session lasts without use: SESSION_KEPT_DAYS if it is kept."""
    config = current_app.config
    if kept:
        return timedelta(days=config["SESSION_KEPT_DAYS"])
    return timedelta(minutes=config["SESSION_IDLE_MINUTES"])


def _why_ended(record, data, now):
    """What to tell the browser of a session that has ended by `now`, or None."""
    if REVOKED_KEY in data:
        return REVOKED
    config = current_app.config
    if record["ends_at"] <= now:
        hours = config["SESSION_MAX_HOURS"]
        return ngettext(
            "You were signed out: a sign-in lasts %(count)s hour. Sign in again.",
            "You were signed out: a sign-in lasts %(count)s hours. Sign in again.",
            hours,
            count=human.number(hours),
        )
    if record["idle_until"] <= now and data.get(KEPT_KEY) is True:
        days = config["SESSION_KEPT_DAYS"]
        return ngettext(
            "You were signed out after %(count)s day without use. Sign in again.",
            "You were signed out after %(count)s days without use. Sign in again.",
            days,
            count=human.number(days),
        )
    if record["idle_until"] <= now:
        minutes = config["SESSION_IDLE_MINUTES"]
        return ngettext(
            "You were signed out after %(count)s minute without use. Sign in again.",
            "You were signed out after %(count)s minutes without use. Sign in again.",
            minutes,
            count=human.number(minutes),
        )
    return None
