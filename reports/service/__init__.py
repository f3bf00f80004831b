"""The service layer: the one layer the API, the pages and the CLI call to read
and change reports. It keeps every rule of a report and leaves SQL to
`queries`; every function that acts for someone takes `caller` and checks its
role itself.

    roles.py         who may take which action (MAY, require_may), which reports a caller sees
    lifecycle.py     a report's create, read, correction, review, delete and restore; its history
    lists.py         pages of a list and their kept totals, exports, deleted ids, field labels
    summaries.py     the summary's groups and figures, kept while the reports stay as they were
    imports.py       `flask import`: rows validated and stored all together, or none
    housekeeping.py  the trash, keys, links and sessions purged for good, now and then
    health.py        the health check, and the stored reports the catalogue would refuse now
    people.py        people: who uses the service, with the role its tokens act with; their tokens
    emailed_links.py a sign-in link e-mailed to the person whose address is asked for at /login
    activities.py    activities, and the mentors who lead them; archived, never deleted
    names.py         the directory's names of the ids that reports carry
    events.py        the outbox's events, written with each change of a report; their feed
    webhooks.py      the webhooks: added, listed, resumed, tested; each delivery and its retries
    notifications.py who is e-mailed about what, the e-mails, and sending what waits

What callers use is imported here, so that they call `service.create_report`
and the like; a test that patches a module's setting or helper patches it in
the module that looks it up (`service.lists.WALK_COST`)."""

from . import (
    activities,
    emailed_links,
    events,
    health,
    housekeeping,
    imports,
    lifecycle,
    lists,
    names,
    notifications,
    people,
    roles,
    summaries,
    webhooks,
)
from .activities import (
    archive_activity,
    create_activity,
    get_activity,
    list_activities,
    update_activity,
)
from .emailed_links import ask_for_sign_in_link_by_email, offers_links_by_email
from .events import events_after
from .health import Unhealthy, catalogue_misfits, check_health
from .housekeeping import purge, start_housekeeping
from .imports import ImportFailed, import_reports
from .lifecycle import (
    change_refused,
    correction_reopens_review,
    create_report,
    delete_report,
    etag,
    get_report,
    history,
    last_catalogue_version,
    restore_report,
    review_of,
    review_report,
    trashed_reports,
    update_report,
)
from .lists import (
    all_reports,
    deleted_reports,
    field_labels,
    fields_no_longer_in_catalogue,
    listed_reports,
    page_of_reports,
)
from .names import Names, directory_names
from .notifications import (
    notify_choice,
    person_of_link,
    person_of_unsubscribe_token,
    set_notify_choice,
)
from .people import (
    create_person,
    create_sign_in_link,
    get_person,
    list_people,
    list_tokens,
    remove_person,
    revoke_token,
    revoke_token_of_person,
    set_own_language,
    update_person,
)
from .roles import require_may
from .summaries import summary
from .webhooks import (
    WebhookError,
    add_webhook,
    all_webhooks,
    find_webhook,
    remove_webhook,
    retry_webhook,
    send_test_to_webhook,
    webhook_deliveries,
)

__all__ = [
    "Names",
    "directory_names",
    "names",
    "activities",
    "archive_activity",
    "ask_for_sign_in_link_by_email",
    "emailed_links",
    "offers_links_by_email",
    "create_activity",
    "create_person",
    "create_sign_in_link",
    "get_activity",
    "get_person",
    "list_activities",
    "list_people",
    "list_tokens",
    "people",
    "remove_person",
    "revoke_token",
    "revoke_token_of_person",
    "update_activity",
    "set_own_language",
    "update_person",
    "ImportFailed",
    "Unhealthy",
    "all_reports",
    "catalogue_misfits",
    "change_refused",
    "check_health",
    "correction_reopens_review",
    "create_report",
    "delete_report",
    "deleted_reports",
    "etag",
    "field_labels",
    "fields_no_longer_in_catalogue",
    "get_report",
    "health",
    "history",
    "housekeeping",
    "import_reports",
    "imports",
    "last_catalogue_version",
    "lifecycle",
    "listed_reports",
    "lists",
    "page_of_reports",
    "purge",
    "require_may",
    "restore_report",
    "review_of",
    "review_report",
    "roles",
    "start_housekeeping",
    "summaries",
    "summary",
    "trashed_reports",
    "update_report",
    "events",
    "events_after",
    "notifications",
    "notify_choice",
    "person_of_link",
    "person_of_unsubscribe_token",
    "set_notify_choice",
    "webhooks",
    "WebhookError",
    "add_webhook",
    "all_webhooks",
    "find_webhook",
    "remove_webhook",
    "retry_webhook",
    "send_test_to_webhook",
    "webhook_deliveries",
]
