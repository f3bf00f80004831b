"""The one clock: times stamped as the API writes them."""

from datetime import UTC, datetime, timedelta

from reports import clock


def test_each_moment_is_stamped_to_its_second_whatever_was_stamped_before_it():
    first = datetime(2026, 3, 20, 14, 10, 0, 1, tzinfo=UTC)
    moments = [
        first,
        first.replace(microsecond=999_999),  # the same second
        first + timedelta(seconds=1),
        first,  # back to a second stamped before
        first.replace(year=2027),  # the same time of another day
        first.replace(tzinfo=None),
    ]

    assert [clock.stamp(moment) for moment in moments] == [
        "2026-03-20T14:10:00Z",
        "2026-03-20T14:10:00Z",
        "2026-03-20T14:10:01Z",
        "2026-03-20T14:10:00Z",
        "2027-03-20T14:10:00Z",
        "2026-03-20T14:10:00Z",
    ]


def test_a_time_ago_is_stamped_from_the_moment_given():
    since = datetime(2026, 3, 20, 14, 10, 30, tzinfo=UTC)

    assert clock.stamp_ago(timedelta(minutes=1), since=since) == "2026-03-20T14:09:30Z"
