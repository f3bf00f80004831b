"""The report form in several languages: a catalogue's label and help, and each
choice's label, are a text in its default language or a table of texts by
language. The pages show each in the page's language, or the default one;
the API and the OpenAPI document stay in the default language, and the
catalogue's answer gives every language under `labels` and `helps`;
`catalogue check` warns of a text that lacks a language of the pages; a CSV or
XLSX export may start with a row of the fields' labels in a language
(`labels`), which an import reads past."""

import csv
import io
import re

import openpyxl
import pytest
from exporting import REPORTS, every_report, import_file

from reports import auth, catalogue, cli, create_app, db, formats
from reports.catalogue import CatalogueError

from conformance import ConformingClient
from conftest import CONTRACT_REPORT, YOUTH_CLUB
from docs_pages import DOCS, code_blocks, text_of
from web_helpers import sign_in, text

SHIPPED = ("en", "nb", "ar", "uk")
# An empty gettext catalogue: it offers the pages in its language.
EMPTY_PO = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
# A small form whose default language is Norwegian Bokmål, in part in English.
NORWEGIAN = """
version = "nb-1"
default_language = "nb"

[roles]
session_date = "dato"

[[fields]]
name = "dato"
kind = "date"
label = { nb = "Dato", en = "Date" }
help = "Dagen dere møttes."
required = true

[[fields]]
name = "stemning"
kind = "choice"
label = "Stemning"
values = [
    { value = "rolig", label = { nb = "Rolig", en = "Calm" } },
    { value = "livlig", label = "Livlig" },
]
"""


def written(tmp_path, text, name="catalogue.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def app_with(tmp_path, catalogue_path=None, offered=SHIPPED):
    """An app (the built-in catalogue unless `catalogue_path`) whose pages are
    offered in `offered` besides the shipped languages: an empty catalogue of
    translations for each but English, in its instance folder (which takes a
    shipped one's place). Its test client checks every answer against the
    OpenAPI document."""
    instance = tmp_path / "instance"
    for code in offered:
        if code != "en":
            folder = instance / "translations" / code / "LC_MESSAGES"
            folder.mkdir(parents=True)
            (folder / "messages.po").write_text(EMPTY_PO, encoding="utf-8")
    config = {
        "TESTING": True,
        "DATABASE": str(tmp_path / "reports.sqlite"),
        "SECRET_KEY": "a-test-secret-key",
    }
    if catalogue_path is not None:
        config["CATALOGUE"] = catalogue_path
    app = create_app(config, instance_path=str(instance))
    db.init_db(config["DATABASE"], form=app.extensions["catalogue"])
    app.test_client_class = ConformingClient
    return app


def coordinator(app):
    """The Authorization header of a coordinator's token, and a page client signed in with it."""
    with app.app_context():
        secret = auth.create_token("carla", "coordinator")
    pages = app.test_client()
    sign_in(pages, secret)
    return {"Authorization": f"Bearer {secret}"}, pages


@pytest.fixture
def shipped(tmp_path):
    """The built-in catalogue's app, its pages in the four languages, with a
    coordinator: (app, API headers, signed-in page client)."""
    app = app_with(tmp_path)
    headers, pages = coordinator(app)
    return app, headers, pages


def refused(tmp_path, text):
    path = written(tmp_path, text, "bad.toml")
    with pytest.raises(CatalogueError) as error:
        catalogue.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    return message.removeprefix(f"{path}: ")


# Reading the texts ------------------------------------------------------------------


def test_a_plain_string_is_the_default_language_s_text_and_a_table_gives_each():
    form = catalogue.parse(NORWEGIAN, "norwegian")
    date, mood = form.fields

    assert form.default_language == "nb"
    assert date.labels == {"nb": "Dato", "en": "Date"}
    assert date.helps == {"nb": "Dagen dere møttes."}
    assert mood.labels == {"nb": "Stemning"} and mood.helps == {}
    assert [choice.labels for choice in mood.values] == [
        {"nb": "Rolig", "en": "Calm"},
        {"nb": "Livlig"},
    ]
    assert form.languages == ("nb", "en")


def test_a_text_in_a_language_it_lacks_is_the_default_language_s():
    date, mood = catalogue.parse(NORWEGIAN, "norwegian").fields

    assert (date.label_in("en"), date.label_in("nb"), date.label_in("ar")) == (
        "Date",
        "Dato",
        "Dato",
    )
    assert date.help_in("en") == "Dagen dere møttes." and mood.help_in("en") == ""
    assert [choice.label_in("en") for choice in mood.values] == ["Calm", "Livlig"]
    assert mood.label_of("livlig") == "Livlig" and mood.label_of("gone") == "gone"


def test_outside_a_page_a_text_is_the_default_language_s(tmp_path):
    app = app_with(tmp_path, written(tmp_path, NORWEGIAN))
    date = app.extensions["catalogue"].fields[0]

    assert date.label == "Dato"
    with app.test_request_context("/api/v1/catalogue?lang=en"):
        assert date.label == "Dato"
    with app.test_request_context("/reports/new?lang=en"):
        assert date.label == "Date" and date.default_label == "Dato"


def test_the_table_s_languages_are_written_as_babel_writes_them():
    text = NORWEGIAN.replace('{ nb = "Dato", en = "Date" }', '{ NB = "Dato", pt-BR = "Data" }')

    assert catalogue.parse(text, "codes").fields[0].labels == {"nb": "Dato", "pt_BR": "Data"}


BAD_TEXTS = {
    "a table without the default language": (
        NORWEGIAN.replace('{ nb = "Dato", en = "Date" }', '{ en = "Date" }'),
        "field 'dato': `label` has no text in nb, the default language",
    ),
    "a choice's table without the default language": (
        NORWEGIAN.replace('{ nb = "Rolig", en = "Calm" }', '{ en = "Calm" }'),
        "field 'stemning': the label of the value 'rolig' has no text in nb, the default",
    ),
    "a help without the default language": (
        NORWEGIAN.replace('help = "Dagen dere møttes."', 'help = { en = "The day." }'),
        "field 'dato': `help` has no text in nb, the default language",
    ),
    "a code that is no language": (
        NORWEGIAN.replace('{ nb = "Dato", en = "Date" }', '{ nb = "Dato", xx = "Date" }'),
        "field 'dato': `label` is given in 'xx', which is not a language's code.",
    ),
    "a language given twice": (
        NORWEGIAN.replace('{ nb = "Dato", en = "Date" }', '{ nb = "Dato", NB = "Dato" }'),
        "field 'dato': `label` is given twice in nb.",
    ),
    "an empty text in a language": (
        NORWEGIAN.replace('{ nb = "Dato", en = "Date" }', '{ nb = "Dato", en = " " }'),
        "field 'dato': `label` in en must be a text of 1 to 500 characters",
    ),
    "a default language that is no language": (
        NORWEGIAN.replace('default_language = "nb"', 'default_language = "norsk"'),
        '`default_language` must be a language\'s code, such as "en" or "nb", not \'norsk\'.',
    ),
    "a table without English, English being the default": (
        NORWEGIAN.replace('default_language = "nb"\n', "").replace(', en = "Date"', ""),
        "field 'dato': `label` has no text in en, the default language",
    ),
}


@pytest.mark.parametrize("case", BAD_TEXTS)
def test_a_bad_table_of_texts_is_refused_in_one_line(tmp_path, case):
    text, reason = BAD_TEXTS[case]

    assert refused(tmp_path, text).startswith(reason)


def test_the_built_in_form_speaks_every_shipped_language():
    form = catalogue.built_in()

    assert form.default_language == "en"
    assert form.languages == SHIPPED
    assert form.lacking(SHIPPED) == []
    for field in form.fields:
        for _, texts in field.texts():
            others = [texts[code] for code in SHIPPED if code != "en"]
            assert texts["en"] not in others, texts  # each written, not copied
    assert form.by_name["attendance_count"].labels == {
        "en": "Attendance",
        "nb": "Oppmøte",
        "ar": "الحضور",
        "uk": "Відвідуваність",
    }


def test_a_field_named_like_the_labels_parameter_is_refused(tmp_path):
    text = catalogue.built_in_text().replace('name = "follow_up_needed"', 'name = "labels"')

    assert "'labels' is a query parameter already" in refused(tmp_path, text)


# The pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, label, hint, option",
    [
        ("en", "Session date", "The day of the session", "Very high"),
        ("nb", "Dato for samlingen", "Dagen samlingen ble holdt", "Svært høyt"),
        ("ar", "تاريخ الجلسة", "يوم الجلسة", "مرتفع جدًا"),
        ("uk", "Дата зустрічі", "День зустрічі", "Дуже висока"),
    ],
)
def test_the_form_asks_in_the_page_s_language(shipped, code, label, hint, option):
    _, _, pages = shipped
    body = text(pages.get(f"/reports/new?lang={code}"))

    assert f'<label for="session_date">{label}</label>' in body
    assert hint in body
    assert re.search(rf'<option value="very_high"[^>]*>{option}</option>', body), body


def test_each_language_s_form_is_its_own_after_another_s(shipped):
    """The form's inputs are kept per catalogue and language."""
    _, _, pages = shipped

    for code, label in [("nb", "Oppmøte"), ("en", "Attendance"), ("nb", "Oppmøte")]:
        body = text(pages.get(f"/reports/new?lang={code}"))
        assert f'<label for="attendance_count">{label}</label>' in body, code


def test_a_page_in_a_language_the_form_lacks_shows_the_default_language(tmp_path):
    app = app_with(tmp_path, written(tmp_path, NORWEGIAN), offered=("en", "ar"))
    _, pages = coordinator(app)

    english = text(pages.get("/reports/new?lang=en"))
    arabic = text(pages.get("/reports/new?lang=ar"))

    assert '<label for="dato">Date</label>' in english
    assert '<label for="stemning">Stemning</label>' in english
    assert re.search(r'<option value="rolig"[^>]*>Calm</option>', english)
    assert re.search(r'<option value="livlig"[^>]*>Livlig</option>', english)
    assert '<label for="dato">Dato</label>' in arabic
    assert "Dagen dere møttes." in arabic


def test_the_report_page_the_table_and_the_summary_speak_the_page_s_language(shipped):
    _, headers, pages = shipped
    report = {**CONTRACT_REPORT, "status": "submitted"}
    created = pages.application.test_client().post(REPORTS, json=report, headers=headers)
    assert created.status_code == 201, created.json
    report_id = created.json["report_id"]

    shown = text(pages.get(f"/reports/{report_id}?lang=uk"))
    table = text(pages.get("/reports?lang=nb"))
    summary = text(pages.get("/summary?lang=ar"))
    english = text(pages.get("/summary?lang=en"))

    assert "Відвідуваність" in shown and "Висока" in shown  # high
    assert "Deltakernes engasjement" in table and "Svært høyt" in table
    assert "تفاعل المشاركين" in summary and "مرتفع جدًا" in summary
    assert "Participant engagement" in english and "تفاعل المشاركين" not in english


# The API and the OpenAPI document ---------------------------------------------------------


def test_the_catalogue_s_answer_gives_the_default_language_and_every_language(tmp_path):
    app = app_with(tmp_path, written(tmp_path, NORWEGIAN))
    client = app.test_client()

    answer = client.get("/api/v1/catalogue", headers={"Accept-Language": "en"}).json
    date, mood = answer["fields"]

    assert (answer["default_language"], answer["languages"]) == ("nb", ["nb", "en"])
    assert (date["label"], date["labels"]) == ("Dato", {"nb": "Dato", "en": "Date"})
    assert (date["help"], date["helps"]) == ("Dagen dere møttes.", {"nb": "Dagen dere møttes."})
    assert (mood["help"], mood["helps"]) == ("", {})
    assert mood["values"] == [
        {"value": "rolig", "label": "Rolig", "labels": {"nb": "Rolig", "en": "Calm"}},
        {"value": "livlig", "label": "Livlig", "labels": {"nb": "Livlig"}},
    ]


def test_the_document_keeps_the_default_language_after_a_page_in_another(shipped):
    """A page may be the first to build the catalogue's schemas: their titles
    are the default language's all the same."""
    app, headers, pages = shipped
    assert pages.get("/reports?lang=nb&participant_engagement=high").status_code == 200

    document = app.test_client().get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]

    assert schemas["ReportFields"]["properties"]["attendance_count"]["title"] == "Attendance"
    field = schemas["CatalogueField"]["properties"]
    assert field["labels"]["additionalProperties"] == {"type": "string"}
    assert {"label", "labels", "help", "helps"} <= set(schemas["CatalogueField"]["required"])
    parameters = document["components"]["parameters"]
    assert parameters["QueryLabels"]["schema"]["type"] == "string"


# `catalogue check` ------------------------------------------------------------------------


def check(app):
    result = app.test_cli_runner().invoke(args=["catalogue", "check"])
    assert "Traceback" not in result.output
    return result


def test_check_warns_once_of_each_field_whose_texts_lack_a_language_of_the_pages(tmp_path):
    app = app_with(tmp_path, written(tmp_path, NORWEGIAN), offered=("en", "nb", "uk"))

    result = check(app)

    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["Every report fits the catalogue (version nb-1)."]
    assert result.stderr.splitlines() == [
        "Warning: field 'dato' has no text for `label` in ar, uk; `help` in en, ar, uk: a page "
        "in a language it lacks shows the nb text.",
        "Warning: field 'stemning' has no text for `label` in en, ar, uk; the label of the "
        "value 'rolig' in ar, uk; the label of the value 'livlig' in en, ar, uk: a page in a "
        "language it lacks shows the nb text.",
    ]


def test_check_of_the_built_in_form_in_the_shipped_languages_warns_of_nothing(tmp_path):
    result = check(app_with(tmp_path))

    assert result.exit_code == 0 and result.stderr == ""


def test_the_warnings_the_catalogue_page_shows_are_those_of_its_example():
    page = text_of(DOCS / "catalogue.md")
    example = catalogue.parse(code_blocks(page, "toml")[1], "docs/catalogue.md's second")
    shown = code_blocks(page, "text")

    assert list(cli._missing_languages(example, SHIPPED)) == shown[0].splitlines()


# Exports with a row of labels, and their import ----------------------------------------------


@pytest.fixture
def exported(shipped):
    """The shipped app with two reports: (app, API client, API headers)."""
    app, headers, _ = shipped
    client = app.test_client()
    for status in ("draft", "submitted"):
        created = client.post(REPORTS, json={**CONTRACT_REPORT, "status": status}, headers=headers)
        assert created.status_code == 201, created.json
    return app, client, headers


def csv_lines(response):
    assert response.status_code == 200, response.data[:300]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def test_a_csv_with_labels_starts_with_the_fields_labels_above_the_columns_names(exported):
    _, client, headers = exported

    labels, names, *rows = csv_lines(client.get(f"{REPORTS}?format=csv&labels=nb", headers=headers))

    assert names == list(formats.COLUMNS)
    assert len(rows) == 2
    by_name = dict(zip(names, labels, strict=True))
    assert by_name["session_date"] == "Dato for samlingen"
    assert by_name["participant_engagement"] == "Deltakernes engasjement"
    assert by_name["report_id"] == by_name["review_state"] == ""
    plain = csv_lines(client.get(f"{REPORTS}?format=csv", headers=headers))
    assert plain[0] == names and len(plain) == 3


def test_an_xlsx_with_labels_has_both_rows_bold_and_in_view(exported):
    _, client, headers = exported
    with client.get(f"{REPORTS}?format=xlsx&labels=ar", headers=headers) as response:
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.data))["reports"]

    labels, names = ([cell.value for cell in sheet[number]] for number in (1, 2))
    assert names == list(formats.COLUMNS)
    by_name = dict(zip(names, labels, strict=True))
    assert by_name["attendance_count"] == "الحضور"
    assert by_name["report_id"] is None
    assert all(cell.font.b for cell in sheet[2])
    assert sheet.cell(1, names.index("attendance_count") + 1).font.b
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref.startswith("A2:") and sheet.auto_filter.ref.endswith("4")


def test_labels_in_a_language_a_field_lacks_are_the_default_language_s(tmp_path):
    app = app_with(tmp_path, written(tmp_path, NORWEGIAN), offered=("en",))
    client = app.test_client()

    labels, names = csv_lines(client.get(f"{REPORTS}?format=csv&labels=en"))[:2]

    by_name = dict(zip(names, labels, strict=True))
    assert (by_name["dato"], by_name["stemning"]) == ("Date", "Stemning")


@pytest.mark.parametrize(
    "query, message",
    [
        ("format=csv&labels=fr", "Not a language of the report form, which has en, nb, ar, uk."),
        ("format=xlsx&labels=xx", "Not a language of the report form, which has en, nb, ar, uk."),
        ("format=csv&labels=<b>", "Must be a language's code, such as en, nb, ar or uk."),
        ("format=ndjson&labels=nb", "Only with format csv or xlsx."),
        ("labels=nb", "Only with format csv or xlsx."),
    ],
)
def test_labels_of_no_language_of_the_form_or_without_a_spreadsheet_are_refused(
    exported, query, message
):
    _, client, headers = exported

    response = client.get(f"{REPORTS}?{query}", headers=headers)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == {"labels": [message]}


def test_labels_may_be_written_as_a_browser_writes_a_language(exported):
    _, client, headers = exported

    labels = csv_lines(client.get(f"{REPORTS}?format=csv&labels=NB", headers=headers))[0]

    assert "Oppmøte" in labels


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_an_export_with_labels_imports_as_one_without(exported, second_app, tmp_path, export):
    app, client, headers = exported
    path = tmp_path / f"reports.{export}"
    with client.get(f"{REPORTS}?format={export}&labels=uk", headers=headers) as response:
        path.write_bytes(response.data)

    result = import_file(second_app, path)

    assert result.exit_code == 0, result.output
    assert "Imported 2 reports" in result.output
    assert every_report(second_app) == every_report(app, headers)


def test_a_bad_row_under_labels_keeps_its_line_number(second_app, tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text(
        ",,,Dato for samlingen,Oppmøte\r\n"
        "activity_id,peer_mentor_id,org_id,session_date,attendance_count\r\n"
        "act_7b4e9f2a,usr_mentor_042,org_nansen_01,2026-03-20,many\r\n",
        encoding="utf-8",
    )

    result = import_file(second_app, path)

    assert result.exit_code == 1
    assert f"{path}:3: " in result.output and "attendance_count" in result.output


def test_a_first_row_that_names_no_columns_above_no_header_is_still_refused(tmp_path):
    lines = io.StringIO("Dato,Oppmøte\r\nstill,not names\r\n")

    with pytest.raises(formats.FormatError, match="^line 1: unknown columns Dato, Oppmøte"):
        list(formats.read_csv(lines))


def test_the_youth_club_s_form_in_english_only_offers_labels_in_english(tmp_path):
    app = app_with(tmp_path, YOUTH_CLUB, offered=("en",))
    client = app.test_client()

    assert client.get(f"{REPORTS}?format=csv&labels=en").status_code == 200
    refused = client.get(f"{REPORTS}?format=csv&labels=nb")
    assert refused.status_code == 422
    assert refused.json["errors"] == {
        "labels": ["Not a language of the report form, which has en."]
    }
