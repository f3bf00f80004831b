"""Activities (`/api/v1/activities`, reports/service/activities.py): a
coordinator adds, changes and archives them; a viewer reads them all; a mentor
reads only those it leads. Reports keep naming activities by id: renaming or
archiving one changes no report, list, filter, summary or export, and a report
may still name an activity the directory does not know."""

import sqlite3

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from reports import create_app, db, service
from reports.auth import Caller
from reports.errors import Conflict

from conformance import ConformingClient
from conftest import CONTRACT_REPORT

ACTIVITIES = "/api/v1/activities"
PEOPLE = "/api/v1/people"
REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]
OTHER = "usr_omar"
ACTIVITY_KEYS = ["activity_id", "name", "org_id", "mentors", "archived"]


def add(client, headers=None, **body):
    response = client.post(ACTIVITIES, json=body, headers=headers or {})
    assert response.status_code == 201, response.json
    return response.json


def stored(database):
    connection = sqlite3.connect(database)
    try:
        return [
            connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("activity", "activity_mentor")
        ]
    finally:
        connection.close()


@pytest.fixture
def mentors(client, tokens):
    """Omar, a second mentor beside mona (whose token is tokens["mentor"])."""
    omar = {"name": "Omar", "role": "mentor", "peer_mentor_id": OTHER}
    assert client.post(PEOPLE, json=omar, headers=tokens["coordinator"]).status_code == 201
    return tokens


def ids(response):
    return [activity["activity_id"] for activity in response.json["data"]]


# Adding ---------------------------------------------------------------------------


def test_a_coordinator_adds_an_activity_whose_id_is_made_from_its_name(client, mentors):
    response = client.post(
        ACTIVITIES,
        json={"name": " Job club ", "org_id": "org_nansen_01", "mentors": [OTHER, MENTOR]},
        headers=mentors["coordinator"],
    )

    assert response.status_code == 201
    assert list(response.json) == ACTIVITY_KEYS
    assert response.json == {
        "activity_id": "job_club", "name": "Job club", "org_id": "org_nansen_01",
        "mentors": [MENTOR, OTHER], "archived": False,
    }  # fmt: skip
    assert response.headers["Location"] == f"{ACTIVITIES}/job_club"
    assert client.get(f"{ACTIVITIES}/job_club", headers=mentors["viewer"]).json == response.json


def test_two_activities_of_one_name_get_distinct_ids(client):
    names = ["Kaffe & prat", "Kaffe & prat", "Kaffé og prat", "قهوة", "قهوة"]

    made = [add(client, name=name)["activity_id"] for name in names]

    assert made[:3] == ["kaffe_prat", "kaffe_prat_2", "kaffe_og_prat"]
    assert all(made[n].startswith("act_") and len(made[n]) == 12 for n in (3, 4))
    assert len(set(made)) == len(made)


def test_a_given_activity_id_is_kept_and_a_taken_one_is_a_409(client, database):
    add(client, name="Job club", activity_id="act_7b4e9f2a")
    client.delete(f"{ACTIVITIES}/act_7b4e9f2a")
    before = stored(database)

    # Archived, its id is still taken.
    again = client.post(ACTIVITIES, json={"name": "Other", "activity_id": "act_7b4e9f2a"})

    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    assert stored(database) == before


def test_the_organisation_is_default_org_id_unless_given(database):
    app = create_app({"TESTING": True, "DATABASE": database, "DEFAULT_ORG_ID": "org_main"})
    db.init_db(database)
    app.test_client_class = ConformingClient
    client = app.test_client()

    assert add(client, name="A")["org_id"] == "org_main"
    assert add(client, name="B", org_id="org_other")["org_id"] == "org_other"
    assert add(client, name="C", org_id=None)["org_id"] is None


def test_without_default_org_id_an_activity_may_have_no_organisation(client):
    assert add(client, name="A")["org_id"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "A", "activity_id": "has space"}, "activity_id"),
        ({"name": "A", "org_id": "x" * 65}, "org_id"),
        ({"name": "A", "mentors": "usr_omar"}, "mentors"),
        ({"name": "A", "mentors": ["usr_nobody"]}, "mentors"),
        ({"name": "A", "mentors": [OTHER, OTHER]}, "mentors"),
        ({"name": "A", "archived": True}, "archived"),
    ],
)
def test_a_bad_body_is_a_422_that_names_the_field_and_adds_nothing(
    client, mentors, database, body, field
):
    response = client.post(ACTIVITIES, json=body, headers=mentors["coordinator"])

    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert stored(database) == [[], []]


def test_one_who_is_no_mentor_now_cannot_lead_an_activity(client):
    vera = client.post(PEOPLE, json={"name": "Vera", "role": "mentor"}).json
    client.put(f"{PEOPLE}/{vera['person_id']}", json={"role": "viewer"})

    response = client.post(ACTIVITIES, json={"name": "A", "mentors": ["usr_vera"]})

    assert response.status_code == 422
    assert response.json["errors"] == {
        "mentors": {"0": ["No mentor in the directory has the id 'usr_vera'."]}
    }


# Who sees which ---------------------------------------------------------------------


def test_a_mentor_sees_only_the_activities_it_leads(client, mentors):
    coordinator = mentors["coordinator"]
    add(client, coordinator, name="Mona's", mentors=[MENTOR])
    add(client, coordinator, name="Both", mentors=[MENTOR, OTHER])
    add(client, coordinator, name="Omar's", mentors=[OTHER])
    add(client, coordinator, name="Nobody's")

    assert ids(client.get(ACTIVITIES, headers=mentors["mentor"])) == ["monas", "both"]
    assert ids(client.get(ACTIVITIES, headers=mentors["viewer"])) == [
        "monas", "both", "omars", "nobodys"
    ]  # fmt: skip
    assert client.get(f"{ACTIVITIES}/both", headers=mentors["mentor"]).status_code == 200
    hidden = client.get(f"{ACTIVITIES}/omars", headers=mentors["mentor"])
    unknown = client.get(f"{ACTIVITIES}/no_such", headers=mentors["mentor"])
    assert hidden.status_code == unknown.status_code == 404


@pytest.mark.parametrize("role", ["viewer", "mentor"])
def test_a_viewer_or_a_mentor_changes_no_activity(client, mentors, database, role):
    add(client, mentors["coordinator"], name="Job club", mentors=[MENTOR])
    before = stored(database)
    headers = mentors[role]

    answers = [
        client.post(ACTIVITIES, json={"name": "Mine"}, headers=headers),
        client.put(f"{ACTIVITIES}/job_club", json={"name": "Mine"}, headers=headers),
        client.delete(f"{ACTIVITIES}/job_club", headers=headers),
    ]

    assert [answer.status_code for answer in answers] == [403] * 3
    assert stored(database) == before


def test_an_unknown_activity_is_a_404(client):
    for path in (f"{ACTIVITIES}/no_such", f"{ACTIVITIES}/has%20space"):
        assert client.get(path).status_code == 404
        assert client.put(path, json={"name": "X"}).status_code == 404
        assert client.delete(path).status_code == 404


# Changing, renaming, archiving -------------------------------------------------------------


def test_a_change_replaces_what_it_names_and_keeps_the_rest(client, mentors):
    coordinator = mentors["coordinator"]
    made = add(client, coordinator, name="Job club", org_id="org_a", mentors=[MENTOR])

    changed = client.put(
        f"{ACTIVITIES}/job_club", json={"mentors": [OTHER], "org_id": None}, headers=coordinator
    )

    assert changed.status_code == 200
    assert changed.json == {**made, "mentors": [OTHER], "org_id": None}
    assert client.put(f"{ACTIVITIES}/job_club", json={}, headers=coordinator).status_code == 422
    assert ids(client.get(ACTIVITIES, headers=mentors["mentor"])) == []


def test_renaming_keeps_every_report_s_link(client, make_report):
    add(client, name="Job club", activity_id=CONTRACT_REPORT["activity_id"])
    report = make_report()

    renamed = client.put(f"{ACTIVITIES}/{CONTRACT_REPORT['activity_id']}", json={"name": "Jobs"})

    assert renamed.json["activity_id"] == CONTRACT_REPORT["activity_id"]
    listed = client.get(f"{REPORTS}/by-activity/{CONTRACT_REPORT['activity_id']}").json["data"]
    assert [row["report_id"] for row in listed] == [report["report_id"]]
    assert client.get(f"{REPORTS}/{report['report_id']}").json == report


def test_archiving_hides_no_report_from_lists_filters_summaries_or_exports(client, make_report):
    activity = CONTRACT_REPORT["activity_id"]
    add(client, name="Job club", activity_id=activity)
    report = make_report(status="submitted")
    before = {
        path: client.get(path).get_data()
        for path in (
            REPORTS,
            f"{REPORTS}?activity_id={activity}",
            f"{REPORTS}/by-activity/{activity}",
            f"{REPORTS}/summary?group_by=activity",
            f"{REPORTS}?format=csv",
            f"{REPORTS}?format=ndjson",
        )
    }

    archived = client.delete(f"{ACTIVITIES}/{activity}")

    assert archived.status_code == 200 and archived.json["archived"] is True
    assert client.get(f"{ACTIVITIES}/{activity}").json["archived"] is True
    for path, answer in before.items():
        assert client.get(path).get_data() == answer, path
    assert report["report_id"].encode() in before[f"{REPORTS}/by-activity/{activity}"]


def test_the_list_filters_on_archived_and_put_brings_one_back(client):
    for name in ("Old", "New"):
        add(client, name=name)
    client.delete(f"{ACTIVITIES}/old")

    assert ids(client.get(ACTIVITIES)) == ["old", "new"]
    assert ids(client.get(f"{ACTIVITIES}?archived=true")) == ["old"]
    assert ids(client.get(f"{ACTIVITIES}?archived=false")) == ["new"]
    assert client.get(f"{ACTIVITIES}?archived=yes").status_code == 422
    assert client.put(f"{ACTIVITIES}/old", json={"archived": False}).json["archived"] is False
    assert ids(client.get(f"{ACTIVITIES}?archived=true")) == []


def test_a_report_may_still_name_an_activity_the_directory_does_not_know(client, make_report):
    add(client, name="Job club")

    report = make_report(activity_id="act_not_listed")

    assert report["activity_id"] == "act_not_listed"


def test_removing_a_mentor_leaves_the_activities_it_led(client, mentors):
    coordinator = mentors["coordinator"]
    add(client, coordinator, name="Job club", mentors=[MENTOR, OTHER])
    omar = next(
        person
        for person in client.get(PEOPLE, headers=coordinator).json["data"]
        if person["peer_mentor_id"] == OTHER
    )

    client.delete(f"{PEOPLE}/{omar['person_id']}", headers=coordinator)

    assert client.get(f"{ACTIVITIES}/job_club", headers=coordinator).json["mentors"] == [MENTOR]


# Through the service directly ----------------------------------------------------------

COORDINATOR = Caller("carla", "coordinator")
VIEWER = Caller("victor", "viewer")
MONA = Caller("mona", "mentor", MENTOR)


def test_the_service_refuses_a_viewer_or_a_mentor_every_change(app):
    new = {"name": "Job club", "mentors": []}
    with app.app_context():
        made = service.create_activity(new, caller=COORDINATOR)
        for caller in (VIEWER, MONA):
            for act in (
                lambda caller=caller: service.create_activity(new, caller=caller),
                lambda caller=caller: service.update_activity(
                    "job_club", {"name": "X"}, caller=caller
                ),
                lambda caller=caller: service.archive_activity("job_club", caller=caller),
            ):
                with pytest.raises(Forbidden):
                    act()
        assert service.get_activity("job_club", caller=VIEWER) == made
        with pytest.raises(NotFound):
            service.get_activity("job_club", caller=MONA)
        assert service.list_activities(caller=MONA) == []
        with pytest.raises(Conflict):
            service.create_activity({**new, "activity_id": "job_club"}, caller=COORDINATOR)
