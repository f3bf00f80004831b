"""The fast dumps of stored rows say exactly what the marshmallow schemas say."""

import pytest

from reports import schemas, service

PAIRS = [
    (schemas.dump_report, schemas.report_schema),
    (schemas.dump_created_report, schemas.created_report_schema),
    (schemas.dump_updated_report, schemas.updated_report_schema),
    (schemas.dump_report_summary, schemas.report_summary_schema),
    (schemas.dump_activity_report, schemas.activity_report_schema),
    (schemas.dump_mentor_report, schemas.mentor_report_schema),
]
EVERY_FIELD = {
    "follow_up_needed": True,
    "duration_minutes": 90,
    "way_forward": "Referral letters by Friday",
    "session_date": "2026-03-20",
    "attendance_count": 0,
    "session_topic": "Budgeting",
    "participant_engagement": "low",
    "challenges_noted": "",
    "mentor_notes": "Notes",
}


@pytest.fixture
def stored(app, make_report):
    """Full reports and list rows as the service reads them back."""
    make_report(fields=EVERY_FIELD, status="submitted")
    make_report(fields={"way_forward": "  ", "follow_up_needed": False})
    with app.app_context():
        rows, _, _ = service.page_of_reports({}, 1, 20)
        reports = [service.get_report(row["report_id"]) for row in rows]
    return reports + rows


@pytest.mark.parametrize(("fast", "schema"), PAIRS)
def test_the_fast_dump_equals_the_schema_dump(app, stored, fast, schema):
    rows = [row for row in stored if set(schema.fields) <= set(row.keys())]

    assert rows
    for row in rows:
        assert fast(row) == schema.dump(row)
        assert list(fast(row)) == list(schema.dump(row))


def test_fields_are_shown_in_catalogue_order_whatever_order_they_came_in(make_report):
    report = make_report(fields=EVERY_FIELD)

    assert list(report["fields"]) == [
        name for name in schemas.FIELD_NAMES if name in report["fields"]
    ]
