"""What the process keeps per database file, whichever app opened it."""

import threading


class PerFile:
    """Per database file, not per app: two apps of one process that open the
    same file must share its one writer (two would contend for SQLite's write
    lock, and group commit would be lost), and must agree on which file was
    first opened at the path (a file replaced under one app is replaced under
    all). Keyed by the file's path."""

    def __init__(self):
        # (st_dev, st_ino) of the file first opened at each database path, and
        # the paths whose file has since gone (see connections.watch).
        self.identities = {}
        self.gone = set()
        # Until when (time.monotonic) the requests trust the last look at each path.
        self.looked_until = {}
        self.watch_lock = threading.Lock()
        # The one GroupCommit writer of each path (see writer.GroupCommit).
        self.writers = {}
        self.writers_lock = threading.Lock()


PER_FILE = PerFile()
