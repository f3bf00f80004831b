"""The statements of what the catalogue decides in the schema (see
reports/db/migrations.py, fit_to_catalogue): the indexes built from it, the
search index and its triggers, and the fields it has known."""

import json

from reports.queries.report_rows import field_value


def catalogue_layout(db):
    """What the catalogue-built indexes were built from, or None if unknown."""
    row = db.execute("SELECT layout FROM catalogue_layout").fetchone()
    return None if row is None else json.loads(row[0])


def save_catalogue_layout(db, layout):
    db.execute(
        "INSERT INTO catalogue_layout (only, layout) VALUES (1, :layout)"
        " ON CONFLICT (only) DO UPDATE SET layout = excluded.layout",
        {"layout": json.dumps(layout)},
    )


def table_exists(db, name):
    found = db.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = :name", {"name": name}
    )
    return found.fetchone() is not None


def count_all_reports(db):
    return db.execute("SELECT count(*) FROM report").fetchone()[0]


def drop_session_date_index(db):
    db.execute("DROP INDEX IF EXISTS report_by_session_date")


def create_session_date_index(db, session_date, indexed_filters):
    """The index of the session date, with the status and the filter fields a
    coordinator narrows a period by, so that counting "submitted in March,
    follow-up needed" reads the index alone. It is built on the very
    expressions the queries use (CatalogueSQL)."""
    columns = [
        f"coalesce({field_value(session_date)}, '')",
        "status",
        *(field_value(name) for name in indexed_filters),
        "has_way_forward",
        "created_at",
    ]
    listed = ",\n    ".join(columns)
    db.execute(f"CREATE INDEX IF NOT EXISTS report_by_session_date ON report (\n    {listed}\n)")


SEARCH_TRIGGERS = ("report_text_on_insert", "report_text_on_update", "report_text_on_delete")
# How the search index reads text: see create_search_index.
TOKENIZE = "unicode61 remove_diacritics 2 categories ''L* N* Co So''"


def drop_search_index(db):
    for trigger in SEARCH_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.execute("DROP TABLE IF EXISTS report_text")


def create_search_index(db, searchable):
    """Full-text search over the searchable fields of each report (rowid =
    report.seq), kept by triggers in the same transaction as every write. It
    keeps no copy of the text (content='') and no column sizes (no ranking), so
    that a write costs as few pages as it can; a removal therefore names the old
    text. It indexes the text as search_text() gives it (reports/search.py,
    registered on every connection of the service): each CJK ideograph, kana
    and emoji a word of its own; symbols (category So, emoji among them) are
    word characters. With no searchable field, it has one column that stays empty."""
    columns = ", ".join(searchable or ("nothing_searchable",))
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS report_text USING fts5 (\n"
        f"    {columns},\n"
        f"    content = '', columnsize = 0,\n"
        f"    tokenize = '{TOKENIZE}'\n)"
    )
    if not searchable:
        return

    def texts(row):
        return ", ".join(
            f"search_text({field_value(name, f'{row}.fields')})" for name in searchable
        )

    add = f"INSERT INTO report_text (rowid, {columns}) VALUES (NEW.seq, {texts('NEW')});"
    remove = (
        f"INSERT INTO report_text (report_text, rowid, {columns})"
        f" VALUES ('delete', OLD.seq, {texts('OLD')});"
    )
    triggers = {
        "report_text_on_insert": ("AFTER INSERT", add),
        "report_text_on_update": ("AFTER UPDATE OF fields", f"{remove}\n    {add}"),
        "report_text_on_delete": ("AFTER DELETE", remove),
    }
    for name, (event, body) in triggers.items():
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {event} ON report\nBEGIN\n    {body}\nEND")


def fill_search_index(db, searchable, after_seq, limit):
    """Index the text of `limit` reports after seq `after_seq`; returns the
    last seq indexed, None when there were none."""
    columns = ", ".join(searchable)
    texts = ", ".join(f"search_text({field_value(name)})" for name in searchable)
    last = db.execute(
        "SELECT max(seq) FROM"
        " (SELECT seq FROM report WHERE seq > :after ORDER BY seq LIMIT :limit)",
        {"after": after_seq, "limit": limit},
    ).fetchone()[0]
    if last is not None:
        db.execute(
            f"INSERT INTO report_text (rowid, {columns})"
            f" SELECT seq, {texts} FROM report WHERE seq > :after AND seq <= :last",
            {"after": after_seq, "last": last},
        )
    return last


def limit_field_count(db, most):
    """A report has at most as many fields set as the catalogue has fields."""
    for event, name in (("INSERT", "insert"), ("UPDATE OF field_count", "update")):
        trigger = f"report_field_count_checked_on_{name}"
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        db.execute(
            f"CREATE TRIGGER {trigger} BEFORE {event} ON report\n"
            f"WHEN NEW.field_count > {int(most)}\n"
            "BEGIN\n"
            "    SELECT RAISE(ABORT, 'field_count is more than the catalogue has fields');\n"
            "END"
        )


def remember_catalogue_fields(db, fields):
    """Note each (name, label) of the catalogue; a field known already takes its new label."""
    db.executemany(
        "INSERT INTO catalogue_field (name, label) VALUES (:name, :label)"
        " ON CONFLICT (name) DO UPDATE SET label = excluded.label",
        [{"name": name, "label": label} for name, label in fields],
    )


def remembered_fields(db):
    """Every field a catalogue of this database has had, (name, label), oldest first."""
    return db.execute("SELECT name, label FROM catalogue_field ORDER BY position").fetchall()


def fields_of_reports_after(db, after_seq, limit):
    """The seq, id, status and stored fields of `limit` reports after seq
    `after_seq`, in order of creation (for `catalogue check`)."""
    return db.execute(
        "SELECT seq, report_id, status, fields FROM report"
        " WHERE seq > :after ORDER BY seq LIMIT :limit",
        {"after": after_seq, "limit": limit},
    ).fetchall()


def optimize_search_index(db):
    """Merge the search index into one segment: what removals left behind in
    the older segments (the words of deleted reports) is dropped."""
    db.execute("INSERT INTO report_text (report_text) VALUES ('optimize')")


def rewrite_a_count(db):
    """A write that changes no data: it proves the file can be written."""
    db.execute("UPDATE report_count SET reports = reports WHERE status = 'draft'")
