"""What the API answers: its schemas, their instances, and fast dumps of stored rows."""

from marshmallow import Schema, post_dump, pre_dump
from marshmallow import fields as ma

from reports import catalogue
from reports.schemas.cursor import EVENT_CURSOR
from reports.schemas.form import FIELD_NAMES, ReportFieldsSchema
from reports.schemas.values import (
    MESSAGE_ID,
    REPORT_ID,
    TIMESTAMP,
    Bound,
    EntityId,
    StrictBoolean,
    enum_of,
)


def timestamp(description=None, **kwargs):
    """A UTC time as the API writes it: YYYY-MM-DDTHH:MM:SSZ."""
    metadata = {"format": "date-time", "pattern": f"^{TIMESTAMP.pattern}$"}
    if description is not None:
        metadata["description"] = description
    return ma.String(metadata=metadata, **kwargs)


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
    mentor_name = ma.String(
        allow_none=True,
        metadata={
            "description": "The directory's name of the peer mentor; null where it has none."
        },
    )
    activity_name = ma.String(
        allow_none=True,
        metadata={"description": "The directory's name of the activity; null where it has none."},
    )
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


class ReviewSchema(AnswerSchema):
    """A report's current review; every member null while it has none."""

    report_id = ma.String(metadata={"pattern": f"^{REPORT_ID.pattern}$"})
    review_state = enum_of("ReviewState", allow_none=True)
    comment = ma.String(allow_none=True)
    reviewed_by = ma.String(allow_none=True, metadata={"description": "The token's name."})
    reviewed_at = timestamp(allow_none=True)


class EventReportSchema(ReportSchema):
    """A report as an event of the outbox tells it: as GET /api/v1/reports/<report_id>
    answers it, and for report.reviewed with its review."""

    review = ma.Nested(
        ReviewSchema, metadata={"description": "Given for report.reviewed only: the review."}
    )

    def on_bind_field(self, field_name, field_obj):
        super().on_bind_field(field_name, field_obj)
        field_obj.required = field_name != "review"


class PurgedReportSchema(AnswerSchema):
    """A purged report as its events tell it: its id alone."""

    report_id = ma.String(metadata={"pattern": f"^{REPORT_ID.pattern}$"})


# The components of the two shapes of an event's `data`, which the OpenAPI document
# names after these schemas (reports/openapi.py).
EVENT_DATA = ("EventReport", "PurgedReport")


class EventSchema(AnswerSchema):
    """An event of the outbox: a change of a report, as the feed gives it. A webhook
    gets the same `type`, `timestamp` and `data`, with `id` as its webhook-id."""

    id = ma.String(
        metadata={
            "pattern": f"^{MESSAGE_ID.pattern}$",
            "description": "The event's id: the `webhook-id` of its deliveries to webhooks.",
        }
    )
    cursor = ma.String(
        metadata={
            "pattern": f"^{EVENT_CURSOR.pattern}$",
            "description": "Its place in the feed: `after` it come the events that follow it.",
        }
    )
    type = enum_of("EventType")
    timestamp = timestamp("When the change was made.")
    data = ma.Raw(
        metadata={
            "description": "The report as GET /api/v1/reports/<report_id> answered it once "
            "the change was made (a deleted one, as it was when deleted), with its `review` "
            "for report.reviewed; for report.purged, and for every earlier event of a purged "
            "report, its `report_id` alone.",
            "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in EVENT_DATA],
        }
    )


class EventPaginationSchema(AnswerSchema):
    limit = ma.Integer()
    next_after = ma.String(
        metadata={
            "pattern": f"^{EVENT_CURSOR.pattern}$",
            "description": "The `after` to ask next: the last event's `cursor`, or the "
            "`after` asked when there was none.",
        }
    )
    has_more = ma.Boolean(
        metadata={"description": "Whether more events wait after `next_after` already."}
    )


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
    name = ma.String(
        allow_none=True,
        metadata={"description": "Grouped by mentor or activity only: the directory's name "
                  "of the mentor or activity, null where it has none."},
    )  # fmt: skip
    reports = ma.Integer()
    submitted = ma.Integer()
    drafts = ma.Integer()

    def on_bind_field(self, field_name, field_obj):
        super().on_bind_field(field_name, field_obj)
        # A group of months or organisations has no name at all.
        field_obj.required = field_name != "name"


class SummarySchema(AnswerSchema):
    group_by = enum_of("GroupBy")
    groups = ma.List(ma.Nested(SummaryGroupSchema))


class DeletedReportSchema(AnswerSchema):
    report_id = ma.String(metadata={"pattern": f"^{REPORT_ID.pattern}$"})
    deleted_at = timestamp()


def in_each_language(what):
    """A member that maps each language a text is written in to its text."""
    return ma.Dict(
        keys=ma.String(),
        values=ma.String(),
        required=True,
        metadata={
            "description": f"The {what} in each language it is written in, by the "
            "language's code; the default language's among them."
        },
    )


def in_default_language(what):
    """A member that gives a text in the catalogue's default language."""
    return ma.String(
        attribute=f"default_{what}",
        required=True,
        metadata={"description": f"The {what} in the catalogue's default language."},
    )


class ChoiceSchema(AnswerSchema):
    value = ma.String()
    label = in_default_language("label")
    labels = in_each_language("label")


def for_kinds(*kinds, description=""):
    """The metadata of a key that only fields of these kinds have."""
    return {"description": f"{description} Given for {' and '.join(kinds)} fields.".strip()}


# The members that give each of a field's texts in every language.
TRANSLATED_KEYS = {"labels", "helps"}


class CatalogueFieldSchema(Schema):
    """A field of the report form: the keys every field has, then those of its kind."""

    name = ma.String(
        required=True, metadata={"description": "The field's key in a report's `fields`."}
    )
    kind = enum_of("FieldKind", required=True)
    label = in_default_language("label")
    labels = in_each_language("label")
    help = in_default_language("help")
    helps = in_each_language("help")
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
        keys = catalogue.COMMON_KEYS | TRANSLATED_KEYS | catalogue.KIND_KEYS[field.kind]
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
    default_language = ma.String(
        metadata={
            "description": "The language of every `label` and `help`, and of a text "
            "that lacks the language asked for."
        }
    )
    languages = ma.List(
        ma.String(),
        metadata={
            "description": "Every language its texts are written in (the keys of "
            "`labels` and `helps`), the default language first."
        },
    )
    roles = ma.Nested(CatalogueRolesSchema)
    fields = ma.List(ma.Nested(CatalogueFieldSchema))

    @pre_dump
    def with_roles(self, form, **kwargs):
        # A Catalogue holds its roles as attributes of its own.
        return {
            "version": form.version,
            "default_language": form.default_language,
            "languages": form.languages,
            "roles": form,
            "fields": form.fields,
        }


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
        "report_id", "activity_id", "peer_mentor_id", "org_id", "mentor_name", "activity_name",
        "status", "fields", "submitted_at", "created_at", "updated_at", "review",
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
event_report_schema = EventReportSchema(only=(*report_schema.only, "review"))
purged_report_schema = PurgedReportSchema()
event_page_schema = AnswerSchema.from_dict(
    {"data": ma.List(ma.Nested(EventSchema)), "pagination": ma.Nested(EventPaginationSchema)},
    name="EventPage",
)()


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
