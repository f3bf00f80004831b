"""marshmallow schemas: the field catalogue, and every request and response shape.

- values.py     what one value may be: the enums, the id, date and time rules,
                the validators and the custom fields
- cursor.py     the keyset cursor of a list's pages
- loading.py    how a request is loaded: unknown keys, repeated query
                parameters, the query strings' loads kept
- form.py       the report form's fields as marshmallow fields, from a catalogue,
                and the built-in form's
- requests.py   what a client sends: the bodies and the query strings
- responses.py  what the API answers, and the fast dumps of stored rows
- shapes.py     the schemas a catalogue decides, once per catalogue (shapes())

The names used outside the package are here, so `schemas.X` reads as it did."""

from reports.schemas.cursor import encode_cursor
from reports.schemas.form import (
    FIELD_NAMES,
    REQUIRED_TO_SUBMIT,
    ReportFieldsSchema,
)
from reports.schemas.loading import LoadedQueries, single_valued
from reports.schemas.requests import (
    UNCHANGEABLE,
    DeletedQuerySchema,
    NewReportSchema,
    deleted_query_schema,
    page_queries,
    page_query_schema,
    review_request_schema,
)
from reports.schemas.responses import (
    ProblemSchema,
    activity_report_schema,
    catalogue_schema,
    created_report_schema,
    deleted_page_schema,
    deleted_schema,
    dump_activity_report,
    dump_created_report,
    dump_exported_report,
    dump_mentor_report,
    dump_report,
    dump_report_summary,
    dump_updated_report,
    history_schema,
    mentor_report_schema,
    page_schema,
    report_schema,
    report_summary_schema,
    review_schema,
    stored_form_dumper,
    updated_report_schema,
)
from reports.schemas.shapes import FILTERS, load_new_report, shapes, shapes_of
from reports.schemas.values import (
    DECIMAL,
    ENTITY_ID,
    ENTITY_ID_RULE,
    ENUM_NAME,
    ENUMS,
    QUERY_INTEGER,
    REPORT_ID,
    REVIEW_STATES,
    SORTS,
    STATUSES,
    CalendarDate,
    is_entity_id,
    is_report_id,
    plain_text,
)

__all__ = [
    "DECIMAL",
    "ENTITY_ID",
    "ENTITY_ID_RULE",
    "ENUMS",
    "ENUM_NAME",
    "FIELD_NAMES",
    "FILTERS",
    "QUERY_INTEGER",
    "REPORT_ID",
    "REQUIRED_TO_SUBMIT",
    "REVIEW_STATES",
    "SORTS",
    "STATUSES",
    "UNCHANGEABLE",
    "CalendarDate",
    "DeletedQuerySchema",
    "LoadedQueries",
    "NewReportSchema",
    "ProblemSchema",
    "ReportFieldsSchema",
    "activity_report_schema",
    "catalogue_schema",
    "created_report_schema",
    "deleted_page_schema",
    "deleted_query_schema",
    "deleted_schema",
    "dump_activity_report",
    "dump_created_report",
    "dump_exported_report",
    "dump_mentor_report",
    "dump_report",
    "dump_report_summary",
    "dump_updated_report",
    "encode_cursor",
    "history_schema",
    "is_entity_id",
    "is_report_id",
    "load_new_report",
    "mentor_report_schema",
    "page_queries",
    "page_query_schema",
    "page_schema",
    "plain_text",
    "report_schema",
    "report_summary_schema",
    "review_request_schema",
    "review_schema",
    "shapes",
    "shapes_of",
    "single_valued",
    "stored_form_dumper",
    "updated_report_schema",
]
