"""The pages follow the live catalogue: with the youth club's form
(tests/catalogues/youth_club.toml) the report form asks for its fields, each
kind with its own input and limits; the report page, the table's filters, the
summary's columns and the history speak of its fields; a field no longer in
the form is still shown, under the label the database remembers; and a
mentor sees its own reports only."""

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports import auth, create_app, db

from conftest import CLUB_REPORT, CONTRACT_REPORT, YOUTH_CLUB
from web_helpers import CSRF_FIELD, csrf_token, sign_in, text

REPORTS = "/api/v1/reports"
MENTOR = CLUB_REPORT["peer_mentor_id"]  # mona's
OTHER_MENTOR = "usr_mentor_007"
# The club's report as its form sends it.
TYPED = {
    "activity_id": "act_club",
    "org_id": "org_youth",
    "held_on": "2026-03-20",
    "theme": "Cooking night",
    "young_people": "14",
    "activities": ["cooking", "music"],
    "mood": "lively",
    "snack_cost": "23.5",
    "next_steps": "Ask the parents\r\nabout the trip",
}
STORED = {
    "held_on": "2026-03-20",
    "theme": "Cooking night",
    "young_people": 14,
    "activities": ["music", "cooking"],  # in the form's order
    "mood": "lively",
    "snack_cost": "23.50",
    "incident": False,
    "next_steps": "Ask the parents\nabout the trip",
}
TOPIC = re.compile(
    r'<td class="report-title"><a href="/reports/(rpt_[0-9a-f]{8})" dir="auto">([^<]*)</a>'
)


class Form(HTMLParser):
    """A page's inputs, selects and text areas by name (a list each, as several
    boxes share one name), the text of each label by its `for`, of each legend,
    and each element with an id by it."""

    def __init__(self, body):
        super().__init__(convert_charrefs=True)
        self.inputs, self.labels, self.legends, self.by_id = {}, {}, [], {}
        self.options, self.open, self.select = {}, [], None
        self.feed(body)

    def handle_starttag(self, tag, attrs):
        attributes = {name: "" if value is None else value for name, value in attrs}
        if tag in ("input", "select", "textarea") and "name" in attributes:
            self.inputs.setdefault(attributes["name"], []).append((tag, attributes))
        if "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes)
        if tag == "select":
            self.select = attributes.get("name")
            self.options[self.select] = []
        if tag == "option":
            self.options[self.select].append((attributes.get("value"), "selected" in attributes))
        if tag in ("label", "legend", "p"):
            self.open.append([tag, attributes, []])

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)

    def handle_endtag(self, tag):
        if tag in ("label", "legend", "p") and self.open and self.open[-1][0] == tag:
            _, attributes, parts = self.open.pop()
            content = " ".join("".join(parts).split())
            if tag == "label" and "for" in attributes:
                self.labels[attributes["for"]] = content
            if tag == "legend":
                self.legends.append(content)
            if "id" in attributes:
                self.by_id[attributes["id"]] = (tag, {**attributes, "text": content})

    def one(self, name):
        (found,) = self.inputs[name]
        return found

    def text_of(self, element_id):
        return self.by_id[element_id][1]["text"]


# The club's app, signed in --------------------------------------------------------------


def club_tokens(app):
    """The secrets of a coordinator (carla), a viewer (victor), the club report's
    mentor (mona) and another mentor (otto)."""
    with app.app_context():
        return {
            "coordinator": auth.create_token("carla", "coordinator"),
            "viewer": auth.create_token("victor", "viewer"),
            "mentor": auth.create_token("mona", "mentor", MENTOR),
            "other": auth.create_token("otto", "mentor", OTHER_MENTOR),
        }


@pytest.fixture
def secrets(club_app):
    return club_tokens(club_app)


@pytest.fixture
def api(club_client, secrets):
    """GET or POST on the club's API as the coordinator."""

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {secrets['coordinator']}"}
        return club_client.open(path, method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def pages(club_app, secrets):
    """A test client of the club's pages signed in as each role."""
    clients = {}
    for role, secret in secrets.items():
        clients[role] = club_app.test_client()
        sign_in(clients[role], secret)
    return clients


@pytest.fixture
def add(api):
    """Create a club report through the API: `fields` merged into CLUB_REPORT's,
    None removing one; its id."""

    def create(mentor=MENTOR, status="submitted", **fields):
        merged = {**CLUB_REPORT["fields"], **fields}
        body = {
            **CLUB_REPORT,
            "peer_mentor_id": mentor,
            "status": status,
            "fields": {name: value for name, value in merged.items() if value is not None},
        }
        created = api("POST", REPORTS, json=body)
        assert created.status_code == 201, created.json
        return created.json["report_id"]

    return create


def post_form(client, path="/reports/new", action="submit", **values):
    """Send the form at `path` with `values`, its CSRF token and the version it shows."""
    page = client.get(path)
    assert page.status_code == 200, text(page)
    data = {"csrf_token": CSRF_FIELD.search(text(page)).group(1), "action": action}
    version = re.search(r'name="version" value="(\d+)"', text(page))
    if version:
        data["version"] = version.group(1)
    return client.post(path, data={**data, **values})


def only_report(api):
    listed = api("GET", REPORTS).json["data"]
    assert len(listed) == 1, listed
    found = api("GET", f"{REPORTS}/{listed[0]['report_id']}")
    assert found.status_code == 200
    return found.json


def topics(response):
    assert response.status_code == 200, text(response)
    return [unescape(topic) for _, topic in TOPIC.findall(text(response))]


# The form -------------------------------------------------------------------------------


def test_the_form_asks_for_every_club_field_with_its_own_input(pages, clock):
    body = text(pages["mentor"].get("/reports/new"))
    form = Form(body)

    assert form.labels["held_on"] == "Held on"
    assert form.one("held_on")[1]["type"] == "date"
    assert form.one("held_on")[1]["max"] == "2026-03-21"  # tomorrow, in UTC

    tag, theme = form.one("theme")
    assert (tag, theme["type"], theme["maxlength"]) == ("input", "text", "80")
    assert "What the evening was about, in a line." in form.text_of("theme-hint")
    assert "Needed to submit the report." in form.text_of("theme-hint")

    young = form.one("young_people")[1]
    assert (young["type"], young["min"], young["max"], young["step"]) == ("number", "1", "60", "1")
    assert "A whole number from 1 to 60." in form.text_of("young_people-hint")

    cost = form.one("snack_cost")[1]
    assert cost["type"] == "number" and cost["inputmode"] == "decimal"
    assert (cost["step"], cost["min"], cost["max"]) == ("0.01", "0.00", "500.00")
    assert "A number with 2 decimal places from 0.00 to 500.00." in form.text_of("snack_cost-hint")
    assert "Needed to submit" not in form.text_of("snack_cost-hint")

    # A choice of several: a box per value, all of one name, in a fieldset.
    boxes = form.inputs["activities"]
    assert [(tag, each["type"], each["value"]) for tag, each in boxes] == [
        ("input", "checkbox", value) for value in ("sport", "music", "cooking", "homework")
    ]
    assert boxes[0][1]["id"] == "activities"
    assert [form.labels[each["id"]] for _, each in boxes] == [
        "Sport", "Music", "Cooking", "Homework help",
    ]  # fmt: skip
    assert "Activities" in form.legends
    assert "Everything the club did." in form.text_of("activities-hint")
    assert '<fieldset class="checkboxes" aria-describedby="activities-hint">' in body

    assert form.one("mood")[0] == "select"
    assert form.options["mood"] == [
        ("", True),
        ("calm", False),
        ("lively", False),
        ("tense", False),
    ]
    assert form.labels["mood"] == "Mood"

    incident = form.one("incident")[1]
    assert (incident["type"], incident["value"]) == ("checkbox", "true")
    assert form.one("next_steps")[0] == "textarea"  # 2000 characters: a text area
    assert form.one("notes")[0] == "textarea"
    assert form.one("notes")[1]["maxlength"] == "4000"
    # No field of the built-in form.
    assert "session_topic" not in form.inputs and "attendance_count" not in form.inputs
    assert "submit once these are filled in: Held on, Theme, Young people." in body


def test_a_date_that_may_be_any_day_has_no_latest_day(database, tmp_path):
    any_day = tmp_path / "any_day.toml"
    toml = Path(YOUTH_CLUB).read_text(encoding="utf-8")
    any_day.write_text(toml.replace("not_after_tomorrow = true", "not_after_tomorrow = false"))
    app = create_app(
        {"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "CATALOGUE": str(any_day)}
    )
    db.init_db(database, form=app.extensions["catalogue"])
    client = app.test_client()
    sign_in(client, club_tokens(app)["mentor"])

    held_on = Form(text(client.get("/reports/new"))).one("held_on")[1]

    assert held_on["type"] == "date" and "max" not in held_on
    saved = post_form(client, **{**TYPED, "held_on": "2099-01-01"})
    assert saved.status_code == 303, text(saved)


def test_a_submitted_club_form_is_stored_as_the_api_would_store_it(pages, api, clock):
    saved = post_form(pages["mentor"], **TYPED)

    assert saved.status_code == 303, text(saved)
    report = only_report(api)
    assert saved.headers["Location"] == f"/reports/{report['report_id']}"
    assert report["status"] == "submitted" and report["peer_mentor_id"] == MENTOR
    assert report["fields"] == STORED


@pytest.mark.parametrize(
    ("name", "typed", "kept"),
    [
        ("young_people", "1", 1),
        ("young_people", "60", 60),
        ("snack_cost", "0", "0.00"),
        ("snack_cost", "500.00", "500.00"),
        ("snack_cost", "", None),
        ("activities", [], None),
        ("activities", ["homework"], ["homework"]),
        ("theme", "abc", "abc"),
        ("held_on", "2026-03-21", "2026-03-21"),
        ("incident", "true", True),
    ],
)
def test_each_kind_at_its_limits_is_stored(pages, api, clock, name, typed, kept):
    saved = post_form(pages["mentor"], **{**TYPED, name: typed})

    assert saved.status_code == 303, text(saved)
    assert only_report(api)["fields"].get(name) == kept


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        ("young_people", "0", "greater than or equal to 1"),
        ("young_people", "61", "less than or equal to 60"),
        ("young_people", "many", "Not a valid integer."),
        ("snack_cost", "1.234", "At most 2 decimal places."),
        ("snack_cost", "500.01", "less than or equal to 500.00"),
        ("snack_cost", "-1", "greater than or equal to 0.00"),
        ("snack_cost", "a lot", "Not a valid number"),
        ("activities", ["cooking", "dancing"], "Must be one of: sport, music, cooking, homework."),
        ("mood", "sleepy", "Must be one of: calm, lively, tense."),
        ("theme", "ab", "Length must be between 3 and 80."),
        ("held_on", "2026-03-22", "Must not be after tomorrow (2026-03-21, UTC)."),
        ("incident", "yes", "Not a valid boolean."),
    ],
)
def test_a_value_beyond_its_limits_is_refused_next_to_its_field(
    pages, snapshot, clock, name, typed, message
):
    before = snapshot()

    refused = post_form(pages["mentor"], **{**TYPED, name: typed})

    assert refused.status_code == 422
    body = text(refused)
    form = Form(body)
    assert message in form.text_of(f"{name}-error")
    assert body.count('class="error-message"') == 1
    assert re.search(rf'<li><a href="#{name}">[^<]*{re.escape(message)}', unescape(body))
    first = form.inputs[name][0][1]
    if name == "activities":  # the fieldset is tied to the message, each box marked
        fieldset = r'<fieldset class="checkboxes" aria-describedby="[^"]*activities-error"'
        assert re.search(fieldset, body)
        assert all(each["aria-invalid"] == "true" for _, each in form.inputs[name])
        ticked = [each["value"] for _, each in form.inputs[name] if "checked" in each]
        assert ticked == ["cooking"]  # what was ticked is kept
    else:
        assert f"{name}-error" in first["aria-describedby"].split()
        assert first["aria-invalid"] == "true"
    # What was typed elsewhere is kept.
    assert form.one("theme")[1]["value"] == (typed if name == "theme" else TYPED["theme"])
    assert snapshot() == before


def test_submitting_without_what_is_needed_names_each_needed_club_field(pages, snapshot):
    refused = post_form(pages["mentor"], activity_id="a1", org_id="o1", mood="calm")

    assert refused.status_code == 422
    form = Form(text(refused))
    for name in ("held_on", "theme", "young_people"):
        assert "Required to submit the report." in form.text_of(f"{name}-error")
    assert form.options["mood"][1] == ("calm", True)


def test_the_edit_form_shows_the_club_report_and_saves_a_change_of_boxes(pages, api, add):
    report_id = add(status="draft", activities=["music", "sport"], incident=True)
    path = f"/reports/{report_id}/edit"

    form = Form(text(pages["mentor"].get(path)))
    ticked = [each["value"] for _, each in form.inputs["activities"] if "checked" in each]
    assert ticked == ["sport", "music"]
    assert "checked" in form.one("incident")[1]
    assert form.one("snack_cost")[1]["value"] == "23.50"
    assert form.options["mood"][2] == ("lively", True)

    # Ticking the same boxes again, and the same cost written otherwise, changes neither.
    same = post_form(
        pages["mentor"], path, action="draft", **{**TYPED, "activities": ["sport", "music"],
        "snack_cost": "23.5", "incident": "true", "notes": CLUB_REPORT["fields"]["notes"]},
    )  # fmt: skip
    assert same.status_code == 303, text(same)
    history = api("GET", f"{REPORTS}/{report_id}/history").json["revisions"]
    changed = history[-1]["changes"]["fields"]
    assert "activities" not in changed and "snack_cost" not in changed

    saved = post_form(pages["mentor"], path, action="submit", **{**TYPED, "activities": []})
    assert saved.status_code == 303, text(saved)
    fields = api("GET", f"{REPORTS}/{report_id}").json["fields"]
    assert "activities" not in fields and "incident" in fields and fields["incident"] is False


# The report's page ----------------------------------------------------------------------


def test_the_report_page_shows_each_club_field_by_its_label(pages, add):
    report_id = add(incident=True, notes="Two new members.\nBoth stayed.")

    body = text(pages["viewer"].get(f"/reports/{report_id}"))

    assert "<h1><bdi>Cooking night</bdi></h1>" in body
    shown = {
        label: re.sub(r"<[^>]+>", "", value)
        for label, value in re.findall(r"<dt>([^<]+)</dt>\s*<dd[^>]*>(.*?)</dd>", body)
    }
    assert shown["Held on"] == "20 Mar 2026"
    assert '<dd class="" dir="auto"><time datetime="2026-03-20">20 Mar 2026</time></dd>' in body
    assert shown["Theme"] == "Cooking night"
    assert shown["Young people"] == "14"
    assert shown["Activities"] == "Cooking, Music"  # by their labels
    assert shown["Mood"] == "Lively"
    assert shown["Snack cost (EUR)"] == "23.50"
    assert shown["Incident"] == "Yes"
    assert '<dd class="long-text" dir="auto">Two new members.\nBoth stayed.</dd>' in body
    assert "Session topic" not in body and "Attendance" not in body
    # Its history says which form it was written with.
    assert '<p class="timeline-version">Form version 2026-12</p>' in body


def test_a_report_without_a_title_is_untitled_and_its_delete_page_says_so(pages, add):
    report_id = add(status="draft", theme=None)

    assert "<h1>Untitled report</h1>" in text(pages["mentor"].get(f"/reports/{report_id}"))
    delete = text(pages["mentor"].get(f"/reports/{report_id}/delete"))
    assert "<dt>Theme</dt><dd>Untitled report</dd>" in delete
    assert "Session topic" not in delete


def test_the_delete_page_and_the_trash_name_a_report_by_its_title(pages, add):
    report_id = add(status="draft")

    delete = text(pages["mentor"].get(f"/reports/{report_id}/delete"))
    assert '<dt>Theme</dt><dd dir="auto">Cooking night</dd>' in delete
    deleted = pages["mentor"].post(
        f"/reports/{report_id}/delete",
        data={"csrf_token": csrf_token(pages["mentor"], f"/reports/{report_id}/delete")},
    )
    assert deleted.status_code == 303
    assert "“Cooking night” is in the trash." in text(pages["mentor"].get("/reports/mine"))
    assert '<strong dir="auto">Cooking night</strong>' in text(pages["coordinator"].get("/trash"))


@pytest.fixture
def changed_form(database, clock):
    """A database whose report was written with the built-in form, and the club's
    app on it: the report's fields are no longer in the form."""
    built_in = create_app({"DATABASE": database, "SECRET_KEY": "a-test-secret-key"})
    db.init_db(database)
    secret = club_tokens(built_in)["coordinator"]
    body = {**CONTRACT_REPORT, "peer_mentor_id": MENTOR, "status": "draft"}
    body["fields"] = {
        **CONTRACT_REPORT["fields"],
        "mentor_notes": "Line one.\nLine two.",
        "follow_up_needed": False,
    }
    created = built_in.test_client().post(
        REPORTS, json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert created.status_code == 201, created.json
    club = create_app(
        {"DATABASE": database, "SECRET_KEY": "a-test-secret-key", "CATALOGUE": YOUTH_CLUB}
    )
    db.init_db(database, form=club.extensions["catalogue"])
    client = club.test_client()
    sign_in(client, secret)
    return client, created.json["report_id"]


def test_a_field_no_longer_in_the_form_is_shown_under_its_remembered_label(changed_form):
    client, report_id = changed_form

    body = text(client.get(f"/reports/{report_id}"))

    gone = '<span class="field-gone">(no longer in the form)</span>'
    assert f"<dt>Session topic {gone}</dt>" in body
    assert f"<dt>Attendance {gone}</dt>" in body
    assert f"<dt>Participant engagement {gone}</dt>" in body
    assert f"<dt>Mentor&#39;s notes {gone}</dt>" in body
    assert '<dd class="long-text" dir="auto">Line one.\nLine two.</dd>' in body
    assert re.search(r"<dt>Follow-up needed [^\n]*</dt>\s*<dd[^>]*>No</dd>", body)
    # The club's fields first, not given; it has no theme, so no title.
    assert body.index("<dt>Held on</dt>") < body.index("<dt>Session topic")
    assert "<h1>Untitled report</h1>" in body
    # Its history: the built-in form's version.
    assert '<p class="timeline-version">Form version 1</p>' in body


def test_a_change_of_a_field_no_longer_in_the_form_keeps_its_label_in_the_history(
    changed_form, clock
):
    client, report_id = changed_form
    saved = post_form(client, f"/reports/{report_id}/edit", action="draft", theme="Budgets")
    assert saved.status_code == 303, text(saved)

    body = text(client.get(f"/reports/{report_id}"))

    assert re.search(r'<span class="change-label">Theme</span>.*?Budgets', body, re.S)
    assert '<p class="timeline-version">Form version 2026-12</p>' in body
    # The values of the fields no longer in the form are kept.
    assert "<dt>Session topic" in body and CONTRACT_REPORT["fields"]["session_topic"] in body


# The reports table ---------------------------------------------------------------------


@pytest.fixture
def varied(add):
    add(theme="Calm cooking", mood="calm", activities=["cooking"], incident=False)
    add(theme="Lively music", mood="lively", activities=["music", "sport"], incident=True)
    add(theme="Tense sport", mood="tense", activities=["sport"], incident=True)
    add(OTHER_MENTOR, theme="Their sport", mood="tense", activities=["sport"], incident=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mood=calm", ["Calm cooking"]),
        ("mood=tense", ["Their sport", "Tense sport"]),
        ("activities=sport", ["Their sport", "Tense sport", "Lively music"]),
        ("activities=homework", []),
        ("incident=true", ["Their sport", "Tense sport", "Lively music"]),
        ("incident=false", ["Calm cooking"]),
        ("incident=true&activities=music", ["Lively music"]),
    ],
)
def test_the_table_filters_by_the_club_s_fields(pages, varied, query, expected):
    assert topics(pages["coordinator"].get(f"/reports?{query}")) == expected


def test_the_table_s_filter_form_has_a_select_per_club_filter(pages):
    form = Form(text(pages["coordinator"].get("/reports?activities=cooking")))

    assert form.labels["mood"] == "Mood"
    assert [value for value, _ in form.options["mood"]] == ["", "calm", "lively", "tense"]
    assert form.labels["activities"] == "Activities"
    assert form.options["activities"] == [
        ("", False), ("sport", False), ("music", False), ("cooking", True), ("homework", False),
    ]  # fmt: skip
    assert form.labels["incident"] == "Incident"
    assert [value for value, _ in form.options["incident"]] == ["", "true", "false"]
    assert form.labels["session_date_from"] == "Held on from"
    assert "follow_up_needed" not in form.inputs and "participant_engagement" not in form.inputs
    assert "Every word must appear in Theme, Next steps or Notes." in form.text_of("q-hint")


def test_a_bad_club_filter_is_shown_next_to_its_field(pages):
    response = pages["coordinator"].get("/reports?mood=sleepy")

    assert response.status_code == 422
    assert "Must be one of: calm, lively, tense." in Form(text(response)).text_of("mood-error")


def test_a_mentor_s_table_and_downloads_have_its_own_club_reports_only(pages, varied):
    assert topics(pages["mentor"].get("/reports?mood=tense")) == ["Tense sport"]
    assert topics(pages["other"].get("/reports?mood=tense")) == ["Their sport"]
    assert topics(pages["other"].get("/reports?mood=calm")) == []
    download = pages["other"].get("/reports.csv?activities=sport")
    assert download.status_code == 200
    assert "Their sport" in text(download) and "Tense sport" not in text(download)


def test_my_reports_names_each_club_report_by_its_theme(pages, varied, add):
    add(status="draft", theme="Half written")

    mine = text(pages["mentor"].get("/reports/mine"))

    assert "Half written" in mine and "Calm cooking" in mine and "Their sport" not in mine
    theirs = text(pages["other"].get("/reports/mine"))
    assert "Their sport" in theirs and "Calm cooking" not in theirs


def test_another_mentor_s_club_report_is_not_found(pages, add):
    report_id = add()

    for path in (f"/reports/{report_id}", f"/reports/{report_id}/edit"):
        assert pages["other"].get(path).status_code == 404
        assert pages["mentor"].get(path).status_code == 200


# The summary ---------------------------------------------------------------------------


def summary_cells(body, section):
    found = re.search(rf"<{section}>(.*?)</{section}>", body, re.S)
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in row]
        for row in (
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
        )
    ]


def test_the_summary_has_the_club_s_figures_as_its_columns(pages, add):
    add(held_on="2026-02-10", young_people=10, snack_cost="10.00", activities=["sport"],
        mood="calm", incident=True)  # fmt: skip
    add(held_on="2026-03-05", young_people=20, snack_cost="5.25", activities=["sport", "music"],
        mood="tense", incident=False)  # fmt: skip
    add(held_on="2026-03-20", status="draft", young_people=None, snack_cost=None,
        activities=None, mood=None)  # fmt: skip

    body = text(pages["coordinator"].get("/summary"))

    head = summary_cells(body, "thead")
    assert head[0] == [
        "Month", "Reports", "Young people", "Snack cost (EUR)", "Activities", "Mood", "Incident",
    ]  # fmt: skip
    assert head[1] == [
        "All", "Submitted", "Drafts", "Total", "Average", "Total", "Average",
        "Sport", "Music", "Cooking", "Homework help", "Calm", "Lively", "Tense",
    ]  # fmt: skip
    assert summary_cells(body, "tbody") == [
        ["Feb 2026", "1", "1", "0", "10", "10.00", "10.00", "10.00",
         "1", "0", "0", "0", "1", "0", "0", "1"],
        ["Mar 2026", "2", "1", "1", "20", "20.00", "5.25", "5.25",
         "1", "1", "0", "0", "0", "0", "1", "0"],
    ]  # fmt: skip
    assert summary_cells(body, "tfoot") == [
        ["Total", "3", "2", "1", "30", "–", "15.25", "–",
         "2", "1", "0", "0", "1", "0", "1", "1"],
    ]  # fmt: skip
    # The second chart is of the young people, the first whole-number total.
    assert "<h2>Reports and young people per month</h2>" in body
    assert '<title id="chart-young_people-title">Young people per month</title>' in body
    assert re.search(r'<desc id="chart-young_people-desc">30 in 2 months, from Feb 2026', body)
    assert "Incident: the reports that say yes." in body


def test_the_summary_filters_by_the_club_s_fields(pages, varied):
    body = text(pages["coordinator"].get("/summary?group_by=mentor&incident=true&mood=tense"))

    rows = summary_cells(body, "tbody")
    # Each mentor by the name of its token's person, then its id.
    assert [(row[0], row[1]) for row in rows] == [
        (f"otto {OTHER_MENTOR}", "1"),
        (f"mona {MENTOR}", "1"),
    ]
    form = Form(body)
    assert form.labels["activities"] == "Activities"
    assert ("tense", True) in form.options["mood"]
    assert ("true", True) in form.options["incident"]
    assert form.labels["has_way_forward"] == "Next steps filled in"
    refused = pages["coordinator"].get("/summary?activities=dancing")
    assert refused.status_code == 422
    assert "Must be one of" in Form(text(refused)).text_of("activities-error")


def test_a_mentor_s_summary_has_its_own_club_reports_only(pages, varied):
    mine = summary_cells(text(pages["mentor"].get("/summary?group_by=mentor")), "tbody")
    theirs = summary_cells(text(pages["other"].get("/summary?group_by=mentor")), "tbody")

    assert [row[:2] for row in mine] == [[f"mona {MENTOR}", "3"]]
    assert [row[:2] for row in theirs] == [[f"otto {OTHER_MENTOR}", "1"]]
    download = pages["other"].get("/summary.csv?group_by=mentor")
    assert MENTOR not in text(download) and OTHER_MENTOR in text(download)
    assert "mona" not in text(download) and "otto" in text(download)
