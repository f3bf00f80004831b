"""What a client sends: the bodies of the writes and the query strings of the reads."""

import re

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as ma

from reports import catalogue, search
from reports.schemas.cursor import EVENT_CURSOR, Cursor, EventCursor
from reports.schemas.form import ReportFieldsSchema
from reports.schemas.loading import LoadedQueries, RequestSchema
from reports.schemas.values import (
    ENUMS,
    REVIEW_STATES,
    EntityId,
    QueryBoolean,
    QueryDate,
    QueryInteger,
    QueryTime,
    Text,
    Unchangeable,
    a_search,
    enum_of,
    not_blank,
    valid_report_id,
    valid_timestamp,
)


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
    # An export's names of the mentor and activity: read past, whatever they
    # say, as the directory keeps names, not the reports.
    mentor_name = ma.Raw(allow_none=True)
    activity_name = ma.Raw(allow_none=True)
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


UNCHANGEABLE = ("report_id", "peer_mentor_id", "org_id")


class ReportChangesSchema(RequestSchema):
    """The body of PUT /api/v1/reports/<report_id>."""

    status = enum_of("ReportStatus")
    fields = ma.Nested(ReportFieldsSchema)
    activity_id = EntityId(
        metadata={
            "description": "Files the report under another activity: a correction, "
            "allowed where changing the report is."
        }
    )
    report_id = Unchangeable()
    peer_mentor_id = Unchangeable()
    org_id = Unchangeable()

    @validates_schema
    def names_a_change(self, data, **kwargs):
        if not data.keys() & {"status", "fields", "activity_id"}:
            raise ValidationError("Give `fields`, `status`, `activity_id` or several.")


# The query parameters that filter a list, its export and its summary; the
# catalogue's boolean and choice fields are filters too, between these two.
FIXED_FILTERS, LAST_FILTERS = catalogue.FILTER_NAMES, catalogue.LAST_FILTER_NAMES
RANGES = (("session_date_from", "session_date_to"), ("submitted_from", "submitted_to"))
# A language's code as the catalogue writes it (nb, pt_BR), or as a browser does (pt-BR).
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8}){0,3}")


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
    labels = ma.String(
        validate=validate.Regexp(
            LANGUAGE_CODE, error="Must be a language's code, such as en, nb, ar or uk."
        ),
        metadata={
            "description": "With a csv or xlsx export only: a first row of the fields' "
            "labels in this language, one of the catalogue's `languages`, above the "
            "columns' names."
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


# How many events a page of the feed holds, unless `limit` says, and at most.
EVENTS_LIMIT, EVENTS_MAX_LIMIT = 100, 1000


class EventsQuerySchema(RequestSchema):
    """The query string of GET /api/v1/events."""

    after = EventCursor(
        load_default=0,
        metadata={
            "description": "The events after this cursor: the last `next_after` (or the "
            "`cursor` of the last event handled); 0, unless given, for every event kept.",
            "pattern": f"^{EVENT_CURSOR.pattern}$",
        },
    )
    limit = QueryInteger(
        load_default=EVENTS_LIMIT,
        validate=validate.Range(min=1, max=EVENTS_MAX_LIMIT),
        metadata={"description": "Events per page."},
    )


class ReviewRequestSchema(RequestSchema):
    """The body of PUT /api/v1/reports/<report_id>/review."""

    review_state = enum_of("ReviewState", required=True)
    comment = Text(max_length=5000, load_default="", description="Why, for the mentor.")


page_query_schema = PageQuerySchema()
page_queries = LoadedQueries(page_query_schema)
deleted_query_schema = DeletedQuerySchema()
events_query_schema = EventsQuerySchema()
review_request_schema = ReviewRequestSchema()
