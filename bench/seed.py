"""Seed a database with N realistic reports through the project's own schema.

    python bench/seed.py --reports 1000000 --database bench/data/reports-1000000.sqlite

Each report has the history a real one would: created as a draft by its
mentor, most of them submitted, and most of the submitted ones reviewed by a
coordinator (approved, has issues, rejected) some days later. One mentor in
twenty is no mentor at all: a busy one, usr_mentor_00000, files one report in
twenty, thousands at 100,000. The trash holds the reports deleted in its last
TRASH_DAYS days, beyond the N.

Also writes DATABASE.ids: a sample of report, mentor and activity ids, one
"KIND ID" a line, for the load generator.
"""

import argparse
import json
import random
import secrets
import sqlite3
import time
from datetime import UTC, datetime, timedelta

from reports.config import DEFAULTS
from reports.db import add_functions, init_db

BATCH = 50_000
SPAN = timedelta(days=730)
TOPICS = ["Job application support", "CV writing", "Budgeting", "Housing rights", "Møte om helse"]
NOTES = "Group discussed next steps. Two participants asked for referrals. " * 3
SAMPLE = 10_000
# The mentor with the most reports, and its share of them.
BUSY_MENTOR = "usr_mentor_00000"
BUSY_SHARE = 0.05
COORDINATORS = ["coordinator_1", "coordinator_2", "coordinator_3"]
# Of the submitted reports, how many a coordinator reviews (once the review is
# due) and with what outcome.
REVIEWED_SHARE = 0.85
REVIEW_DELAY = (timedelta(hours=1), timedelta(days=14))
OUTCOMES = [("approved", 0.80), ("has_issues", 0.15), ("rejected", 0.05)]
COMMENTS = {
    "approved": ["", "", "Thanks, a clear report."],
    "has_issues": ["Please add the attendance register.", "How long was the session?",
                   "Which referrals were made, and to whom?"],
    "rejected": ["This session was reported twice."],
}  # fmt: skip
# Of the reports of the trash's last TRASH_DAYS days, how many were deleted.
DELETED_SHARE = 0.02
TRASH_DAYS = DEFAULTS["TRASH_DAYS"]
# What a challenge is about: each of these words is in about one report in 80,
# as a participant's name or a particular problem would be.
CHALLENGES = [
    "eviction", "interpreter", "childcare", "transport", "debt", "visa", "dyslexia",
    "shift work", "diabetes", "landlord", "pension", "broadband", "scholarship", "asthma",
    "tribunal", "apprenticeship", "allotment", "benefits", "mortgage", "bicycle",
    "laptop", "driving licence", "bereavement", "insomnia", "volunteering", "bus pass",
    "caretaker", "wheelchair", "homework", "citizenship", "tenancy", "overtime", "dentist",
    "vaccination", "library card", "bank account", "phone contract", "council tax",
    "night school", "food bank",
]  # fmt: skip


def report_ids(count):
    ids = set()
    while len(ids) < count:
        ids.add(f"rpt_{secrets.token_hex(4)}")
    ids = list(ids)
    random.shuffle(ids)
    return ids


def some_fields(rng, day):
    """A random, valid subset of the catalogue; always submittable."""
    fields = {
        "session_date": day,
        "attendance_count": rng.randint(0, 40),
        "session_topic": rng.choice(TOPICS),
    }
    if rng.random() < 0.8:
        fields["participant_engagement"] = rng.choice(["low", "medium", "high", "very_high"])
    if rng.random() < 0.5:
        fields["challenges_noted"] = f"Language barrier; {rng.choice(CHALLENGES)}"
    if rng.random() < 0.7:
        fields["mentor_notes"] = NOTES
    if rng.random() < 0.5:
        fields["way_forward"] = rng.choice(["Referral letters by Friday", " "])
    if rng.random() < 0.6:
        fields["duration_minutes"] = rng.randint(30, 180)
    if rng.random() < 0.5:
        fields["follow_up_needed"] = rng.random() < 0.5
    return fields


def rows(ids, mentors, activities, rng, now, span=SPAN):
    """Each report (a row of `report`), spread evenly over the `span` before `now`."""
    start = now - span
    step = span / max(1, len(ids))
    for number, report_id in enumerate(ids):
        created = start + step * number
        created_at = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = some_fields(rng, created.date().isoformat())
        submitted = rng.random() < 0.7
        submitted_at = (created + timedelta(minutes=rng.randint(0, 60))) if submitted else None
        updated_at = submitted_at or created
        mentor = f"usr_mentor_{rng.randrange(mentors):05d}"
        yield {
            "report_id": report_id,
            "activity_id": f"act_{rng.randrange(activities):06d}",
            "peer_mentor_id": BUSY_MENTOR if rng.random() < BUSY_SHARE else mentor,
            "org_id": f"org_{rng.randrange(4):02d}",
            "status": "submitted" if submitted else "draft",
            "fields": json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
            "field_count": len(fields),
            "has_way_forward": int(bool(fields.get("way_forward", "").strip())),
            "submitted_at": submitted_at and stamp(submitted_at),
            "created_at": created_at,
            "updated_at": stamp(updated_at),
            "version": 2 if submitted else 1,
        }


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(timestamp):
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def review(row, rng, now):
    """A coordinator's review of a submitted report, once one is due; None
    while it has none. Sets the report's version and time to the review's."""
    if row["status"] != "submitted" or rng.random() >= REVIEWED_SHARE:
        return None
    low, high = REVIEW_DELAY
    reviewed = parse(row["submitted_at"]) + low + (high - low) * rng.random()
    if reviewed > now:
        return None
    state = rng.choices([s for s, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
    row.update(updated_at=stamp(reviewed), version=3)
    return {
        "report_id": row["report_id"],
        "review_state": state,
        "comment": rng.choice(COMMENTS[state]),
        "reviewed_by": rng.choice(COORDINATORS),
        "reviewed_at": stamp(reviewed),
    }


def changes(row, reviewed):
    """The report's history as the service records it: (change, detail or None)."""
    made = {"report_id": row["report_id"], "peer_mentor_id": row["peer_mentor_id"]}
    mentor = row["peer_mentor_id"]
    yield {**made, "version": 1, "action": "create", "actor": mentor,
           "changed_at": row["created_at"]}, None  # fmt: skip
    if row["status"] == "submitted":
        yield (
            {**made, "version": 2, "action": "submit", "actor": mentor,
             "changed_at": row["submitted_at"]},
            {"status": {"before": "draft", "after": "submitted"}},
        )  # fmt: skip
    if reviewed is not None:
        yield (
            {**made, "version": 3, "action": "review", "actor": reviewed["reviewed_by"],
             "changed_at": reviewed["reviewed_at"]},
            {"review_state": {"before": None, "after": reviewed["review_state"]},
             "comment": reviewed["comment"]},
        )  # fmt: skip


def trashed(row, reviewed, rng, now):
    """The trash's entry of a deleted report, and the delete's change."""
    deleted = parse(row["updated_at"]) + (now - parse(row["updated_at"])) * rng.random()
    deleted_by = rng.choice(COORDINATORS) if row["status"] == "submitted" else row["peer_mentor_id"]
    entry = {
        "report_id": row["report_id"],
        "report": json.dumps(row, ensure_ascii=False),
        "review": None
        if reviewed is None
        else json.dumps(
            {
                key: reviewed[key]
                for key in ("review_state", "comment", "reviewed_by", "reviewed_at")
            }
        ),
        "deleted_at": stamp(deleted),
        "deleted_by": deleted_by,
    }
    change = {"report_id": row["report_id"], "peer_mentor_id": row["peer_mentor_id"],
              "version": row["version"], "action": "delete", "actor": deleted_by,
              "changed_at": stamp(deleted)}  # fmt: skip
    return entry, change


def seed(path, count):
    rng, stories = random.Random(42), random.Random(7)
    mentors, activities = max(50, count // 200), max(100, count // 20)
    now = datetime.now(UTC).replace(microsecond=0)
    # The reports deleted in the trash's days: a share of those days' reports.
    deleted = round(count * (TRASH_DAYS / SPAN.days) * DELETED_SHARE)
    ids = report_ids(count + deleted)
    init_db(path)
    db = sqlite3.connect(path, isolation_level=None)
    add_functions(db)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    writer = Writer(db)
    for row in rows(ids[:count], mentors, activities, rng, now):
        reviewed = review(row, stories, now)
        writer.add(row, reviewed, changes(row, reviewed))
    trash_span = timedelta(days=TRASH_DAYS)
    for row in rows(ids[count:], mentors, activities, rng, now - timedelta(days=1), trash_span):
        reviewed = review(row, stories, now)
        entry, delete = trashed(row, reviewed, stories, now)
        writer.add(None, None, [*changes(row, reviewed), (delete, None)], entry)
    writer.flush()
    # A database that grew one report at a time has its search index merged
    # as it went; one filled in bulk must merge it once, or the first writes do.
    db.execute("INSERT INTO report_text (report_text) VALUES ('optimize')")
    write_id_sample(db, path + ".ids")
    db.close()


class Writer:
    """Inserts the reports, reviews, changes and trash in batches of BATCH reports."""

    STATEMENTS = {
        "report": "report_id, activity_id, peer_mentor_id, org_id, status, fields, field_count, "
        "has_way_forward, submitted_at, created_at, updated_at, version",
        "report_review": "report_id, review_state, comment, reviewed_by, reviewed_at",
        "report_change": "change_id, report_id, peer_mentor_id, version, action, actor, changed_at",
        "report_change_detail": "change_id, detail",
        "report_trash": "report_id, report, review, deleted_at, deleted_by",
    }

    def __init__(self, db):
        self.db = db
        self.inserts = {
            table: f"INSERT INTO {table} ({columns}) VALUES "
            f"({', '.join(':' + name for name in columns.split(', '))})"
            for table, columns in self.STATEMENTS.items()
        }
        self.batch = {table: [] for table in self.STATEMENTS}
        self.reports = 0
        self.change_id = db.execute("SELECT coalesce(max(change_id), 0) FROM report_change")
        self.change_id = self.change_id.fetchone()[0]

    def add(self, row, reviewed, history, trash_entry=None):
        if row is not None:
            self.batch["report"].append(row)
        if reviewed is not None:
            self.batch["report_review"].append(reviewed)
        for change, detail in history:
            self.change_id += 1
            self.batch["report_change"].append({**change, "change_id": self.change_id})
            if detail is not None:
                self.batch["report_change_detail"].append(
                    {"change_id": self.change_id, "detail": json.dumps(detail)}
                )
        if trash_entry is not None:
            self.batch["report_trash"].append(trash_entry)
        self.reports += 1
        if self.reports % BATCH == 0:
            self.flush()

    def flush(self):
        self.db.execute("BEGIN")
        for table, batch in self.batch.items():
            self.db.executemany(self.inserts[table], batch)
            batch.clear()
        self.db.execute("COMMIT")


def write_id_sample(db, path):
    sample = {
        "report": "SELECT report_id FROM report ORDER BY random() LIMIT :n",
        "mentor": "SELECT DISTINCT peer_mentor_id FROM report LIMIT :n",
        "activity": "SELECT DISTINCT activity_id FROM report LIMIT :n",
    }
    with open(path, "w") as out:
        for kind, sql in sample.items():
            for (value,) in db.execute(sql, {"n": SAMPLE}):
                out.write(f"{kind} {value}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    seed(args.database, args.reports)
    print(f"Seeded {args.reports} reports in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
