"""The keyset cursor of a list's pages, written by encode_cursor and loaded by
Cursor; and the place in the outbox's feed, loaded by EventCursor."""

import base64
import binascii
import json
import re

from marshmallow import ValidationError
from marshmallow import fields as ma

from reports.schemas.values import (
    ISO_DATE,
    MAX_SQLITE_INTEGER,
    SORTS,
    TIMESTAMP,
    is_report_id,
)

CURSOR_KEY = re.compile(rf"|{ISO_DATE.pattern}|{TIMESTAMP.pattern}")
# At most as many digits as the largest id SQLite gives.
EVENT_CURSOR = re.compile(r"[0-9]{1,19}")


def encode_cursor(sort, key, report_id, page):
    """An opaque keyset cursor: the page starts after the report whose sort key
    is `key` and whose id is `report_id`, in the order `sort`. It holds nothing
    but what the caller has seen: no row number, which would count others' reports."""
    text = json.dumps([sort, key, report_id, page], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class Cursor(ma.String):
    """A cursor made by encode_cursor, loaded as {"sort", "key", "report_id", "page"}."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            sort, key, report_id, page = json.loads(
                base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            )
        except (ValueError, TypeError, binascii.Error):
            sort = key = report_id = page = None
        if not (
            sort in {f"{sign}{name}" for name in SORTS for sign in ("", "-")}
            and isinstance(key, str)
            and CURSOR_KEY.fullmatch(key)
            and isinstance(report_id, str)
            and is_report_id(report_id)
            and type(page) is int
            and 2 <= page <= MAX_SQLITE_INTEGER
        ):
            raise ValidationError("Not a valid cursor: follow the `Link` of the page before.")
        return {"sort": sort, "key": key, "report_id": report_id, "page": page}


class EventCursor(ma.String):
    """A place in the outbox's feed, as its events' `cursor` write it: ASCII
    digits, loaded as the integer they write. 0 is before the oldest event kept."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not (EVENT_CURSOR.fullmatch(text) and int(text) <= MAX_SQLITE_INTEGER):
            raise ValidationError(
                "Not a valid cursor: give 0, or a cursor the feed answered (`next_after`, "
                "or an event's `cursor`)."
            )
        return int(text)
