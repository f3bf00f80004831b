"""Times, dates and months for people (reports/human.py), and the pages'
filters that put them in a <time> (reports/web/display.py)."""

import pytest

from reports import human
from reports.web import display


def test_a_utc_time_in_utc():
    assert human.when("2026-12-07T06:04:54Z") == "7 Dec 2026, 06:04"


def test_a_utc_time_in_oslo_winter_and_summer():
    assert human.when("2026-12-07T06:04:54Z", "Europe/Oslo") == "7 Dec 2026, 07:04"
    assert human.when("2026-06-30T22:30:00Z", "Europe/Oslo") == "1 Jul 2026, 00:30"


def test_a_date_and_a_month():
    assert human.day("2026-12-07") == "7 Dec 2026"
    assert human.month("2026-06") == "Jun 2026"
    assert [human.month_name(number) for number in (1, 5, 12)] == ["Jan", "May", "Dec"]


def test_the_zone_in_words():
    assert human.zone_in_words("UTC") == "universal time"
    assert human.zone_in_words("Europe/Oslo") == "Europe/Oslo time"


@pytest.mark.parametrize(
    ("zone", "shown"), [("UTC", "7 Dec 2026, 06:04"), ("Europe/Oslo", "7 Dec 2026, 07:04")]
)
def test_the_when_filter_keeps_the_exact_utc_value_for_machines(app, zone, shown):
    app.config["TIME_ZONE"] = zone
    with app.app_context():
        written = str(display.when("2026-12-07T06:04:54Z"))

    assert written == f'<time datetime="2026-12-07T06:04:54Z">{shown}</time>'


def test_the_day_filter_and_what_is_missing(app):
    with app.app_context():
        assert str(display.day("2026-12-07")) == '<time datetime="2026-12-07">7 Dec 2026</time>'
        assert display.day(None) == "–" and display.when(None, "Not yet") == "Not yet"
        # A value that is not a date or time as the API writes it is shown as it is.
        assert display.day("someday") == "someday"


def test_the_filters_are_the_templates_own(app):
    with app.app_context():
        template = app.jinja_env.from_string("{{ at | when }} {{ on | day }}")
        written = template.render(at="2026-03-20T14:10:00Z", on="2026-03-20")

    assert written == (
        '<time datetime="2026-03-20T14:10:00Z">20 Mar 2026, 14:10</time> '
        '<time datetime="2026-03-20">20 Mar 2026</time>'
    )


def test_dates_and_months_are_written_as_the_language_writes_them():
    assert human.when("2026-12-07T06:04:54Z", "Europe/Oslo", language="nb") == "7. des. 2026, 07:04"
    assert human.day("2026-12-07", language="uk") == "7 груд. 2026\u202fр."
    assert human.month("2026-12", language="ar") == "ديسمبر 2026"
    assert human.month_name(12, language="nb") == "des"


def test_numbers_are_written_as_the_language_writes_them():
    assert human.number(12345.5) == "12,345.5"
    assert human.number(12345.5, language="nb") == "12\xa0345,5"
    assert human.number(12345, language="uk") == "12\xa0345"
