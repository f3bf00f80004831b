"""The pages name people and activities by the directory's names: the tables,
the review queue, My reports, a report's page and its history, the trash and
the header. An id the directory does not know is shown as itself, and a mentor
sees no other mentor's name."""

import re

import pytest

from conftest import CONTRACT_REPORT
from web_helpers import text

PEOPLE = "/api/v1/people"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]
ACTIVITY = CONTRACT_REPORT["activity_id"]


@pytest.fixture
def named(client, tokens):
    """Mona's person renamed "Mona Hansen", another mentor "Omar Haddad", and the
    contract report's activity named "Job club Tuesday"."""
    coordinator = tokens["coordinator"]
    people = client.get(PEOPLE, headers=coordinator).json["data"]
    mona = next(each for each in people if each["peer_mentor_id"] == MENTOR)
    renamed = client.put(
        f"{PEOPLE}/{mona['person_id']}", json={"name": "Mona Hansen"}, headers=coordinator
    )
    assert renamed.status_code == 200, renamed.json
    omar = {"name": "Omar Haddad", "role": "mentor", "peer_mentor_id": "usr_omar"}
    assert client.post(PEOPLE, json=omar, headers=coordinator).status_code == 201
    activity = {"name": "Job club Tuesday", "activity_id": ACTIVITY, "mentors": [MENTOR]}
    assert client.post("/api/v1/activities", json=activity, headers=coordinator).status_code == 201


def test_the_table_names_the_mentor_and_the_activity(browsers, named, new_report):
    new_report(status="submitted")
    page = text(browsers["coordinator"].get("/reports"))
    assert '<td data-label="Mentor"><bdi>Mona Hansen</bdi></td>' in page
    assert '<td data-label="Activity"><bdi>Job club Tuesday</bdi></td>' in page


def test_an_id_the_directory_does_not_know_is_shown_as_itself(browsers, named, new_report):
    new_report(peer_mentor_id="usr_stranger", status="submitted")
    page = text(browsers["coordinator"].get("/reports"))
    assert '<td data-label="Mentor"><bdi>usr_stranger</bdi></td>' in page


def test_the_review_queue_names_who_filed_each_report(browsers, named, new_report):
    new_report(status="submitted")
    assert "by <bdi>Mona Hansen</bdi> · <bdi>Job club Tuesday</bdi>" in text(
        browsers["coordinator"].get("/")
    )


def test_a_report_page_names_its_mentor_and_activity_beside_their_ids(browsers, named, new_report):
    report_id = new_report()
    page = text(browsers["coordinator"].get(f"/reports/{report_id}"))
    assert (
        f'<dd><bdi>Mona Hansen</bdi> <span class="meta"><code>{MENTOR}</code></span></dd>' in page
    )
    assert (
        f'<dd><bdi>Job club Tuesday</bdi> <span class="meta"><code>{ACTIVITY}</code></span></dd>'
        in page
    )


def test_my_reports_names_the_activity(browsers, named, new_report):
    new_report()
    assert "<bdi>Job club Tuesday</bdi> · started" in text(browsers["mentor"].get("/reports/mine"))


def test_the_history_names_who_changed_the_report_and_the_activities(
    browsers, client, tokens, named, new_report
):
    report_id = new_report(status="submitted")
    moved = client.put(
        f"/api/v1/reports/{report_id}", json={"activity_id": "act_unknown"},
        headers=tokens["mentor"],
    )  # fmt: skip
    assert moved.status_code == 200
    page = text(browsers["coordinator"].get(f"/reports/{report_id}"))
    assert "<strong>Updated</strong> by <bdi>Mona Hansen</bdi>" in page
    assert '<span class="change-label">Activity</span>' in page
    assert '<span class="value" dir="auto">Job club Tuesday</span>' in page
    assert '<span class="value" dir="auto">act_unknown</span>' in page


def test_the_header_names_the_person_signed_in(browsers, named):
    assert "Signed in as <strong><bdi>Mona Hansen</bdi></strong> (mentor)" in text(
        browsers["mentor"].get("/reports/mine")
    )


def test_a_mentor_sees_no_other_mentors_name(browsers, named, new_report):
    new_report(peer_mentor_id="usr_omar", status="submitted")
    new_report(status="submitted")
    for path in ("/reports/mine", "/reports", "/summary"):
        page = browsers["mentor"].get(path)
        assert "Omar Haddad" not in text(page), path
        assert "usr_omar" not in text(page), path


def test_the_tables_filters_pick_the_mentor_and_the_activity_by_name(browsers, named):
    page = text(browsers["coordinator"].get("/reports"))
    assert re.search(r'<label for="peer_mentor_id">Peer mentor</label>\s*<select', page)
    assert f'<option value="{MENTOR}">Mona Hansen</option>' in page
    assert '<option value="usr_omar">Omar Haddad</option>' in page
    assert f'<option value="{ACTIVITY}">Job club Tuesday</option>' in page


def test_a_filter_by_an_id_the_directory_lacks_keeps_it_as_a_choice(browsers, named, new_report):
    new_report(peer_mentor_id="usr_stranger", status="submitted")
    page = text(browsers["coordinator"].get("/reports?peer_mentor_id=usr_stranger"))
    assert '<option value="usr_stranger" selected>usr_stranger</option>' in page
    assert '<td data-label="Mentor"><bdi>usr_stranger</bdi></td>' in page


def test_a_mentors_activity_filter_offers_the_activities_it_leads_and_no_mentor(
    browsers, client, tokens, named
):
    other = {"name": "Omar's club", "activity_id": "act_omar", "mentors": ["usr_omar"]}
    added = client.post("/api/v1/activities", json=other, headers=tokens["coordinator"])
    assert added.status_code == 201, added.json
    page = text(browsers["mentor"].get("/reports"))
    assert f'<option value="{ACTIVITY}">Job club Tuesday</option>' in page
    assert "act_omar" not in page and "Omar" not in page
    assert 'id="peer_mentor_id"' not in page
