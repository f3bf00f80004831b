"""Who may take which action of the service, and which reports a caller sees."""

import json

from reports import queries
from reports.auth import require_coordinator, require_own_mentor, require_write
from reports.errors import ReportNotFound
from reports.schemas import is_report_id

# Who may take each action at all, whichever report it concerns (docs/access.md):
# anyone may read; a viewer may not write (create, correct, delete); only a
# coordinator reviews and works the trash. A mentor is held besides to its own
# peer mentor's reports: another's is not found (existing_report), and the
# lists hold its own only (seen_by). Only a coordinator manages people and activities.
MAY = {
    "read": None,
    "write": require_write,
    "review": require_coordinator,
    "trash": require_coordinator,
    # The directory (reports/service/people.py, activities.py): only a coordinator
    # changes it; who reads which of it is held there.
    "manage people": require_coordinator,
    "manage activities": require_coordinator,
    # The outbox: its events as a feed, its webhooks and their deliveries
    # (reports/service/events.py, webhooks.py).
    "events": require_coordinator,
    "manage webhooks": require_coordinator,
}


def require_may(action, caller, peer_mentor_id=None):
    """Refuse `caller` (Forbidden) an action of MAY its role may not take, or one
    for a peer mentor (`peer_mentor_id`) a mentor token does not act for. Every
    function of the service that acts for a caller asks it first; a route asks
    it too where it refuses before it reads the request (a viewer's write is a
    403 before its body is read), as the service would refuse the call after."""
    rule = MAY[action]
    if rule is not None:
        rule(caller)
    if peer_mentor_id is not None:
        require_own_mentor(caller, peer_mentor_id)


def seen_by(caller, filters):
    """The filters of a list, held for a mentor token to its own peer mentor's
    reports, whatever else they ask for."""
    return {**filters, "owner": caller.owner}


def existing_report(db, report_id, caller):
    """The report, if it exists and the caller may see it; a mentor's report is
    not found by another mentor, so that its existence does not leak."""
    row = queries.report_by_id(db, report_id) if is_report_id(report_id) else None
    if row is None or caller.owner not in (None, row["peer_mentor_id"]):
        raise ReportNotFound(report_id)
    report = dict(row)
    report["fields"] = json.loads(report["fields"])
    return report
