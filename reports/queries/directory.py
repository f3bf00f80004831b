"""The statements of the directory: people and activities, and the mentors who
lead each activity."""

PERSON_COLUMNS = """
    person_id, name, role,
    CASE WHEN role = 'mentor' THEN peer_mentor_id END AS peer_mentor_id,
    email, language, notify, created_at
"""


# People --------------------------------------------------------------------------


def people(db):
    """Every person not removed, in the order they were added, each with the
    last use of any of its tokens (revoked ones too) and how many are in force."""
    return db.execute(
        f"""
        SELECT {PERSON_COLUMNS},
               (SELECT max(token.last_used_at)
                  FROM api_token AS token
                 WHERE token.person_id = person.person_id) AS last_used_at,
               (SELECT count(*)
                  FROM api_token AS token
                 WHERE token.person_id = person.person_id
                   AND token.revoked_at IS NULL) AS tokens_in_force
          FROM person INDEXED BY person_in_directory
         WHERE removed_at IS NULL
         ORDER BY created_at, rowid
        """
    ).fetchall()


def coordinators(db):
    """How many coordinators there are, not counting those removed."""
    return db.execute(
        "SELECT count(*) FROM person WHERE role = 'coordinator' AND removed_at IS NULL"
    ).fetchone()[0]


def person_by_id(db, person_id):
    """The person, unless removed; or None."""
    return db.execute(
        f"""
        SELECT {PERSON_COLUMNS}
          FROM person
         WHERE person_id = :person_id AND removed_at IS NULL
        """,
        {"person_id": person_id},
    ).fetchone()


def person_of_mentor(db, peer_mentor_id):
    """The person, removed or not, who has (or had) this peer mentor id; or None.
    Its peer_mentor_id is the stored one, whatever its role is now."""
    return db.execute(
        """
        SELECT person_id, name, role, peer_mentor_id, removed_at
          FROM person
         WHERE peer_mentor_id = :peer_mentor_id
        """,
        {"peer_mentor_id": peer_mentor_id},
    ).fetchone()


def stored_peer_mentor_id(db, person_id):
    """The peer mentor id a person keeps, whatever its role is now; or None."""
    row = db.execute(
        "SELECT peer_mentor_id FROM person WHERE person_id = :person_id",
        {"person_id": person_id},
    ).fetchone()
    return None if row is None else row[0]


def person_id_taken(db, person_id):
    return db.execute(
        "SELECT EXISTS (SELECT 1 FROM person WHERE person_id = :person_id)",
        {"person_id": person_id},
    ).fetchone()[0]


def insert_person(db, person):
    db.execute(
        """
        INSERT INTO person
               (person_id, name, role, peer_mentor_id, email, language, notify, created_at)
        VALUES (:person_id, :name, :role, :peer_mentor_id, :email, :language, :notify,
                :created_at)
        """,
        person,
    )


def update_person(db, person):
    db.execute(
        """
        UPDATE person
           SET name = :name, role = :role, peer_mentor_id = :peer_mentor_id, email = :email,
               language = :language, notify = :notify
         WHERE person_id = :person_id AND removed_at IS NULL
        """,
        person,
    )


def set_language_of_token_person(db, token_name, language):
    """The preferred language of the person whose token this is."""
    db.execute(
        """
        UPDATE person
           SET language = :language
         WHERE person_id = (SELECT person_id FROM api_token WHERE name = :token_name)
        """,
        {"token_name": token_name, "language": language},
    )


def set_person_email(db, person_id, email):
    db.execute(
        "UPDATE person SET email = :email WHERE person_id = :person_id",
        {"person_id": person_id, "email": email},
    )


def remove_person(db, person_id, removed_at):
    """Mark the person removed, keeping its name, role and peer mentor id only."""
    db.execute(
        """
        UPDATE person
           SET removed_at = :removed_at, email = NULL, language = NULL
         WHERE person_id = :person_id AND removed_at IS NULL
        """,
        {"person_id": person_id, "removed_at": removed_at},
    )


def tokens_of_person(db, person_id):
    """The person's tokens still in force, oldest first: name, created_at, last_used_at."""
    return db.execute(
        """
        SELECT name, created_at, last_used_at
          FROM api_token
         WHERE person_id = :person_id AND revoked_at IS NULL
         ORDER BY created_at, name
        """,
        {"person_id": person_id},
    ).fetchall()


def token_name_taken(db, name):
    return db.execute(
        "SELECT EXISTS (SELECT 1 FROM api_token WHERE name = :name)", {"name": name}
    ).fetchone()[0]


def delete_sign_in_links_of_token(db, name):
    db.execute("DELETE FROM sign_in_link WHERE token_name = :name", {"name": name})


def mentor_names(db):
    """(peer_mentor_id, name) of every person who has (or had) a peer mentor id."""
    return db.execute(
        "SELECT peer_mentor_id, name FROM person WHERE peer_mentor_id IS NOT NULL"
    ).fetchall()


def token_people(db):
    """(token name, its person's name) of every token, revoked or not."""
    return db.execute(
        """
        SELECT token.name, person.name
          FROM api_token AS token
          JOIN person ON person.person_id = token.person_id
        """
    ).fetchall()


# Activities ----------------------------------------------------------------------

ACTIVITY_COLUMNS = """
    activity.activity_id, activity.name, activity.org_id,
    activity.archived_at IS NOT NULL AS archived,
    (SELECT json_group_array(peer_mentor_id)
       FROM (SELECT led.peer_mentor_id
               FROM activity_mentor AS led
              WHERE led.activity_id = activity.activity_id
              ORDER BY led.peer_mentor_id)) AS mentors
"""


def activities(db, archived=None):
    """Every activity, in the order they were added; with `archived`, only those
    that are (or are not) archived."""
    return db.execute(
        f"""
        SELECT {ACTIVITY_COLUMNS}
          FROM activity INDEXED BY activity_by_created
         WHERE :archived IS NULL OR (activity.archived_at IS NOT NULL) = :archived
         ORDER BY activity.created_at, activity.rowid
        """,
        {"archived": archived},
    ).fetchall()


def activities_led_by(db, peer_mentor_id, archived=None):
    """The activities the peer mentor leads, oldest first, filtered as `activities`."""
    return db.execute(
        f"""
        SELECT {ACTIVITY_COLUMNS}
          FROM activity_mentor AS leads
          JOIN activity ON activity.activity_id = leads.activity_id
         WHERE leads.peer_mentor_id = :peer_mentor_id
           AND (:archived IS NULL OR (activity.archived_at IS NOT NULL) = :archived)
         ORDER BY activity.created_at, activity.rowid
        """,
        {"peer_mentor_id": peer_mentor_id, "archived": archived},
    ).fetchall()


def activity_by_id(db, activity_id):
    """The activity, archived or not; or None."""
    return db.execute(
        f"SELECT {ACTIVITY_COLUMNS} FROM activity WHERE activity.activity_id = :activity_id",
        {"activity_id": activity_id},
    ).fetchone()


def insert_activity(db, activity):
    db.execute(
        """
        INSERT INTO activity (activity_id, name, org_id, created_at)
        VALUES (:activity_id, :name, :org_id, :created_at)
        """,
        activity,
    )


def update_activity(db, activity_id, name, org_id):
    db.execute(
        "UPDATE activity SET name = :name, org_id = :org_id WHERE activity_id = :activity_id",
        {"activity_id": activity_id, "name": name, "org_id": org_id},
    )


def set_activity_archived(db, activity_id, archived_at):
    """Archive the activity at `archived_at` (unless it is already), or with None bring it back."""
    db.execute(
        """
        UPDATE activity
           SET archived_at = CASE WHEN :archived_at IS NULL THEN NULL
                                  ELSE coalesce(archived_at, :archived_at) END
         WHERE activity_id = :activity_id
        """,
        {"activity_id": activity_id, "archived_at": archived_at},
    )


def set_activity_mentors(db, activity_id, peer_mentor_ids):
    db.execute(
        "DELETE FROM activity_mentor WHERE activity_id = :activity_id",
        {"activity_id": activity_id},
    )
    db.executemany(
        """
        INSERT INTO activity_mentor (activity_id, peer_mentor_id)
        VALUES (:activity_id, :peer_mentor_id)
        """,
        [{"activity_id": activity_id, "peer_mentor_id": mentor} for mentor in peer_mentor_ids],
    )


def stop_leading(db, peer_mentor_id):
    """The peer mentor leads no activity any more."""
    db.execute(
        "DELETE FROM activity_mentor WHERE peer_mentor_id = :peer_mentor_id",
        {"peer_mentor_id": peer_mentor_id},
    )


def activity_names(db):
    """(activity_id, name) of every activity, archived or not."""
    return db.execute("SELECT activity_id, name FROM activity").fetchall()
