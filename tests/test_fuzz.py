"""Fuzzing: schemathesis generates requests for every operation from the OpenAPI
document (valid ones and invalid ones) and checks each answer: never a 5xx, and
status, content type and body exactly as the document promises. It also walks
sequences of calls along the links schemathesis infers from the document: list,
then read, update or delete a report the list named; read, then create another.

CI runs a small fixed budget with a fixed seed: FUZZ_EXAMPLES examples per
operation and as many sequences (default 40), FUZZ_SEED (default 20261128, or
`random` for a fresh one each run). A longer run with a fresh seed:
    FUZZ_EXAMPLES=2000 FUZZ_SEED=random pytest tests/test_fuzz.py
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from reports import auth, create_app, db
from reports.schemas import is_report_id

from conftest import CONTRACT_REPORT, revoke_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SEED = os.environ.get("FUZZ_SEED", "20261128")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
DOCUMENT = "/api/v1/openapi.json"
# Every operation but GET of the document, which schemathesis leaves out
# because it serves the document itself.
OPERATIONS = [
    ("GET", "/api/v1/reports"),
    ("POST", "/api/v1/reports"),
    ("GET", "/api/v1/reports/{report_id}"),
    ("PUT", "/api/v1/reports/{report_id}"),
    ("DELETE", "/api/v1/reports/{report_id}"),
    ("GET", "/api/v1/reports/by-activity/{activity_id}"),
    ("GET", "/api/v1/reports/by-mentor/{mentor_id}"),
    ("GET", "/api/v1/reports/summary"),
    ("GET", "/api/v1/reports/deleted"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/reports/{report_id}/review"),
    ("PUT", "/api/v1/reports/{report_id}/review"),
    ("GET", "/api/v1/reports/{report_id}/history"),
    ("POST", "/api/v1/reports/{report_id}/restore"),
    ("GET", "/api/v1/catalogue"),
    ("GET", "/api/v1/people"),
    ("POST", "/api/v1/people"),
    ("GET", "/api/v1/people/{person_id}"),
    ("PUT", "/api/v1/people/{person_id}"),
    ("DELETE", "/api/v1/people/{person_id}"),
    ("POST", "/api/v1/people/{person_id}/sign-in-links"),
    ("GET", "/api/v1/people/{person_id}/tokens"),
    ("DELETE", "/api/v1/people/{person_id}/tokens/{token_name}"),
    ("GET", "/api/v1/activities"),
    ("POST", "/api/v1/activities"),
    ("GET", "/api/v1/activities/{activity_id}"),
    ("PUT", "/api/v1/activities/{activity_id}"),
    ("DELETE", "/api/v1/activities/{activity_id}"),
    ("GET", "/healthz"),
]
# Every path answers OPTIONS, the document's too.
OPERATIONS += sorted({("OPTIONS", path) for _, path in OPERATIONS} | {("OPTIONS", DOCUMENT)})


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    database = tmp_path_factory.mktemp("fuzz") / "reports.sqlite"
    app = create_app({"TESTING": True, "DATABASE": str(database)})
    db.init_db(str(database))
    return app


@pytest.fixture(scope="module")
def fuzzed_schema(fuzzed_app):
    return schemathesis.openapi.from_wsgi(DOCUMENT, fuzzed_app)


def test_every_operation_of_the_document_is_fuzzed(fuzzed_schema):
    documented = {
        (op.ok().method.upper(), op.ok().path) for op in fuzzed_schema.get_all_operations()
    }

    assert documented == set(OPERATIONS)


def seeded(test):
    """The test, or state machine, with FUZZ_SEED applied unless it is `random`."""
    return test if SEED == "random" else seed(int(SEED))(test)


def cases(operation):
    """Valid and invalid requests for one operation."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def aimed_at_a_real_report(case, app):
    """A random well-formed id names no report; aim it at a real one, so that
    reads, updates and deletes get past the 404."""
    report_id = (case.path_parameters or {}).get("report_id")
    if isinstance(report_id, str) and is_report_id(report_id):
        created = app.test_client().post("/api/v1/reports", json=CONTRACT_REPORT)
        case.path_parameters["report_id"] = created.json["report_id"]
    return case


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_answers_as_documented(fuzzed_app, fuzzed_schema, method, path):
    operation = fuzzed_schema[path][method]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases(operation))
    def answers_as_documented(case):
        aimed_at_a_real_report(case, fuzzed_app).call_and_validate(checks=CHECKS)

    seeded(answers_as_documented)()


def test_sequences_of_calls_answer_as_documented(fuzzed_app, fuzzed_schema):
    class Workflow(fuzzed_schema.as_state_machine()):
        def setup(self):
            """Start every sequence from the same three reports, so that each one
            replays the same way (Hypothesis requires it) and finds reports to use,
            with the API open."""
            # A sign-in link a sequence made is a token, which closes the open API:
            # open it again.
            with fuzzed_app.app_context():
                for token in auth.all_tokens():
                    if token["revoked_at"] is None:
                        revoke_token(token["name"])
                auth.reopen()
            client = fuzzed_app.test_client()
            while page := client.get("/api/v1/reports?limit=100").json["data"]:
                for report in page:
                    client.delete(f"/api/v1/reports/{report['report_id']}")
            for _ in range(3):
                client.post("/api/v1/reports", json=CONTRACT_REPORT)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    seeded(Workflow).run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
    )
