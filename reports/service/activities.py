"""Activities: what reports are filed under, and the mentors who lead each. A
coordinator manages them; a viewer reads them all; a mentor reads those it
leads only (another is not found). An activity is archived, never deleted: its
reports stay in every list, filter, summary and export, as they were."""

import json

from werkzeug.exceptions import NotFound

from reports import clock, queries, slugs
from reports.db import get_db, write
from reports.errors import Conflict
from reports.schemas import is_entity_id

from .people import known_mentors
from .roles import require_may


def list_activities(archived=None, *, caller):
    """Every activity (with `archived`, only those that are, or are not); a
    mentor's, those it leads."""
    require_may("read", caller)
    db = get_db()
    if caller.owner is not None:
        rows = queries.activities_led_by(db, caller.owner, archived)
    else:
        rows = queries.activities(db, archived)
    return [_activity(row) for row in rows]


def get_activity(activity_id, *, caller):
    require_may("read", caller)
    return _seen_activity(get_db(), activity_id, caller)


def create_activity(new, default_org_id=None, *, caller):
    """Store an activity from a NewActivitySchema load. Its id is made from its
    name unless given (a given one that is taken, archived or not, is a 409);
    its organisation is `default_org_id` unless given."""
    require_may("manage activities", caller)

    def create(db):
        known_mentors(db, new["mentors"])
        activity_id = new.get("activity_id")
        if activity_id is None:
            activity_id = slugs.id_from_name(
                new["name"], lambda id: queries.activity_by_id(db, id) is not None, "", "act_"
            )
        elif queries.activity_by_id(db, activity_id) is not None:
            raise Conflict(f"An activity has the id {activity_id!r} already.")
        org_id = new["org_id"] if "org_id" in new else default_org_id
        queries.insert_activity(
            db,
            {
                "activity_id": activity_id,
                "name": new["name"],
                "org_id": org_id,
                "created_at": clock.timestamp(),
            },
        )
        queries.set_activity_mentors(db, activity_id, new["mentors"])
        return _activity(queries.activity_by_id(db, activity_id))

    return write(create)


def update_activity(activity_id, changes, *, caller):
    """Change what an ActivityChangesSchema load gives; the id stays, so every
    report keeps its activity."""
    require_may("manage activities", caller)

    def update(db):
        activity = _seen_activity(db, activity_id, caller)
        if "mentors" in changes:
            known_mentors(db, changes["mentors"])
            queries.set_activity_mentors(db, activity_id, changes["mentors"])
        queries.update_activity(
            db,
            activity_id,
            changes.get("name", activity["name"]),
            changes.get("org_id", activity["org_id"]),
        )
        if "archived" in changes:
            archived_at = clock.timestamp() if changes["archived"] else None
            queries.set_activity_archived(db, activity_id, archived_at)
        return _activity(queries.activity_by_id(db, activity_id))

    return write(update)


def archive_activity(activity_id, *, caller):
    """Archive the activity (again is fine); its reports stay as they are."""
    require_may("manage activities", caller)

    def archive(db):
        _seen_activity(db, activity_id, caller)
        queries.set_activity_archived(db, activity_id, clock.timestamp())
        return _activity(queries.activity_by_id(db, activity_id))

    return write(archive)


def _seen_activity(db, activity_id, caller):
    """The activity, if it exists and the caller may see it (a mentor, those it leads)."""
    row = queries.activity_by_id(db, activity_id) if is_entity_id(activity_id) else None
    activity = None if row is None else _activity(row)
    if activity is None or caller.owner not in (None, *activity["mentors"]):
        raise NotFound(f"No activity has the id {activity_id!r}.")
    return activity


def _activity(row):
    return {**dict(row), "mentors": json.loads(row["mentors"]), "archived": bool(row["archived"])}
