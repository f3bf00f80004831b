"""The /api/v1/reports blueprint: parse, validate, call the service, dump."""

import json

from flask import Blueprint, current_app, request, url_for
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest, NotFound, UnsupportedMediaType

from reports import service
from reports.schemas import (
    activity_page_schema,
    created_report_schema,
    deleted_schema,
    is_entity_id,
    list_query_schema,
    mentor_page_schema,
    new_report_schema,
    report_changes_schema,
    report_page_schema,
    report_schema,
    updated_report_schema,
)

bp = Blueprint("reports", __name__, url_prefix="/api/v1/reports")


@bp.get("")
def list_reports():
    return _page(report_page_schema)


@bp.get("/by-activity/<activity_id>")
def list_reports_by_activity(activity_id):
    _require_entity_id("activity", activity_id)
    return _page(activity_page_schema, activity_id=activity_id)


@bp.get("/by-mentor/<mentor_id>")
def list_reports_by_mentor(mentor_id):
    _require_entity_id("peer mentor", mentor_id)
    return _page(mentor_page_schema, peer_mentor_id=mentor_id)


@bp.get("/<report_id>")
def get_report(report_id):
    return report_schema.dump(service.get_report(report_id))


@bp.post("")
def create_report():
    default_org_id = current_app.config["DEFAULT_ORG_ID"]
    optional = ("org_id",) if default_org_id else ()
    new = new_report_schema.load(_json_object_body(), partial=optional)
    report = service.create_report(new, default_org_id)
    location = url_for("reports.get_report", report_id=report["report_id"])
    return created_report_schema.dump(report), 201, {"Location": location}


@bp.put("/<report_id>")
def update_report(report_id):
    changes = report_changes_schema.load(_json_object_body())
    return updated_report_schema.dump(service.update_report(report_id, changes))


@bp.delete("/<report_id>")
def delete_report(report_id):
    service.delete_report(report_id)
    return deleted_schema.dump({"deleted": True, "report_id": report_id})


def _page(schema, **filters):
    query = list_query_schema.load(_single_valued(request.args))
    rows, total = service.page_of_reports(
        {**filters, "status": query.get("status")}, query["page"], query["limit"]
    )
    pagination = {"page": query["page"], "limit": query["limit"], "total": total}
    return schema.dump({"data": rows, "pagination": pagination})


def _require_entity_id(kind, value):
    if not is_entity_id(value):
        raise NotFound(f"No {kind} can have the id {value!r}.")


def _single_valued(args):
    repeated = {name: ["Give this parameter once."] for name in args if len(args.getlist(name)) > 1}
    if repeated:
        raise ValidationError(repeated)
    return args.to_dict()


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _json_object_body():
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
