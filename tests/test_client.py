"""A client in one command: openapi-python-client generates a package from the
document that the real `python app.py` serves, warns of nothing, names each
function by its operationId and each model by its component, and the installed
package drives a report's whole life against that server. The script of
docs/scripts.md prints what the page shows."""

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reports import auth, create_app, db

from docs_pages import DOCS, code_blocks, text_of
from serving import Server

PROJECT = "post-session-report-repository-client"
PACKAGE = "post_session_report_repository_client"
MENTOR = "usr_mentor_042"
OTHER_MENTOR = "usr_mentor_007"
REPORT = {
    "activity_id": "act_7b4e9f2a",
    "peer_mentor_id": MENTOR,
    "org_id": "org_nansen_01",
}
FUNCTIONS = {
    "reports": {
        "list_reports", "get_report", "create_report", "update_report", "delete_report",
        "list_reports_by_activity", "list_reports_by_mentor", "restore_report",
    },
    "review": {"get_review", "review_report", "get_history"},
    "sync": {"list_deleted_reports", "list_events"},
    "exports": {"summarise_reports"},
    "directory": {
        "list_people", "create_person", "get_person", "update_person", "remove_person",
        "create_sign_in_link", "list_tokens", "revoke_token", "list_activities",
        "create_activity", "get_activity", "update_activity", "archive_activity",
    },
}  # fmt: skip
ENUMS = {
    "ReportStatus", "ReviewState", "ReviewFilter", "ParticipantEngagement", "Sort",
    "ExportFormat", "SummaryFormat", "GroupBy", "RevisionAction", "FieldKind", "Role",
    "Notify", "EventType",
}  # fmt: skip
# The models of the components (and, for an object a component holds, the
# component's name and the member's), without one named after a path.
MODELS = {
    "ActivityReport", "ActivityReportPage", "Catalogue", "CatalogueField",
    "CatalogueFieldHelps", "CatalogueFieldLabels", "CatalogueFieldSummary", "CatalogueRoles",
    "Choice", "ChoiceLabels", "CreatedReport", "Deleted",
    "DeletedReport", "DeletedReports", "EngagementCounts", "Event", "EventPage",
    "EventPagination", "EventReport", "Health", "History", "PurgedReport",
    "MentorReport", "MentorReportPage", "NewReport", "OpenApiDocument", "Pagination",
    "Problem", "ProblemErrors", "Report", "ReportChanges", "ReportFields", "ReportPage",
    "ReportSummary", "Review", "ReviewRequest", "Revision", "RevisionChanges",
    "StoredFields", "Summary", "SummaryGroup", "UpdatedReport",
    # The directory's.
    "Activity", "ActivityChanges", "ActivityList", "NewActivity", "NewPerson", "Person",
    "PersonChanges", "PersonList", "RemovedPerson", "RevokedToken", "SignInLink", "Token",
    "TokenList",
}  # fmt: skip
# The page's section on the client, to the next section or the page's end.
PAGE_SECTION = re.search(
    r"^## A client in one command\n(.*?)(?=^## |\Z)", text_of(DOCS / "scripts.md"), re.S | re.M
)[1]


def generator():
    """openapi-python-client, from the test extra, beside this Python."""
    found = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert found, "openapi-python-client is not installed: pip install -e '.[test]'"
    return found


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The real server, with a coordinator's token and a mentor's."""
    workdir = tmp_path_factory.mktemp("client")
    database = workdir / "reports.sqlite"
    app = create_app({"DATABASE": str(database)})
    db.init_db(str(database))
    with app.app_context():
        tokens = {
            "coordinator": auth.create_token("carla", "coordinator"),
            "mentor": auth.create_token("mona", "mentor", MENTOR),
            "other mentor": auth.create_token("otto", "mentor", OTHER_MENTOR),
        }
    with Server(workdir, database) as server:
        server.url = f"http://{server.host}:{server.port}"
        server.tokens = tokens
        yield server


@pytest.fixture(scope="module")
def generated(service, tmp_path_factory):
    """docs/scripts.md's two commands, run in a folder of their own: generate the client
    from the running service, and install it (into a folder of its own, without
    fetching anything: the test extra has its build backend, poetry-core)."""
    folder = tmp_path_factory.mktemp("generated")
    url = f"{service.url}/api/v1/openapi.json"
    made = run([generator(), "generate", "--url", url, "--fail-on-warning"], cwd=folder)
    site = folder / "site"
    run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(site), str(folder / PROJECT)],
        cwd=folder,
    )  # fmt: skip
    sys.path.insert(0, str(site))
    try:
        yield Generated(folder, site, made)
    finally:
        sys.path.remove(str(site))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


class Generated:
    def __init__(self, folder, site, made):
        self.folder, self.site, self.made = folder, site, made

    def module(self, name):
        return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture
def client_of(generated, service):
    """A generated client with the token of a role, closed after the test."""
    opened = []

    def client_of(role):
        client = generated.module("client")
        opened.append(client.AuthenticatedClient(service.url, token=service.tokens[role]))
        return opened[-1].__enter__()

    yield client_of
    for client in opened:
        client.__exit__(None, None, None)


def run(command, cwd, env=None):
    """Run a command to its end, with this Python's scripts first on PATH (the
    generator runs ruff on what it made)."""
    env = dict(env or os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, (
        f"{command[:2]} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    )
    return done


# Generating it -----------------------------------------------------------------------


def test_the_generator_says_it_generates_the_client_and_warns_of_nothing(generated):
    said = generated.made.stdout + generated.made.stderr

    assert said.splitlines() == [f"Generating {generated.folder / PROJECT}"]


def test_the_page_runs_the_commands_this_test_runs():
    commands = code_blocks(PAGE_SECTION, "sh")[0].splitlines()

    assert commands == [
        "pip install openapi-python-client",
        "openapi-python-client generate --url http://127.0.0.1:8080/api/v1/openapi.json",
        f"pip install ./{PROJECT}",
    ]


def test_each_function_is_named_by_its_operation_id_under_its_tag(generated):
    api = generated.folder / PROJECT / PACKAGE / "api"
    modules = {
        tag.name: {module.stem for module in tag.glob("*.py")} - {"__init__"}
        for tag in api.iterdir()
        if tag.is_dir() and tag.name != "__pycache__"
    }

    assert {tag: modules[tag] for tag in FUNCTIONS} == FUNCTIONS
    assert {"get_catalogue", "get_health", "get_open_api_document"} <= modules["service"]
    assert {name for name in modules["service"] if not name.startswith("options_")} == {
        "get_catalogue", "get_health", "get_open_api_document"
    }  # fmt: skip


def test_each_model_is_named_after_its_component_and_each_enum_is_one_model(generated):
    models = generated.module("models")

    assert set(models.__all__) == MODELS | ENUMS
    assert {member.value for member in models.ParticipantEngagement} == {
        "low", "medium", "high", "very_high"
    }  # fmt: skip


def test_a_list_s_filters_take_the_shared_enums_and_python_booleans(generated):
    list_reports = generated.module("api.reports.list_reports")
    models = generated.module("models")
    hints = list_reports.sync.__annotations__

    assert "ReportStatus" in str(hints["status"])
    assert "ReviewFilter" in str(hints["review_state"])
    assert "ParticipantEngagement" in str(hints["participant_engagement"])
    assert "Sort" in str(hints["sort"])
    assert "bool" in str(hints["follow_up_needed"])
    assert models.Sort.CREATED_AT_DESC == "-created_at"


# Using it ----------------------------------------------------------------------------


def test_a_report_s_whole_life_through_the_generated_client(generated, client_of):
    api = {
        name: generated.module(f"api.{tag}.{name}") for tag in FUNCTIONS for name in FUNCTIONS[tag]
    }
    models = generated.module("models")
    carla = client_of("coordinator")

    fields = models.ReportFields.from_dict(
        {"session_date": "2026-03-20", "attendance_count": 6, "session_topic": "CV writing"}
    )
    created = api["create_report"].sync(
        client=carla, body=models.NewReport(**REPORT, fields=fields)
    )
    assert isinstance(created, models.CreatedReport)
    assert created.status is models.ReportStatus.DRAFT
    report_id = created.report_id

    read = api["get_report"].sync_detailed(report_id, client=carla)
    assert isinstance(read.parsed, models.Report)
    assert read.parsed.fields.to_dict()["session_topic"] == "CV writing"
    etag = read.headers["ETag"]

    engaged = models.ReportFields(
        participant_engagement=models.ParticipantEngagement.HIGH, follow_up_needed=True
    )
    changes = models.ReportChanges(fields=engaged)
    updated = api["update_report"].sync(report_id, client=carla, body=changes, if_match=etag)
    assert isinstance(updated, models.UpdatedReport)
    stale = api["update_report"].sync_detailed(report_id, client=carla, body=changes, if_match=etag)
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)

    submit = models.ReportChanges(status=models.ReportStatus.SUBMITTED)
    submitted = api["update_report"].sync(report_id, client=carla, body=submit)
    assert submitted.status is models.ReportStatus.SUBMITTED
    assert submitted.submitted_at is not None

    approve = models.ReviewRequest(review_state=models.ReviewState.APPROVED, comment="Fine.")
    reviewed = api["review_report"].sync(report_id, client=carla, body=approve)
    assert isinstance(reviewed, models.Review)
    assert (
        api["get_review"].sync(report_id, client=carla).review_state is models.ReviewState.APPROVED
    )

    filters = {
        "status": models.ReportStatus.SUBMITTED,
        "review_state": models.ReviewFilter.APPROVED,
        "participant_engagement": models.ParticipantEngagement.HIGH,
    }
    listed = api["list_reports"].sync(client=carla, follow_up_needed=True, **filters)
    assert isinstance(listed, models.ReportPage)
    assert [report.report_id for report in listed.data] == [report_id]
    unlisted = api["list_reports"].sync(client=carla, follow_up_needed=False, **filters)
    assert unlisted.pagination.total == 0

    by_activity = api["list_reports_by_activity"].sync(REPORT["activity_id"], client=carla)
    assert isinstance(by_activity, models.ActivityReportPage)
    assert report_id in [report.report_id for report in by_activity.data]

    deleted = api["delete_report"].sync(report_id, client=carla)
    assert isinstance(deleted, models.Deleted) and deleted.deleted is True
    gone = api["get_report"].sync_detailed(report_id, client=carla)
    assert gone.status_code == 404 and isinstance(gone.parsed, models.Problem)
    since = api["list_deleted_reports"].sync(client=carla, since="2000-01-01T00:00:00Z")
    assert isinstance(since, models.DeletedReports)
    assert report_id in [item.report_id for item in since.data]

    restored = api["restore_report"].sync(report_id, client=carla)
    assert isinstance(restored, models.Report) and restored.report_id == report_id
    history = api["get_history"].sync(report_id, client=carla)
    assert isinstance(history, models.History)
    assert [revision.action for revision in history.revisions] == [
        models.RevisionAction.CREATE, models.RevisionAction.UPDATE, models.RevisionAction.SUBMIT,
        models.RevisionAction.REVIEW, models.RevisionAction.DELETE, models.RevisionAction.RESTORE,
    ]  # fmt: skip

    summary = api["summarise_reports"].sync(client=carla, group_by=models.GroupBy.MENTOR)
    assert isinstance(summary, models.Summary)
    assert isinstance(summary.groups[0], models.SummaryGroup)


def test_the_service_s_own_operations_answer_their_models(generated, client_of):
    models = generated.module("models")
    carla = client_of("coordinator")

    form = generated.module("api.service.get_catalogue").sync(client=carla)
    health = generated.module("api.service.get_health").sync(client=carla)
    document = generated.module("api.service.get_open_api_document").sync(client=carla)

    assert isinstance(form, models.Catalogue)
    assert form.fields[0].kind is models.FieldKind.DATE
    assert isinstance(health, models.Health)
    assert isinstance(document, models.OpenApiDocument)
    assert document.additional_properties["openapi"] == "3.1.0"


def test_following_the_link_cursor_walks_every_report_of_a_mentor_once(generated, client_of):
    create = generated.module("api.reports.create_report")
    by_mentor = generated.module("api.reports.list_reports_by_mentor")
    models = generated.module("models")
    types = generated.module("types")
    mona = client_of("mentor")
    made = {create.sync(client=mona, body=models.NewReport(**REPORT)).report_id for _ in range(5)}

    seen, cursor = [], types.UNSET
    while True:
        page = by_mentor.sync_detailed(MENTOR, client=mona, limit=2, cursor=cursor)
        assert isinstance(page.parsed, models.MentorReportPage)
        seen += [report.report_id for report in page.parsed.data]
        if "Link" not in page.headers:
            break
        cursor = re.search(r"[?&]cursor=([^&>]+)", page.headers["Link"])[1]

    assert made <= set(seen)
    assert len(seen) == len(set(seen))


def test_a_script_polls_the_events_after_its_cursor_through_the_generated_client(
    generated, client_of
):
    list_events = generated.module("api.sync.list_events")
    create = generated.module("api.reports.create_report")
    models = generated.module("models")
    carla = client_of("coordinator")
    after = "0"
    while True:  # to the end of what happened before
        page = list_events.sync(client=carla, after=after, limit=1000)
        after = page.pagination.next_after
        if not page.pagination.has_more:
            break

    fields = models.ReportFields.from_dict(
        {"session_date": "2026-03-20", "attendance_count": 6, "session_topic": "CV writing"}
    )
    submitted = models.NewReport(**REPORT, status=models.ReportStatus.SUBMITTED, fields=fields)
    made = create.sync(client=carla, body=submitted)
    assert isinstance(made, models.CreatedReport)
    page = list_events.sync(client=carla, after=after)

    assert isinstance(page, models.EventPage)
    assert [event.type_ for event in page.data] == [
        models.EventType.REPORT_CREATED, models.EventType.REPORT_SUBMITTED
    ]  # fmt: skip
    assert all(isinstance(event.data, models.EventReport) for event in page.data)
    assert {event.data.report_id for event in page.data} == {made.report_id}
    assert list_events.sync(client=carla, after=page.pagination.next_after).data == []
    refused = list_events.sync_detailed(client=client_of("mentor"), after=after)
    assert refused.status_code == 403 and isinstance(refused.parsed, models.Problem)


def test_another_mentor_s_client_gets_nothing_of_this_mentor_s(generated, client_of):
    create = generated.module("api.reports.create_report")
    get = generated.module("api.reports.get_report")
    listing = generated.module("api.reports.list_reports")
    by_mentor = generated.module("api.reports.list_reports_by_mentor")
    models = generated.module("models")
    mine = create.sync(client=client_of("mentor"), body=models.NewReport(**REPORT))
    otto = client_of("other mentor")

    assert get.sync_detailed(mine.report_id, client=otto).status_code == 404
    assert by_mentor.sync_detailed(MENTOR, client=otto).status_code == 403
    assert listing.sync(client=otto).pagination.total == 0


def test_the_page_s_script_prints_what_the_page_shows(generated, service):
    script = code_blocks(PAGE_SECTION, "python")[0]
    shown = code_blocks(PAGE_SECTION, "text")[0]
    # A server of its own, whose mentor has only the script's reports.
    workdir = generated.folder / "readme"
    workdir.mkdir()
    database = workdir / "reports.sqlite"
    app = create_app({"DATABASE": str(database)})
    db.init_db(str(database))
    with app.app_context():
        token = auth.create_token("mona", "mentor", MENTOR)
    (workdir / "script.py").write_text(script, encoding="utf-8")

    with Server(workdir, database) as server:
        env = {
            **os.environ,
            "PYTHONPATH": str(generated.site),
            "REPORTS_URL": f"http://{server.host}:{server.port}",
            "REPORTS_TOKEN": token,
        }
        printed = run([sys.executable, "script.py"], cwd=workdir, env=env).stdout

    assert alike(printed) == alike(shown)


def alike(output):
    """The output with its report ids numbered in order of appearance and the
    day of its export's name as DAY, so that two runs compare."""
    ids = {}
    output = re.sub(
        r"rpt_[0-9a-f]{8}", lambda found: ids.setdefault(found[0], f"R{len(ids)}"), output
    )
    return re.sub(r"\d{4}-\d{2}-\d{2}(?=\.csv)", "DAY", output)


def test_the_club_s_own_form_generates_a_client_of_its_own_enums_and_no_warning(
    club_client, tmp_path
):
    saved = tmp_path / "openapi.json"
    saved.write_text(json.dumps(club_client.get("/api/v1/openapi.json").json), encoding="utf-8")

    made = run(
        [generator(), "generate", "--path", str(saved), "--meta", "none", "--fail-on-warning"],
        cwd=tmp_path,
    )

    assert (made.stdout + made.stderr).splitlines() == [f"Generating {tmp_path / PACKAGE}"]
    models = {path.stem for path in (tmp_path / PACKAGE / "models").glob("*.py")}
    assert {"mood", "activities", "report_fields"} <= models
    assert "participant_engagement" not in models
