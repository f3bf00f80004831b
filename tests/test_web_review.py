"""A coordinator's part of a report's page, and the trash: reviewing in a form,
the history as a timeline, deleting with a confirmation, restoring; each for
the roles that may, refused as the API refuses it for the others."""

import re
import sqlite3

import pytest

from reports import service
from reports.auth import Caller

from conftest import CONTRACT_REPORT
from web_helpers import csrf_token, text

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]  # mona's
OTHER_MENTOR = "usr_mentor_007"
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x"
REVIEW_FORM = 'action="/reports/{}/review"'
DELETE_LINK = 'href="/reports/{}/delete"'


@pytest.fixture
def stored(database):
    """Every report, review and report in the trash, so that a test can check
    that a refused request changed nothing."""

    def take():
        db = sqlite3.connect(database)
        try:
            return [
                db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("report", "report_review", "report_trash")
            ]
        finally:
            db.close()

    return take


def post(client, path, **form):
    """POST a page's form with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client), **form})


def api_review(client, tokens, report_id):
    return client.get(f"{REPORTS}/{report_id}/review", headers=tokens["viewer"]).json


def timeline(body):
    """The history's ordered list on a report's page."""
    found = re.search(r'<ol class="timeline">(.*?)</ol>', body, re.S)
    assert found, "no timeline on the page"
    return found.group(1)


# Reviewing -----------------------------------------------------------------------------


def test_a_coordinator_s_review_is_saved_and_shown(browsers, client, tokens, new_report):
    report_id = new_report(status="submitted")
    coordinator = browsers["coordinator"]
    assert REVIEW_FORM.format(report_id) in text(coordinator.get(f"/reports/{report_id}"))

    saved = post(
        coordinator,
        f"/reports/{report_id}/review",
        review_state="has_issues",
        comment="Attendance looks low:\nplease check the sign-in sheet.",
    )

    assert saved.status_code == 303 and saved.headers["Location"] == f"/reports/{report_id}"
    assert api_review(client, tokens, report_id) | {"reviewed_at": None} == {
        "report_id": report_id,
        "review_state": "has_issues",
        "comment": "Attendance looks low:\nplease check the sign-in sheet.",
        "reviewed_by": "carla",
        "reviewed_at": None,
    }
    body = text(coordinator.get(saved.headers["Location"]))
    assert "Review saved: Has issues." in body
    assert "Has issues, by <bdi>carla</bdi> at" in body
    assert (
        '<p class="comment" dir="auto">Attendance looks low:\nplease check the sign-in sheet.</p>'
        in body
    )


def test_the_review_form_offers_the_three_states_in_a_fieldset(browsers, new_report):
    report_id = new_report(status="submitted")

    body = text(browsers["coordinator"].get(f"/reports/{report_id}"))

    form = body[body.index(REVIEW_FORM.format(report_id)) :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="csrf_token"' in form
    assert re.search(r"<fieldset[^>]*>\s*<legend>Your review</legend>", form)
    assert re.findall(r'name="review_state" value="(\w+)"', form) == [
        "approved",
        "has_issues",
        "rejected",
    ]
    assert '<label for="review_state">Approve</label>' in form
    assert '<label for="comment">Comment for the mentor</label>' in form
    assert 'maxlength="5000"' in form


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"comment": "Fine by me."}, "review_state", "Choose approve, has issues or reject."),
        (
            {"review_state": "great", "comment": "Fine by me."},
            "review_state",
            "Must be one of: approved, has_issues, rejected.",
        ),
        (
            {"review_state": "approved", "comment": "Fine by me." + "x" * 5000},
            "comment",
            "Longer than maximum length 5000.",
        ),
    ],
    ids=["no-state", "no-such-state", "comment-too-long"],
)
def test_a_bad_review_shows_the_page_again_with_the_error_on_its_field(
    browsers, new_report, stored, form, field, message
):
    report_id = new_report(status="submitted")
    before = stored()

    refused = post(browsers["coordinator"], f"/reports/{report_id}/review", **form)

    assert refused.status_code == 422 and refused.mimetype == "text/html"
    body = text(refused)
    assert "There is a problem" in body and f'<a href="#{field}">{message}</a>' in body
    assert f'id="{field}-error"><span class="visually-hidden">Error:</span> {message}</p>' in body
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', body)
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', body) or (
        f'aria-describedby="{field}-error"' in body  # the radios' fieldset
    )
    # What was typed is kept, and the page is still the report's, history and all.
    assert f">{form['comment']}</textarea>" in body
    if form.get("review_state") == "approved":
        assert 'value="approved" aria-describedby="review_state-hint" checked' in body
    assert '<h2 id="history-heading">History</h2>' in body
    assert stored() == before


def test_a_draft_cannot_be_reviewed(browsers, client, tokens, new_report, stored):
    report_id = new_report(status="draft")
    coordinator = browsers["coordinator"]

    body = text(coordinator.get(f"/reports/{report_id}"))
    assert "This report is a draft: it cannot be reviewed until its mentor submits it." in body
    assert REVIEW_FORM.format(report_id) not in body

    before = stored()
    refused = post(coordinator, f"/reports/{report_id}/review", review_state="approved")

    assert refused.status_code == 409 and refused.mimetype == "text/html"
    assert "A draft cannot be reviewed: it must be submitted first." in text(refused)
    assert f'href="/reports/{report_id}">Back to the report' in text(refused)
    assert stored() == before


@pytest.mark.parametrize("who", ["viewer", "mentor"])
def test_only_a_coordinator_may_review(browsers, client, tokens, new_report, stored, who):
    report_id = new_report(status="submitted")
    assert REVIEW_FORM.format(report_id) not in text(browsers[who].get(f"/reports/{report_id}"))
    before = stored()

    refused = post(browsers[who], f"/reports/{report_id}/review", review_state="approved")

    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert f"Only a coordinator token may do this, not a {who} token." in text(refused)
    assert stored() == before


def test_reviewing_no_such_report_is_a_404(browsers):
    missing = post(browsers["coordinator"], "/reports/rpt_00000000/review", review_state="approved")

    assert missing.status_code == 404 and "rpt_00000000" in text(missing)


# The history ------------------------------------------------------------------------------


def test_the_history_is_a_timeline_of_who_did_what_when_with_each_change(
    browsers, client, tokens, new_report, review, clock
):
    long_notes = "A long note that runs on. " * 40 + "\nAnd a second paragraph."
    report_id = new_report(status="draft")
    clock.advance(minutes=1)
    changed = client.put(
        f"{REPORTS}/{report_id}",
        json={"fields": {"attendance_count": 9, "mentor_notes": long_notes}},
        headers=tokens["mentor"],
    )
    assert changed.status_code == 200
    clock.advance(minutes=1)
    client.put(f"{REPORTS}/{report_id}", json={"status": "submitted"}, headers=tokens["mentor"])
    clock.advance(minutes=1)
    review(report_id, "has_issues", "Count again, please.")

    # Its mentor sees its own report's history too.
    body = text(browsers["mentor"].get(f"/reports/{report_id}"))

    entries = re.findall(r'<li>\s*<p class="timeline-head">(.*?)</p>', timeline(body), re.S)
    assert [re.sub(r"<[^>]+>|\s+", " ", entry).split() for entry in entries] == [
        ["Created", "by", "carla", "20", "Mar", "2026,", "14:10"],
        ["Updated", "by", "mona", "20", "Mar", "2026,", "14:11"],
        ["Submitted", "by", "mona", "20", "Mar", "2026,", "14:12"],
        ["Reviewed", "by", "carla", "20", "Mar", "2026,", "14:13"],
    ]
    shown = timeline(body)
    assert '<time datetime="2026-03-20T14:11:00Z">20 Mar 2026, 14:11</time>' in shown
    # Each changed field by its label, before and after; a long text whole.
    assert re.search(
        r'<span class="change-label">Attendance</span>.*?<span class="value" dir="auto">6</span>'
        r'.*?<span class="value" dir="auto">9</span>',
        shown,
        re.S,
    )
    assert re.search(
        r'<li class="change-long">\s*<span class="change-label">Mentor&#39;s notes</span>'
        r".*?Before.*?<span class=\"value\" dir=\"auto\">Group discussed CV writing.</span>"
        r".*?After.*?<span class=\"value\" dir=\"auto\">" + re.escape(long_notes) + "</span>",
        shown,
        re.S,
    )
    assert re.search(
        r'<span class="change-label">Status</span>.*?<span class="value" dir="auto">Draft</span>'
        r'.*?<span class="value" dir="auto">Submitted</span>',
        shown,
        re.S,
    )
    assert re.search(
        r'<span class="change-label">Review</span>'
        r'.*?<span class="value" dir="auto">Not reviewed</span>'
        r'.*?<span class="value" dir="auto">Has issues</span>',
        shown,
        re.S,
    )
    assert '<span class="comment" dir="auto">Count again, please.</span>' in shown


def test_a_field_that_was_not_given_before_says_so(browsers, client, tokens, new_report):
    report_id = new_report(status="draft")
    client.put(
        f"{REPORTS}/{report_id}",
        json={"fields": {"way_forward": "Letters"}},
        headers=tokens["mentor"],
    )

    shown = timeline(text(browsers["coordinator"].get(f"/reports/{report_id}")))

    assert re.search(
        r'<span class="change-label">Way forward</span>.*?<span class="empty">Not given</span>'
        r'.*?<span class="value" dir="auto">Letters</span>',
        shown,
        re.S,
    )


def test_hostile_text_is_escaped_in_the_timeline(browsers, client, tokens, new_report, review):
    report_id = new_report(status="draft")
    client.put(
        f"{REPORTS}/{report_id}",
        json={"status": "submitted", "fields": {"mentor_notes": HOSTILE, "session_topic": HOSTILE}},
        headers=tokens["mentor"],
    )
    review(report_id, "has_issues", HOSTILE)

    for who in ("coordinator", "mentor", "viewer"):
        shown = timeline(text(browsers[who].get(f"/reports/{report_id}")))
        assert "<script>alert" not in shown and "<img src=x" not in shown
        assert shown.count(ESCAPED) == 3  # the notes, the topic, the comment


# Deleting -----------------------------------------------------------------------------------


def test_a_coordinator_deletes_after_confirming_and_restores_from_the_trash(
    browsers, new_report, review, clock
):
    report_id = new_report(OTHER_MENTOR, status="submitted", session_topic="Budgeting basics")
    review(report_id, "approved", "Good work.")
    coordinator = browsers["coordinator"]
    assert DELETE_LINK.format(report_id) in text(coordinator.get(f"/reports/{report_id}"))

    confirm = coordinator.get(f"/reports/{report_id}/delete")
    assert confirm.status_code == 200
    body = text(confirm)
    assert "<h1>Delete this report?</h1>" in body and "Budgeting basics" in body
    assert "It goes to the trash for 30 days, from where a coordinator can restore it." in body
    assert f'<form method="post" action="/reports/{report_id}/delete"' in body
    assert f'<a href="/reports/{report_id}">Cancel, keep it</a>' in body

    clock.advance(hours=1)
    deleted = post(coordinator, f"/reports/{report_id}/delete")

    assert deleted.status_code == 303 and deleted.headers["Location"] == "/reports"
    assert "“Budgeting basics” is in the trash." in text(coordinator.get("/reports"))
    assert coordinator.get(f"/reports/{report_id}").status_code == 404
    trash = text(coordinator.get("/trash"))
    assert re.search(
        r'<strong dir="auto">Budgeting basics</strong>.*?'
        rf"<code>{report_id}</code> · <bdi>{OTHER_MENTOR}</bdi> · <bdi>act_7b4e9f2a</bdi>.*?"
        r'Deleted <time datetime="2026-03-20T15:10:00Z">20 Mar 2026, 15:10</time>'
        r" by <bdi>carla</bdi>"
        r" · deleted for good after "
        r'<time datetime="2026-04-19T15:10:00Z">19 Apr 2026, 15:10</time>',
        trash,
        re.S,
    )
    assert f'<form method="post" action="/trash/{report_id}/restore">' in trash

    clock.advance(hours=1)
    restored = post(coordinator, f"/trash/{report_id}/restore")

    assert restored.status_code == 303 and restored.headers["Location"] == f"/reports/{report_id}"
    body = text(coordinator.get(f"/reports/{report_id}"))
    assert "“Budgeting basics” is restored, with its review and its history." in body
    assert "Approved, by <bdi>carla</bdi> at" in body  # its review came back with it
    entries = re.findall(r'<p class="timeline-head"><strong>(\w+)</strong> by <bdi>(\w+)', body)
    assert entries[-2:] == [("Deleted", "carla"), ("Restored", "carla")]
    assert "The trash is empty." in text(coordinator.get("/trash"))


@pytest.mark.parametrize(
    ("status", "state"), [("draft", None), ("submitted", None), ("submitted", "has_issues")]
)
def test_a_mentor_deletes_its_own_report_while_it_may_change_it(
    browsers, new_report, review, status, state
):
    report_id = new_report(status=status)
    if state:
        review(report_id, state)
    mentor = browsers["mentor"]
    assert DELETE_LINK.format(report_id) in text(mentor.get(f"/reports/{report_id}"))
    assert mentor.get(f"/reports/{report_id}/delete").status_code == 200

    deleted = post(mentor, f"/reports/{report_id}/delete")

    assert deleted.status_code == 303 and deleted.headers["Location"] == "/reports/mine"
    assert "is in the trash. A coordinator can restore it for 30 days." in text(
        mentor.get("/reports/mine")
    )
    assert mentor.get(f"/reports/{report_id}").status_code == 404


@pytest.mark.parametrize("state", ["approved", "rejected"])
def test_a_mentor_cannot_delete_its_reviewed_report_and_the_page_says_why(
    browsers, new_report, review, stored, state
):
    report_id = new_report(status="submitted")
    review(report_id, state)
    mentor = browsers["mentor"]
    why = (
        f"This report is {state}: its mentor may correct or delete it only while it is "
        "unreviewed or has issues."
    )

    page = text(mentor.get(f"/reports/{report_id}"))
    assert DELETE_LINK.format(report_id) not in page and why in page
    before = stored()
    confirm = mentor.get(f"/reports/{report_id}/delete")
    refused = post(mentor, f"/reports/{report_id}/delete")

    for answer in (confirm, refused):
        assert answer.status_code == 403 and why in text(answer)
    assert stored() == before


CALLERS = {
    "coordinator": Caller("carla", "coordinator"),
    "viewer": Caller("victor", "viewer"),
    "mentor": Caller("mona", "mentor", MENTOR),
}


@pytest.mark.parametrize("state", [None, "has_issues", "approved", "rejected"])
@pytest.mark.parametrize("who", CALLERS)
def test_the_page_is_told_beforehand_what_deleting_would_refuse(
    app, client, tokens, new_report, review, who, state
):
    report_id = new_report(status="submitted")
    if state:
        review(report_id, state)
    with app.app_context():
        refused = service.change_refused(report_id, caller=CALLERS[who])

    deleted = client.delete(f"{REPORTS}/{report_id}", headers=tokens[who])

    if refused is None:
        assert deleted.status_code == 200
    else:
        assert deleted.status_code == 403 and deleted.json["detail"] == refused


def test_a_viewer_sees_no_delete_link_and_cannot_delete(browsers, new_report, stored):
    report_id = new_report(status="draft")
    viewer = browsers["viewer"]

    page = text(viewer.get(f"/reports/{report_id}"))
    assert DELETE_LINK.format(report_id) not in page and "Delete" not in page
    before = stored()
    confirm = viewer.get(f"/reports/{report_id}/delete")
    refused = post(viewer, f"/reports/{report_id}/delete")

    for answer in (confirm, refused):
        assert answer.status_code == 403
        assert "A viewer token may only read reports." in text(answer)
    assert stored() == before


def test_a_mentor_gets_nothing_of_another_mentor_s_report(browsers, new_report, stored):
    report_id = new_report(OTHER_MENTOR, status="draft")
    mentor = browsers["mentor"]
    before = stored()

    for answer in (
        mentor.get(f"/reports/{report_id}"),
        mentor.get(f"/reports/{report_id}/delete"),
        post(mentor, f"/reports/{report_id}/delete"),
    ):
        assert answer.status_code == 404
        assert "Budgeting" not in text(answer) and OTHER_MENTOR not in text(answer)
    assert stored() == before


def test_deleting_no_such_report_is_a_404(browsers):
    coordinator = browsers["coordinator"]

    assert coordinator.get("/reports/rpt_00000000/delete").status_code == 404
    assert post(coordinator, "/reports/rpt_00000000/delete").status_code == 404


def test_the_delete_page_escapes_hostile_text(browsers, new_report):
    report_id = new_report(status="draft", session_topic=HOSTILE)

    body = text(browsers["coordinator"].get(f"/reports/{report_id}/delete"))

    assert "<script>alert" not in body and ESCAPED in body


# The trash -------------------------------------------------------------------------------------


def test_the_trash_lists_the_most_recently_deleted_first(
    browsers, client, tokens, new_report, clock
):
    first, second = new_report(session_topic="First"), new_report(session_topic="Second")
    client.delete(f"{REPORTS}/{first}", headers=tokens["coordinator"])
    clock.advance(minutes=5)
    client.delete(f"{REPORTS}/{second}", headers=tokens["mentor"])

    body = text(browsers["coordinator"].get("/trash"))

    assert re.findall(r'<div class="trash-report">\s*<strong dir="auto">(\w+)', body) == [
        "Second",
        "First",
    ]
    assert "by <bdi>mona</bdi>" in body and "by <bdi>carla</bdi>" in body
    assert "Deleted reports stay here for 30 days, then are deleted for good." in body


def test_the_trash_escapes_hostile_text(browsers, client, tokens, new_report):
    report_id = new_report(session_topic=HOSTILE)
    client.delete(f"{REPORTS}/{report_id}", headers=tokens["coordinator"])

    body = text(browsers["coordinator"].get("/trash"))

    assert "<script>alert" not in body and ESCAPED in body


@pytest.mark.parametrize("who", ["viewer", "mentor"])
def test_only_a_coordinator_sees_the_trash_and_restores(
    browsers, client, tokens, new_report, stored, who
):
    report_id = new_report()
    client.delete(f"{REPORTS}/{report_id}", headers=tokens["coordinator"])
    before = stored()

    page = browsers[who].get("/trash")
    refused = post(browsers[who], f"/trash/{report_id}/restore")

    for answer in (page, refused):
        assert answer.status_code == 403
        assert f"Only a coordinator token may do this, not a {who} token." in text(answer)
    assert stored() == before
    assert 'href="/trash"' not in text(browsers[who].get("/reports"))


def test_a_coordinator_has_a_trash_link_in_the_navigation(browsers):
    body = text(browsers["coordinator"].get("/reports"))
    nav = re.search(r'<nav aria-label="Pages">(.*?)</nav>', body, re.S).group(1)

    assert "Trash" in re.findall(r">([\w ]+)</a>", nav)


def test_restoring_what_is_not_in_the_trash_is_a_clear_404(browsers, new_report):
    report_id = new_report()

    for missing in (report_id, "rpt_00000000", "not-an-id"):
        answer = post(browsers["coordinator"], f"/trash/{missing}/restore")
        assert answer.status_code == 404 and answer.mimetype == "text/html"
        assert f"No report with the id &#39;{missing}&#39; is in the trash" in text(answer)
        assert "restored already, or deleted for good after 30 days there." in text(answer)


# CSRF and signing in ----------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["review", "delete", "restore"])
def test_each_form_without_its_csrf_token_is_refused(
    browsers, client, tokens, new_report, stored, form
):
    report_id = new_report(status="submitted")
    if form == "restore":
        client.delete(f"{REPORTS}/{report_id}", headers=tokens["coordinator"])
    path = {
        "review": f"/reports/{report_id}/review",
        "delete": f"/reports/{report_id}/delete",
        "restore": f"/trash/{report_id}/restore",
    }[form]
    before = stored()

    refused = browsers["coordinator"].post(path, data={"review_state": "approved"})

    assert refused.status_code == 400 and "This form has expired" in text(refused)
    assert stored() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/reports/{}/delete"),
        ("POST", "/reports/{}/delete"),
        ("POST", "/reports/{}/review"),
        ("GET", "/trash"),
        ("POST", "/trash/{}/restore"),
    ],
)
def test_with_no_session_each_page_sends_to_sign_in(browsers, new_report, stored, method, path):
    report_id = new_report(status="submitted")
    before = stored()
    nobody = browsers["none"]
    path = path.format(report_id)

    if method == "GET":
        answer = nobody.get(path)
    else:
        answer = post(nobody, path, review_state="approved")

    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert stored() == before
