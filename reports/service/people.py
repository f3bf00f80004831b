"""People: who uses the service, with the role its tokens act with, and their
tokens. A coordinator manages them; a viewer reads them all; a mentor reads its
own person only (another is not found, as another mentor's report is not)."""

from marshmallow import ValidationError
from werkzeug.exceptions import NotFound

from reports import auth, clock, queries, slugs
from reports.db import get_db, write
from reports.errors import Conflict
from reports.schemas import is_person_id

from .roles import require_may

PEER_MENTOR_PREFIX = "usr_"


def list_people(*, caller):
    """Every person not removed; a mentor's own person only."""
    require_may("read", caller)
    people = [dict(row) for row in queries.people(get_db())]
    if caller.owner is not None:
        people = [person for person in people if person["peer_mentor_id"] == caller.owner]
    return people


def get_person(person_id, *, caller):
    require_may("read", caller)
    return _seen_person(get_db(), person_id, caller)


def create_person(new, *, caller):
    """Store a person from a NewPersonSchema load; a mentor's peer mentor id is
    made from its name unless given (a given one that is taken is a 409)."""
    require_may("manage people", caller)

    def create(db):
        peer_mentor_id = None
        if new["role"] == "mentor":
            peer_mentor_id = new.get("peer_mentor_id") or new_peer_mentor_id(db, new["name"])
            if new.get("peer_mentor_id") and queries.person_of_mentor(db, peer_mentor_id):
                raise Conflict(f"The peer mentor id {peer_mentor_id!r} is another person's.")
        person_id = auth.new_person_id(db)
        queries.insert_person(
            db,
            {
                "person_id": person_id,
                "name": new["name"],
                "role": new["role"],
                "peer_mentor_id": peer_mentor_id,
                "email": new["email"],
                "language": new["language"],
                "notify": new.get("notify", "each"),
                "created_at": clock.timestamp(),
            },
        )
        return dict(queries.person_by_id(db, person_id))

    return write(create)


def update_person(person_id, changes, *, caller):
    """Change what a PersonChangesSchema load gives. A new role is what its tokens
    may do from their next request; a person who becomes a mentor keeps the peer
    mentor id it had, or gets one made from its name. The last coordinator stays
    one (409)."""
    require_may("manage people", caller)

    def update(db):
        person = _seen_person(db, person_id, caller)
        changed = {**person, **changes}
        if changed["role"] != "coordinator":
            _keep_a_coordinator(db, person)
        stored = queries.stored_peer_mentor_id(db, person_id)
        changed["peer_mentor_id"] = stored
        if changed["role"] == "mentor" and stored is None:
            changed["peer_mentor_id"] = new_peer_mentor_id(db, changed["name"])
        queries.update_person(db, changed)
        return dict(queries.person_by_id(db, person_id))

    return write(update)


def set_own_language(language, *, caller):
    """The language the caller's person prefers, as chosen in the pages' menu:
    anyone signed in as a person may set their own."""
    if caller is auth.ANONYMOUS or caller.language == language:
        return
    write(lambda db: queries.set_language_of_token_person(db, caller.name, language))


def remove_person(person_id, *, caller):
    """Remove a person: its tokens are revoked, their sessions ended and their
    unused sign-in links deleted, and it leads no activity. Its reports stay, and
    so does its row, with its name, role and peer mentor id only (its e-mail
    address and language are deleted), so that its reports still name it and its
    ids are never given to another. The last coordinator stays (409)."""
    require_may("manage people", caller)

    def remove(db):
        _keep_a_coordinator(db, _seen_person(db, person_id, caller))
        now = clock.timestamp()
        for token in queries.tokens_of_person(db, person_id):
            _revoke(db, token["name"], now)
        stored = queries.stored_peer_mentor_id(db, person_id)
        if stored is not None:
            queries.stop_leading(db, stored)
        queries.remove_person(db, person_id, now)

    write(remove)


def create_sign_in_link(person_id, minutes, *, caller):
    """A new token of the person, named after it (unique), and a one-time link
    that signs in with it within `minutes`: (the link's secret, when it expires)."""
    require_may("manage people", caller)

    def create(db):
        return add_token_and_link(db, _seen_person(db, person_id, caller), minutes)

    return write(create)


def add_token_and_link(db, person, minutes):
    """In a write: a new token of the person, named after it (unique), and a
    one-time link that signs in with it within `minutes`: (the link's secret,
    when it expires)."""

    def taken(name):
        return name == auth.ANONYMOUS.name or queries.token_name_taken(db, name)

    name = slugs.id_from_name(person["name"], taken, fallback="token_")
    auth.add_token(db, name, person["person_id"])
    return auth.add_sign_in_link(db, name, minutes)


def list_tokens(person_id, *, caller):
    """The person's tokens in force, oldest first: each one's name, when it was
    made and when it was last used (never its secret)."""
    require_may("read", caller)
    db = get_db()
    _seen_person(db, person_id, caller)
    return [dict(row) for row in queries.tokens_of_person(db, person_id)]


def revoke_token(name, *, caller):
    """Revoke the token `name`, whoever's it is, as `_revoke` does; again is
    fine, and keeps the first time. Returns when it was revoked."""
    require_may("manage people", caller)

    def revoke(db):
        token = queries.token_by_name(db, name)
        if token is None:
            raise NotFound(f"No token is named {name!r}.")
        revoked_at = token["revoked_at"] or clock.timestamp()
        _revoke(db, name, revoked_at)
        return revoked_at

    return write(revoke)


def revoke_token_of_person(person_id, name, *, caller):
    """Revoke the person's token `name`, as `_revoke` does; another person's
    token, or one revoked already, is not found. Returns the person."""
    require_may("manage people", caller)

    def revoke(db):
        person = _seen_person(db, person_id, caller)
        token = queries.token_by_name(db, name)
        if token is None or token["person_id"] != person_id or token["revoked_at"] is not None:
            raise NotFound(f"{person['name']} has no token named {name!r} in force.")
        _revoke(db, name, clock.timestamp())
        return person

    return write(revoke)


def _revoke(db, name, revoked_at):
    """In a write: the token stops working, the browsers signed in with it are
    signed out at their next page (kept sessions too), and its unused sign-in
    links are deleted."""
    queries.revoke_token(db, name, revoked_at)
    queries.end_web_sessions_of_token(db, name)
    queries.delete_sign_in_links_of_token(db, name)


def new_peer_mentor_id(db, name):
    """usr_ and the name's ASCII slug, with _2, _3, ... if taken; usr_ and 8 hex
    digits for a name with no Latin letters once written in ASCII."""

    def taken(candidate):
        return queries.person_of_mentor(db, candidate) is not None

    return slugs.id_from_name(name, taken, PEER_MENTOR_PREFIX, PEER_MENTOR_PREFIX)


def known_mentors(db, peer_mentor_ids):
    """Refuse (422) the ids of `peer_mentor_ids` that are no mentor's in the directory."""
    unknown = {}
    for position, peer_mentor_id in enumerate(peer_mentor_ids):
        person = queries.person_of_mentor(db, peer_mentor_id)
        if person is None or person["role"] != "mentor" or person["removed_at"] is not None:
            unknown[position] = [f"No mentor in the directory has the id {peer_mentor_id!r}."]
    if unknown:
        raise ValidationError({"mentors": unknown})
    if len(set(peer_mentor_ids)) != len(peer_mentor_ids):
        raise ValidationError({"mentors": ["Name each mentor once."]})


def _keep_a_coordinator(db, person):
    """Refuse (409) to take away the last coordinator: with none, nobody could
    manage people or review reports until an operator made one on the server."""
    if person["role"] == "coordinator" and queries.coordinators(db) == 1:
        raise Conflict(
            f"{person['name']} is the only coordinator: make someone else a coordinator first."
        )


def _seen_person(db, person_id, caller):
    """The person, if it exists, is not removed and the caller may see it."""
    row = queries.person_by_id(db, person_id) if is_person_id(person_id) else None
    if row is None or caller.owner not in (None, row["peer_mentor_id"]):
        raise NotFound(f"No person has the id {person_id!r}.")
    return dict(row)
