"""What each operation of the API takes and answers, declared beside its route:

    @bp.get("/reports/<report_id>/review")
    @described("getReview", "review", answers={200: answer("The review.", "Review")})
    def get_review(report_id):
        \"\"\"Get a report's review

        Every member but report_id is null while the report has no review.\"\"\"

The first line of the view's docstring is the operation's summary, the rest its
description. Schemas, parameters, headers and examples are named here and made
in openapi.py, which finds each operation through the app's url_map: a route is
written once, where the blueprint routes it."""

import inspect
from dataclasses import dataclass

# Every error answer, by status: (component name, when it happens).
PROBLEMS = {
    400: ("BadRequest", "The body is not valid JSON, not UTF-8, or not a JSON object."),
    401: (
        "Unauthorized",
        "The request bears no valid token, and the API is not open to it: a token is in "
        "force, or the API is closed, or it is open to requests made on its own machine only.",
    ),
    403: ("Forbidden", "The token's role may not do this."),
    404: ("NotFound", "No such report, person or activity, or an id that cannot exist."),
    409: ("Conflict", "The change clashes with the report's state, or an id given is taken."),
    412: ("PreconditionFailed", "If-Match names a version that is no longer current."),
    413: ("ContentTooLarge", "The body is larger than the configured limit."),
    415: ("UnsupportedMediaType", "The body is not sent as application/json."),
    422: ("ValidationFailed", "The body or query string breaks a rule; `errors` says which."),
    429: (
        "TooManyRequests",
        "Too many wrong tokens came from this client lately (SIGN_IN_FAILURES in "
        "SIGN_IN_WINDOW_SECONDS); Retry-After says when a wrong one is looked at again. "
        "A right token is never refused.",
    ),
    500: ("InternalError", "A fault of the service; it is logged on the server."),
    503: (
        "ServiceUnavailable",
        "The database cannot be read or written right now, or this is a read-only copy "
        "(READ_ONLY) and the request would write.",
    ),
}
# What any operation can answer: a fault, or a database it cannot use.
ALWAYS = (500, 503)


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: its description, the component schema of its JSON body (None
    for no body), the name of its example, its headers (components too) and the
    files it can be instead, as ((media type, name of an example, or None), ...)."""

    description: str
    schema: str | None = None
    example: str | None = None
    headers: tuple[str, ...] = ()
    files: tuple[tuple[str, str | None], ...] = ()


def answer(description, schema=None, *, example=None, headers=(), files=None):
    """An Answer; `files` as {media type: name of its example, or None}."""
    return Answer(description, schema, example, tuple(headers), tuple((files or {}).items()))


@dataclass(frozen=True)
class Operation:
    """One operation: its id, tag, the request headers it takes (of openapi.py's
    HEADER_PARAMETERS; the ids of its path come from its route), the query shape
    whose fields are its query parameters, the schema and example of its JSON
    body, its answers, its error statuses, and whether it needs no token."""

    id: str
    tag: str
    summary: str
    description: str
    headers: tuple[str, ...]
    query: str | None
    body: tuple[str, str] | None
    answers: dict
    errors: tuple[int, ...]
    open: bool


def described(
    operation_id, tag, *, answers, errors=(), headers=(), query=None, body=None, open=False
):
    """Declare what the decorated view takes and answers; see the module's docstring."""

    def declare(view):
        summary, _, description = inspect.getdoc(view).partition("\n")
        view.operation = Operation(
            id=operation_id,
            tag=tag,
            summary=summary.strip().rstrip("."),
            description=description.strip(),
            headers=tuple(headers),
            query=query,
            body=body,
            answers=answers,
            errors=tuple(sorted({*errors, *ALWAYS, *(() if open else (401, 429))})),
            open=open,
        )
        return view

    return declare
