"""What tells the browser to forget what it kept of a form (static/offline.js):
the page after a form the service saved names it, the page after signing out
says everything, and every signed-in page says whose forms they are."""

import re

from conftest import CONTRACT_REPORT
from web_helpers import csrf_token, text

FORGET = re.compile(r'<meta name="reports-forget" content="([^"]+)">')


def forgotten(response):
    return FORGET.findall(text(response))


def new_draft(client, form_key):
    """A new report's form, filled in to be saved as a draft."""
    return {
        "csrf_token": csrf_token(client, "/reports/new"),
        "form_key": form_key,
        "activity_id": "act_1",
        "org_id": "org_1",
        "action": "draft",
    }


def test_a_new_report_saved_is_forgotten_by_its_form_key(browsers):
    mentor = browsers["mentor"]
    saved = mentor.post("/reports/new", data=new_draft(mentor, "k" * 22))
    assert saved.status_code == 303
    assert forgotten(mentor.get(saved.headers["Location"])) == [f"new:{'k' * 22}"]


def test_an_edit_saved_is_forgotten_by_its_report(browsers, new_report):
    report_id = new_report()
    mentor = browsers["mentor"]
    path = f"/reports/{report_id}/edit"
    page = text(mentor.get(path))
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    fields = {**CONTRACT_REPORT["fields"], "attendance_count": "7"}
    form = {"csrf_token": csrf_token(mentor, path), "version": version, "action": "draft", **fields}
    saved = mentor.post(path, data=form)
    assert saved.status_code == 303
    assert forgotten(mentor.get(saved.headers["Location"])) == [f"edit:{report_id}"]


def test_a_form_refused_forgets_nothing(browsers):
    mentor = browsers["mentor"]
    form = {"csrf_token": csrf_token(mentor, "/reports/new"), "action": "draft"}
    refused = mentor.post("/reports/new", data=form)
    assert refused.status_code == 422
    assert forgotten(refused) == []
    assert "data-shown-as-sent" in text(refused)


def test_signing_out_forgets_everything(browsers):
    mentor = browsers["mentor"]
    signed_out = mentor.post("/logout", data={"csrf_token": csrf_token(mentor, "/reports/mine")})
    page = mentor.get(signed_out.headers["Location"])
    assert forgotten(page) == ["everything"]
    assert "Signed out." in text(page)
    assert forgotten(mentor.get("/login")) == []


def test_each_page_says_whose_forms_the_browser_keeps(browsers):
    mentor_page = text(browsers["mentor"].get("/reports/mine"))
    assert f'<meta name="reports-person" content="{CONTRACT_REPORT["peer_mentor_id"]}">' in (
        mentor_page
    )
    assert '<meta name="reports-person" content="carla">' in text(browsers["coordinator"].get("/"))
    assert 'name="reports-person"' not in text(browsers["none"].get("/login"))


def test_the_form_names_what_the_browser_keeps_it_under(browsers, new_report):
    assert 'data-autosave="new"' in text(browsers["mentor"].get("/reports/new"))
    report_id = new_report()
    edit = text(browsers["mentor"].get(f"/reports/{report_id}/edit"))
    assert f'data-autosave="edit:{report_id}"' in edit


# The pages' script sends a form itself ----------------------------------------------


def test_a_form_sent_by_the_pages_script_is_answered_with_where_to_go(browsers):
    mentor = browsers["mentor"]
    form = new_draft(mentor, "s" * 22)
    saved = mentor.post("/reports/new", data=form, headers={"X-Reports-Script": "1"})
    assert saved.status_code == 204 and saved.get_data() == b""
    report_page = mentor.get(saved.headers["Location"])
    # The messages wait for the page the script goes to.
    assert "Draft saved." in text(report_page)
    assert forgotten(report_page) == [f"new:{'s' * 22}"]


def test_the_script_s_header_does_not_stand_in_for_the_csrf_token(browsers, client, tokens):
    mentor = browsers["mentor"]
    form = {"activity_id": "act_1", "org_id": "org_1", "action": "draft"}
    refused = mentor.post("/reports/new", data=form, headers={"X-Reports-Script": "1"})
    assert refused.status_code == 400
    listed = client.get("/api/v1/reports", headers=tokens["coordinator"]).json
    assert listed["pagination"]["total"] == 0


def test_a_locked_reports_refusal_has_room_for_what_the_phone_kept(browsers, new_report, review):
    report_id = new_report(status="submitted")
    review(report_id, "approved")
    refused = browsers["mentor"].get(f"/reports/{report_id}/edit")
    assert refused.status_code == 403
    page = text(refused)
    assert f'data-kept-form="edit:{report_id}"' in page
    labels = re.search(r"data-labels='([^']+)'", page).group(1)
    assert '"session_topic":"Session topic"' in labels


def test_each_page_names_the_field_that_titles_a_kept_report(browsers):
    page = text(browsers["mentor"].get("/reports/mine"))
    assert '<meta name="reports-title-field" content="session_topic">' in page


def test_without_a_token_the_anonymous_coordinator_s_forms_are_kept_as_its_own(client):
    page = text(client.get("/reports/new"))
    assert '<meta name="reports-person" content="anonymous">' in page
