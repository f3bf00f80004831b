"""What one value may be: the enums, id, date and time rules, validators, custom fields."""

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal

from marshmallow import ValidationError, validate
from marshmallow import fields as ma

from reports import catalogue, clock, search

STATUSES = ("draft", "submitted")
REVIEW_STATES = ("approved", "has_issues", "rejected")
SORTS = ("created_at", "submitted_at", "session_date")
# The enums of the API, by the name of their component in the OpenAPI document
# (see enum_of); a choice field of the catalogue names its own (see form.enum_name).
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
    "Role": ("coordinator", "viewer", "mentor"),
    "Notify": ("each", "digest", "off"),
    "EventType": (
        "report.created",
        "report.updated",
        "report.submitted",
        "report.deleted",
        "report.restored",
        "report.reviewed",
        "report.purged",
    ),
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
PERSON_ID = re.compile(r"per_[0-9a-f]{8}")
# An event's id (reports/service/events.py), which Standard Webhooks calls a message's.
MESSAGE_ID = re.compile(r"msg_[0-9a-f]{24}")
# A language as a short BCP 47 tag: en, nb, ar, uk, pt-BR, zh-Hant.
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{4})?(-(?:[A-Z]{2}|[0-9]{3}))?")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
MAX_SQLITE_INTEGER = 2**63 - 1


def is_report_id(value):
    return REPORT_ID.fullmatch(value) is not None


def is_entity_id(value):
    return ENTITY_ID.fullmatch(value) is not None


def is_person_id(value):
    return PERSON_ID.fullmatch(value) is not None


EMAIL = validate.Email()


def is_email(value):
    """Whether marshmallow's Email takes `value` (at most 254 characters)."""
    try:
        EMAIL(value)
    except ValidationError:
        return False
    return len(value) <= 254


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


class Name(ma.String):
    """A person's or an activity's name: 1 to 100 characters of one line of text,
    without the spaces around it."""

    def __init__(self, metadata=None, **kwargs):
        metadata = {"minLength": 1, "maxLength": 100, **(metadata or {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ValidationError("Must not be blank.")
        if len(text) > 100:
            raise ValidationError("At most 100 characters.")
        if any(char in "\t\r\n" for char in text):
            raise ValidationError("One line: no tab or line break.")
        plain_text(text)
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


class Unchangeable(ma.Raw):
    """A key that a client may name on create but never on update."""

    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError("Cannot be changed after the report is created.")


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
