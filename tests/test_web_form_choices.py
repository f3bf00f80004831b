"""The report form picks people and activities by name: a mentor chooses among
the active activities it leads (radio buttons when few, a select when many) and
types no id; a coordinator picks the mentor and the activity; a report's
activity is corrected in its form where changing the report is allowed."""

import re

import pytest
from test_web_forms import Page, form_data

from reports import create_app

from conftest import CONTRACT_REPORT
from web_helpers import secret_of, sign_in, text

ACTIVITIES = "/api/v1/activities"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]
FIELDS = {"session_date": "2026-03-20", "attendance_count": "6", "session_topic": "CVs"}


def add_activity(client, tokens, name, mentors=(MENTOR,), org_id=CONTRACT_REPORT["org_id"]):
    body = {"name": name, "mentors": list(mentors), "org_id": org_id}
    created = client.post(ACTIVITIES, json=body, headers=tokens["coordinator"])
    assert created.status_code == 201, created.json
    return created.json["activity_id"]


def radios(body, name):
    """The (value, label) of each radio button named `name`, in order."""
    found = re.findall(
        rf'<input type="radio" id="([^"]+)" name="{name}" value="([^"]+)"[^>]*>\s*'
        r'<label for="\1">([^<]+)</label>',
        body,
    )
    return [(value, label) for _, value, label in found]


@pytest.fixture
def job_clubs(client, tokens):
    """Two activities Mona leads, one she does not, and one archived."""
    led = [add_activity(client, tokens, "Job club"), add_activity(client, tokens, "CV clinic")]
    add_activity(client, tokens, "Chess", mentors=())
    archived = add_activity(client, tokens, "Old club")
    client.delete(f"{ACTIVITIES}/{archived}", headers=tokens["coordinator"])
    return led


def test_a_mentor_picks_among_the_active_activities_it_leads(browsers, job_clubs):
    body = text(browsers["mentor"].get("/reports/new"))
    assert radios(body, "activity_id") == [
        ("job_club", "Job club"),
        ("cv_clinic", "CV clinic"),
    ]
    page = Page(body)
    assert "org_id" not in page.by_id and "peer_mentor_id" not in page.by_id
    assert '<input type="text" id="activity_id"' not in body


def test_a_mentor_files_a_report_by_picking_its_activity(client, tokens, browsers, job_clubs):
    mentor = browsers["mentor"]
    data = form_data(mentor, "/reports/new", activity_id="cv_clinic", action="submit", **FIELDS)
    created = mentor.post("/reports/new", data=data)
    assert created.status_code == 303
    report = client.get(
        "/api/v1/reports/by-activity/cv_clinic", headers=tokens["coordinator"]
    ).json["data"]
    assert [each["peer_mentor_id"] for each in report] == [MENTOR]


def test_the_report_takes_its_activitys_organisation(client, tokens, browsers):
    add_activity(client, tokens, "Job club", org_id="org_east")
    mentor = browsers["mentor"]
    data = form_data(mentor, "/reports/new", activity_id="job_club", action="draft")
    created = mentor.post("/reports/new", data=data)
    assert created.status_code == 303
    report_id = created.headers["Location"].rsplit("/", 1)[-1]
    stored = client.get(f"/api/v1/reports/{report_id}", headers=tokens["coordinator"]).json
    assert stored["org_id"] == "org_east"


def test_many_activities_are_a_select(client, tokens, browsers):
    for number in range(7):
        add_activity(client, tokens, f"Club {number}")
    page = Page(text(browsers["mentor"].get("/reports/new")))
    assert page.by_id["activity_id"][0] == "select"
    options = page.options["activity_id"]
    assert [each["value"] for each in options] == ["", *(f"club_{n}" for n in range(7))]


def test_picking_no_activity_is_an_error_next_to_it(browsers, job_clubs):
    mentor = browsers["mentor"]
    refused = mentor.post("/reports/new", data=form_data(mentor, "/reports/new", action="draft"))
    assert refused.status_code == 422
    body = text(refused)
    assert '<a href="#activity_id">Activity: Missing data for required field.</a>' in body
    assert 'id="activity_id-error"' in body


def test_an_activity_of_no_organisation_leaves_the_organisation_to_type(client, tokens, browsers):
    add_activity(client, tokens, "Job club", org_id=None)
    assert "org_id" in Page(text(browsers["mentor"].get("/reports/new"))).by_id


def test_a_mentor_no_activity_lists_types_the_id_and_is_told_why(browsers):
    body = text(browsers["mentor"].get("/reports/new"))
    assert '<input type="text" value="" id="activity_id"' in body
    assert "None of the directory&#39;s activities lists you as its mentor yet" in body


def test_a_mentor_sees_no_other_mentors_activities(client, tokens, browsers):
    add_activity(client, tokens, "Mine")
    omar = {"name": "Omar", "role": "mentor", "peer_mentor_id": "usr_omar"}
    client.post("/api/v1/people", json=omar, headers=tokens["coordinator"])
    add_activity(client, tokens, "Omar's club", mentors=("usr_omar",))
    body = text(browsers["mentor"].get("/reports/new"))
    assert radios(body, "activity_id") == [("mine", "Mine")]
    assert "Omar" not in body


def test_a_coordinator_picks_the_mentor_and_the_activity_by_name(
    client, tokens, browsers, job_clubs
):
    coordinator = browsers["coordinator"]
    page = Page(text(coordinator.get("/reports/new")))
    mentors = {each["value"] for each in page.options["peer_mentor_id"]}
    assert mentors == {"", MENTOR}
    assert [value for value, _ in radios(text(coordinator.get("/reports/new")), "activity_id")] == [
        "job_club", "cv_clinic", "chess",
    ]  # fmt: skip
    data = form_data(
        coordinator, "/reports/new", activity_id="chess", peer_mentor_id=MENTOR,
        action="draft",
    )  # fmt: skip
    assert coordinator.post("/reports/new", data=data).status_code == 303
    listed = client.get("/api/v1/reports/by-activity/chess", headers=tokens["coordinator"])
    assert [each["peer_mentor_id"] for each in listed.json["data"]] == [MENTOR]


def test_two_activities_of_one_name_are_told_apart(client, tokens, browsers):
    add_activity(client, tokens, "Job club")
    add_activity(client, tokens, "Job club")
    body = text(browsers["mentor"].get("/reports/new"))
    assert radios(body, "activity_id") == [
        ("job_club", "Job club (job_club)"),
        ("job_club_2", "Job club (job_club_2)"),
    ]


def test_a_mentor_corrects_its_reports_activity_in_the_form(
    client, tokens, browsers, job_clubs, new_report
):
    report_id = new_report(status="submitted")
    mentor = browsers["mentor"]
    path = f"/reports/{report_id}/edit"
    body = text(mentor.get(path))
    # The activity it was filed under, which the directory does not know, is the first choice.
    assert radios(body, "activity_id")[0] == (CONTRACT_REPORT["activity_id"],) * 2
    assert re.search(r'value="act_7b4e9f2a" checked', body)
    version = re.search(r'name="version" value="([^"]+)"', body).group(1)
    fields = {**CONTRACT_REPORT["fields"], "attendance_count": "6"}
    data = form_data(
        mentor, path, activity_id="cv_clinic", version=version, action="correct", **fields
    )
    saved = mentor.post(path, data=data)
    assert saved.status_code == 303, text(saved)
    stored = client.get(f"/api/v1/reports/{report_id}", headers=tokens["coordinator"]).json
    assert stored["activity_id"] == "cv_clinic"


def test_an_approved_reports_activity_stays_against_its_mentor(
    client, tokens, browsers, job_clubs, new_report, review
):
    report_id = new_report(status="submitted")
    review(report_id, "approved")
    mentor = browsers["mentor"]
    refused = mentor.post(
        f"/reports/{report_id}/edit",
        data=form_data(mentor, "/reports/new", activity_id="cv_clinic", action="correct"),
    )
    assert refused.status_code == 403
    stored = client.get(f"/api/v1/reports/{report_id}", headers=tokens["coordinator"]).json
    assert stored["activity_id"] == CONTRACT_REPORT["activity_id"]


def test_with_a_default_org_id_and_no_activities_the_organisation_is_shown(database, tokens):
    app = create_app(
        {"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "DEFAULT_ORG_ID": "org_home"}
    )
    client = app.test_client()
    sign_in(client, secret_of(tokens["mentor"]))
    assert '<dt>Organisation</dt><dd dir="auto">org_home</dd>' in text(client.get("/reports/new"))
