"""The report form's fields as marshmallow fields, from a catalogue; the built-in form's."""

from marshmallow import INCLUDE, Schema, validate
from marshmallow import fields as ma

from reports import catalogue
from reports.schemas.loading import RequestSchema
from reports.schemas.values import (
    ENUM_NAME,
    CalendarDate,
    ChoiceList,
    DecimalText,
    QueryBoolean,
    StrictBoolean,
    Text,
    not_blank,
)


def schema_field(field):
    """The marshmallow field that checks a catalogue field's value; its metadata
    `title` is the field's label and `description` its help, in the catalogue's
    default language, as the OpenAPI document gives them (the report form,
    reports/web/forms.py, shows them in the page's language)."""
    metadata = {"title": field.default_label, "description": field.default_help}
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
    metadata = {"title": field.default_label, "description": field.default_help}
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


def filter_field(field):
    """The query parameter that filters on a boolean or choice field."""
    if field.kind == "boolean":
        return QueryBoolean(metadata={"description": f"{field.default_label}: true or false."})
    described = "is" if field.kind == "choice" else "includes"
    return ma.String(
        validate=validate.OneOf([choice.value for choice in field.values]),
        metadata={
            "description": f"Reports whose {field.default_label} {described} this value.",
            ENUM_NAME: enum_name(field),
        },
    )


BUILT_IN = catalogue.built_in()
# The built-in catalogue's fields, names and rules; the service's own code asks
# for the live catalogue's (see shapes()).
ReportFieldsSchema = fields_schema_class(BUILT_IN)
FIELD_NAMES = BUILT_IN.names
REQUIRED_TO_SUBMIT = BUILT_IN.required
