"""The one writer of the database, which runs every write transaction (group
commit), and what shuts it down: checkpoints and the close at exit."""

import queue
import sqlite3
import threading
from concurrent.futures import Future

from flask import current_app

from reports.db import connections
from reports.db.per_file import PER_FILE
from reports.read_only import ReadOnlyCopy, is_read_only


def write(work):
    """Run `work(db)` in a write transaction and return what it returns, once
    the transaction is on disk. What it raises is raised here, and then nothing
    of it was written."""
    return submit(work).result()


def submit(work):
    """Queue `work(db)` for a write transaction and return its Future at once,
    for writes nobody waits on (such as noting when a token was last used).
    A read-only copy writes nothing: ReadOnlyCopy, whatever asked."""
    if is_read_only():
        raise ReadOnlyCopy()
    return GroupCommit.for_database(current_app.config["DATABASE"]).submit(work)


class GroupCommit:
    """The one writer of a database. Writes queue here; the writer runs those
    waiting in one transaction, each in a savepoint of its own, commits once,
    and only then answers each. Concurrent writes so share one sync to disk,
    and wait in line instead of polling SQLite's lock."""

    MAX_BATCH = 64

    @classmethod
    def for_database(cls, path):
        """The writer of `path`. A process serves one database at a time, so a
        writer for another one (left by an earlier app, as in tests) retires."""
        with PER_FILE.writers_lock:
            writers = PER_FILE.writers
            if path not in writers:
                for other in writers.values():
                    other.retire()
                writer = cls(path)
                writers.clear()
                writers[path] = writer
            return writers[path]

    def __init__(self, path):
        # Only the writer thread uses it; tests may reach in while it is idle.
        self.path = path
        self.connection = connections.connect(path, check_same_thread=False)
        connections.watch(path)
        self.in_wal_mode = self.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        self.wal_identity = None
        self.jobs = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=self._write_forever, name=f"writer {path}", daemon=True
        )
        self.thread.start()

    def submit(self, work):
        done = Future()
        self.jobs.put((work, done))
        return done

    def run(self, work):
        return self.submit(work).result()

    def retire(self):
        """Stop once the writes already queued are done."""
        self.jobs.put(None)

    @classmethod
    def close(cls, path, timeout=30):
        """Finish the writes queued for `path` and close its writer."""
        with PER_FILE.writers_lock:
            writer = PER_FILE.writers.pop(path, None)
        if writer is not None:
            writer.retire()
            writer.thread.join(timeout)

    def _write_forever(self):
        while True:
            batch = [self.jobs.get()]
            while len(batch) < self.MAX_BATCH and not self.jobs.empty():
                batch.append(self.jobs.get())
            retired = None in batch
            self._write([job for job in batch if job is not None])
            if retired:
                self.connection.close()
                return

    def _write(self, batch):
        if not batch:
            return
        db = self.connection
        outcomes = []
        try:
            connections.check_file(self.path)
            db.execute("BEGIN IMMEDIATE")
            for work, done in batch:
                outcomes.append((done, *self._in_savepoint(db, work)))
            db.execute("COMMIT")
            # A commit to a file deleted or replaced meanwhile is lost: never a 2xx for it.
            self._check_files()
        except Exception as error:
            # The disk or the lock failed the whole batch: none of it is written.
            self._roll_back()
            for _, done in batch:
                done.set_exception(error)
            return
        for done, result, error in outcomes:
            if error is None:
                done.set_result(result)
            else:
                done.set_exception(error)

    def _check_files(self):
        """Raise DatabaseGone if the database file, or the WAL that the writer
        commits to, is not the one it opened."""
        connections.check_file(self.path)
        if not self.in_wal_mode:
            return
        wal = connections.file_identity(f"{self.path}-wal")
        if self.wal_identity is None:
            self.wal_identity = wal
        if wal is None or wal != self.wal_identity:
            connections.mark_gone(self.path)
            raise connections.DatabaseGone(self.path)

    def _roll_back(self):
        try:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the writer must go on; the next BEGIN starts afresh

    @staticmethod
    def _in_savepoint(db, work):
        """(result, None), or (None, what it raised) with its writes undone. If
        SQLite gave up the whole transaction, the error is the batch's."""
        db.execute("SAVEPOINT job")
        try:
            result = work(db)
        except Exception as error:
            if not db.in_transaction:
                raise
            db.execute("ROLLBACK TO job")
            db.execute("RELEASE job")
            return None, error
        db.execute("RELEASE job")
        return result, None


# Under Litestream (REPLICATED), Litestream owns the WAL: it keeps a read
# transaction open on it, copies every frame, and checkpoints itself. A TRUNCATE
# or RESTART from the service would wait on that read transaction for
# BUSY_TIMEOUT_MS and, were it to win, reset the WAL under Litestream's feet;
# PASSIVE ones are allowed.


def checkpoint():
    """Copy the WAL into the database file and empty it (TRUNCATE), so that no
    old page image of deleted content stays in the -wal. Readers in a
    transaction can hold it up to BUSY_TIMEOUT_MS; what it could not do, the
    next checkpoint does. Under Litestream only PASSIVE: it copies what it can
    and never blocks, and Litestream empties the WAL."""
    mode = "PASSIVE" if current_app.config["REPLICATED"] else "TRUNCATE"
    db = connections.connect(current_app.config["DATABASE"])
    try:
        db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    finally:
        db.close()


def close_database(path, replicated=False):
    """At shutdown: finish the queued writes, then fold the WAL back into the
    database file, so that what is left on disk is one file, whole. Under
    Litestream (`replicated`) the WAL is left to it: it replicates the last
    frames and checkpoints when it stops."""
    GroupCommit.close(path)
    if replicated:
        return
    db = connections.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
