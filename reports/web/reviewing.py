"""A coordinator's part of a report's page, and the trash: saving a review,
deleting with a confirmation, and restoring from the trash. The review form and
the history as a timeline are drawn with the report's page, in display.py."""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError
from werkzeug.exceptions import Forbidden, NotFound

from reports import catalogue, service
from reports.errors import Conflict, ReportNotFound
from reports.schemas import review_request_schema
from reports.web import REVIEW_LABELS, bp, display, login_required
from reports.web.messages import _l, translated

REVIEW_STATE_MISSING = _l("Choose approve, has issues or reject.")


# Reviewing -------------------------------------------------------------------------


@bp.post("/reports/<report_id>/review")
@login_required
def review_report(report_id):
    """Save a coordinator's review; a form that fails shows the report's page again."""
    service.require_may("review", g.caller)  # before the form is read
    typed = {name: request.form.get(name) for name in ("review_state", "comment")}
    try:
        review = review_request_schema.load(
            {name: value for name, value in typed.items() if value is not None}
        )
        reviewed = service.review_report(
            report_id, review["review_state"], review["comment"], caller=g.caller
        )
    except ValidationError as error:
        errors = _first_messages(error.messages)
        return display.report_page(report_id, 422, review_errors=errors, review_typed=typed)
    except Conflict as error:
        report = service.get_report(report_id, caller=g.caller)
        return render_template(
            "web/refused.html",
            title=_("This report cannot be reviewed"),
            report=report,
            reason=translated(error),
        ), 409
    flash(_("Review saved: %(review)s.", review=REVIEW_LABELS[reviewed["review_state"]]))
    return redirect(url_for("web.report", report_id=report_id), 303)


def _first_messages(messages):
    """One message per field, in the page's words where the schema's are too terse."""
    shown = display.first_messages(messages)
    required = review_request_schema.fields["review_state"].error_messages["required"]
    if display.first_message(messages.get("review_state", "")) == required:
        shown["review_state"] = str(REVIEW_STATE_MISSING)
    return shown


# Deleting and the trash --------------------------------------------------------------


@bp.route("/reports/<report_id>/delete", methods=("GET", "POST"))
@login_required
def delete_report(report_id):
    """GET asks to confirm; POST moves the report to the trash."""
    service.require_may("write", g.caller)
    report = service.get_report(report_id, caller=g.caller)
    if request.method == "GET":
        refused = service.change_refused(report_id, caller=g.caller)
        if refused is not None:
            raise Forbidden(refused)
        days = current_app.config["TRASH_DAYS"]
        title_field = catalogue.live().title
        return render_template(
            "web/delete.html",
            report=report,
            title=display.report_title(report),
            title_label=catalogue.live().by_name[title_field].label if title_field else None,
            trash_days=days,
        )
    service.delete_report(report_id, caller=g.caller)
    days = current_app.config["TRASH_DAYS"]
    flash(
        ngettext(
            "%(report)s is in the trash. A coordinator can restore it for %(num)d day.",
            "%(report)s is in the trash. A coordinator can restore it for %(num)d days.",
            days,
            report=_title(report),
        )
    )
    start = "web.my_reports" if g.caller.role == "mentor" else "web.reports"
    return redirect(url_for(start), 303)


@bp.get("/trash")
@login_required
def trash():
    """The deleted reports that can still be restored, most recently deleted first."""
    days = current_app.config["TRASH_DAYS"]
    entries = service.trashed_reports(days, caller=g.caller)
    return render_template("web/trash.html", entries=entries, trash_days=days)


@bp.post("/trash/<report_id>/restore")
@login_required
def restore_report(report_id):
    try:
        restored = service.restore_report(report_id, caller=g.caller)
    except ReportNotFound:
        days = current_app.config["TRASH_DAYS"]
        raise NotFound(
            ngettext(
                "No report with the id %(id)s is in the trash: it may have been restored "
                "already, or deleted for good after %(num)d day there.",
                "No report with the id %(id)s is in the trash: it may have been restored "
                "already, or deleted for good after %(num)d days there.",
                days,
                id=repr(report_id),
            )
        ) from None
    flash(_("%(report)s is restored, with its review and its history.", report=_title(restored)))
    return redirect(url_for("web.report", report_id=report_id), 303)


def _title(report):
    title = display.report_title(report)
    return _("“%(title)s”", title=title) if title else _("Report %(id)s", id=report["report_id"])
