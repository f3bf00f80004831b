"""marshmallow schemas: the field catalogue, and every request and response shape."""

import base64
import binascii
import json
import re
import threading
import unicodedata
from collections import OrderedDict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from marshmallow import (
    INCLUDE,
    RAISE,
    Schema,
    ValidationError,
    post_dump,
    pre_dump,
    validate,
    validates_schema,
)
from marshmallow import fields as ma

from reports import catalogue, clock, search

STATUSES = ("draft", "submitted")
REVIEW_STATES = ("approved", "has_issues", "rejected")
SORTS = ("created_at", "submitted_at", "session_date")
# The enums of the API, by the name of their component in the OpenAPI document
# (see enum_of); a choice field of the catalogue names its own (see enum_name).
ENUMS = {
    "ReportStatus": STATUSES,
    "ReviewState": REVIEW_STATES,
    "ReviewFilter": (*REVIEW_STATES, "none"),
    "Sort": tuple(f"{sign}{name}" for name in SORTS for sign in ("-", "")),
    "ExportFormat": ("json", "csv", "ndjson", "xlsx"),
    "SummaryFormat": ("json", "csv", "xlsx"),
    "GroupBy": ("month", "mentor", "activity", "org"),
    "RevisionAction": ("create", "update", "submit", "review", "delete", "restore"),
    "FieldKind": tuple(catalogue.KINDS),
}
ENUM_NAME = "x-enum-name"


def enum_of(name, metadata=None, **kwargs):
    """A string field that takes (and shows) one value of the enum `name` of
    ENUMS, which the OpenAPI document makes a component of that name."""
    return ma.String(
        validate=validate.OneOf(ENUMS[name]),
        metadata={**(metadata or {}), ENUM_NAME: name},
        **kwargs,
    )


REPORT_ID = re.compile(r"rpt_[0-9a-f]{8}")
ENTITY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
# ENTITY_ID in words, for the messages that refuse an id.
ENTITY_ID_RULE = "1 to 64 characters of A-Z, a-z, 0-9, _ . : -"
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


def a_search(value):
    """Within what one search may ask: see reports/search.py."""
    try:
        search.terms(value)
    except search.BadSearch as error:
        raise ValidationError(str(error)) from None


def entity_id(value):
    if not is_entity_id(value):
        raise ValidationError(f"Must be {ENTITY_ID_RULE}")


def valid_report_id(value):
    if not is_report_id(value):
        raise ValidationError("Must be rpt_ and 8 lower-case hexadecimal digits.")


def valid_timestamp(value):
    """The whole value is a real UTC time, YYYY-MM-DDTHH:MM:SSZ: no line break
    after it, no 2025-99-99, no year 0."""
    if not TIMESTAMP.fullmatch(value) or not _is_real(_parse_timestamp, value):
        raise ValidationError("Not a valid time: write a real UTC time as YYYY-MM-DDTHH:MM:SSZ.")


# Fields -------------------------------------------------------------------


class EntityId(ma.String):
    """An activity, peer mentor or organisation id."""

    def __init__(self, metadata=None, **kwargs):
        super().__init__(
            validate=entity_id,
            metadata={
                "pattern": f"^{ENTITY_ID.pattern}$",
                "minLength": 1,
                "maxLength": 64,
                **(metadata or {}),
            },
            **kwargs,
        )


class Text(ma.String):
    """Free text, at most `max_length` characters, stored exactly as sent. The
    OpenAPI document adds to its description that it takes no control
    characters (see openapi.py), which a person filling a form need not read."""

    def __init__(self, max_length, min_length=None, description=None, metadata=None, **kwargs):
        validators = [validate.Length(min=min_length, max=max_length), plain_text]
        validators += kwargs.pop("validate", [])
        metadata = {**({"description": description} if description else {}), **(metadata or {})}
        super().__init__(validate=validators, metadata=metadata, **kwargs)


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


class QueryDate(ma.String):
    """A date query parameter, exactly YYYY-MM-DD and a real calendar date."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not ISO_DATE.fullmatch(text) or not _is_real(date.fromisoformat, text):
            raise ValidationError("Not a valid date: write a real date as YYYY-MM-DD.")
        return text


class QueryTime(ma.String):
    """A UTC time query parameter, YYYY-MM-DDTHH:MM:SSZ, or YYYY-MM-DD for the
    start of that day. Loaded as the API writes times."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if ISO_DATE.fullmatch(text):
            text += "T00:00:00Z"
        if not TIMESTAMP.fullmatch(text) or not _is_real(_parse_timestamp, text):
            raise ValidationError(
                "Not a valid time: write YYYY-MM-DDTHH:MM:SSZ (UTC) or YYYY-MM-DD."
            )
        return text


def _parse_timestamp(text):
    return datetime.strptime(text, clock.TIMESTAMP_FORMAT)


def _is_real(parse, text):
    try:
        parse(text)
    except ValueError:
        return False
    return True


class QueryBoolean(ma.String):
    """A boolean query parameter: exactly `true` or `false`."""

    def __init__(self, metadata=None, **kwargs):
        super().__init__(metadata={"type": "boolean", **(metadata or {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in ("true", "false"):
            raise ValidationError("Must be true or false.")
        return text == "true"


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


# How many unknown keys of one object a 422 lists; it says how many there are in all.
MAX_UNKNOWN_LISTED = 20
UNKNOWN_FIELD = "Unknown field."


class RequestSchema(Schema):
    """A schema of what a client sends. Its unknown keys are set aside before
    marshmallow loads the rest, which would spend time on each of them and list
    them all: a 422 lists at most MAX_UNKNOWN_LISTED, says the schema's own
    unknown-key message (which may name the allowed keys) once, at the first,
    and counts the others. A body of many unknown keys gets a small answer, fast."""

    def load(self, data, *, many=None, partial=None, unknown=None):
        if not isinstance(data, dict) or many or unknown not in (None, RAISE):
            return super().load(data, many=many, partial=partial, unknown=unknown)
        known = {field.data_key or name for name, field in self.load_fields.items()}
        strangers = [key for key in data if key not in known]
        if not strangers:
            return super().load(data, partial=partial)
        listed = listed_at_most(
            strangers, UNKNOWN_FIELD, "unknown fields", self.error_messages["unknown"]
        )
        try:
            super().load({key: data[key] for key in data if key in known}, partial=partial)
        except ValidationError as error:
            messages = dict(error.messages)
            if "_schema" in messages and "_schema" in listed:
                listed["_schema"] = messages.pop("_schema") + listed["_schema"]
            raise ValidationError({**messages, **listed}, data=data) from None
        raise ValidationError(listed, data=data)


def listed_at_most(keys, message, what, first_message=None):
    """{key: [message]} for the first MAX_UNKNOWN_LISTED keys (the first with
    `first_message`), and when there are more, a `_schema` message that counts them."""
    listed = {
        key: [first_message if position == 0 and first_message else message]
        for position, key in enumerate(keys[:MAX_UNKNOWN_LISTED])
    }
    if len(keys) > MAX_UNKNOWN_LISTED:
        listed["_schema"] = [
            f"{len(keys)} {what} in all; the first {MAX_UNKNOWN_LISTED} are listed."
        ]
    return listed


class LoadedQueries:
    """A query schema's loads of the query strings asked last. A list is asked
    the same question again and again (page 1, a mentor's list); loading it
    costs more than looking it up. A query that does not load is loaded, and
    refused, each time."""

    SIZE = 256

    def __init__(self, schema):
        self.schema = schema
        self.loaded = OrderedDict()
        self.lock = threading.Lock()

    def load(self, args):
        """schema.load(args), for a dict of query parameters."""
        key = tuple(args.items())
        with self.lock:
            query = self.loaded.get(key)
            if query is not None:
                self.loaded.move_to_end(key)
        if query is None:
            query = self.schema.load(args)
            with self.lock:
                self.loaded[key] = query
                while len(self.loaded) > self.SIZE:
                    self.loaded.popitem(last=False)
        return dict(query)


def single_valued(args):
    """A query string's MultiDict as a dict, or a ValidationError naming each
    parameter given more than once."""
    repeated = [name for name in args if len(args.getlist(name)) > 1]
    if repeated:
        raise ValidationError(
            listed_at_most(repeated, "Give this parameter once.", "parameters given more than once")
        )
    return args.to_dict()


class Unchangeable(ma.Raw):
    """A key that a client may name on create but never on update."""

    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError("Cannot be changed after the report is created.")


# The field catalogue ------------------------------------------------------


class CalendarDate(ma.String):
    """A calendar date written exactly YYYY-MM-DD, with `not_after_tomorrow`
    none after tomorrow (UTC). Kept as the string that was sent."""

    def __init__(self, not_after_tomorrow=True, metadata=None, **kwargs):
        self.not_after_tomorrow = not_after_tomorrow
        metadata = {"format": "date", "pattern": f"^{ISO_DATE.pattern}$", **(metadata or {})}
        super().__init__(metadata=metadata, **kwargs)

    @staticmethod
    def latest():
        """The last day a session may have been on: tomorrow, in UTC."""
        return clock.now().date() + timedelta(days=1)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not ISO_DATE.fullmatch(text):
            raise ValidationError("Not a valid date: write it as YYYY-MM-DD.")
        try:
            day = date.fromisoformat(text)
        except ValueError as error:
            raise ValidationError("Not a real calendar date.") from error
        if self.not_after_tomorrow:
            tomorrow = self.latest()
            if day > tomorrow:
                raise ValidationError(f"Must not be after tomorrow ({tomorrow.isoformat()}, UTC).")
        return text


DECIMAL = re.compile(r"-?[0-9]{1,13}(\.[0-9]{1,20})?")


class DecimalText(ma.Field):
    """A decimal number with at most `places` decimal places, sent as a JSON number
    or as a string of digits, and kept and shown as a string with exactly `places`
    of them ("12.50"): never a binary float."""

    def __init__(self, places, low=None, high=None, **kwargs):
        self.places, self.low, self.high = places, low, high
        pattern = r"-?[0-9]+" + (rf"\.[0-9]{{{places}}}" if places else "")
        metadata = {"type": "string", "format": "decimal", "pattern": f"^{pattern}$"}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("Not a valid number: write it as digits, such as 12.50.")
        text = value if isinstance(value, str) else repr(value)
        if not DECIMAL.fullmatch(text):
            raise ValidationError("Not a valid number: write it as digits, such as 12.50.")
        number = Decimal(text)
        if number != round(number, self.places):
            raise ValidationError(f"At most {self.places} decimal places.")
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ValidationError(_range_message(self.low, self.high))
        return f"{number:.{self.places}f}"


def _range_message(low, high):
    if low is not None and high is not None:
        return f"Must be greater than or equal to {low} and less than or equal to {high}."
    if low is not None:
        return f"Must be greater than or equal to {low}."
    return f"Must be less than or equal to {high}."


class ChoiceList(ma.List):
    """Several values of a list, each at most once."""

    def _deserialize(self, value, attr, data, **kwargs):
        chosen = super()._deserialize(value, attr, data, **kwargs)
        if len(set(chosen)) != len(chosen):
            raise ValidationError("Give each value once.")
        return chosen


def schema_field(field):
    """The marshmallow field that checks a catalogue field's value; its metadata
    `title` is the field's label and `description` its help, on the report form
    (reports/web/forms.py) as in the OpenAPI document."""
    metadata = {"title": field.label, "description": field.help}
    if field.kind == "text":
        return Text(
            max_length=field.max_length,
            min_length=field.min_length,
            validate=[not_blank] if field.min_length else [],
            allow_none=True,
            metadata=metadata,
        )
    if field.kind == "integer":
        return ma.Integer(
            strict=True,
            allow_none=True,
            validate=validate.Range(min=field.min, max=field.max),
            metadata=metadata,
        )
    if field.kind == "decimal":
        return DecimalText(field.places, field.min, field.max, allow_none=True, metadata=metadata)
    if field.kind == "boolean":
        return StrictBoolean(allow_none=True, metadata=metadata)
    if field.kind == "date":
        return CalendarDate(field.not_after_tomorrow, allow_none=True, metadata=metadata)
    one_of = validate.OneOf([choice.value for choice in field.values])
    if field.kind == "choice":
        return ma.String(
            allow_none=True, validate=one_of, metadata={**metadata, ENUM_NAME: enum_name(field)}
        )
    choice = ma.String(validate=one_of, metadata={ENUM_NAME: enum_name(field)})
    return ChoiceList(choice, allow_none=True, metadata=metadata)


def enum_name(field):
    """The name a choice field's values go by in the OpenAPI document, unless
    another component has it (see openapi.py)."""
    return "".join(part.capitalize() for part in field.name.split("_"))


def fields_schema_class(catalogue):
    """The schema of a report's `fields`: one field per catalogue field. On
    input, null removes a field."""
    attributes = {field.name: schema_field(field) for field in catalogue.fields}
    schema = type("ReportFieldsSchema", (RequestSchema,), attributes)
    schema.error_messages = {
        "unknown": f"Unknown field. Allowed fields: {', '.join(catalogue.names)}."
    }
    return schema


def stored_field(field):
    """The shape of a catalogue field's value as a report shows it: its type,
    without today's limits, which a value written under an earlier catalogue
    need not keep."""
    metadata = {"title": field.label, "description": field.help}
    if field.kind in ("text", "choice"):
        return ma.String(metadata=metadata)
    if field.kind == "integer":
        return ma.Integer(metadata=metadata)
    if field.kind == "decimal":
        return ma.String(metadata={**metadata, "format": "decimal"})
    if field.kind == "boolean":
        return ma.Boolean(metadata=metadata)
    if field.kind == "date":
        return ma.String(metadata={**metadata, "format": "date"})
    return ma.List(ma.String(), metadata=metadata)


def stored_fields_schema_class(catalogue):
    """The schema of `fields` as a report shows them: each of the catalogue's
    fields by its type, and the values of fields no longer in it, kept as
    they were stored."""
    attributes = {field.name: stored_field(field) for field in catalogue.fields}
    attributes["Meta"] = type("Meta", (), {"unknown": INCLUDE})
    return type("StoredFieldsSchema", (Schema,), attributes)


BUILT_IN = catalogue.built_in()
# The built-in catalogue's fields, names and rules; the service's own code asks
# for the live catalogue's (see shapes()).
ReportFieldsSchema = fields_schema_class(BUILT_IN)
FIELD_NAMES = BUILT_IN.names
REQUIRED_TO_SUBMIT = BUILT_IN.required


# Requests -----------------------------------------------------------------


class NewReportSchema(RequestSchema):
    """The body of POST /api/v1/reports."""

    activity_id = EntityId(
        required=True,
        metadata={
            "title": "Activity id",
            "description": "The id of the activity the session was part of.",
        },
    )
    peer_mentor_id = EntityId(
        required=True,
        metadata={"title": "Peer mentor id", "description": "The peer mentor who led the session."},
    )
    # Loaded as partial when the instance sets DEFAULT_ORG_ID: see load_new_report.
    org_id = EntityId(
        required=True,
        metadata={
            "title": "Organisation id",
            "description": "The organisation the report belongs to.",
        },
    )
    status = enum_of("ReportStatus", load_default="draft")
    fields = ma.Nested(ReportFieldsSchema, load_default=dict)


class ImportedReviewSchema(RequestSchema):
    """The review of a report in an import file; with every member null (as an
    export writes a report that has none), no review."""

    review_state = ma.String(allow_none=True, validate=validate.OneOf(REVIEW_STATES))
    comment = Text(max_length=5000, allow_none=True)
    reviewed_by = Text(max_length=200, min_length=1, allow_none=True)
    reviewed_at = ma.String(allow_none=True, validate=valid_timestamp)

    @validates_schema
    def names_its_state(self, data, **kwargs):
        if data.get("review_state") is None and any(value is not None for value in data.values()):
            raise ValidationError("A review needs its review_state.", "review_state")


class ImportedReportSchema(NewReportSchema):
    """A row of an import file: a new report, or one exported before, with its
    id, times and review. What is not given is made as for a POST."""

    report_id = ma.String(validate=valid_report_id)
    submitted_at = ma.String(allow_none=True, validate=valid_timestamp)
    created_at = ma.String(validate=valid_timestamp)
    updated_at = ma.String(validate=valid_timestamp)
    review = ma.Nested(ImportedReviewSchema, allow_none=True)

    @validates_schema
    def times_agree(self, data, **kwargs):
        if data.get("submitted_at") and data.get("status") != "submitted":
            raise ValidationError("Only a submitted report has a submission time.", "submitted_at")
        if (data.get("review") or {}).get("review_state") and data.get("status") != "submitted":
            raise ValidationError("Only a submitted report has a review.", "review")
        created, updated = data.get("created_at"), data.get("updated_at")
        if created and updated and updated < created:
            raise ValidationError("Must not be before created_at.", "updated_at")


def load_new_report(body, default_org_id=None, schema=None):
    """`body` loaded with `schema` (the live catalogue's new report, by default);
    org_id may be left out where the instance sets a DEFAULT_ORG_ID."""
    schema = shapes().new_report if schema is None else schema
    return schema.load(body, partial=("org_id",) if default_org_id else ())


UNCHANGEABLE = ("report_id", "activity_id", "peer_mentor_id", "org_id")


class ReportChangesSchema(RequestSchema):
    """The body of PUT /api/v1/reports/<report_id>."""

    status = enum_of("ReportStatus")
    fields = ma.Nested(ReportFieldsSchema)
    report_id = Unchangeable()
    activity_id = Unchangeable()
    peer_mentor_id = Unchangeable()
    org_id = Unchangeable()

    @validates_schema
    def names_a_change(self, data, **kwargs):
        if "status" not in data and "fields" not in data:
            raise ValidationError("Give `fields`, `status` or both.")


# The query parameters that filter a list, its export and its summary; the
# catalogue's boolean and choice fields are filters too, between these two.
FIXED_FILTERS = (
    "status", "org_id", "peer_mentor_id", "activity_id", "session_date_from", "session_date_to",
    "submitted_from", "submitted_to", "updated_since",
)  # fmt: skip
LAST_FILTERS = ("has_way_forward", "review_state", "q")
RANGES = (("session_date_from", "session_date_to"), ("submitted_from", "submitted_to"))


class FilterSchema(RequestSchema):
    """The filters every list, export and summary takes; each given one must hold."""

    status = enum_of("ReportStatus", metadata={"description": "Drafts, or submitted reports."})
    org_id = EntityId(metadata={"description": "The organisation's reports."})
    peer_mentor_id = EntityId(metadata={"description": "The peer mentor's reports."})
    activity_id = EntityId(metadata={"description": "The activity's reports."})
    session_date_from = QueryDate(metadata={"description": "Session on or after this day."})
    session_date_to = QueryDate(metadata={"description": "Session before this day."})
    submitted_from = QueryTime(metadata={"description": "Submitted at or after this time."})
    submitted_to = QueryTime(metadata={"description": "Submitted before this time."})
    updated_since = QueryTime(metadata={"description": "Created or changed at or after this time."})
    has_way_forward = QueryBoolean(
        metadata={"description": "Reports whose way forward is filled in (true), or not."}
    )
    review_state = enum_of(
        "ReviewFilter",
        metadata={"description": "The report's review; `none` for unreviewed reports."},
    )
    q = Text(
        max_length=200,
        min_length=1,
        validate=[not_blank, a_search],
        description="Words that must all appear in the report's searchable fields; "
        '"words in quotes" as a phrase; a word ending in * matches as a '
        f"prefix of at least {search.MIN_PREFIX} letters. At most {search.MAX_TERMS} words "
        f"or phrases, and {search.MAX_WORDS} words in all.",
    )

    @validates_schema
    def ranges_are_ordered(self, data, **kwargs):
        for start, end in RANGES:
            if start in data and end in data and data[start] > data[end]:
                raise ValidationError(f"Must not be before {start}.", end)


class PageQuerySchema(RequestSchema):
    """The query string of a list that names no filter: which page, in which order."""

    page = QueryInteger(
        load_default=1,
        validate=validate.Range(min=1),
        metadata={
            "description": "Which page: 1, unless given. Not with `cursor` (from `Link`), "
            "which walks deep lists."
        },
    )
    limit = QueryInteger(
        load_default=20,
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Reports per page."},
    )
    cursor = Cursor(metadata={"description": "Where the next page starts, from the `Link` header."})
    sort = enum_of(
        "Sort",
        load_default="-created_at",
        metadata={
            "description": "The order; `-` for descending. Ties go by order of creation.",
            # How a generated client names each value.
            "x-enum-varnames": [
                f"{value.lstrip('-').upper()}{'_DESC' if value[0] == '-' else ''}"
                for value in ENUMS["Sort"]
            ],
        },
    )
    format = enum_of(
        "ExportFormat",
        metadata={
            "description": "csv, ndjson or xlsx: every matching report, not a page (as Accept)."
        },
    )

    @validates_schema(pass_original=True)
    def page_or_cursor(self, data, original, **kwargs):
        if "page" in original and "cursor" in original:
            raise ValidationError("Give `page` or `cursor`, not both.", "cursor")
        if "cursor" in data and data["cursor"]["sort"] != data["sort"]:
            raise ValidationError("This cursor is for another `sort`.", "cursor")


class ListQuerySchema(FilterSchema, PageQuerySchema):
    """The query string of the three list endpoints."""


class SummaryQuerySchema(FilterSchema):
    """The query string of GET /api/v1/reports/summary."""

    group_by = enum_of(
        "GroupBy",
        required=True,
        metadata={
            "description": "A group per month of the session, per mentor, per activity or "
            "per organisation."
        },
    )
    format = enum_of(
        "SummaryFormat",
        metadata={"description": "csv or xlsx: the groups as a spreadsheet (as Accept)."},
    )


class DeletedQuerySchema(RequestSchema):
    """The query string of GET /api/v1/reports/deleted."""

    since = QueryTime(metadata={"description": "Deleted at or after this time."})


# Responses ----------------------------------------------------------------


def timestamp(**kwargs):
    """A UTC time as the API writes it: YYYY-MM-DDTHH:MM:SSZ."""
    return ma.String(
        metadata={"format": "date-time", "pattern": f"^{TIMESTAMP.pattern}$"}, **kwargs
    )


class AnswerSchema(Schema):
    """The shape of an answer whose members are always there, null where they have
    no value: the OpenAPI document lists each as required, so that a generated
    client's model does not ask whether it is set."""

    def on_bind_field(self, field_name, field_obj):
        field_obj.required = True


class ReportSchema(AnswerSchema):
    """A report as the API shows it; each endpoint shows a subset of these keys."""

    report_id = ma.String(metadata={"pattern": f"^{REPORT_ID.pattern}$"})
    activity_id = EntityId()
    peer_mentor_id = EntityId()
    org_id = EntityId()
    status = enum_of("ReportStatus")
    fields = ma.Nested(ReportFieldsSchema)
    submitted_at = timestamp(allow_none=True)
    created_at = timestamp()
    updated_at = timestamp()
    field_count = ma.Integer(metadata={"minimum": 0, "maximum": len(FIELD_NAMES)})
    has_way_forward = StrictBoolean()
    review = ma.Nested("ReviewSchema", exclude=("report_id",))


class PaginationSchema(AnswerSchema):
    page = ma.Integer()
    limit = ma.Integer()
    total = ma.Integer()


class DeletedSchema(AnswerSchema):
    deleted = ma.Boolean()
    report_id = ma.String()


class ProblemSchema(Schema):
    """An RFC 9457 problem details document: the body of every error."""

    type = ma.String(
        required=True, metadata={"description": "Always about:blank: `title` says it all."}
    )
    title = ma.String(required=True, metadata={"description": "The HTTP status phrase."})
    status = ma.Integer(required=True)
    detail = ma.String(required=True, metadata={"description": "What went wrong, in words."})
    errors = ma.Dict(
        metadata={"description": "On a 422: the messages per field, nested for `fields`."}
    )


class ReviewRequestSchema(RequestSchema):
    """The body of PUT /api/v1/reports/<report_id>/review."""

    review_state = enum_of("ReviewState", required=True)
    comment = Text(max_length=5000, load_default="", description="Why, for the mentor.")


class ReviewSchema(AnswerSchema):
    """A report's current review; every member null while it has none."""

    report_id = ma.String(metadata={"pattern": f"^{REPORT_ID.pattern}$"})
    review_state = enum_of("ReviewState", allow_none=True)
    comment = ma.String(allow_none=True)
    reviewed_by = ma.String(allow_none=True, metadata={"description": "The token's name."})
    reviewed_at = timestamp(allow_none=True)


class RevisionSchema(AnswerSchema):
    revision = ma.Integer(metadata={"description": "1 for the oldest change recorded."})
    changed_at = timestamp()
    actor = ma.String(metadata={"description": "The token's name, or anonymous."})
    action = enum_of("RevisionAction")
    changes = ma.Dict(
        metadata={
            "description": "For an update or submit, `status` and each changed field in "
            "`fields`, each as {before, after}; for a review, `review_state` as "
            "{before, after} and `comment`; empty otherwise."
        }
    )


class SummaryGroupSchema(AnswerSchema):
    """A group of the summary; the catalogue's figures follow (see summary_group_schema)."""

    group = ma.String(
        allow_none=True,
        metadata={"description": "YYYY-MM of the session date, or the mentor, activity or "
                  "org id; null for reports without a session date."},
    )  # fmt: skip
    reports = ma.Integer()
    submitted = ma.Integer()
    drafts = ma.Integer()


class SummarySchema(AnswerSchema):
    group_by = enum_of("GroupBy")
    groups = ma.List(ma.Nested(SummaryGroupSchema))


class DeletedReportSchema(AnswerSchema):
    report_id = ma.String(metadata={"pattern": f"^{REPORT_ID.pattern}$"})
    deleted_at = timestamp()


class Bound(ma.Field):
    """A number field's `min` or `max`: an integer, or for a decimal field a
    string with the field's places ("0.00"), as its values are written."""

    def __init__(self, **kwargs):
        metadata = {"type": ["integer", "string"], "pattern": f"^{DECIMAL.pattern}$"}
        super().__init__(allow_none=True, metadata=metadata | kwargs.pop("metadata", {}), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, Decimal):
            return f"{value:.{obj.places}f}"
        return value


class ChoiceSchema(AnswerSchema):
    value = ma.String()
    label = ma.String()


def for_kinds(*kinds, description=""):
    """The metadata of a key that only fields of these kinds have."""
    return {"description": f"{description} Given for {' and '.join(kinds)} fields.".strip()}


class CatalogueFieldSchema(Schema):
    """A field of the report form: the keys every field has, then those of its kind."""

    name = ma.String(
        required=True, metadata={"description": "The field's key in a report's `fields`."}
    )
    kind = enum_of("FieldKind", required=True)
    label = ma.String(required=True)
    help = ma.String(required=True)
    required = ma.Boolean(
        required=True, metadata={"description": "Whether a report needs it to be submitted."}
    )
    min_length = ma.Integer(allow_none=True, metadata=for_kinds("text"))
    max_length = ma.Integer(metadata=for_kinds("text"))
    multiline = ma.Boolean(metadata=for_kinds("text", description="Written in a text area."))
    searchable = ma.Boolean(metadata=for_kinds("text", description="Searched by `q`."))
    min = Bound(metadata=for_kinds("integer", "decimal"))
    max = Bound(metadata=for_kinds("integer", "decimal"))
    places = ma.Integer(metadata=for_kinds("decimal", description="Decimal places."))
    not_after_tomorrow = ma.Boolean(metadata=for_kinds("date"))
    values = ma.List(ma.Nested(ChoiceSchema), metadata=for_kinds("choice", "choices"))
    summary = ma.Function(
        lambda field: {figure.what: figure.name for figure in field.figures},
        metadata={
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Each figure of the summary this field gives, by what it is "
            "(total, average, count or counts): the name it has in a summary group. "
            "Given when there are any.",
        },
    )

    @post_dump(pass_original=True)
    def only_its_kind(self, data, field, **kwargs):
        keys = catalogue.COMMON_KEYS | catalogue.KIND_KEYS[field.kind]
        if not field.figures:
            keys = keys - {"summary"}
        return {key: value for key, value in data.items() if key in keys}


class CatalogueRolesSchema(AnswerSchema):
    session_date = ma.String(metadata={"description": "The date field that is the session's day."})
    way_forward = ma.String(
        allow_none=True,
        metadata={"description": "The text field whose being filled in is has_way_forward."},
    )
    title = ma.String(
        allow_none=True,
        metadata={"description": "The text field the pages show as a report's name."},
    )


class CatalogueSchema(AnswerSchema):
    """The report form: GET /api/v1/catalogue, for clients that build forms from it."""

    version = ma.String(metadata={"description": "Recorded with each report written under it."})
    roles = ma.Nested(CatalogueRolesSchema)
    fields = ma.List(ma.Nested(CatalogueFieldSchema))

    @pre_dump
    def with_roles(self, form, **kwargs):
        # A Catalogue holds its roles as attributes of its own.
        return {"version": form.version, "roles": form, "fields": form.fields}


def page_schema(name, item_schema):
    """The shape of one page of a list: `data` items of `item_schema`, and `pagination`."""
    return AnswerSchema.from_dict(
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
exported_report_schema = ReportSchema(
    only=(
        "report_id", "activity_id", "peer_mentor_id", "org_id", "status", "fields",
        "submitted_at", "created_at", "updated_at", "review",
    )
)  # fmt: skip
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
review_request_schema = ReviewRequestSchema()
review_schema = ReviewSchema()
history_schema = AnswerSchema.from_dict(
    {
        "report_id": ma.String(),
        "catalogue_version": ma.String(
            allow_none=True,
            metadata={
                "description": "The version of the catalogue (the report form) the report's "
                "fields were last written under; null for a report written before versions "
                "were kept."
            },
        ),
        "revisions": ma.List(ma.Nested(RevisionSchema)),
    },
    name="History",
)()
deleted_page_schema = AnswerSchema.from_dict(
    {"data": ma.List(ma.Nested(DeletedReportSchema))}, name="DeletedReports"
)()
catalogue_schema = CatalogueSchema()


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
dump_exported_report = stored_form_dumper(exported_report_schema)
dump_created_report = stored_form_dumper(created_report_schema)
dump_updated_report = stored_form_dumper(updated_report_schema)
dump_report_summary = stored_form_dumper(report_summary_schema)
dump_activity_report = stored_form_dumper(activity_report_schema)
dump_mentor_report = stored_form_dumper(mentor_report_schema)

page_query_schema = PageQuerySchema()
page_queries = LoadedQueries(page_query_schema)
deleted_query_schema = DeletedQuerySchema()


def filter_field(field):
    """The query parameter that filters on a boolean or choice field."""
    if field.kind == "boolean":
        return QueryBoolean(metadata={"description": f"{field.label}: true or false."})
    described = "is" if field.kind == "choice" else "includes"
    return ma.String(
        validate=validate.OneOf([choice.value for choice in field.values]),
        metadata={
            "description": f"Reports whose {field.label} {described} this value.",
            ENUM_NAME: enum_name(field),
        },
    )


class Shapes:
    """The schemas that a catalogue decides: of `fields`, of the bodies that
    carry them, and of the queries that filter on them. Built once per catalogue."""

    def __init__(self, catalogue):
        self.catalogue = catalogue
        self.fields_schema = fields_schema_class(catalogue)
        fields = self.fields_schema
        self.filters_of_fields = {field.name: filter_field(field) for field in catalogue.filters}
        self.filters = (*FIXED_FILTERS, *self.filters_of_fields, *LAST_FILTERS)
        self.filter_names = frozenset(self.filters)
        self.NewReportSchema = _with(NewReportSchema, fields=ma.Nested(fields, load_default=dict))
        self.ImportedReportSchema = _with(
            ImportedReportSchema, fields=ma.Nested(fields, load_default=dict)
        )
        self.ReportChangesSchema = _with(ReportChangesSchema, fields=ma.Nested(fields))
        self.ListQuerySchema = _with(ListQuerySchema, **self.filters_of_fields)
        self.SummaryQuerySchema = _with(SummaryQuerySchema, **self.filters_of_fields)
        self.ReportSchema = _with(
            ReportSchema,
            fields=ma.Nested(
                stored_fields_schema_class(catalogue),
                metadata={
                    "description": "The fields that are set, in catalogue order, then those "
                    "of fields no longer in the catalogue, as they were stored. A value "
                    "stored before the catalogue changed is shown as it was stored."
                },
            ),
            field_count=ma.Integer(metadata={"minimum": 0, "maximum": len(catalogue.fields)}),
        )
        self.new_report = self.NewReportSchema()
        self.imported_report = self.ImportedReportSchema()
        self.report_changes = self.ReportChangesSchema()
        self.list_query = self.ListQuerySchema()
        self.summary_query = self.SummaryQuerySchema()
        self.list_queries = LoadedQueries(self.list_query)
        self.SummaryGroupSchema = summary_group_schema(catalogue)
        self.SummarySchema = _with(
            SummarySchema, groups=ma.List(ma.Nested(self.SummaryGroupSchema))
        )
        self.summary = self.SummarySchema()


def summary_group_schema(catalogue):
    """A group of the summary: SummaryGroupSchema's counts, then the catalogue's figures."""
    figures = {}
    for figure in catalogue.figures:
        field = figure.field
        if figure.what == "counts":
            counts = {choice.value: ma.Integer() for choice in field.values}
            name = "".join(part.capitalize() for part in figure.name.split("_")) + "Counts"
            figures[figure.name] = ma.Nested(
                AnswerSchema.from_dict(counts, name=name),
                metadata={"description": f"How many reports have each {field.label} value."},
            )
        elif field.kind == "decimal":
            figures[figure.name] = DecimalText(
                field.places, allow_none=figure.what == "average", metadata=FIGURE_HELP[figure.what]
            )
        elif figure.what == "average":
            figures[figure.name] = ma.Float(allow_none=True, metadata=FIGURE_HELP["average"])
        else:
            figures[figure.name] = ma.Integer(metadata=FIGURE_HELP[figure.what])
    for figure in figures.values():
        figure.metadata.setdefault("description", "")
    return _with(SummaryGroupSchema, **figures)


FIGURE_HELP = {
    "total": {},
    "average": {"description": "Over the reports that give it; null when none does."},
    "count": {"description": "How many reports say yes."},
}


def _with(schema, **fields):
    """A subclass of `schema`, of the same name, with these fields."""
    return type(schema.__name__, (schema,), fields)


@lru_cache(maxsize=16)
def shapes_of(catalogue):
    return Shapes(catalogue)


def shapes():
    """The shapes of the live catalogue."""
    return shapes_of(catalogue.live())


# The built-in catalogue's filters.
FILTERS = shapes_of(BUILT_IN).filters
