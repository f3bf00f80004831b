"""The /api/v1 blueprint: parse, validate, call the service, dump."""

import hashlib
import json
import re
import sqlite3
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    request,
    url_for,
)
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, NotFound, ServiceUnavailable, UnsupportedMediaType
from werkzeug.routing import BaseConverter

from reports import auth, catalogue, clock, formats, languages, openapi, requestlog, service
from reports.errors import RETRY_AFTER_SECONDS
from reports.openapi_operations import answer, described
from reports.read_only import SAFE_METHODS
from reports.schemas import (
    catalogue_schema,
    deleted_page_schema,
    deleted_query_schema,
    deleted_schema,
    dump_activity_report,
    dump_created_report,
    dump_mentor_report,
    dump_report,
    dump_report_summary,
    dump_updated_report,
    encode_cursor,
    event_page_schema,
    events_query_schema,
    history_schema,
    is_entity_id,
    load_new_report,
    page_queries,
    review_request_schema,
    review_schema,
    shapes,
    single_valued,
)

bp = Blueprint("reports", __name__, url_prefix="/api/v1")


class ReportIdConverter(BaseConverter):
    """A report's place in `/reports/<report_id>`: any segment but the names of
    the collection's own read-only paths, so that `PUT /reports/summary` is a
    405 of that path, not an update of a report named "summary"."""

    regex = r"(?!(?:summary|deleted)$)[^/]+"


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@bp.before_request
def authenticate():
    """Who the request comes from, and whether that role may write at all, asked
    before a body is read. The OpenAPI document, and OPTIONS (which says what it
    says), are open to anyone."""
    if request.endpoint == "reports.openapi_document" or request.method == "OPTIONS":
        return
    g.caller = auth.authenticate(request)
    if request.method not in SAFE_METHODS:
        service.require_may("write", g.caller)


# A list's answer: a page as JSON, or with `format` (or Accept) every matching report
# as a file.
LISTED_FILES = {"text/csv": "list_csv", "application/x-ndjson": "list_ndjson", formats.XLSX: None}
LISTED_HEADERS = ("Link", "Content-Disposition")
LISTED = (
    "One page of reports, newest first unless `sort` says otherwise; with `format` csv, "
    "ndjson or xlsx (or the Accept of one), every matching report with its review, not "
    "a page, as a file named for the list and the day."
)


@bp.get("/openapi.json")
@described(
    "getOpenApiDocument",
    "service",
    answers={200: answer("This document.", "OpenApiDocument")},
    open=True,
)
def openapi_document():
    """The OpenAPI 3.1 document of this API

    Open to anyone, with or without a token: it says what the API is, not what
    it holds. A client generator reads it (see the README).
    """
    return openapi.document(current_app)


@bp.get("/catalogue")
@described(
    "getCatalogue",
    "service",
    answers={200: answer("The catalogue in force.", "Catalogue", example="catalogue")},
)
def report_form():
    """The report form: its fields, their rules and the summary's figures

    The catalogue in force (`instance/catalogue.toml`, or the built-in one), for a
    client that builds the form or checks a report before it sends it. Any role
    may read it.
    """
    return catalogue_schema.dump(catalogue.live())


@bp.get("/reports")
@described(
    "listReports",
    "reports",
    query="ListQuery",
    answers={
        200: answer(
            LISTED, "ReportPage", example="list", headers=LISTED_HEADERS, files=LISTED_FILES
        )
    },
    errors=(404, 422),
)
def list_reports():
    """List reports

    Every filter narrows the list; a mentor's token lists its own reports only.
    Every page but the last answers a `Link` header to the next one, whose
    `cursor` walks every report once, even while new ones arrive.
    """
    return _page(dump_report_summary)


@bp.post("/reports")
@described(
    "createReport",
    "reports",
    headers=("Idempotency-Key",),
    body=("NewReport", "create"),
    answers={
        201: answer("Created.", "CreatedReport", example="created", headers=("Location", "ETag"))
    },
    errors=(400, 403, 413, 415, 422),
)
def create_report():
    """Create a report

    A draft unless `status` says submitted, which needs every required field. A
    mentor's token creates reports for its own peer mentor only (403 for
    another). With an `Idempotency-Key`, a retry creates nothing twice.
    """
    body = json_object_body()
    default_org_id = current_app.config["DEFAULT_ORG_ID"]
    new = load_new_report(body, default_org_id)
    report = service.create_report(new, default_org_id, _idempotency(body), caller=g.caller)
    response = _with_etag(dump_created_report, report)
    response.status_code = 201
    response.headers["Location"] = url_for("reports.get_report", report_id=report["report_id"])
    return response


@bp.get("/reports/<report_id:report_id>")
@described(
    "getReport",
    "reports",
    headers=("If-None-Match",),
    answers={
        200: answer("The report.", "Report", example="report", headers=("ETag",)),
        304: answer("The report is still at the version named.", headers=("ETag",)),
    },
    errors=(404,),
)
def get_report(report_id):
    """Get a report

    Its `ETag` names this version, for `If-Match` on an update or a delete, and
    for `If-None-Match`, which answers 304 while the report has not changed.
    """
    report = service.get_report(report_id, caller=g.caller)
    if "If-None-Match" in request.headers and service.etag(report) in request.if_none_match:
        response = Response(status=304)
        response.set_etag(service.etag(report))
        return response
    return _with_etag(dump_report, report)


@bp.put("/reports/<report_id:report_id>")
@described(
    "updateReport",
    "reports",
    headers=("If-Match",),
    body=("ReportChanges", "update"),
    answers={200: answer("Updated.", "UpdatedReport", example="updated", headers=("ETag",))},
    errors=(400, 403, 404, 409, 412, 413, 415, 422),
)
def update_report(report_id):
    """Update a report

    `fields` merges into what is there: each key given replaces that field, a
    key given as `null` removes it. `status` submitted submits the report; a
    submitted report cannot go back to draft (409). With `If-Match`, only while
    the report is at that version (412 otherwise).
    """
    changes = shapes().report_changes.load(json_object_body())
    report = service.update_report(report_id, changes, _if_match(), caller=g.caller)
    return _with_etag(dump_updated_report, report)


@bp.delete("/reports/<report_id:report_id>")
@described(
    "deleteReport",
    "reports",
    headers=("If-Match",),
    answers={200: answer("Deleted.", "Deleted", example="deleted")},
    errors=(403, 404, 412),
)
def delete_report(report_id):
    """Delete a report

    The report goes to the trash, from which a coordinator can restore it until
    it is purged. With `If-Match`, only while the report is at that version.
    """
    service.delete_report(report_id, _if_match(), caller=g.caller)
    return deleted_schema.dump({"deleted": True, "report_id": report_id})


@bp.get("/reports/by-activity/<activity_id>")
@described(
    "listReportsByActivity",
    "reports",
    query="ListQuery",
    answers={
        200: answer(
            LISTED,
            "ActivityReportPage",
            example="by_activity",
            headers=LISTED_HEADERS,
            files=LISTED_FILES,
        )
    },
    errors=(404, 422),
)
def list_reports_by_activity(activity_id):
    """List the reports of an activity

    The list of `listReports` held to one activity, which the path names: the
    query string may not name `activity_id` again.
    """
    _require_entity_id("activity", activity_id)
    return _page(dump_activity_report, activity_id=activity_id)


@bp.get("/reports/by-mentor/<mentor_id>")
@described(
    "listReportsByMentor",
    "reports",
    query="ListQuery",
    answers={
        200: answer(
            LISTED,
            "MentorReportPage",
            example="by_mentor",
            headers=LISTED_HEADERS,
            files=LISTED_FILES,
        )
    },
    errors=(403, 404, 422),
)
def list_reports_by_mentor(mentor_id):
    """List the reports of a peer mentor

    The list of `listReports` held to one peer mentor, which the path names. A
    mentor's token may name only its own mentor (403 for another).
    """
    _require_entity_id("peer mentor", mentor_id)
    service.require_may("read", g.caller, mentor_id)  # before the query is read
    return _page(dump_mentor_report, peer_mentor_id=mentor_id)


@bp.get("/reports/summary")
@described(
    "summariseReports",
    "exports",
    query="SummaryQuery",
    answers={
        200: answer(
            "The figures per group; with `format` csv or xlsx (or the Accept of one), a "
            "spreadsheet of a row per group and a column per figure.",
            "Summary",
            example="summary",
            headers=("Content-Disposition",),
            files={"text/csv": "summary_csv", formats.XLSX: None},
        )
    },
    errors=(422,),
)
def summarise_reports():
    """Count and total the matching reports per group

    The list's filters choose the reports; `group_by` makes a group per month of
    the session, per mentor, per activity or per organisation, each with the
    catalogue's figures. A mentor's token counts its own reports only.
    """
    query = shapes().summary_query.load(single_valued(request.args))
    filters = _filters(query, {})
    groups = service.summary(filters, query["group_by"], caller=g.caller)
    export = _export_format(query, SUMMARY_EXPORTS)
    if export is not None:
        filename = f"summary-by-{query['group_by']}-{clock.today()}.{export}"
        response = formats.summary_response(export, query["group_by"], groups, filename)
    else:
        # service.summary builds each group in SummaryGroupSchema's form already
        # (a test checks the dump would change nothing): dumping thousands of
        # groups again would hold the interpreter from every other request.
        response = jsonify({"group_by": query["group_by"], "groups": groups})
    response.vary.add("Accept")
    return response


@bp.get("/reports/deleted")
@described(
    "listDeletedReports",
    "sync",
    query="DeletedQuery",
    answers={
        200: answer("The reports deleted since then.", "DeletedReports", example="deleted_reports")
    },
    errors=(422,),
)
def list_deleted_reports():
    """List the ids of deleted reports, oldest deletion first

    With `updated_since` on the list, what a system kept in step with this one
    asks on each run: `since` the time its last run started, the ids deleted
    since then, all of them (times have whole seconds, and `since` includes its
    second).
    """
    query = deleted_query_schema.load(single_valued(request.args))
    deleted = service.deleted_reports(query.get("since"), caller=g.caller)
    return deleted_page_schema.dump({"data": deleted})


@bp.get("/events")
@described(
    "listEvents",
    "sync",
    query="EventsQuery",
    answers={
        200: answer(
            "The events after `after`, oldest first.",
            "EventPage",
            example="events",
            headers=("Link",),
        )
    },
    errors=(403, 422),
)
def list_events():
    """List the changes of reports as events, oldest first (coordinators)

    The outbox that webhooks are sent from, as a feed for a script that polls:
    each create, update, submit, review, delete, restore and purge of a report,
    in the order they were made. Ask again `after` the `next_after` of the last
    answer to get only what happened since, each event once; while `has_more`,
    more wait already (and `Link` names the next page). An event is kept for
    EVENTS_DAYS, and longer while a webhook has not had it.
    """
    service.require_may("events", g.caller)  # before the query is read
    query = events_query_schema.load(single_valued(request.args))
    events, following, more = service.events_after(query["after"], query["limit"], caller=g.caller)
    pagination = {"limit": query["limit"], "next_after": following, "has_more": more}
    response = jsonify(event_page_schema.dump({"data": events, "pagination": pagination}))
    if more:
        url = f"{request.script_root}{request.path}?" + urlencode(
            {"after": following, "limit": query["limit"]}
        )
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response


@bp.get("/reports/<report_id>/review")
@described(
    "getReview",
    "review",
    answers={200: answer("The review.", "Review", example="review")},
    errors=(404,),
)
def get_review(report_id):
    """Get a report's review

    Every member but report_id is null while the report has no review.
    """
    return review_schema.dump(service.review_of(report_id, caller=g.caller))


@bp.put("/reports/<report_id>/review")
@described(
    "reviewReport",
    "review",
    body=("ReviewRequest", "review_request"),
    answers={200: answer("Reviewed.", "Review", example="review")},
    errors=(400, 403, 404, 409, 413, 415, 422),
)
def review_report(report_id):
    """Review a submitted report (coordinators)

    `approved`, `has_issues` or `rejected`, with a comment that says why; a draft
    cannot be reviewed (409). A review makes a new version of the report, so
    `updated_since` finds it.
    """
    service.require_may("review", g.caller)  # before the body is read
    review = review_request_schema.load(json_object_body())
    reviewed = service.review_report(
        report_id, review["review_state"], review["comment"], caller=g.caller
    )
    return review_schema.dump(reviewed)


@bp.get("/reports/<report_id>/history")
@described(
    "getHistory",
    "review",
    answers={
        200: answer(
            "Every recorded change, for a report in the trash too.", "History", example="history"
        )
    },
    errors=(404,),
)
def report_history(report_id):
    """List a report's changes, oldest first

    Who changed what and when: the create, each update, the submit, each review,
    the delete and the restore; for an update, each changed field before and
    after. A report in the trash has its history too.
    """
    revisions = service.history(report_id, caller=g.caller)
    history = {
        "report_id": report_id,
        "catalogue_version": service.last_catalogue_version(revisions),
        "revisions": revisions,
    }
    return history_schema.dump(history)


@bp.post("/reports/<report_id>/restore")
@described(
    "restoreReport",
    "reports",
    answers={
        200: answer("Restored, as a new version.", "Report", example="report", headers=("ETag",))
    },
    errors=(403, 404),
)
def restore_report(report_id):
    """Bring a deleted report back from the trash (coordinators)

    The same report, with its review, as a new version (a new ETag). A report
    stays in the trash for TRASH_DAYS; one purged from it is a 404.
    """
    return _with_etag(dump_report, service.restore_report(report_id, caller=g.caller))


EXPORTS = formats.MIMETYPES
SUMMARY_EXPORTS = {name: EXPORTS[name] for name in ("csv", "xlsx")}
# The exports that may start with a row of labels (`labels`).
LABELLED_EXPORTS = ("csv", "xlsx")
# How an export's file name says which list it holds.
LIST_NAMES = {"activity_id": "by-activity", "peer_mentor_id": "by-mentor"}
PAGE_ONLY = ("page", "limit", "cursor")
NOT_PAGED = "An export holds every matching report: it takes no page."


@described(
    "getHealth",
    "service",
    answers={200: answer("It can.", "Health", example="health")},
    open=True,
)
def healthz():
    """Whether the service can read and write its database

    200 while it can, else a 503 that says so. Needs no token, for a monitor:
    it is registered outside the blueprint.
    """
    try:
        service.check_health(current_app.config["MIN_FREE_MB"])
    except (sqlite3.Error, service.Unhealthy) as error:
        current_app.logger.error(
            "Health check failed (request %s): %s", requestlog.request_id(), error
        )
        raise ServiceUnavailable(
            "The database cannot be read or written right now; see the server's log.",
            retry_after=RETRY_AFTER_SECONDS,
        ) from None
    return {"status": "ok"}


def _page(dump_item, **path_filters):
    """One page of a list, or with format csv or ndjson, every matching report."""
    args = single_valued(request.args)
    # Most lists name no filter; their query loads faster without the filters.
    live = shapes()
    loads = live.list_queries if args.keys() & live.filter_names else page_queries
    query = loads.load(args)
    filters = _filters(query, path_filters)
    export = _export_format(query)
    language = _labels_language(query, export)
    if export is not None:
        paged = {name: [NOT_PAGED] for name in PAGE_ONLY if name in args}
        if paged:
            raise ValidationError(paged)
        held = [f"{LIST_NAMES[name]}-{value}" for name, value in path_filters.items()]
        filename = "-".join(["reports", *held, clock.today()]) + f".{export}"
        return _export(export, filters, query["sort"], filename, language)

    cursor = query.get("cursor")
    page = cursor["page"] if cursor else query["page"]
    after = (cursor["key"], cursor["report_id"]) if cursor else None
    rows, total, next_after = service.page_of_reports(
        filters, page, query["limit"], after, query["sort"], caller=g.caller
    )

    pagination = {"page": page, "limit": query["limit"], "total": total}
    response = jsonify({"data": [dump_item(row) for row in rows], "pagination": pagination})
    if next_after is not None:
        following = {name: value for name, value in args.items() if name not in PAGE_ONLY}
        following["limit"] = query["limit"]
        following["cursor"] = encode_cursor(query["sort"], *next_after, page + 1)
        url = f"{request.script_root}{request.path}?{urlencode(following)}"
        response.headers["Link"] = f'<{url}>; rel="next"'
    # The answer has no Vary yet (flask adds Cookie's after this, to this one).
    response.headers.add("Vary", "Accept")
    return response


def _filters(query, path_filters):
    """The filters of a list: those of the query string and the one of the path
    (the service holds a mentor token to its own reports)."""
    named_twice = [name for name in path_filters if name in query]
    if named_twice:
        raise ValidationError({name: ["Given by the path already."] for name in named_twice})
    names = shapes().filters
    filters = dict.fromkeys(names) | {name: query[name] for name in names if name in query}
    filters.update(path_filters)
    return filters


# Accept headers that a list answers with its JSON page.
ANY_JSON = frozenset({"*/*", "application/json", ""})


def _export_format(query, offered=EXPORTS):
    """The format of `offered` that the client asks for, by `format` or Accept;
    None for JSON."""
    if "format" in query:
        return None if query["format"] == "json" else query["format"]
    if request.headers.get("Accept", "*/*") in ANY_JSON:
        return None  # what most clients send, read without parsing it
    best = request.accept_mimetypes.best_match(
        ["application/json", *offered.values()], default="application/json"
    )
    return next((name for name, mimetype in offered.items() if mimetype == best), None)


def _labels_language(query, export):
    """The language of the row of labels a csv or xlsx export asks for with
    `labels`, as the catalogue writes its code; None when it asks for none."""
    if "labels" not in query:
        return None
    if export not in LABELLED_EXPORTS:
        raise ValidationError({"labels": ["Only with format csv or xlsx."]})
    written = catalogue.live().languages
    code = languages.language_code(query["labels"])
    if code not in written:
        raise ValidationError(
            {"labels": [f"Not a language of the report form, which has {', '.join(written)}."]}
        )
    return code


def _export(export, filters, sort, filename, language=None):
    reports = service.all_reports(filters, sort, caller=g.caller)
    response = formats.export_response(export, reports, filename, language)
    response.vary.add("Accept")
    return response


def _with_etag(dump, report):
    response = jsonify(dump(report))
    response.set_etag(service.etag(report))
    return response


def _if_match():
    """The ETags of If-Match, or None when the client sent no such header."""
    return request.if_match if "If-Match" in request.headers else None


def _idempotency(body):
    """(key, fingerprint of the body) when the request has an Idempotency-Key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return key, hashlib.sha256(canonical.encode()).hexdigest()


def _require_entity_id(kind, value):
    if not is_entity_id(value):
        raise NotFound(f"No {kind} can have the id {value!r}.")


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def json_object_body():
    """The request body as a JSON object, or the 4xx that says why it is not one."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON, with Content-Type: application/json.")
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as error:
        raise BadRequest(
            f"The body is not valid UTF-8: {error.reason} at byte {error.start}."
        ) from None
    except RecursionError:
        raise BadRequest("The body is nested too deeply.") from None
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}.") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    return body
