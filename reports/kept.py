"""Answers kept for the next request that asks the same: a small cache of the
ones used last, safe to share between the serving threads.

What a kept answer depends on is in its key (a generation of the reports, a
catalogue object), so nothing is ever invalidated: a changed input is a new key,
and the old entry ages out."""

import threading
from collections import OrderedDict

from flask import current_app


class Kept:
    """The `size` answers used last, each under its key."""

    def __init__(self, size):
        self.size = size
        self.answers = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        """The answer kept under `key`, or None."""
        with self.lock:
            answer = self.answers.get(key)
            if answer is not None:
                self.answers.move_to_end(key)
            return answer

    def put(self, key, answer):
        with self.lock:
            self.answers[key] = answer
            self.answers.move_to_end(key)
            while len(self.answers) > self.size:
                self.answers.popitem(last=False)

    def get_or_make(self, key, make):
        """The answer kept under `key`, or `make()`'s, kept. Two threads that ask
        at once may both make it: cheaper than making one wait on the other."""
        answer = self.get(key)
        if answer is None:
            answer = make()
            self.put(key, answer)
        return answer

    def __len__(self):
        return len(self.answers)


def kept_for_app(name, size):
    """The current app's Kept of this name, made on first use: two apps in one
    process (tests, a read-only copy beside its primary) never share answers."""
    extensions = current_app.extensions
    kept = extensions.get(name)
    if kept is None:
        kept = extensions.setdefault(name, Kept(size))
    return kept
