"""The schemas a catalogue decides, built once per catalogue (Shapes, shapes())."""

from functools import lru_cache

from marshmallow import fields as ma

from reports import catalogue
from reports.schemas.form import (
    BUILT_IN,
    fields_schema_class,
    filter_field,
    stored_fields_schema_class,
)
from reports.schemas.loading import LoadedQueries
from reports.schemas.requests import (
    FIXED_FILTERS,
    LAST_FILTERS,
    ImportedReportSchema,
    ListQuerySchema,
    NewReportSchema,
    ReportChangesSchema,
    SummaryQuerySchema,
)
from reports.schemas.responses import (
    AnswerSchema,
    EventReportSchema,
    ReportSchema,
    SummaryGroupSchema,
    SummarySchema,
)
from reports.schemas.values import DecimalText


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
        stored = stored_fields_schema_class(catalogue)
        self.ReportSchema = _with(ReportSchema, **stored_report_fields(catalogue, stored))
        self.EventReportSchema = _with(EventReportSchema, **stored_report_fields(catalogue, stored))
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


def stored_report_fields(catalogue, stored_fields_schema):
    """The members of a report as the API shows it that the catalogue decides."""
    return {
        "fields": ma.Nested(
            stored_fields_schema,
            metadata={
                "description": "The fields that are set, in catalogue order, then those "
                "of fields no longer in the catalogue, as they were stored. A value "
                "stored before the catalogue changed is shown as it was stored."
            },
        ),
        "field_count": ma.Integer(metadata={"minimum": 0, "maximum": len(catalogue.fields)}),
    }


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
                metadata={
                    "description": f"How many reports have each {field.default_label} value."
                },
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


def load_new_report(body, default_org_id=None, schema=None):
    """`body` loaded with `schema` (the live catalogue's new report, by default);
    org_id may be left out where the instance sets a DEFAULT_ORG_ID."""
    schema = shapes().new_report if schema is None else schema
    return schema.load(body, partial=("org_id",) if default_org_id else ())
