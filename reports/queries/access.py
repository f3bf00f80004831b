"""The statements of who may come in: tokens, the API's access without one,
sign-in links and the pages' sessions. A token acts as its person: its role
and peer mentor id are the person's, as they are now."""

# A token's peer mentor: its person's, while the person is a mentor.
MENTOR_ID = "CASE WHEN person.role = 'mentor' THEN person.peer_mentor_id END AS peer_mentor_id"
# A token in force, as a caller is made from it: its role and peer mentor are its person's.
TOKEN_IN_FORCE = f"""
    SELECT token.name, person.role, {MENTOR_ID}, person.language, token.last_used_at
      FROM api_token AS token
      JOIN person ON person.person_id = token.person_id
     WHERE token.revoked_at IS NULL"""


def token_by_secret_hash(db, secret_hash):
    """The token in force with this secret hash, or None: one lookup in the
    token's unique index, and one in its person's primary key."""
    return db.execute(
        f"{TOKEN_IN_FORCE} AND token.secret_hash = :secret_hash", {"secret_hash": secret_hash}
    ).fetchone()


def access(db):
    """Whether any token is in force (`guarded`), and whether the API is open
    while none is (`open`): one statement, asked on every request without a valid token."""
    return db.execute(
        """
        SELECT EXISTS (SELECT 1 FROM api_token WHERE revoked_at IS NULL) AS guarded,
               (SELECT open_without_token FROM api_access) AS open
        """
    ).fetchone()


def set_open_without_token(db, is_open):
    db.execute("UPDATE api_access SET open_without_token = :open", {"open": int(is_open)})


def any_token_in_force(db):
    return db.execute(
        "SELECT EXISTS (SELECT 1 FROM api_token WHERE revoked_at IS NULL)"
    ).fetchone()[0]


def token_by_name(db, name):
    return db.execute(
        f"""
        SELECT token.name, person.role, {MENTOR_ID}, token.person_id, token.created_at,
               token.last_used_at, token.revoked_at
          FROM api_token AS token
          JOIN person ON person.person_id = token.person_id
         WHERE token.name = :name
        """,
        {"name": name},
    ).fetchone()


def all_tokens(db):
    return db.execute(
        f"""
        SELECT token.name, person.role, {MENTOR_ID}, token.created_at, token.last_used_at,
               token.revoked_at
          FROM api_token AS token
          JOIN person ON person.person_id = token.person_id
         ORDER BY token.created_at, token.name
        """
    ).fetchall()


def insert_token(db, token):
    db.execute(
        """
        INSERT INTO api_token (name, person_id, secret_hash, created_at)
        VALUES (:name, :person_id, :secret_hash, :created_at)
        """,
        token,
    )


def revoke_token(db, name, revoked_at):
    db.execute(
        "UPDATE api_token SET revoked_at = :revoked_at WHERE name = :name AND revoked_at IS NULL",
        {"name": name, "revoked_at": revoked_at},
    )


def mark_token_used(db, name, used_at, not_since):
    """Record a use, unless one was recorded after `not_since`."""
    db.execute(
        """
        UPDATE api_token
           SET last_used_at = :used_at
         WHERE name = :name AND (last_used_at IS NULL OR last_used_at <= :not_since)
        """,
        {"name": name, "used_at": used_at, "not_since": not_since},
    )


def token_in_force_by_name(db, name):
    """The token of this name, unless it is revoked; or None."""
    return db.execute(f"{TOKEN_IN_FORCE} AND token.name = :name", {"name": name}).fetchone()


def insert_sign_in_link(db, link):
    db.execute(
        """
        INSERT INTO sign_in_link (secret_hash, token_name, expires_at)
        VALUES (:secret_hash, :token_name, :expires_at)
        """,
        link,
    )


def sign_in_link_token(db, secret_hash, now):
    """The token in force that an unexpired link names, or None."""
    return db.execute(
        f"""
        SELECT token.name, person.role, {MENTOR_ID}, person.language, token.last_used_at
          FROM sign_in_link AS link
          JOIN api_token AS token ON token.name = link.token_name
          JOIN person ON person.person_id = token.person_id
         WHERE link.secret_hash = :secret_hash AND link.expires_at > :now
           AND token.revoked_at IS NULL
        """,
        {"secret_hash": secret_hash, "now": now},
    ).fetchone()


def take_sign_in_link(db, secret_hash):
    """Delete the link; returns whether it was there (and so is used now, once)."""
    cursor = db.execute(
        "DELETE FROM sign_in_link WHERE secret_hash = :secret_hash", {"secret_hash": secret_hash}
    )
    return cursor.rowcount == 1


def delete_sign_in_links_expired_by(db, now):
    db.execute("DELETE FROM sign_in_link WHERE expires_at <= :now", {"now": now})


# The pages' sessions (see reports/web/sessions.py) -------------------------------


def web_session(db, id_hash):
    """The session with this id's hash, or None."""
    return db.execute(
        """
        SELECT id_hash, token_name, data, created_at, seen_at, idle_until, ends_at
          FROM web_session
         WHERE id_hash = :id_hash
        """,
        {"id_hash": id_hash},
    ).fetchone()


def insert_web_session(db, record):
    db.execute(
        """
        INSERT INTO web_session (id_hash, token_name, data, created_at, seen_at, idle_until,
                                 ends_at)
        VALUES (:id_hash, :token_name, :data, :created_at, :seen_at, :idle_until, :ends_at)
        """,
        record,
    )


def update_web_session(db, id_hash, token_name, data):
    db.execute(
        "UPDATE web_session SET token_name = :token_name, data = :data WHERE id_hash = :id_hash",
        {"id_hash": id_hash, "token_name": token_name, "data": data},
    )


def touch_web_session(db, id_hash, seen_at, idle_until, not_since):
    """Note a use of the session, unless one was noted after `not_since`."""
    db.execute(
        """
        UPDATE web_session
           SET seen_at = :seen_at, idle_until = :idle_until
         WHERE id_hash = :id_hash AND seen_at <= :not_since
        """,
        {"id_hash": id_hash, "seen_at": seen_at, "idle_until": idle_until, "not_since": not_since},
    )


def delete_web_session(db, id_hash):
    db.execute("DELETE FROM web_session WHERE id_hash = :id_hash", {"id_hash": id_hash})


def end_web_sessions_of_token(db, name):
    """End the sessions the token signed in: each is left holding only the
    mark that tells its browser why, at its next page (reports/web/sessions.py)."""
    db.execute(
        """
        UPDATE web_session
           SET token_name = NULL, data = '{"revoked":true}'
         WHERE token_name = :name
        """,
        {"name": name},
    )


def delete_web_sessions_ended_by(db, now):
    """Delete the sessions that have ended by `now`; returns how many."""
    return db.execute(
        "DELETE FROM web_session WHERE idle_until <= :now OR ends_at <= :now", {"now": now}
    ).rowcount
