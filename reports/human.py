"""Times, dates and months as the pages write them for people: "7 Dec 2026,
07:04" in the organisation's zone (the setting TIME_ZONE), "7 Dec 2026",
"Jun 2026". The API, the exports and the CSV keep their machine values; only
the pages use these. The words are English for now: `month_name` is the one
function that knows them, so that a translation can take its place."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UTC_ZONE = "UTC"


def month_name(number):
    """The short name of month `number` (1 to 12): "Jun"."""
    return MONTH_NAMES[number - 1]


def zone(name):
    """The zone named `name` (an IANA name, such as Europe/Oslo)."""
    return ZoneInfo(name)


def when(stamp, zone_name=UTC_ZONE):
    """A UTC time as the API writes it (YYYY-MM-DDTHH:MM:SSZ) in the zone
    `zone_name`, for people: "7 Dec 2026, 07:04"."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    local = moment.astimezone(zone(zone_name))
    return f"{day_of(local.date())}, {local:%H:%M}"


def day(value):
    """A date as the API writes it (YYYY-MM-DD), for people: "7 Dec 2026"."""
    return day_of(date.fromisoformat(value))


def day_of(value):
    return f"{value.day} {month_name(value.month)} {value.year}"


def month(value):
    """A month as the summary writes it (YYYY-MM), for people: "Jun 2026"."""
    return f"{month_name(int(value[5:7]))} {int(value[:4])}"


def zone_in_words(zone_name):
    """The zone as a hint says it: "Europe/Oslo time", or, for UTC, "universal time"."""
    return "universal time" if zone_name == UTC_ZONE else f"{zone_name} time"
