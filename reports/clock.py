"""The one place the service reads the time, so tests can set it."""

from datetime import UTC, datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now():
    return datetime.now(UTC)


def timestamp():
    """The current UTC time as the API writes it: YYYY-MM-DDTHH:MM:SSZ."""
    return now().strftime(TIMESTAMP_FORMAT)


def today():
    """Today's date in UTC, as YYYY-MM-DD."""
    return now().date().isoformat()
