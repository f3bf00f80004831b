"""The API's English messages in the page's language (reports/web/messages.py):
found as they are or through their template, values kept; an unknown one left
in English; every message a page can show of the schemas, the search, the
service and the error pages known; and the API's answers in English whatever
the request asks."""

import ast
import importlib
import sqlite3
from http import HTTPStatus
from pathlib import Path

import pytest
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from marshmallow import ValidationError, fields, validate
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge, TooManyRequests

import reports
from reports import catalogue, errors, limits, read_only, throttle
from reports.db import get_db
from reports.errors import ReportNotFound
from reports.schemas import (
    activity_changes_schema,
    emailed_link_schema,
    new_activity_schema,
    new_person_schema,
    person_changes_schema,
    review_request_schema,
    shapes,
    shapes_of,
    single_valued,
)
from reports.schemas import values as schema_values
from reports.service import people
from reports.web import forms, messages, table
from reports.web.messages import _l, found, status_title, translated

from conformance import ConformingClient
from conftest import YOUTH_CLUB
from web_helpers import add_catalogue, app_in, text

PACKAGE = Path(reports.__file__).parent
# A few of the messages, in Norwegian: enough to see a translation happen.
NORWEGIAN = {
    "Must be one of: %(choices)s.": "Må være én av: %(choices)s.",
    "Longer than maximum length %(max)s.": "Lengre enn %(max)s tegn.",
    "Missing data for required field.": "Mangler verdi.",
    "Not Found": "Ikke funnet",
    "Nothing is at %(path)s.": "Ingenting finnes på %(path)s.",
    "No report has the id %(id)s.": "Ingen rapport har id-en %(id)s.",
    "The request is not valid; `errors` says what to fix.": "Forespørselen er ikke gyldig.",
    "Search": "Søk",
    "Every word must appear in %(fields)s.": "Hvert ord må stå i %(fields)s.",
    "%(first)s or %(last)s": "%(first)s eller %(last)s",
}


@pytest.fixture
def norwegian_app(tmp_path):
    """The app with a Norwegian catalogue of NORWEGIAN in its instance folder."""
    add_catalogue(tmp_path / "instance", "nb", NORWEGIAN)
    app = app_in(tmp_path / "instance", str(tmp_path / "reports.sqlite"))
    app.test_client_class = ConformingClient
    return app


def in_norwegian(app):
    return app.test_request_context("/", headers={"Accept-Language": "nb"})


# Finding a message ---------------------------------------------------------------


def test_a_message_with_values_is_found_through_its_template_with_its_values(norwegian_app):
    with in_norwegian(norwegian_app):
        assert translated("Longer than maximum length 2000.") == "Lengre enn 2000 tegn."
        assert translated("Must be one of: month, mentor, activity, org.") == (
            "Må være én av: month, mentor, activity, org."
        )
        assert translated("No report has the id 'rpt_0000abcd'.") == (
            "Ingen rapport har id-en 'rpt_0000abcd'."
        )
        assert translated("Missing data for required field.") == "Mangler verdi."


def test_a_message_is_found_through_the_template_that_says_most_of_it():
    both = "Must be greater than or equal to 1 and less than or equal to 10."
    assert found(both) == (
        "Must be greater than or equal to %(min)s and less than or equal to %(max)s.",
        {"min": "1", "max": "10"},
    )
    assert found("Must be greater than or equal to 1.") == (
        "Must be greater than or equal to %(min)s.",
        {"min": "1"},
    )


@pytest.mark.parametrize(
    "message", ["A message no template knows.", "Longer than maximum length", "", "100%"]
)
def test_an_unknown_message_stays_as_it_is(norwegian_app, message):
    assert found(message) is None
    with in_norwegian(norwegian_app):
        assert translated(message) == message


def test_a_known_message_without_a_translation_stays_english(norwegian_app):
    with in_norwegian(norwegian_app):
        assert translated("Shorter than minimum length 1.") == "Shorter than minimum length 1."


def test_in_english_every_message_is_itself(app):
    with app.test_request_context("/"):
        for template in messages.MESSAGES:
            assert translated(template) == template.replace("%%", "%")


def test_every_message_is_listed_once():
    assert len(set(messages.MESSAGES)) == len(messages.MESSAGES)


def test_a_lazy_text_is_escaped_in_a_template(app):
    with app.test_request_context("/"):
        assert escape(_l("Tom & <Jerry>")) == "Tom &amp; &lt;Jerry&gt;"


# The error pages' titles --------------------------------------------------------

# Every status the service answers with.
STATUSES = (400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 429, 500, 503)


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_title_is_known(app, status):
    phrase = HTTPStatus(status).phrase
    assert phrase in messages.STATUS_TITLES
    with app.test_request_context("/"):
        assert status_title(status) == phrase


def test_an_error_page_is_in_the_page_s_language(norwegian_app):
    page = norwegian_app.test_client().get(
        "/nowhere", headers={"Accept": "text/html", "Accept-Language": "nb"}
    )
    assert page.status_code == 404
    assert "<h1>Ikke funnet</h1>" in text(page)
    assert "Ingenting finnes på /nowhere." in text(page)


def test_a_form_s_error_is_in_the_page_s_language(norwegian_app):
    page = norwegian_app.test_client().get(
        "/summary?group_by=weekly", headers={"Accept-Language": "nb"}
    )
    assert page.status_code == 422
    assert "Må være én av: month, mentor, activity, org." in text(page)
    assert "Must be one of" not in text(page)


def test_the_labels_kept_for_every_language_are_each_page_s_own(norwegian_app):
    """The reports table's words are made once per catalogue, and said in the
    language of each page that shows them."""
    client = norwegian_app.test_client()
    norwegian = text(client.get("/reports", headers={"Accept-Language": "nb"}))
    english = text(client.get("/reports"))
    assert ">Søk<" in norwegian and "Hvert ord må stå i " in norwegian
    assert " eller " in norwegian.split("Hvert ord må stå i ")[1].split(".")[0]
    assert ">Search<" in english and "Every word must appear in " in english
    assert "Søk" not in english and "Hvert ord" not in english


# The API stays English ---------------------------------------------------------------


def test_the_api_s_422_stays_english_whatever_the_request_asks(norwegian_app):
    answer = norwegian_app.test_client().post(
        "/api/v1/reports", json={}, headers={"Accept-Language": "nb"}
    )
    assert answer.status_code == 422
    assert answer.json["detail"] == "The request is not valid; `errors` says what to fix."
    assert answer.json["errors"]["activity_id"] == ["Missing data for required field."]


def test_the_api_s_404_stays_english_whatever_the_request_asks(norwegian_app):
    answer = norwegian_app.test_client().get(
        "/api/v1/reports/rpt_0000abcd?lang=nb", headers={"Accept-Language": "nb"}
    )
    assert answer.status_code == 404
    assert answer.json["title"] == "Not Found"
    assert answer.json["detail"] == "No report has the id 'rpt_0000abcd'."


# Every message a page can show is known --------------------------------------------


def unknown(found_messages):
    return sorted({message for message in found_messages if found(message) is None})


def validator_messages(validator):
    """The messages a marshmallow validator gives, from values it refuses."""
    if isinstance(validator, validate.Length):
        values = [
            "x" * length
            for length in (
                None if validator.max is None else validator.max + 1,
                None if not validator.min else validator.min - 1,
                None if validator.equal is None else validator.equal + 1,
            )
            if length is not None
        ]
    elif isinstance(validator, validate.Range):
        values = [
            bound
            for bound in (
                None if validator.min is None else validator.min - 1,
                None if validator.max is None else validator.max + 1,
            )
            if bound is not None
        ]
    elif isinstance(validator, validate.OneOf | validate.Regexp):
        values = ["\x00 none of them"]
    elif isinstance(validator, validate.Email):
        values = ["not an address"]
    elif isinstance(validator, validate.Validator):
        raise AssertionError(f"a validator this test cannot make fail: {validator!r}")
    else:
        return []  # a function: what it raises is read from its source (below)
    said = []
    for value in values:
        with pytest.raises(ValidationError) as refused:
            validator(value)
        said += refused.value.messages
    return said


def field_messages(field):
    said = list(field.error_messages.values())
    for validator in field.validators:
        said += validator_messages(validator)
    if isinstance(field, fields.Nested):
        said += schema_messages(field.schema)
    if isinstance(field, fields.List):
        said += field_messages(field.inner)
    return said


def schema_messages(schema):
    said = list(schema.error_messages.values())
    for field in schema.fields.values():
        said += field_messages(field)
    return said


def page_schemas(shaped):
    """The schemas the pages load their forms and query strings with."""
    return [
        shaped.new_report,
        shaped.report_changes,
        shaped.summary_query,
        *table.query_schemas(shaped),
        review_request_schema,
        new_person_schema,
        person_changes_schema,
        new_activity_schema,
        activity_changes_schema,
        emailed_link_schema,
    ]


def test_every_message_of_the_form_schemas_fields_and_validators_is_known(app):
    said = []
    with app.app_context():
        for shaped in (shapes(), shapes_of(catalogue.load(YOUTH_CLUB))):
            for schema in page_schemas(shaped):
                said += schema_messages(schema)
    assert "Must be one of: draft, submitted." in said  # the test reads what it should
    assert unknown(said) == []


# The exceptions whose message a page shows, by their name in the source.
REFUSALS = {"ValidationError", "BadSearch", "Conflict", "Forbidden", "NotFound"}
# The modules whose refusals reach the pages. Not service/imports.py (the
# import command's and the API's) nor service/health.py (/healthz's).
REFUSING = [
    *sorted((PACKAGE / "schemas").glob("*.py")),
    PACKAGE / "search.py",
    PACKAGE / "auth.py",
    *(
        path
        for path in sorted((PACKAGE / "service").glob("*.py"))
        if path.name not in ("imports.py", "health.py")
    ),
]
SAMPLE = "x7"


def module_of(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))


def written(node, module):
    """The messages `node` writes: a string as it is, an f-string with a sample
    for each value (a module's string constant as itself), a dict's values
    and a list's items; nothing for what is computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and isinstance(getattr(module, node.id, None), str):
        return [getattr(module, node.id)]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(part.value)
                continue
            value = part.value
            constant = getattr(module, value.id, None) if isinstance(value, ast.Name) else None
            value = constant if isinstance(constant, str) else SAMPLE
            parts.append(repr(value) if part.conversion == ord("r") else value)
        return ["".join(parts)]
    if isinstance(node, ast.Dict):
        return [each for value in node.values for each in written(value, module)]
    if isinstance(node, ast.List | ast.Tuple):
        return [each for item in node.elts for each in written(item, module)]
    if isinstance(node, ast.DictComp):
        return written(node.value, module)
    if isinstance(node, ast.ListComp):
        return written(node.elt, module)
    return []


def refusals_in(path):
    module = module_of(path)
    said = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name in REFUSALS:
            said += written(node.args[0], module)
    return said


def test_every_message_the_schemas_the_search_and_the_service_raise_is_known():
    said = [message for path in REFUSING for message in refusals_in(path)]
    assert "Must not be blank." in said and "No person has the id 'x7'." in said
    assert "Required to submit the report." in said
    assert unknown(said) == []


def test_the_messages_the_schemas_put_together_are_known(app):
    said = [
        schema_values._range_message(1, 10),
        schema_values._range_message(1, None),
        schema_values._range_message(None, 10),
        str(ReportNotFound("rpt_0000abcd")),
        str(ReportNotFound("rpt_0000abcd", "in the trash")),
    ]
    with app.app_context(), pytest.raises(ValidationError) as refused:
        people.known_mentors(get_db(), ["usr_nobody"])
    said += schema_messages_of(refused.value.messages)
    many = {f"key{number}": 1 for number in range(30)}
    with pytest.raises(ValidationError) as refused:
        review_request_schema.load(many)
    said += schema_messages_of(refused.value.messages)
    repeated = MultiDict([(f"p{number}", each) for number in range(30) for each in "ab"])
    with pytest.raises(ValidationError) as refused:
        single_valued(repeated)
    said += schema_messages_of(refused.value.messages)
    assert any("unknown fields in all" in each for each in said)
    assert any("given more than once in all" in each for each in said)
    assert "No mentor in the directory has the id 'usr_nobody'." in said
    assert unknown(said) == []


def schema_messages_of(messages):
    if isinstance(messages, dict):
        return [each for value in messages.values() for each in schema_messages_of(value)]
    if isinstance(messages, list):
        return [each for value in messages for each in schema_messages_of(value)]
    return [messages]


def detail(response):
    return response.get_json()["detail"]


def test_every_detail_of_an_error_page_is_known(app):
    said = []
    with app.test_request_context("/api/v1/reports", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        said.append(detail(errors.http_error(CSRFError())))
        said.append(detail(errors.http_error(NotFound())))
        said.append(detail(errors.http_error(MethodNotAllowed(["GET"]))))
        said.append(detail(errors.http_error(RequestEntityTooLarge())))
        said.append(detail(errors.validation_error(ValidationError("Invalid value."))))
        for code in errors.STORAGE_FAULTS:
            fault = sqlite3.OperationalError("a fault")
            fault.sqlite_errorcode, fault.sqlite_errorname = code, "SQLITE_FAULT"
            said.append(detail(errors.database_error(fault)))
        said.append(detail(errors.over_budget(None)))
        said.append(detail(errors.no_room_for_a_workbook(OSError())))
        said.append(detail(errors.database_gone(None)))
        said.append(detail(errors.unexpected_error(RuntimeError())))
        said += [str(limits.Busy(kind, 2)) for kind in limits.SETTINGS]
        said += [read_only.DETAIL, read_only.LINK_DETAIL]
        app.extensions[throttle.FAILURES].wait = lambda *args: 7
        for asked in (
            lambda: throttle.wrong_token(throttle.AT_LOGIN),
            throttle.link_asked_by_email,
        ):
            with pytest.raises(TooManyRequests) as refused:
                asked()
            said.append(refused.value.description)
    assert len(said) == 15 + len(errors.STORAGE_FAULTS)
    assert unknown(said) == []


def test_the_form_s_ids_are_marked_as_the_schema_words_them(app):
    with app.test_request_context("/"):
        for each in forms.IDS.values():
            assert str(each.label) in forms.ID_WORDS
            assert str(each.hint) in forms.ID_WORDS
