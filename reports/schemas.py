"""marshmallow schemas: the field catalogue, and every request and response shape."""

import base64
import binascii
import json
import re
import unicodedata
from datetime import date, timedelta

from marshmallow import Schema, ValidationError, validate, validates_schema
from marshmallow import fields as ma

from reports import clock

STATUSES = ("draft", "submitted")
ENGAGEMENT_LEVELS = ("low", "medium", "high", "very_high")

REPORT_ID = re.compile(r"rpt_[0-9a-f]{8}")
ENTITY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
QUERY_INTEGER = re.compile(r"-?[0-9]+")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
MAX_SQLITE_INTEGER = 2**63 - 1


def is_report_id(value):
    return REPORT_ID.fullmatch(value) is not None


def is_entity_id(value):
    return ENTITY_ID.fullmatch(value) is not None


# Validators ---------------------------------------------------------------


def plain_text(value):
    """No NUL or other control characters but tab, CR and LF; no lone surrogates,
    which cannot be stored as UTF-8."""
    for char in value:
        if char in "\t\r\n":
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValidationError(
                f"Must not contain control characters (found U+{ord(char):04X}); "
                "tab, CR and LF are allowed."
            )
        if category == "Cs":
            raise ValidationError(f"Must not contain a lone surrogate (U+{ord(char):04X}).")


def not_blank(value):
    if not value.strip():
        raise ValidationError("Must not be blank.")


def entity_id(value):
    if not is_entity_id(value):
        raise ValidationError("Must be 1 to 64 characters of A-Z, a-z, 0-9, _ . : -")


# Fields -------------------------------------------------------------------


class EntityId(ma.String):
    """An activity, peer mentor or organisation id."""

    def __init__(self, **kwargs):
        super().__init__(
            validate=entity_id,
            metadata={"pattern": f"^{ENTITY_ID.pattern}$", "minLength": 1, "maxLength": 64},
            **kwargs,
        )


class Text(ma.String):
    """Free text, at most `max_length` characters, stored exactly as sent."""

    def __init__(self, max_length, min_length=None, description="", **kwargs):
        validators = [validate.Length(min=min_length, max=max_length), plain_text]
        validators += kwargs.pop("validate", [])
        description += " No control characters but tab, CR and LF."
        super().__init__(validate=validators, metadata={"description": description}, **kwargs)


class SessionDate(ma.String):
    """A calendar date written exactly YYYY-MM-DD, not after tomorrow (UTC).
    Kept as the string that was sent."""

    def __init__(self, **kwargs):
        metadata = {
            "format": "date",
            "pattern": f"^{ISO_DATE.pattern}$",
            "description": "The day of the session, YYYY-MM-DD, not after tomorrow (UTC).",
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not ISO_DATE.fullmatch(text):
            raise ValidationError("Not a valid date: write it as YYYY-MM-DD.")
        try:
            day = date.fromisoformat(text)
        except ValueError as error:
            raise ValidationError("Not a real calendar date.") from error
        tomorrow = clock.now().date() + timedelta(days=1)
        if day > tomorrow:
            raise ValidationError(f"Must not be after tomorrow ({tomorrow.isoformat()}, UTC).")
        return text


class StrictBoolean(ma.Boolean):
    """A JSON true or false, nothing that merely looks like one. SQLite's 0 and 1
    go out as false and true."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else bool(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class QueryInteger(ma.Integer):
    """An integer query parameter, written in plain ASCII digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not QUERY_INTEGER.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def encode_cursor(created_at, seq, page):
    """An opaque keyset cursor: the page starts after the report (created_at, seq)."""
    text = json.dumps([created_at, seq, page], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class Cursor(ma.String):
    """A cursor made by encode_cursor, loaded as {"created_at", "seq", "page"}."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            created_at, seq, page = json.loads(
                base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            )
        except (ValueError, TypeError, binascii.Error):
            created_at = seq = page = None
        if not (
            isinstance(created_at, str)
            and TIMESTAMP.fullmatch(created_at)
            and type(seq) is int
            and 1 <= seq <= MAX_SQLITE_INTEGER
            and type(page) is int
            and 2 <= page <= MAX_SQLITE_INTEGER
        ):
            raise ValidationError("Not a valid cursor: follow the `Link` of the page before.")
        return {"created_at": created_at, "seq": seq, "page": page}


class Unchangeable(ma.Raw):
    """A key that a client may name on create but never on update."""

    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError("Cannot be changed after the report is created.")


# The field catalogue ------------------------------------------------------


class ReportFieldsSchema(Schema):
    """The catalogue fields of a report. On input, null removes a field."""

    session_date = SessionDate(allow_none=True)
    attendance_count = ma.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=1000)
    )
    session_topic = Text(
        max_length=200,
        min_length=1,
        validate=[not_blank],
        allow_none=True,
        description="What the session was about; not blank.",
    )
    participant_engagement = ma.String(allow_none=True, validate=validate.OneOf(ENGAGEMENT_LEVELS))
    challenges_noted = Text(max_length=5000, allow_none=True, description="Challenges noted.")
    mentor_notes = Text(max_length=10000, allow_none=True, description="The mentor's notes.")
    way_forward = Text(
        max_length=5000,
        allow_none=True,
        description="The next steps agreed with participants.",
    )
    duration_minutes = ma.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=1440)
    )
    follow_up_needed = StrictBoolean(allow_none=True)


FIELD_NAMES = tuple(ReportFieldsSchema().fields)
REQUIRED_TO_SUBMIT = ("session_date", "attendance_count", "session_topic")

ReportFieldsSchema.error_messages = {
    "unknown": f"Unknown field. Allowed fields: {', '.join(FIELD_NAMES)}."
}


# Requests -----------------------------------------------------------------


class NewReportSchema(Schema):
    """The body of POST /api/v1/reports."""

    activity_id = EntityId(required=True)
    peer_mentor_id = EntityId(required=True)
    # Loaded as partial when the instance sets DEFAULT_ORG_ID.
    org_id = EntityId(required=True)
    status = ma.String(load_default="draft", validate=validate.OneOf(STATUSES))
    fields = ma.Nested(ReportFieldsSchema, load_default=dict)


UNCHANGEABLE = ("report_id", "activity_id", "peer_mentor_id", "org_id")


class ReportChangesSchema(Schema):
    """The body of PUT /api/v1/reports/<report_id>."""

    status = ma.String(validate=validate.OneOf(STATUSES))
    fields = ma.Nested(ReportFieldsSchema)
    report_id = Unchangeable()
    activity_id = Unchangeable()
    peer_mentor_id = Unchangeable()
    org_id = Unchangeable()

    @validates_schema
    def names_a_change(self, data, **kwargs):
        if "status" not in data and "fields" not in data:
            raise ValidationError("Give `fields`, `status` or both.")


class ListQuerySchema(Schema):
    """The query string of the three list endpoints."""

    page = QueryInteger(load_default=1, validate=validate.Range(min=1))
    limit = QueryInteger(load_default=20, validate=validate.Range(min=1, max=100))
    status = ma.String(validate=validate.OneOf(STATUSES))
    cursor = Cursor(metadata={"description": "Where the next page starts, from the `Link` header."})

    @validates_schema(pass_original=True)
    def page_or_cursor(self, data, original, **kwargs):
        if "page" in original and "cursor" in original:
            raise ValidationError("Give `page` or `cursor`, not both.", "cursor")


# Responses ----------------------------------------------------------------


def timestamp(**kwargs):
    """A UTC time as the API writes it: YYYY-MM-DDTHH:MM:SSZ."""
    return ma.String(
        metadata={"format": "date-time", "pattern": f"^{TIMESTAMP.pattern}$"}, **kwargs
    )


class ReportSchema(Schema):
    """A report as the API shows it; each endpoint shows a subset of these keys."""

    report_id = ma.String(metadata={"pattern": f"^{REPORT_ID.pattern}$"})
    activity_id = EntityId()
    peer_mentor_id = EntityId()
    org_id = EntityId()
    status = ma.String(metadata={"enum": list(STATUSES)})
    fields = ma.Nested(ReportFieldsSchema)
    submitted_at = timestamp(allow_none=True)
    created_at = timestamp()
    updated_at = timestamp()
    field_count = ma.Integer(metadata={"minimum": 0, "maximum": len(FIELD_NAMES)})
    has_way_forward = StrictBoolean()


class PaginationSchema(Schema):
    page = ma.Integer()
    limit = ma.Integer()
    total = ma.Integer()


class DeletedSchema(Schema):
    deleted = ma.Boolean()
    report_id = ma.String()


class ProblemSchema(Schema):
    """An RFC 9457 problem details document: the body of every error."""

    type = ma.String(metadata={"description": "Always about:blank: `title` says it all."})
    title = ma.String(metadata={"description": "The HTTP status phrase."})
    status = ma.Integer()
    detail = ma.String(metadata={"description": "What went wrong, in words."})
    errors = ma.Dict(
        metadata={"description": "On a 422: the messages per field, nested for `fields`."}
    )


def page_schema(name, item_schema):
    """The shape of one page of a list: `data` items of `item_schema`, and `pagination`."""
    return Schema.from_dict(
        {"data": ma.List(ma.Nested(item_schema)), "pagination": ma.Nested(PaginationSchema)},
        name=name,
    )()


report_schema = ReportSchema(
    only=(
        "report_id", "activity_id", "peer_mentor_id", "org_id", "status", "fields",
        "submitted_at", "created_at", "updated_at",
    )
)  # fmt: skip
created_report_schema = ReportSchema(
    only=("report_id", "activity_id", "peer_mentor_id", "status", "created_at")
)
updated_report_schema = ReportSchema(only=("report_id", "status", "submitted_at", "updated_at"))
report_summary_schema = ReportSchema(
    only=(
        "report_id", "activity_id", "peer_mentor_id", "status", "submitted_at",
        "created_at", "field_count", "has_way_forward",
    )
)  # fmt: skip
activity_report_schema = ReportSchema(
    only=("report_id", "peer_mentor_id", "status", "submitted_at")
)
mentor_report_schema = ReportSchema(only=("report_id", "activity_id", "status", "submitted_at"))
deleted_schema = DeletedSchema()

report_page_schema = page_schema("ReportPage", report_summary_schema)
activity_page_schema = page_schema("ActivityReportPage", activity_report_schema)
mentor_page_schema = page_schema("MentorReportPage", mentor_report_schema)


def stored_form_dumper(schema):
    """A dump for rows the service stored in their API form already: `schema`'s
    own keys, in its order, with SQLite's 0 and 1 as false and true. Equal to
    `schema.dump` on such rows (a test checks it) at a fraction of the cost,
    which counts on every list."""
    keys = tuple((name, isinstance(field, ma.Boolean)) for name, field in schema.fields.items())

    def dump(row):
        return {name: bool(row[name]) if flag else row[name] for name, flag in keys}

    return dump


dump_report = stored_form_dumper(report_schema)
dump_created_report = stored_form_dumper(created_report_schema)
dump_updated_report = stored_form_dumper(updated_report_schema)
dump_report_summary = stored_form_dumper(report_summary_schema)
dump_activity_report = stored_form_dumper(activity_report_schema)
dump_mentor_report = stored_form_dumper(mentor_report_schema)

new_report_schema = NewReportSchema()
report_changes_schema = ReportChangesSchema()
list_query_schema = ListQuerySchema()
