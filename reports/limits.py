"""How much heavy work runs at once: a few exports (MAX_EXPORTS) and a few
searches, summaries, deep pages and heavy web pages (MAX_SEARCHES). A request
beyond the limit is refused at once (`Busy`, a 503 with Retry-After), never
left waiting on a thread, so that cheap requests always find one free."""

import functools
import threading
from contextlib import contextmanager

from flask import current_app, g

# The kinds of heavy work, by the setting that limits each.
SETTINGS = {"export": "MAX_EXPORTS", "search": "MAX_SEARCHES"}
WHAT = {"export": "exports", "search": "searches, summaries and heavy pages"}

_lock = threading.Lock()


class Busy(Exception):
    """As much work of this kind as the server allows is under way."""

    def __init__(self, kind, limit):
        super().__init__(
            f"The server is running as many {WHAT[kind]} as it allows at once ({limit}): "
            "try again in a few seconds."
        )


class Slots:
    """At most `size` holders at once; taking one never waits."""

    def __init__(self, kind, size):
        self.kind = kind
        self.size = size
        self.taken = 0
        self.lock = threading.Lock()

    def take(self):
        """A slot, or Busy when all are taken. Give it back with `release`."""
        with self.lock:
            if self.taken >= self.size:
                raise Busy(self.kind, self.size)
            self.taken += 1
        return Slot(self)

    def _give_back(self):
        with self.lock:
            self.taken -= 1


class Slot:
    def __init__(self, slots):
        self.slots = slots
        self.held = True

    def release(self):
        """Give the slot back; a second call does nothing."""
        if self.held:
            self.held = False
            self.slots._give_back()


def slots(kind):
    """The app's slots for `kind` of work, sized by its setting."""
    extensions = current_app.extensions
    with _lock:
        if kind not in extensions.setdefault("reports.limits", {}):
            size = current_app.config[SETTINGS[kind]]
            extensions["reports.limits"][kind] = Slots(kind, size)
        return extensions["reports.limits"][kind]


def take(kind):
    return slots(kind).take()


@contextmanager
def holding(kind):
    """Run the block in a slot of `kind`: Busy at once when none is free. Inside
    a block that holds one already, in the same request, the block runs in that
    one: a page holds a slot while it renders, and the service it calls takes
    one for a heavy query."""
    held = g.setdefault("limits_held", set())
    if kind in held:
        yield
        return
    slot = take(kind)
    held.add(kind)
    try:
        yield
    finally:
        held.discard(kind)
        slot.release()


def limited(kind):
    """A view that runs, its rendering included, in a slot of `kind`."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            with holding(kind):
                return view(**kwargs)

        return wrapped

    return decorate
