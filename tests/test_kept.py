"""Answers kept for the next request (reports/kept.py): the last ones used,
each app with its own."""

import pytest

from reports import create_app
from reports.kept import Kept, kept_for_app


def test_the_answer_used_least_lately_goes_first():
    kept = Kept(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "a" is now the one used last
    kept.put("c", 3)

    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    assert len(kept) == 2


def test_an_answer_is_made_once_and_then_kept():
    kept = Kept(4)
    made = []

    def make():
        made.append(1)
        return len(made)

    assert kept.get_or_make("key", make) == kept.get_or_make("key", make) == 1
    assert made == [1]


@pytest.mark.parametrize("count", [0, 1])
def test_a_falsy_answer_is_kept_too(count):
    kept = Kept(4)
    kept.get_or_make("key", lambda: count)

    assert kept.get_or_make("key", lambda: pytest.fail("made again")) == count


def test_two_apps_never_share_what_they_keep(database):
    first, second = (create_app({"TESTING": True, "DATABASE": database}) for _ in range(2))
    with first.app_context():
        kept = kept_for_app("reports.test", 4)
        kept.put("key", "first's")
        assert kept_for_app("reports.test", 4) is kept
    with second.app_context():
        assert kept_for_app("reports.test", 4).get("key") is None
