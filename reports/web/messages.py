"""The pages' words for what the API says in English: the messages of the
marshmallow schemas, of the service's refusals and of the error pages,
translated at the edge of the pages only (the API and its problem details keep
the English text, which is each message's msgid).

`translated(message)` finds a message among MESSAGES: as it is, or, for a
message with values in it ("Longer than maximum length 2000."), through its
template ("Longer than maximum length %(max)s."), whose translation gets the
values back. A message it does not know stays as it is, in English.

Also here: `_l`, the lazy gettext of the page modules' constants, and `later`,
for a text made of others that is put together when a page shows it."""

import re
from http import HTTPStatus

from flask_babel import gettext, ngettext
from flask_babel.speaklater import LazyString
from markupsafe import escape


def N_(text):
    """Marks `text` for extraction; translated when it is shown (see translated)."""
    return text


class Lazy(LazyString):
    """flask_babel's lazy string, which a template escapes as any other text
    (flask_babel's own is taken as markup): a translator's `<` is shown, and so
    is a value's."""

    def __html__(self):
        return escape(str(self))


def _l(text, **values):
    """gettext(text, **values), when the text is shown: for constants of labels."""
    return Lazy(gettext, text, **values)


def lazy_ngettext(singular, plural, number, **values):
    """ngettext(singular, plural, number, **values), when the text is shown."""
    return Lazy(ngettext, singular, plural, number, **values)


def later(function, *args):
    """function(*args) when the text is shown: a text made of translated ones,
    kept in a cache shared by every language."""
    return Lazy(function, *args)


# Every message of the API that a page shows, in English, once.
MESSAGES = (
    # marshmallow's own, for the fields, validators and schemas the schemas use.
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Number too large."),
    N_("Not a valid boolean."),
    N_("Not a valid email address."),
    N_("Not a valid list."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be one of: %(choices)s."),
    # The schemas' own (reports/schemas/).
    N_("Must not contain control characters (found U+%(code)s); tab, CR and LF are allowed."),
    N_("Must not contain a lone surrogate (U+%(code)s)."),
    N_("Must not be blank."),
    N_("Must be 1 to 64 characters of A-Z, a-z, 0-9, _ . : -"),
    N_("Must be rpt_ and 8 lower-case hexadecimal digits."),
    N_("Not a valid time: write a real UTC time as YYYY-MM-DDTHH:MM:SSZ."),
    N_("At most 100 characters."),
    N_("One line: no tab or line break."),
    N_("Not a valid date: write a real date as YYYY-MM-DD."),
    N_("Not a valid time: write YYYY-MM-DDTHH:MM:SSZ (UTC) or YYYY-MM-DD."),
    N_("Must be true or false."),
    N_("Cannot be changed after the report is created."),
    N_("Not a valid date: write it as YYYY-MM-DD."),
    N_("Not a real calendar date."),
    N_("Must not be after tomorrow (%(date)s, UTC)."),
    N_("Not a valid number: write it as digits, such as 12.50."),
    N_("At most %(places)s decimal places."),
    N_("Give each value once."),
    N_("A review needs its review_state."),
    N_("Only a submitted report has a submission time."),
    N_("Only a submitted report has a review."),
    N_("Must not be before created_at."),
    N_("Give `fields`, `status`, `activity_id` or several."),
    N_("Must not be before %(field)s."),
    N_("Give `page` or `cursor`, not both."),
    N_("This cursor is for another `sort`."),
    N_("Not a valid cursor: follow the `Link` of the page before."),
    N_(
        "Not a valid cursor: give 0, or a cursor the feed answered (`next_after`, "
        "or an event's `cursor`)."
    ),
    N_("Unknown field. Allowed fields: %(fields)s."),
    N_("Give this parameter once."),
    N_("%(count)s unknown fields in all; the first %(listed)s are listed."),
    N_("%(count)s parameters given more than once in all; the first %(listed)s are listed."),
    N_("Only a mentor has a peer mentor id."),
    N_("Must be a language tag such as en, nb, ar or uk (BCP 47)."),
    N_("Give `name`, `role`, `email`, `language` or `notify`."),
    N_("Give `name`, `org_id`, `mentors` or `archived`."),
    N_("Enter your e-mail address"),
    N_("Enter an e-mail address such as name@example.org"),
    # A search's (reports/search.py).
    N_("At most %(most)s words or phrases in one search; this has %(count)s."),
    N_(
        "At most %(most)s words in one search, counting each word of a phrase and each "
        "Chinese or Japanese character or emoji; this has %(count)s."
    ),
    N_("A prefix needs at least %(least)s letters or digits before the *: %(word)s has %(count)s."),
    # The service's refusals (reports/service/, reports/auth.py).
    N_("A viewer token may only read reports."),
    N_("Only a coordinator token may do this, not a %(role)s token."),
    N_("This mentor token acts for %(owner)s only, not for %(id)s."),
    N_(
        "This report is %(state)s: its mentor may correct or delete it only while it is "
        "unreviewed or has issues."
    ),
    N_("A submitted report cannot go back to draft."),
    N_("A draft cannot be reviewed: it must be submitted first."),
    N_("Already used for a create with a different body."),
    N_("Required to submit the report."),
    N_("No report has the id %(id)s."),
    N_("No report in the trash has the id %(id)s."),
    N_("An activity has the id %(id)s already."),
    N_("No activity has the id %(id)s."),
    N_("The peer mentor id %(id)s is another person's."),
    N_("No token is named %(name)s."),
    N_("%(person)s has no token named %(name)s in force."),
    N_("No mentor in the directory has the id %(id)s."),
    N_("Name each mentor once."),
    N_("%(name)s is the only coordinator: make someone else a coordinator first."),
    N_("No person has the id %(id)s."),
    N_("No webhook %(id)s: `webhook list` shows them."),
    # The error pages' (reports/errors.py, limits.py, read_only.py, throttle.py).
    N_("The request is not valid; `errors` says what to fix."),
    N_(
        "This form has expired, or it was not sent from this service's own page. "
        "Go back, reload the page and try again."
    ),
    N_("Nothing is at %(path)s."),
    N_("%(method)s is not allowed on %(path)s."),
    N_("The body is larger than the limit of %(limit)s bytes."),
    N_(
        "The report store is unavailable: the database is busy with another write. "
        "Nothing was changed; try again later."
    ),
    N_(
        "The report store is unavailable: the database file cannot be written. "
        "Nothing was changed; try again later."
    ),
    N_(
        "The report store is unavailable: the disk holding the database is full. "
        "Nothing was changed; try again later."
    ),
    N_(
        "The report store is unavailable: the disk holding the database failed to read or "
        "write. Nothing was changed; try again later."
    ),
    N_(
        "The report store is unavailable: the database file cannot be opened. "
        "Nothing was changed; try again later."
    ),
    N_(
        "The report store is unavailable: its database file is gone or was replaced. "
        "Nothing was changed; the service must be restarted; see the server's log."
    ),
    N_(
        "The query took longer than the server allows (%(budget)s ms) and was stopped: "
        "narrow it down (more filters, fewer or longer search words) and try again."
    ),
    N_(
        "The server has too little free disk space to write the workbook now. "
        "Nothing was changed; try again later, or ask for csv."
    ),
    N_("An unexpected error occurred. It has been logged on the server."),
    N_(
        "The server is running as many exports as it allows at once (%(limit)s): "
        "try again in a few seconds."
    ),
    N_(
        "The server is running as many searches, summaries and heavy pages as it allows "
        "at once (%(limit)s): try again in a few seconds."
    ),
    N_("This is a read-only copy of the reports: write to the primary service."),
    N_(
        "This is a read-only copy of the reports: write to the primary service. A sign-in "
        "link cannot be used on it: sign in with your token at /login, or use the link on "
        "the primary service."
    ),
    N_("Too many wrong tokens from here lately: try again in %(seconds)s seconds."),
    N_("Too many sign-in links asked for from here lately: try again in %(seconds)s seconds."),
)

# The titles of the error pages: the status phrases (both names of those
# Python has renamed).
STATUS_TITLES = frozenset(
    (
        N_("Bad Request"),
        N_("Unauthorized"),
        N_("Forbidden"),
        N_("Not Found"),
        N_("Method Not Allowed"),
        N_("Conflict"),
        N_("Precondition Failed"),
        N_("Request Entity Too Large"),
        N_("Content Too Large"),
        N_("Unsupported Media Type"),
        N_("Unprocessable Entity"),
        N_("Unprocessable Content"),
        N_("Too Many Requests"),
        N_("Internal Server Error"),
        N_("Service Unavailable"),
    )
)

PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _pattern(template):
    """A regular expression that matches the messages of `template`, each
    value as a group of its placeholder's name."""
    parts, end = [], 0
    for found in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[end : found.start()]))
        name = found.group(1)
        parts.append(f"(?P<{name}>.+?)" if name else "%")
        end = found.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts), re.DOTALL)


def _literal_length(template):
    return len(PLACEHOLDER.sub("", template))


EXACT = frozenset(message for message in MESSAGES if not PLACEHOLDER.search(message))
# The templates, the one with the most words of its own first: "Must be
# greater than or equal to 1 and less than or equal to 10." is the longer
# template's, not the shorter one's with "1 and less ..." as its value.
TEMPLATES = tuple(
    (template, _pattern(template))
    for template in sorted(
        (message for message in MESSAGES if message not in EXACT),
        key=_literal_length,
        reverse=True,
    )
)


def found(message):
    """(msgid, values) of a message MESSAGES knows, else None."""
    text = str(message)
    if text in EXACT:
        return text, {}
    for template, pattern in TEMPLATES:
        match = pattern.fullmatch(text)
        if match is not None:
            return template, match.groupdict()
    return None


def translated(message):
    """An English message of the API in the page's language; as it is if unknown."""
    text = str(message)
    known = found(text)
    if known is None:
        return text
    msgid, values = known
    return gettext(msgid, **values)


def status_title(status):
    """An error page's title: its status phrase, in the page's language."""
    phrase = HTTPStatus(status).phrase
    return gettext(phrase) if phrase in STATUS_TITLES else phrase
