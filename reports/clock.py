"""The one place the service reads the time, so tests can set it, and the one
place a time is written as the API writes it."""

from datetime import UTC, datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now():
    return datetime.now(UTC)


# The seconds stamped lately, and their text: a request stamps a few seconds,
# the same ones as the request before, and strftime costs more than a lookup.
_stamps = {}
STAMPS_KEPT = 16


def stamp(moment):
    """`moment` as the API writes a time: YYYY-MM-DDTHH:MM:SSZ."""
    second = moment.timetuple()[:6]
    text = _stamps.get(second)
    if text is None:
        if len(_stamps) >= STAMPS_KEPT:
            _stamps.clear()
        text = _stamps[second] = moment.strftime(TIMESTAMP_FORMAT)
    return text


def stamp_ago(span, since=None):
    """The time `span` (a timedelta) before `since`, by default now, as `stamp`
    writes it: the cutoff of whatever is older than `span`."""
    return stamp((now() if since is None else since) - span)


def timestamp():
    """The current UTC time as the API writes it: YYYY-MM-DDTHH:MM:SSZ."""
    return stamp(now())


def today():
    """Today's date in UTC, as YYYY-MM-DD."""
    return now().date().isoformat()


def parse(written):
    """A time as `stamp` writes it, as an aware UTC datetime."""
    return datetime.strptime(written, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
