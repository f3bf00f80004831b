"""The fast dumps of stored rows say exactly what the marshmallow schemas say."""

import pytest

from reports import schemas, service
from reports.auth import ANONYMOUS

from conftest import CLUB_REPORT, CONTRACT_REPORT

REPORTS = "/api/v1/reports"

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
        rows, _, _ = service.page_of_reports({}, 1, 20, caller=ANONYMOUS)
        reports = [service.get_report(row["report_id"], caller=ANONYMOUS) for row in rows]
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


@pytest.mark.parametrize("fixture", ["client", "club_client"])
def test_a_summary_as_the_service_builds_it_is_its_schema_s_dump(request, fixture):
    """The API answers service.summary's groups as they are: they must be what
    SummarySchema would dump, for the built-in catalogue and another one."""
    client = request.getfixturevalue(fixture)
    app = client.application
    body = CONTRACT_REPORT if fixture == "client" else CLUB_REPORT
    for fields in (
        {},
        {"held_on": "2026-04-02", "snack_cost": "0.10"},
        {"session_date": "2026-04-02"},
    ):
        known = {name: value for name, value in fields.items() if name in body["fields"]}
        assert (
            client.post(
                "/api/v1/reports", json={**body, "fields": {**body["fields"], **known}}
            ).status_code
            == 201
        )
    client.post("/api/v1/reports", json={**body, "fields": {}})  # no figures at all

    for group_by in ("month", "mentor", "activity", "org"):
        answer = client.get(f"{REPORTS}/summary?group_by={group_by}").json
        with app.app_context():
            assert schemas.shapes().summary.dump(answer) == answer
        assert answer["groups"]
