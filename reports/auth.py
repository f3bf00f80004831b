"""API tokens, who a request comes from, and what each role may do.

Once a token is in force, every request must bear one. While none is, the API
is open (every request acts as `anonymous`) only if the database never had a
token or was reopened on purpose (`flask --app reports token reopen`), and then
only to requests made on this machine, unless the operator sets ALLOW_OPEN;
otherwise it is closed.
"""

import hashlib
import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from flask import current_app, has_request_context, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from reports import clock, languages, queries, throttle
from reports.db import get_db, submit, write
from reports.read_only import is_read_only
from reports.schemas import ENTITY_ID_RULE, is_email, is_entity_id

ROLES = ("coordinator", "viewer", "mentor")
SECRET_BYTES = 32
SECRET_PREFIX = "psr_"
PERSON_ID_PREFIX = "per_"
# A token's last use is recorded at most this often, so that reads stay reads.
LAST_USED_GRAIN = timedelta(minutes=1)
REALM = "reports"
CREATE_COMMAND = "flask --app reports token create --name NAME --role coordinator"
REOPEN_COMMAND = "flask --app reports token reopen"
# A Host that names this machine: a page served from elsewhere (DNS rebinding) has its own.
LOOPBACK_HOST = re.compile(r"(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?", re.IGNORECASE)

NEEDS_TOKEN = (
    "This API needs a token: send `Authorization: Bearer <token>` "
    "with a token a coordinator created for you."
)
CLOSED = (
    "This API needs a token, and none is in force: on the server, create one with "
    f"`{CREATE_COMMAND}` and send it as `Authorization: Bearer <token>`."
)
ONLY_THIS_MACHINE = (
    "With no token in force, this API answers only requests made on its own machine, "
    "to localhost and not through a proxy. To serve others, create a token on the server "
    f"with `{CREATE_COMMAND}` and send it as `Authorization: Bearer <token>`."
)


# app.extensions[OWN_SERVER] is False where the app is served by another server
# than the service's own (reports/serve.py); there the API is never open here.
OWN_SERVER = "reports.own_server"
NOT_OWN_SERVER = (
    "This API needs a token: no token is in force, and under this server it cannot tell "
    "a request made on its own machine from one a proxy forwards. On the server, create "
    f"one with `{CREATE_COMMAND}`, or serve with `python app.py`."
)


@dataclass(frozen=True)
class Caller:
    """Who a request acts as: a token's name and role, and for a mentor token,
    the peer mentor it acts for."""

    name: str
    role: str
    peer_mentor_id: str | None = None
    # The language its person prefers, if they said (the pages' language).
    language: str | None = None

    @property
    def owner(self):
        """The peer mentor whose reports alone this caller may see, or None for all."""
        return self.peer_mentor_id if self.role == "mentor" else None

    @classmethod
    def of(cls, token):
        """The caller a token's row (from the tokens table) acts as."""
        return cls(token["name"], token["role"], token["peer_mentor_id"], token["language"])


ANONYMOUS = Caller("anonymous", "coordinator")


class TokenError(ValueError):
    """A token or a sign-in link cannot be made as asked, or the API cannot reopen."""


def hash_secret(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(request):
    """The caller that the request's Authorization header names; raises
    Unauthorized when the request may not be served without a token and does
    not bear a valid one. Which of missing, malformed, unknown or revoked it
    was is not said. A wrong token is counted (reports/throttle.py)."""
    secret = _bearer_secret(request.headers.get("Authorization"))
    if secret is not None:
        token = token_in_force(get_db(), hash_secret(secret))
        if token is not None:
            _note_use(token)
            return token.caller
    try:
        return _anonymous_caller(request)
    except Unauthorized:
        if secret is not None:
            throttle.wrong_token(throttle.TO_API)
        raise


class TokenInForce(NamedTuple):
    caller: Caller
    # When a use was last recorded (clock.stamp's form), or None.
    last_used_at: str | None


def token_in_force(db, secret_hash):
    """The TokenInForce with this secret hash, or None. Each thread's
    connection keeps the tokens it has found until any connection, of any
    process, commits to the file (PRAGMA data_version tells, for less than the
    lookup costs): a token revoked, or its person changed, is read again at the
    next request. The version is read before the token, so that a commit
    between the two is seen at the next request."""
    version = db.data_version()
    if db.tokens_version != version:
        db.tokens, db.tokens_version = {}, version
    token = db.tokens.get(secret_hash)
    if token is None:
        row = queries.token_by_secret_hash(db, secret_hash)
        if row is None:
            return None
        token = db.tokens[secret_hash] = _in_force(row)
    return token


def _in_force(row):
    """The TokenInForce of a row of queries.TOKEN_IN_FORCE."""
    return TokenInForce(Caller.of(row), row["last_used_at"])


def _anonymous_caller(request):
    """ANONYMOUS, if the API is open to this request; else raises Unauthorized."""
    access = queries.access(get_db())
    if access["guarded"]:
        raise _unauthorized(NEEDS_TOKEN)
    if current_app.config["ALLOW_OPEN"]:
        return ANONYMOUS
    if not access["open"]:
        raise _unauthorized(CLOSED)
    if not own_server():
        raise _unauthorized(NOT_OWN_SERVER)
    if not from_this_machine(request.environ):
        raise _unauthorized(ONLY_THIS_MACHINE)
    return ANONYMOUS


def own_server():
    """Whether the service's own server serves the app (the test client counts as one)."""
    return current_app.extensions.get(OWN_SERVER, True)


def from_this_machine(environ):
    """Whether a request comes from a loopback peer, names this machine in its
    Host, and was not forwarded by a proxy (which would make every peer look local).
    Under another server than the service's own (`waitress-serve app:app`, which
    clears forwarded headers), no request can be told to be from this machine."""
    if not own_server():
        return False
    if not _is_loopback(environ.get("REMOTE_ADDR", "")):
        return False
    if not LOOPBACK_HOST.fullmatch(environ.get("HTTP_HOST", "")):
        return False
    return not any(
        name in ("HTTP_FORWARDED", "HTTP_X_REAL_IP") or name.startswith("HTTP_X_FORWARDED_")
        for name in environ
    )


def _is_loopback(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _unauthorized(detail):
    return Unauthorized(detail, www_authenticate=WWWAuthenticate("bearer", {"realm": REALM}))


def require_write(caller):
    if caller.role == "viewer":
        raise Forbidden("A viewer token may only read reports.")


def require_coordinator(caller):
    if caller.role != "coordinator":
        raise Forbidden(f"Only a coordinator token may do this, not a {caller.role} token.")


def require_own_mentor(caller, peer_mentor_id):
    """A mentor token may act only for its own peer mentor."""
    if caller.owner is not None and caller.owner != peer_mentor_id:
        raise Forbidden(
            f"This mentor token acts for {caller.owner!r} only, not for {peer_mentor_id!r}."
        )


def _bearer_secret(authorization):
    scheme, _, secret = (authorization or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    return secret


def _note_use(token):
    """Record that the token was used, at most once a LAST_USED_GRAIN, without
    waiting for the write; a read-only copy records nothing."""
    now = clock.now()
    not_since = clock.stamp_ago(LAST_USED_GRAIN, since=now)
    if (token.last_used_at is not None and token.last_used_at > not_since) or is_read_only():
        return
    used_at = clock.stamp(now)
    name = token.caller.name
    submit(lambda db: queries.mark_token_used(db, name, used_at, not_since))


def create_token(name, role, peer_mentor_id=None, email=None):
    """Store a new token and return its secret, which is kept nowhere else. The
    token is a new person's, named `name`, with this role (and e-mail address),
    or for a peer mentor who is a person already, that person's (whose e-mail
    address `email` replaces, if given)."""
    if not is_entity_id(name) or name == ANONYMOUS.name:
        raise TokenError(
            f"A token's name is {ENTITY_ID_RULE} (and not {ANONYMOUS.name!r}), not {name!r}."
        )
    if role not in ROLES:
        raise TokenError(f"The role is one of {', '.join(ROLES)}, not {role!r}.")
    if (role == "mentor") != (peer_mentor_id is not None):
        raise TokenError("A mentor token needs --mentor, and only a mentor token takes it.")
    if peer_mentor_id is not None and not is_entity_id(peer_mentor_id):
        raise TokenError(f"A peer mentor id is {ENTITY_ID_RULE}, not {peer_mentor_id!r}.")
    if email is not None and not is_email(email):
        raise TokenError(f"Not an e-mail address: {email!r}.")

    def create(db):
        if queries.token_name_taken(db, name):
            raise TokenError(f"A token named {name!r} exists already; names are never reused.")
        person = queries.person_of_mentor(db, peer_mentor_id) if peer_mentor_id else None
        if person is None:
            person_id = new_person_id(db)
            queries.insert_person(
                db,
                {
                    "person_id": person_id,
                    "name": name,
                    "role": role,
                    "peer_mentor_id": peer_mentor_id,
                    "email": email,
                    "language": None,
                    "notify": "each",
                    "created_at": clock.timestamp(),
                },
            )
        elif person["removed_at"] is not None or person["role"] != "mentor":
            what = "was removed" if person["removed_at"] else f"is a {person['role']} now"
            raise TokenError(
                f"The peer mentor {peer_mentor_id} is {person['name']!r}, who {what}: "
                "a mentor token cannot act for them."
            )
        else:
            person_id = person["person_id"]
            if email is not None:
                queries.set_person_email(db, person_id, email)
        return add_token(db, name, person_id)

    return write(create)


def add_token(db, name, person_id):
    """In a write: a new token of the person, named `name`; returns its secret."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    token = {
        "name": name,
        "person_id": person_id,
        "secret_hash": hash_secret(secret),
        "created_at": clock.timestamp(),
    }
    queries.insert_token(db, token)
    # From now on, no token in force means a closed API, not an open one.
    queries.set_open_without_token(db, False)
    return secret


def new_person_id(db):
    """A person id no person has: per_ and 8 random hex digits."""
    while True:
        person_id = f"{PERSON_ID_PREFIX}{secrets.token_hex(4)}"
        if not queries.person_id_taken(db, person_id):
            return person_id


def reopen():
    """Open the API again while no token is in force (to this machine only,
    unless ALLOW_OPEN); refused while one is. Returns whether it was closed."""

    def open_api(db):
        in_force = [row["name"] for row in queries.all_tokens(db) if row["revoked_at"] is None]
        if in_force:
            raise TokenError(
                f"Tokens are in force ({', '.join(in_force)}): the API opens only while none "
                "is. Revoke them first, if that is what you mean."
            )
        was_open = queries.access(db)["open"]
        queries.set_open_without_token(db, True)
        return not was_open

    return write(open_api)


def access_state():
    """How the API treats a request without a valid token: "guarded" (a token
    is in force), "open to all" (ALLOW_OPEN), "open here" (to this machine) or "closed"."""
    access = queries.access(get_db())
    if access["guarded"]:
        return "guarded"
    if current_app.config["ALLOW_OPEN"]:
        return "open to all"
    return "open here" if access["open"] else "closed"


def all_tokens():
    return queries.all_tokens(get_db())


def any_in_force():
    return bool(queries.any_token_in_force(get_db()))


# Signing in to the web pages -------------------------------------------------


def caller_by_secret(secret):
    """The caller a token's secret (pasted into the sign-in form) names, or None
    if it is no token in force."""
    token = token_in_force(get_db(), hash_secret(secret.strip()))
    if token is None:
        return None
    _note_use(token)
    return token.caller


def caller_by_name(name):
    """The caller a browser session names, or None once its token is revoked:
    asked on every request, so that revoking a token ends its sessions."""
    row = queries.token_in_force_by_name(get_db(), name)
    if row is None:
        return None
    token = _in_force(row)
    _note_use(token)
    return token.caller


def sign_in_url(secret, language=None):
    """The one-time sign-in link of a secret, at PUBLIC_URL; else, asked for in a
    request, at the address that request reached (what the coordinator's browser
    or script uses); else (a flask command) at HOST:PORT. With the `language`
    its person prefers, the link opens the pages in it (?lang=)."""
    config = current_app.config
    base = config["PUBLIC_URL"]
    if base is None and has_request_context():
        base = request.host_url
    if base is None:
        host = config["HOST"]
        if host in ("0.0.0.0", "::", ""):
            host = socket.getfqdn()
        if ":" in host:
            host = f"[{host}]"
        base = f"http://{host}:{config['PORT']}"
    url = f"{base.rstrip('/')}/login/{secret}"
    code = languages.known(language)
    return url if code is None else f"{url}?{languages.CHOOSE}={code}"


def create_sign_in_link(name, minutes):
    """A new one-time sign-in secret for the token in force named `name`, valid
    for `minutes`; only its hash is kept."""

    def create(db):
        token = queries.token_by_name(db, name)
        if token is None:
            raise TokenError(f"No token is named {name!r}.")
        if token["revoked_at"] is not None:
            raise TokenError(f"The token {name!r} is revoked: a link cannot sign in with it.")
        return add_sign_in_link(db, name, minutes)

    secret, _ = write(create)
    return secret


def add_sign_in_link(db, name, minutes):
    """In a write: a one-time sign-in link for the token `name`, valid for
    `minutes`; returns its secret and when it expires."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    now = clock.now()
    expires_at = clock.stamp(now + timedelta(minutes=minutes))
    link = {"secret_hash": hash_secret(secret), "token_name": name, "expires_at": expires_at}
    queries.delete_sign_in_links_expired_by(db, clock.stamp(now))
    queries.insert_sign_in_link(db, link)
    return secret, expires_at


def sign_in_link_caller(secret):
    """Who the link would sign in, without using it up; None if it is used,
    expired, unknown or its token revoked."""
    token = queries.sign_in_link_token(get_db(), hash_secret(secret), clock.timestamp())
    return None if token is None else Caller.of(token)


def use_sign_in_link(secret):
    """Use the link up, and return who it signs in; None if it cannot (used,
    expired, unknown, or its token revoked). Of two uses at once, one wins."""
    secret_hash = hash_secret(secret)

    def use(db):
        token = queries.sign_in_link_token(db, secret_hash, clock.timestamp())
        taken = queries.take_sign_in_link(db, secret_hash)
        if token is None or not taken:
            return None
        return Caller.of(token)

    return write(use)


def pages_open_to(environ):
    """Whether the web pages act as the anonymous coordinator for this request,
    as the API would: while it is open to all, or open here and the request is
    made on this machine."""
    state = access_state()
    return state == "open to all" or (state == "open here" and from_this_machine(environ))
