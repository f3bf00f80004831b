"""The keyset cursor of a list's pages: written by encode_cursor, loaded by Cursor."""

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
