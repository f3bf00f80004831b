"""The report form: built from the field catalogue, loaded with the API's own
schemas, saved by the same service calls, with every rule of the API: a new
report, editing a draft, correcting a submitted report, a stale form, a locked
report; errors next to their fields, what was typed kept; CSRF, roles, escaping."""

import re
from html.parser import HTMLParser

import pytest
from marshmallow import ValidationError, validate

from reports import create_app, service
from reports.auth import ANONYMOUS
from reports.schemas import REQUIRED_TO_SUBMIT, ReportFieldsSchema

from conftest import CONTRACT_REPORT
from web_helpers import CSRF_FIELD, csrf_token, secret_of, sign_in, text

REPORTS = "/api/v1/reports"
MENTOR = CONTRACT_REPORT["peer_mentor_id"]  # mona's
OTHER_MENTOR = "usr_mentor_007"
HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x"
CATALOGUE = ReportFieldsSchema().fields
# A complete report as its form sends it, and as the API then shows its fields.
TYPED = {
    "activity_id": "act_spring",
    "session_date": "2026-03-20",
    "attendance_count": " 6 ",
    "session_topic": "Housing rights",
    "participant_engagement": "very_high",
    "challenges_noted": "Two arrived late.\r\nOne had no interpreter.",
    "mentor_notes": "",
    "way_forward": "Letters by Friday",
    "duration_minutes": "90",
    "follow_up_needed": "true",
}
STORED = {
    "session_date": "2026-03-20",
    "attendance_count": 6,
    "session_topic": "Housing rights",
    "participant_engagement": "very_high",
    "challenges_noted": "Two arrived late.\nOne had no interpreter.",
    "way_forward": "Letters by Friday",
    "duration_minutes": 90,
    "follow_up_needed": True,
}


class Page(HTMLParser):
    """The elements of a page that have an id, each as (tag, attributes, text),
    the options of each select, and the text of each label by its `for`."""

    def __init__(self, body):
        super().__init__(convert_charrefs=True)
        self.by_id, self.options, self.labels, self.links = {}, {}, {}, []
        self.open = []  # [tag, attributes, text parts] of the elements not yet closed
        self.select = None
        # As a browser reads a page: every line break as LF.
        self.feed(body.replace("\r\n", "\n").replace("\r", "\n"))

    def handle_starttag(self, tag, attrs):
        attributes = {name: "" if value is None else value for name, value in attrs}
        if tag == "select":
            self.select = attributes.get("id")
            self.options[self.select] = []
        if tag == "option":
            self.options[self.select].append(attributes)
        if tag == "a":
            self.links.append(attributes)
        if tag not in ("input", "br", "meta", "link"):
            self.open.append([tag, attributes, []])
        elif "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes, "")

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)

    def handle_endtag(self, tag):
        while self.open:
            name, attributes, parts = self.open.pop()
            content = "".join(parts)
            if "id" in attributes:
                self.by_id[attributes["id"]] = (name, attributes, content)
            if name == "label" and "for" in attributes:
                self.labels[attributes["for"]] = " ".join(content.split())
            if name == "a" and self.links and self.links[-1] is attributes:
                attributes["text"] = " ".join(content.split())
            if name == tag:
                break

    def tag(self, element_id):
        return self.by_id[element_id][0]

    def attrs(self, element_id):
        return self.by_id[element_id][1]

    def text_of(self, element_id):
        return " ".join(self.by_id[element_id][2].split())

    def value(self, name):
        """What the input named `name` shows."""
        tag, attributes, content = self.by_id[name]
        if tag == "textarea":
            return content.removeprefix("\n")
        if tag == "select":
            chosen = [o.get("value") for o in self.options[name] if "selected" in o]
            return chosen[0] if chosen else None
        if attributes.get("type") == "checkbox":
            return "checked" in attributes
        return attributes.get("value")


def form_data(client, path, **values):
    """The CSRF token of the form at `path`, and `values`."""
    return {"csrf_token": csrf_token(client, path), **values}


def stored(client, tokens, report_id):
    response = client.get(f"{REPORTS}/{report_id}", headers=tokens["coordinator"])
    assert response.status_code == 200, response.json
    return response.json


def the_only_report(client, tokens):
    listed = client.get(REPORTS, headers=tokens["coordinator"]).json["data"]
    assert len(listed) == 1, listed
    return stored(client, tokens, listed[0]["report_id"])


def assert_error_at(page, name, message):
    """The message is right above its input, which is tied to it, and the summary
    at the top links to the input."""
    assert message in page.text_of(f"{name}-error")
    described = page.attrs(name)["aria-describedby"].split()
    assert f"{name}-error" in described
    assert page.attrs(name)["aria-invalid"] == "true"
    summary = [link for link in page.links if link.get("href") == f"#{name}"]
    assert summary and message in summary[0]["text"], page.links


# The form is built from the catalogue --------------------------------------------------


def test_the_form_asks_for_every_catalogue_field_as_the_schema_defines_it(browsers):
    page = Page(text(browsers["mentor"].get("/reports/new")))

    for name, field in CATALOGUE.items():
        assert page.labels[name] == field.metadata["title"]
        # A date's "(UTC)" is said in words: the zone is TIME_ZONE, here UTC.
        described = field.metadata["description"].replace("(UTC)", "(universal time)")
        assert described in page.text_of(f"{name}-hint")
        assert f"{name}-hint" in page.attrs(name)["aria-describedby"].split()
        assert ("Needed to submit the report." in page.text_of(f"{name}-hint")) == (
            name in REQUIRED_TO_SUBMIT
        )
        for validator in field.validators:
            if isinstance(validator, validate.Range):
                assert page.attrs(name)["type"] == "number"
                assert page.attrs(name)["min"] == str(validator.min)
                assert page.attrs(name)["max"] == str(validator.max)
            if isinstance(validator, validate.Length):
                assert page.attrs(name)["maxlength"] == str(validator.max)
                assert page.tag(name) == ("textarea" if validator.max > 200 else "input")
                assert f"At most {validator.max:,} characters." in page.text_of(f"{name}-hint")
            if isinstance(validator, validate.OneOf):
                assert page.tag(name) == "select"
                values = [option["value"] for option in page.options[name]]
                assert values == ["", *validator.choices]
    assert page.attrs("session_date")["type"] == "date"
    assert page.attrs("follow_up_needed")["type"] == "checkbox"
    assert page.attrs("follow_up_needed")["value"] == "true"
    assert page.attrs("activity_id")["maxlength"] == "64"
    assert "Not given" in text(browsers["mentor"].get("/reports/new"))


def test_the_date_cannot_be_picked_after_tomorrow_in_utc(browsers, clock):
    page = Page(text(browsers["mentor"].get("/reports/new")))

    assert page.attrs("session_date")["max"] == "2026-03-21"


def test_the_form_has_save_draft_and_submit_and_the_counter_script(browsers):
    body = text(browsers["mentor"].get("/reports/new"))

    assert '<button type="submit" name="action" value="draft"' in body
    assert '<button type="submit" name="action" value="submit"' in body
    assert '<script src="/static/form.js" defer></script>' in body
    assert "novalidate" in body
    script = browsers["mentor"].get("/static/form.js")
    assert script.status_code == 200 and "maxlength" in text(script)
    script.close()


def test_a_mentor_s_form_has_no_peer_mentor_to_choose_and_a_coordinator_s_has(browsers):
    mentor = Page(text(browsers["mentor"].get("/reports/new")))
    coordinator = Page(text(browsers["coordinator"].get("/reports/new")))

    assert "peer_mentor_id" not in mentor.by_id
    assert '<dt>Peer mentor</dt><dd dir="auto">mona</dd>' in text(
        browsers["mentor"].get("/reports/new")
    )
    assert coordinator.labels["peer_mentor_id"] == "Peer mentor"
    assert {"activity_id", "org_id"} <= mentor.by_id.keys() & coordinator.by_id.keys()


def test_with_a_default_org_id_the_form_asks_for_no_organisation(database, tokens):
    app = create_app(
        {"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "DEFAULT_ORG_ID": "org_home"}
    )
    client = app.test_client()
    sign_in(client, secret_of(tokens["mentor"]))

    body = text(client.get("/reports/new"))
    created = client.post(
        "/reports/new", data=form_data(client, "/reports/new", activity_id="a1", action="draft")
    )

    assert 'name="org_id"' not in body and "org_home" in body
    assert created.status_code == 303
    report_id = created.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        assert service.get_report(report_id, caller=ANONYMOUS)["org_id"] == "org_home"


def test_the_report_page_labels_its_fields_from_the_catalogue(browsers, new_report):
    body = text(browsers["viewer"].get(f"/reports/{new_report()}"))

    for field in CATALOGUE.values():
        assert f"<dt>{field.metadata['title']}</dt>".replace("'", "&#39;") in body


# A new report ---------------------------------------------------------------------------


def test_a_mentor_saves_a_draft_and_lands_on_its_page(browsers, client, tokens):
    mentor = browsers["mentor"]

    saved = mentor.post(
        "/reports/new",
        data=form_data(mentor, "/reports/new", activity_id=" act_1 ", org_id="o1", action="draft"),
    )

    assert saved.status_code == 303
    report = the_only_report(client, tokens)
    assert saved.headers["Location"] == f"/reports/{report['report_id']}"
    assert report["status"] == "draft" and report["peer_mentor_id"] == MENTOR
    assert report["activity_id"] == "act_1" and report["org_id"] == "o1"
    # An unticked box is a no; what was left empty is not given.
    assert report["fields"] == {"follow_up_needed": False}
    assert "Draft saved." in text(mentor.get(saved.headers["Location"]))


def test_one_form_makes_one_report_however_often_it_is_sent(browsers, client, tokens):
    mentor = browsers["mentor"]
    page = text(mentor.get("/reports/new"))
    form_key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    data = form_data(mentor, "/reports/new", activity_id="act_1", org_id="o1", action="draft")

    first = mentor.post("/reports/new", data={**data, "form_key": form_key})
    # Sent again (a double tap, or a retry after a lost answer), even changed:
    again = mentor.post(
        "/reports/new", data={**data, "form_key": form_key, "session_topic": "Changed"}
    )
    another_form = mentor.post("/reports/new", data={**data, "form_key": "k" * 22})

    assert first.status_code == again.status_code == another_form.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert another_form.headers["Location"] != first.headers["Location"]
    listed = client.get(REPORTS, headers=tokens["coordinator"]).json["data"]
    assert len(listed) == 2


def test_a_refused_form_keeps_its_key(browsers):
    mentor = browsers["mentor"]
    refused = mentor.post(
        "/reports/new",
        data=form_data(mentor, "/reports/new", attendance_count="x", form_key="q" * 22,
                       action="draft"),
    )  # fmt: skip
    assert refused.status_code == 422
    assert 'name="form_key" value="' + "q" * 22 + '"' in text(refused)


def test_a_submitted_report_is_stored_as_the_api_would_store_it(browsers, client, tokens):
    mentor = browsers["mentor"]

    saved = mentor.post(
        "/reports/new",
        data=form_data(mentor, "/reports/new", **TYPED, org_id="org_1", action="submit"),
    )

    assert saved.status_code == 303
    report = the_only_report(client, tokens)
    assert report["status"] == "submitted" and report["submitted_at"] is not None
    assert report["fields"] == STORED
    assert list(report["fields"]) == [name for name in CATALOGUE if name in STORED]
    assert report["org_id"] == "org_1"
    assert "Report submitted." in text(mentor.get(saved.headers["Location"]))


def test_a_coordinator_files_for_any_mentor(browsers, client, tokens):
    coordinator = browsers["coordinator"]

    saved = coordinator.post(
        "/reports/new",
        data=form_data(
            coordinator,
            "/reports/new",
            activity_id="a1",
            peer_mentor_id=OTHER_MENTOR,
            org_id="o1",
            action="draft",
        ),
    )

    assert saved.status_code == 303
    assert the_only_report(client, tokens)["peer_mentor_id"] == OTHER_MENTOR


def test_a_forged_peer_mentor_field_is_ignored_the_mentor_files_for_itself(
    browsers, client, tokens
):
    mentor = browsers["mentor"]

    saved = mentor.post(
        "/reports/new",
        data=form_data(
            mentor,
            "/reports/new",
            activity_id="a1",
            org_id="o1",
            peer_mentor_id=OTHER_MENTOR,
            action="draft",
        ),
    )

    assert saved.status_code == 303
    assert the_only_report(client, tokens)["peer_mentor_id"] == MENTOR


# (field, what is typed, the schema's message)
BAD_INPUT = [
    ("activity_id", "", "Missing data for required field."),
    ("activity_id", "not an id!", "Must be 1 to 64 characters"),
    ("session_date", "20/03/2026", "Not a valid date: write it as YYYY-MM-DD."),
    ("session_date", "2026-02-30", "Not a real calendar date."),
    ("session_date", "2026-03-22", "Must not be after tomorrow (2026-03-21, UTC)."),
    ("attendance_count", "six", "Not a valid integer."),
    ("attendance_count", "6.5", "Not a valid integer."),
    ("attendance_count", "1001", "less than or equal to 1000"),
    ("attendance_count", "-1", "greater than or equal to 0"),
    ("attendance_count", "9" * 5000, "Not a valid integer."),
    ("session_topic", "   ", "Must not be blank."),
    ("session_topic", "x" * 201, "Length must be between 1 and 200."),
    ("session_topic", "Bell\x07", "Must not contain control characters"),
    ("participant_engagement", "extreme", "Must be one of: low, medium, high, very_high."),
    ("challenges_noted", "x" * 5001, "Longer than maximum length 5000."),
    ("mentor_notes", "x" * 10001, "Longer than maximum length 10000."),
    ("way_forward", "NUL\x00", "Must not contain control characters"),
    ("duration_minutes", "0", "greater than or equal to 1"),
    ("duration_minutes", "1441", "less than or equal to 1440"),
    ("follow_up_needed", "yes", "Not a valid boolean."),
]


@pytest.mark.parametrize(
    ("name", "typed", "message"), BAD_INPUT, ids=[f"{n}-{t[:12]!r}" for n, t, _ in BAD_INPUT]
)
def test_bad_input_is_refused_next_to_its_field_with_what_was_typed_kept(
    browsers, snapshot, clock, name, typed, message
):
    mentor = browsers["mentor"]
    before = snapshot()
    values = {**TYPED, "org_id": "o1", name: typed}

    refused = mentor.post(
        "/reports/new", data=form_data(mentor, "/reports/new", **values, action="submit")
    )

    assert refused.status_code == 422
    page = Page(text(refused))
    assert_error_at(page, name, message)
    assert "There is a problem" in text(refused)
    assert text(refused).count('class="error-message"') == 1
    assert "<title>Error: New report" in text(refused)
    for other, value in values.items():
        shown = page.value(other)
        if other == "follow_up_needed":
            assert shown is True
        elif other == "participant_engagement" and other == name:
            assert shown is None  # no option has it
        elif page.tag(other) == "textarea":
            assert shown == value.replace("\r\n", "\n")
        else:
            assert shown == value
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "typed", "kept"),
    [
        ("session_date", "2026-03-21", "2026-03-21"),  # tomorrow, in UTC
        ("attendance_count", "0", 0),
        ("attendance_count", "1000", 1000),
        ("session_topic", "x" * 200, "x" * 200),
        ("session_topic", "  Spaces kept  ", "  Spaces kept  "),
        ("participant_engagement", "low", "low"),
        ("mentor_notes", "é" * 10000, "é" * 10000),
        ("way_forward", "Tab\tand\r\nbreak", "Tab\tand\nbreak"),
        ("duration_minutes", "1440", 1440),
        ("follow_up_needed", None, False),
    ],
)
def test_good_input_of_each_kind_is_stored_as_its_json_type(
    browsers, client, tokens, clock, name, typed, kept
):
    mentor = browsers["mentor"]
    values = {**TYPED, "org_id": "o1", name: typed}
    values = {key: value for key, value in values.items() if value is not None}

    saved = mentor.post(
        "/reports/new", data=form_data(mentor, "/reports/new", **values, action="submit")
    )

    assert saved.status_code == 303, text(saved)
    assert the_only_report(client, tokens)["fields"][name] == kept


def test_submitting_without_what_is_needed_says_so_next_to_each_field(browsers, snapshot):
    mentor = browsers["mentor"]
    before = snapshot()

    refused = mentor.post(
        "/reports/new",
        data=form_data(
            mentor,
            "/reports/new",
            activity_id="a1",
            org_id="o1",
            way_forward="Call",
            action="submit",
        ),
    )

    assert refused.status_code == 422
    page = Page(text(refused))
    for name in REQUIRED_TO_SUBMIT:
        assert_error_at(page, name, "Required to submit the report.")
    assert page.value("way_forward") == "Call"
    assert snapshot() == before


def test_the_error_summary_lists_each_error_once_in_the_form_s_order(browsers):
    mentor = browsers["mentor"]

    refused = mentor.post(
        "/reports/new",
        data=form_data(
            mentor, "/reports/new", duration_minutes="x", attendance_count="y", action="draft"
        ),
    )

    page = Page(text(refused))
    # (The skip link first.)
    summary = [link["href"] for link in page.links if link.get("href", "").startswith("#")]
    assert summary == ["#main", "#activity_id", "#org_id", "#attendance_count", "#duration_minutes"]
    assert page.text_of("attendance_count-error").endswith("Not a valid integer.")


@pytest.mark.parametrize("action", [None, "correct", "publish"])
def test_a_post_without_one_of_the_buttons_saves_nothing(browsers, snapshot, action):
    mentor = browsers["mentor"]
    before = snapshot()
    data = form_data(mentor, "/reports/new", activity_id="a1", org_id="o1")
    if action is not None:
        data["action"] = action

    refused = mentor.post("/reports/new", data=data)

    assert refused.status_code == 400 and "Choose one of the form" in text(refused)
    assert snapshot() == before


def test_hostile_text_is_escaped_in_the_form(browsers, new_report):
    mentor = browsers["mentor"]
    refused = mentor.post(
        "/reports/new",
        data=form_data(
            mentor, "/reports/new", activity_id=HOSTILE, session_topic=HOSTILE,
            mentor_notes=HOSTILE, action="draft",
        ),
    )  # fmt: skip
    report_id = new_report(session_topic=HOSTILE, way_forward=HOSTILE)
    edit = mentor.get(f"/reports/{report_id}/edit")

    for body in (text(refused), text(edit)):
        assert "<script>alert" not in body and "<img src=x" not in body
        assert ESCAPED in body
    assert Page(text(edit)).value("way_forward") == HOSTILE
    assert Page(text(refused)).value("activity_id") == HOSTILE


# Editing and correcting ---------------------------------------------------------------


def test_the_edit_form_shows_the_report_as_it_is(browsers, new_report):
    report_id = new_report(duration_minutes=45, follow_up_needed=True, way_forward="Line\nbreak")

    page = Page(text(browsers["mentor"].get(f"/reports/{report_id}/edit")))

    fields = CONTRACT_REPORT["fields"]
    assert page.value("session_date") == fields["session_date"]
    assert page.value("attendance_count") == str(fields["attendance_count"])
    assert page.value("session_topic") == fields["session_topic"]
    assert page.value("participant_engagement") == fields["participant_engagement"]
    assert page.value("mentor_notes") == fields["mentor_notes"]
    assert page.value("way_forward") == "Line\nbreak"
    assert page.value("duration_minutes") == "45"
    assert page.value("follow_up_needed") is True
    assert "activity_id" not in page.by_id and "peer_mentor_id" not in page.by_id
    body = text(browsers["mentor"].get(f"/reports/{report_id}/edit"))
    assert '<input type="hidden" name="version" value="1">' in body
    assert 'value="draft"' in body and 'value="submit"' in body
    assert "<h1>Edit draft</h1>" in body


def test_a_submitted_report_s_form_only_saves_a_correction(browsers, new_report):
    report_id = new_report(status="submitted")

    body = text(browsers["coordinator"].get(f"/reports/{report_id}/edit"))

    assert "<h1>Correct report</h1>" in body
    assert 'name="action" value="correct"' in body and ">Save correction</button>" in body
    assert 'value="draft"' not in body and 'value="submit"' not in body


def edit(client, report_id, **values):
    """Post the edit form as it was opened, with `values` changed."""
    path = f"/reports/{report_id}/edit"
    body = text(client.get(path))
    page = Page(body)
    data = {name: page.value(name) for name in CATALOGUE if name != "follow_up_needed"}
    if page.value("follow_up_needed"):
        data["follow_up_needed"] = "true"
    data.update(csrf_token=CSRF_FIELD.search(body).group(1), version=version_of(body), **values)
    return client.post(
        path, data={name: value for name, value in data.items() if value is not None}
    )


def version_of(body):
    """The version a form carries."""
    return re.search(r'<input type="hidden" name="version" value="([^"]*)">', body).group(1)


def test_saving_a_draft_changes_only_what_was_changed(browsers, client, tokens, new_report):
    report_id = new_report(way_forward="Keep")

    saved = edit(
        browsers["mentor"], report_id, session_topic="New topic", mentor_notes="", action="draft"
    )

    assert saved.status_code == 303 and saved.headers["Location"] == f"/reports/{report_id}"
    report = stored(client, tokens, report_id)
    expected = {**CONTRACT_REPORT["fields"], "session_topic": "New topic", "way_forward": "Keep"}
    del expected["mentor_notes"]
    assert report["fields"] == expected and report["status"] == "draft"
    history = client.get(f"{REPORTS}/{report_id}/history", headers=tokens["coordinator"]).json
    assert history["revisions"][-1]["changes"] == {
        "fields": {
            "session_topic": {
                "before": CONTRACT_REPORT["fields"]["session_topic"],
                "after": "New topic",
            },
            "mentor_notes": {"before": CONTRACT_REPORT["fields"]["mentor_notes"], "after": None},
        }
    }
    assert "Draft saved." in text(browsers["mentor"].get(f"/reports/{report_id}"))


def test_a_draft_is_submitted_from_its_form(browsers, client, tokens, new_report):
    report_id = new_report()

    saved = edit(browsers["mentor"], report_id, action="submit")

    assert saved.status_code == 303
    assert stored(client, tokens, report_id)["status"] == "submitted"
    assert "Report submitted." in text(browsers["mentor"].get(f"/reports/{report_id}"))


def test_a_correction_keeps_the_report_submitted(browsers, client, tokens, new_report):
    report_id = new_report(status="submitted")

    saved = edit(browsers["mentor"], report_id, attendance_count="7", action="correct")

    assert saved.status_code == 303
    report = stored(client, tokens, report_id)
    assert report["status"] == "submitted" and report["fields"]["attendance_count"] == 7
    assert "Correction saved." in text(browsers["mentor"].get(f"/reports/{report_id}"))


def test_a_submitted_report_cannot_go_back_to_draft(browsers, client, tokens, new_report, snapshot):
    report_id = new_report(status="submitted")
    before = snapshot()

    refused = edit(browsers["coordinator"], report_id, session_topic="Typed", action="draft")

    assert refused.status_code == 409
    assert "A submitted report cannot go back to draft." in text(refused)
    assert Page(text(refused)).value("session_topic") == "Typed"
    assert snapshot() == before


def test_a_correction_may_not_take_away_what_a_submitted_report_needs(
    browsers, new_report, snapshot
):
    report_id = new_report(status="submitted")
    before = snapshot()

    refused = edit(browsers["mentor"], report_id, attendance_count="", action="correct")

    assert refused.status_code == 422
    assert_error_at(Page(text(refused)), "attendance_count", "Required to submit the report.")
    assert snapshot() == before


def test_an_edit_with_bad_input_keeps_what_was_typed_and_its_version(
    browsers, new_report, snapshot
):
    report_id = new_report()
    before = snapshot()

    refused = edit(
        browsers["mentor"],
        report_id,
        duration_minutes="ninety",
        way_forward=HOSTILE,
        action="draft",
    )

    assert refused.status_code == 422
    page = Page(text(refused))
    assert_error_at(page, "duration_minutes", "Not a valid integer.")
    assert page.value("duration_minutes") == "ninety" and page.value("way_forward") == HOSTILE
    assert '<input type="hidden" name="version" value="1">' in text(refused)
    assert snapshot() == before


def test_a_stale_form_is_refused_with_what_is_saved_now_and_what_was_typed(
    browsers, client, tokens, new_report
):
    report_id = new_report()
    mentor = browsers["mentor"]
    path = f"/reports/{report_id}/edit"
    opened = text(mentor.get(path))
    changed = client.put(
        f"{REPORTS}/{report_id}",
        json={"fields": {"session_topic": "Changed by carla"}},
        headers=tokens["coordinator"],
    )
    assert changed.status_code == 200

    refused = mentor.post(
        path,
        data={
            "csrf_token": CSRF_FIELD.search(opened).group(1),
            "version": version_of(opened),
            "session_topic": "Typed by mona",
            "attendance_count": "6",
            "action": "draft",
        },
    )

    assert refused.status_code == 412
    body = text(refused)
    assert "Someone changed this report after you opened this form" in body
    assert "Saved now: <bdi>Changed by carla</bdi>" in body
    assert "In your form: <bdi>Typed by mona</bdi>" in body
    page = Page(body)
    assert page.value("session_topic") == "Typed by mona"
    assert version_of(body) == "2"
    assert stored(client, tokens, report_id)["fields"]["session_topic"] == "Changed by carla"

    # Seen and saved again, on purpose: it goes through.
    again = mentor.post(
        path,
        data={
            "csrf_token": CSRF_FIELD.search(body).group(1),
            "version": "2",
            "session_topic": "Typed by mona",
            "action": "draft",
        },
    )
    assert again.status_code == 303
    assert stored(client, tokens, report_id)["fields"]["session_topic"] == "Typed by mona"


def test_a_form_without_its_version_saves_nothing(browsers, new_report, snapshot):
    report_id = new_report()
    mentor = browsers["mentor"]
    before = snapshot()
    path = f"/reports/{report_id}/edit"

    refused = mentor.post(
        path, data={"csrf_token": csrf_token(mentor, path), "session_topic": "x", "action": "draft"}
    )

    assert refused.status_code == 412 and snapshot() == before


@pytest.mark.parametrize("state", ["approved", "rejected"])
def test_a_mentor_s_reviewed_report_is_locked_and_its_edit_page_says_why(
    browsers, new_report, review, snapshot, state
):
    report_id = new_report(status="submitted")
    review(report_id, state)
    mentor = browsers["mentor"]
    path = f"/reports/{report_id}/edit"
    before = snapshot()

    shown = mentor.get(path)
    posted = mentor.post(
        path,
        data={"csrf_token": csrf_token(mentor, "/reports/new"), "version": "2",
              "session_topic": "x", "action": "correct"},
    )  # fmt: skip

    for response in (shown, posted):
        assert response.status_code == 403
        body = text(response)
        assert f"This report is {state}: its mentor may correct or delete it" in body
        assert 'name="action"' not in body
    assert snapshot() == before
    report_page = text(mentor.get(f"/reports/{report_id}"))
    assert path not in report_page
    # A coordinator may still correct it.
    assert path in text(browsers["coordinator"].get(f"/reports/{report_id}"))
    assert browsers["coordinator"].get(path).status_code == 200


def test_correcting_a_report_with_issues_sends_it_back_for_review_and_says_so(
    browsers, client, tokens, new_report, review
):
    report_id = new_report(status="submitted")
    review(report_id, "has_issues", "Attendance?")
    mentor = browsers["mentor"]

    form = text(mentor.get(f"/reports/{report_id}/edit"))
    saved = edit(mentor, report_id, attendance_count="5", action="correct")

    assert "Saving sends it back for review" in form
    assert saved.status_code == 303
    assert "It goes back to your coordinator for review." in text(
        mentor.get(f"/reports/{report_id}")
    )
    reviewed = client.get(f"{REPORTS}/{report_id}/review", headers=tokens["coordinator"]).json
    assert reviewed["review_state"] is None
    # A coordinator's correction keeps the review; its form says nothing of it.
    review(report_id, "has_issues")
    assert "Saving sends it back" not in text(
        browsers["coordinator"].get(f"/reports/{report_id}/edit")
    )


def test_an_unreviewed_submitted_report_s_form_does_not_warn(browsers, new_report):
    report_id = new_report(status="submitted")

    assert "Saving sends it back" not in text(browsers["mentor"].get(f"/reports/{report_id}/edit"))


# Links to the form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "state", "link"),
    [
        ("mentor", "draft", None, "Edit"),
        ("mentor", "submitted", None, "Correct"),
        ("mentor", "submitted", "has_issues", "Correct"),
        ("mentor", "submitted", "approved", None),
        ("coordinator", "draft", None, "Edit"),
        ("coordinator", "submitted", "rejected", "Correct"),
        ("viewer", "draft", None, None),
        ("viewer", "submitted", None, None),
    ],
)
def test_the_report_page_links_to_its_form_for_who_may_change_it(
    browsers, new_report, review, who, status, state, link
):
    report_id = new_report(status=status)
    if state:
        review(report_id, state)

    page = Page(text(browsers[who].get(f"/reports/{report_id}")))

    links = [a["text"] for a in page.links if a.get("href") == f"/reports/{report_id}/edit"]
    assert links == ([] if link is None else [f"{link} this report"])


@pytest.mark.parametrize(
    ("who", "shown"), [("coordinator", True), ("mentor", True), ("viewer", False)]
)
def test_the_navigation_has_new_report_for_who_may_file_one(browsers, who, shown):
    page = Page(text(browsers[who].get("/login")))

    assert ("/reports/new" in [a.get("href") for a in page.links]) == shown


def test_my_reports_has_a_new_report_link_under_its_heading(browsers):
    body = text(browsers["mentor"].get("/reports/mine"))

    assert (
        body.index("<h1>My reports</h1>")
        < body.index('class="button-link" href="/reports/new"')
        < body.index("<h2>Drafts</h2>")
    )


# Who may use the form ---------------------------------------------------------------------


def test_a_viewer_may_not_file_or_change_a_report(browsers, new_report, snapshot):
    report_id = new_report()
    viewer = browsers["viewer"]
    token = csrf_token(viewer, "/reports")
    before = snapshot()

    for path in ("/reports/new", f"/reports/{report_id}/edit"):
        assert viewer.get(path).status_code == 403
        posted = viewer.post(
            path,
            data={"csrf_token": token, "activity_id": "a1", "org_id": "o1", "version": "1",
                  "session_topic": "Viewer's", "action": "draft"},
        )  # fmt: skip
        assert posted.status_code == 403 and posted.mimetype == "text/html"
        assert "A viewer token may only read reports." in text(posted)
    assert snapshot() == before


def test_another_mentor_s_report_has_no_form_for_a_mentor(browsers, new_report, snapshot):
    other = new_report(OTHER_MENTOR, session_topic="Private matter")
    mentor = browsers["mentor"]
    path = f"/reports/{other}/edit"
    before = snapshot()

    shown = mentor.get(path)
    posted = mentor.post(
        path,
        data={"csrf_token": csrf_token(mentor, "/reports/new"), "version": "1",
              "session_topic": "Mine now", "action": "draft"},
    )  # fmt: skip

    for response in (shown, posted):
        assert response.status_code == 404
        assert "Private matter" not in text(response)
    assert snapshot() == before
    assert mentor.get("/reports/rpt_00000000/edit").status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/reports/new", "/reports/<id>/edit"])
def test_without_a_session_the_form_sends_to_sign_in(browsers, new_report, snapshot, method, path):
    path = path.replace("<id>", new_report())
    nobody = browsers["none"]
    data = {"csrf_token": csrf_token(nobody), "activity_id": "a1", "org_id": "o1",
            "version": "1", "action": "draft"}  # fmt: skip
    before = snapshot()

    response = nobody.open(path, method=method, data=data)

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert snapshot() == before


@pytest.mark.parametrize("path", ["/reports/new", "/reports/<id>/edit"])
@pytest.mark.parametrize("form", [{}, {"csrf_token": "made-up"}], ids=["missing", "wrong"])
def test_a_form_without_its_csrf_token_is_refused_and_saves_nothing(
    browsers, new_report, snapshot, path, form
):
    path = path.replace("<id>", new_report())
    before = snapshot()

    refused = browsers["mentor"].post(
        path,
        data={"activity_id": "a1", "org_id": "o1", "session_topic": "x", "version": "1",
              "action": "draft", **form},
    )  # fmt: skip

    assert refused.status_code == 400 and "This form has expired" in text(refused)
    assert snapshot() == before


def test_a_message_of_no_one_field_is_shown_at_the_top(browsers, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValidationError({"_schema": ["Something about the whole report."]})

    monkeypatch.setattr("reports.service.create_report", refuse)
    mentor = browsers["mentor"]

    refused = mentor.post(
        "/reports/new",
        data=form_data(mentor, "/reports/new", activity_id="a1", org_id="o1", action="draft"),
    )

    assert refused.status_code == 422
    assert "Something about the whole report." in Page(text(refused)).text_of("notice")
