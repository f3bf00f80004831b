"""Times, dates, months and numbers as the pages write them for people, in the
page's language (Babel's data for it): "7 Dec 2026, 07:04" in the
organisation's zone (the setting TIME_ZONE), "7 Dec 2026", "Jun 2026" in
English; "7. des. 2026, 07:04" in Norwegian. The API, the exports and the CSV
keep their machine values; only the pages and their charts use these."""

import functools
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext

from reports import languages

UTC_ZONE = "UTC"
# English is written as in Britain, day before month: "7 Dec 2026".
LOCALES = {"en": "en_GB"}


def locale(language=None):
    """Babel's locale of `language`, by default the page's."""
    return _locale_of(language or languages.current())


@functools.cache
def _locale_of(code):
    return Locale.parse(LOCALES.get(code, code))


def month_name(number, language=None):
    """The short name of month `number` (1 to 12): "Jun"."""
    return format_skeleton("MMM", date(2000, number, 1), locale=locale(language))


def zone(name):
    """The zone named `name` (an IANA name, such as Europe/Oslo)."""
    return ZoneInfo(name)


def when(stamp, zone_name=UTC_ZONE, language=None):
    """A UTC time as the API writes it (YYYY-MM-DDTHH:MM:SSZ) in the zone
    `zone_name`, for people: "7 Dec 2026, 07:04"."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    local = moment.astimezone(zone(zone_name)).replace(tzinfo=None)
    written = locale(language)
    both = written.datetime_formats.get("medium", "{1} {0}")
    return both.format(
        format_skeleton("Hm", local, locale=written),
        format_skeleton("yMMMd", local, locale=written),
    )


def day(value, language=None):
    """A date as the API writes it (YYYY-MM-DD), for people: "7 Dec 2026"."""
    return day_of(date.fromisoformat(value), language)


def day_of(value, language=None):
    return format_skeleton("yMMMd", value, locale=locale(language))


def month(value, language=None):
    """A month as the summary writes it (YYYY-MM), for people: "Jun 2026"."""
    return format_skeleton(
        "yMMM", date(int(value[:4]), int(value[5:7]), 1), locale=locale(language)
    )


def number(value, language=None):
    """A count or a decimal as the page's language writes it: "12,345.5",
    "12 345,5"; a decimal (or its string) with as many places as it has."""
    if isinstance(value, str | Decimal):
        value = Decimal(value)
        places = max(0, -value.as_tuple().exponent)
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(value, format=pattern, locale=locale(language))
    return format_decimal(value, locale=locale(language))


def zone_in_words(zone_name):
    """The zone as a hint says it, in the page's language: "Europe/Oslo time",
    or, for UTC, "universal time"."""
    return _("universal time") if zone_name == UTC_ZONE else _("%(zone)s time", zone=zone_name)


def minutes(count, language=None):
    """A number of minutes in words: "15 minutes", "1 minute"."""
    return ngettext("%(count)s minute", "%(count)s minutes", count, count=number(count, language))
