"""Seed a database with N realistic reports through the project's own schema.

    python bench/seed.py --reports 1000000 --database bench/data/reports-1000000.sqlite

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

from reports.db import add_functions, init_db

BATCH = 50_000
SPAN = timedelta(days=730)
TOPICS = ["Job application support", "CV writing", "Budgeting", "Housing rights", "Møte om helse"]
NOTES = "Group discussed next steps. Two participants asked for referrals. " * 3
SAMPLE = 10_000
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


def rows(count, mentors, activities, rng):
    start = datetime.now(UTC) - SPAN
    step = SPAN / count
    for number, report_id in enumerate(report_ids(count)):
        created = start + step * number
        created_at = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = some_fields(rng, created.date().isoformat())
        submitted = rng.random() < 0.7
        submitted_at = (created + timedelta(minutes=rng.randint(0, 60))) if submitted else None
        updated_at = submitted_at or created
        yield {
            "report_id": report_id,
            "activity_id": f"act_{rng.randrange(activities):06d}",
            "peer_mentor_id": f"usr_mentor_{rng.randrange(mentors):05d}",
            "org_id": f"org_{rng.randrange(4):02d}",
            "status": "submitted" if submitted else "draft",
            "fields": json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
            "field_count": len(fields),
            "has_way_forward": int(bool(fields.get("way_forward", "").strip())),
            "submitted_at": submitted_at and submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at": created_at,
            "updated_at": updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def seed(path, count):
    rng = random.Random(42)
    mentors, activities = max(50, count // 200), max(100, count // 20)
    init_db(path)
    db = sqlite3.connect(path, isolation_level=None)
    add_functions(db)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    columns = list(next(rows(1, 1, 1, rng)))
    insert = (
        f"INSERT INTO report ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)})"
    )
    batch = []
    for row in rows(count, mentors, activities, rng):
        batch.append(row)
        if len(batch) == BATCH:
            db.execute("BEGIN")
            db.executemany(insert, batch)
            db.execute("COMMIT")
            batch = []
    if batch:
        db.execute("BEGIN")
        db.executemany(insert, batch)
        db.execute("COMMIT")
    # A database that grew one report at a time has its search index merged
    # as it went; one filled in bulk must merge it once, or the first writes do.
    db.execute("INSERT INTO report_text (report_text) VALUES ('optimize')")
    write_id_sample(db, path + ".ids")
    db.close()


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
