"""The examples of the OpenAPI document: the contract's own, for the built-in
catalogue; for another catalogue, reports made from its fields, so that each
example is valid for it."""

from reports import catalogue, schemas

REPORT_EXAMPLE = {
    "report_id": "rpt_8f3a2c1d",
    "activity_id": "act_7b4e9f2a",
    "peer_mentor_id": "usr_mentor_042",
    "org_id": "org_nansen_01",
    "status": "submitted",
    "fields": {
        "session_date": "2026-03-20",
        "attendance_count": 6,
        "session_topic": "Job application support",
        "participant_engagement": "high",
        "challenges_noted": "Language barrier for two participants",
        "mentor_notes": "Group discussed CV writing. "
        "Follow-up needed for two participants seeking referrals.",
    },
    "submitted_at": "2026-03-20T14:32:00Z",
    "created_at": "2026-03-20T14:10:00Z",
    "updated_at": "2026-03-20T14:30:00Z",
}
CREATE_EXAMPLE = {
    "activity_id": "act_7b4e9f2a",
    "peer_mentor_id": "usr_mentor_042",
    "org_id": "org_nansen_01",
    "fields": {**REPORT_EXAMPLE["fields"], "mentor_notes": "Group discussed CV writing."},
}
CREATED_EXAMPLE = {
    "report_id": "rpt_8f3a2c1d",
    "activity_id": "act_7b4e9f2a",
    "peer_mentor_id": "usr_mentor_042",
    "status": "draft",
    "created_at": "2026-03-20T14:10:00Z",
}
UPDATE_EXAMPLE = {
    "fields": {
        "attendance_count": 7,
        "mentor_notes": "Group discussed CV writing. "
        "One participant completed application during session.",
        "participant_engagement": "very_high",
    },
    "status": "submitted",
}
UPDATED_EXAMPLE = {
    "report_id": "rpt_8f3a2c1d",
    "status": "submitted",
    "submitted_at": "2026-03-20T14:32:00Z",
    "updated_at": "2026-03-20T14:32:00Z",
}
DELETED_EXAMPLE = {"deleted": True, "report_id": "rpt_8f3a2c1d"}
LIST_EXAMPLE = {
    "data": [
        {
            "report_id": "rpt_8f3a2c1d",
            "activity_id": "act_7b4e9f2a",
            "peer_mentor_id": "usr_mentor_042",
            "status": "submitted",
            "submitted_at": "2026-03-20T14:32:00Z",
            "created_at": "2026-03-20T14:10:00Z",
            "field_count": 8,
            "has_way_forward": True,
        }
    ],
    "pagination": {"page": 1, "limit": 20, "total": 47},
}
BY_ACTIVITY_EXAMPLE = {
    "data": [
        {
            "report_id": "rpt_8f3a2c1d",
            "peer_mentor_id": "usr_mentor_042",
            "status": "submitted",
            "submitted_at": "2026-03-20T14:32:00Z",
        }
    ],
    "pagination": {"page": 1, "limit": 20, "total": 3},
}
BY_MENTOR_EXAMPLE = {
    "data": [
        {
            "report_id": "rpt_8f3a2c1d",
            "activity_id": "act_7b4e9f2a",
            "status": "submitted",
            "submitted_at": "2026-03-20T14:32:00Z",
        },
        {
            "report_id": "rpt_2c9d4e7f",
            "activity_id": "act_1a3b5c8d",
            "status": "draft",
            "submitted_at": None,
        },
    ],
    "pagination": {"page": 1, "limit": 20, "total": 12},
}

REVIEW_EXAMPLE = {
    "report_id": "rpt_8f3a2c1d",
    "review_state": "has_issues",
    "comment": "Attendance does not match the sign-in sheet.",
    "reviewed_by": "carla",
    "reviewed_at": "2026-03-21T09:00:00Z",
}
SUMMARY_EXAMPLE = {
    "group_by": "month",
    "groups": [
        {
            "group": "2026-03",
            "reports": 3,
            "submitted": 2,
            "drafts": 1,
            "attendance_total": 19,
            "attendance_average": 6.33,
            "duration_minutes_total": 270,
            "engagement": {"low": 0, "medium": 1, "high": 2, "very_high": 0},
            "follow_ups_needed": 1,
        }
    ],
}

HISTORY_EXAMPLE = {
    "report_id": "rpt_8f3a2c1d",
    "catalogue_version": "1",
    "revisions": [
        {
            "revision": 1,
            "changed_at": "2026-03-20T14:10:00Z",
            "actor": "mona",
            "action": "create",
            "changes": {},
        }
    ],
}
DELETED_REPORTS_EXAMPLE = {
    "data": [{"report_id": "rpt_8f3a2c1d", "deleted_at": "2026-03-21T09:00:00Z"}]
}
PERSON_EXAMPLE = {
    "person_id": "per_3e8a1f02",
    "name": "Mona Hansen",
    "role": "mentor",
    "peer_mentor_id": "usr_mona_hansen",
    "email": "mona@example.org",
    "language": "nb",
    "notify": "each",
    "created_at": "2026-03-01T09:00:00Z",
}
ACTIVITY_EXAMPLE = {
    "activity_id": "job_club",
    "name": "Job club",
    "org_id": "org_nansen_01",
    "mentors": ["usr_mona_hansen"],
    "archived": False,
}
DIRECTORY_EXAMPLES = {
    "person": PERSON_EXAMPLE,
    "new_person": {"name": "Mona Hansen", "role": "mentor", "email": "mona@example.org",
                   "language": "nb"},
    "person_changes": {"name": "Mona Hansen-Berg", "language": "en", "notify": "off"},
    "people": {"data": [PERSON_EXAMPLE]},
    "removed_person": {"removed": True, "person_id": "per_3e8a1f02"},
    "activity": ACTIVITY_EXAMPLE,
    "archived_activity": {**ACTIVITY_EXAMPLE, "archived": True},
    "new_activity": {"name": "Job club", "org_id": "org_nansen_01",
                     "mentors": ["usr_mona_hansen"]},
    "activity_changes": {"name": "Job club (evenings)", "mentors": []},
    "activities": {"data": [ACTIVITY_EXAMPLE]},
    "sign_in_link": {
        "url": "http://127.0.0.1:8080/login/3qv0ZQm1k4YVx8pB9fJm2Wc7TgN5sR6aLhD0eUiKoXy",
        "expires_at": "2026-03-20T14:25:00Z",
    },
    "tokens": {"data": [{"name": "mona_hansen", "created_at": "2026-03-01T09:05:00Z",
                         "last_used_at": "2026-03-20T14:02:00Z"}]},
    "revoked_token": {"revoked": True, "name": "mona_hansen"},
}  # fmt: skip
# The files a list or the summary answers with `format`, cut short.
LIST_CSV = "\ufeffreport_id,activity_id,...\r\nrpt_8f3a2c1d,...\r\n"
LIST_NDJSON = '{"report_id":"rpt_8f3a2c1d",...,"review":{...}}\n'
SUMMARY_CSV = "\ufeffmonth,reports,submitted,...\r\n2026-03,12,10,...\r\n"


def example_value(field):
    """A value that the catalogue field's rules accept."""
    if field.kind == "date":
        return "2026-03-20"
    if field.kind in ("integer", "decimal"):
        low = 0 if field.min is None else field.min
        number = low if field.max is None else min(low, field.max)
        return number if field.kind == "integer" else f"{number:.{field.places}f}"
    if field.kind == "boolean":
        return False
    if field.kind == "choice":
        return field.values[0].value
    if field.kind == "choices":
        return [field.values[0].value]
    return field.default_label.strip().ljust(field.min_length or 0, ".")[: field.max_length]


def example_figure(figure, value):
    """The figure of a summary group of one report, whose field has this value."""
    if figure.what == "counts":
        chosen = value if isinstance(value, list) else [value]
        return {choice.value: int(choice.value in chosen) for choice in figure.field.values}
    if figure.what == "count":
        return int(value)
    if figure.what == "average" and figure.field.kind == "integer":
        return float(value)
    return value


def events_example(report):
    """A page of the events feed: the report example submitted, then reviewed."""
    reviewed = {**report, "updated_at": REVIEW_EXAMPLE["reviewed_at"], "review": REVIEW_EXAMPLE}
    return {
        "data": [
            {
                "id": "msg_5f1c0a9e3b7d2468ace13579",
                "cursor": "41",
                "type": "report.submitted",
                "timestamp": report["submitted_at"],
                "data": report,
            },
            {
                "id": "msg_0b8e6d4c2a1f3e5d7c9b8a60",
                "cursor": "42",
                "type": "report.reviewed",
                "timestamp": REVIEW_EXAMPLE["reviewed_at"],
                "data": reviewed,
            },
        ],
        "pagination": {"limit": 100, "next_after": "42", "has_more": False},
    }


def examples_of(form):
    """Every example of the document of catalogue `form`, by name."""
    of_fields = examples_of_fields(form)
    return {
        "created": CREATED_EXAMPLE,
        "updated": UPDATED_EXAMPLE,
        "deleted": DELETED_EXAMPLE,
        "by_activity": BY_ACTIVITY_EXAMPLE,
        "by_mentor": BY_MENTOR_EXAMPLE,
        "review": REVIEW_EXAMPLE,
        "review_request": {"review_state": "has_issues", "comment": REVIEW_EXAMPLE["comment"]},
        "history": HISTORY_EXAMPLE,
        "deleted_reports": DELETED_REPORTS_EXAMPLE,
        "health": {"status": "ok"},
        "catalogue": schemas.catalogue_schema.dump(form),
        "list_csv": LIST_CSV,
        "list_ndjson": LIST_NDJSON,
        "summary_csv": SUMMARY_CSV,
        **DIRECTORY_EXAMPLES,
        **of_fields,
        "events": events_example(of_fields["report"]),
    }


def examples_of_fields(form):
    """The examples that show a report's fields: the contract's own for the built-in
    catalogue; for another, made from its fields, so that each is valid for it."""
    if form is catalogue.built_in():
        return {
            "report": REPORT_EXAMPLE,
            "create": CREATE_EXAMPLE,
            "update": UPDATE_EXAMPLE,
            "list": LIST_EXAMPLE,
            "summary": SUMMARY_EXAMPLE,
        }
    fields = {field.name: example_value(field) for field in form.fields}
    first = form.fields[0].name
    summary = {"group": "2026-03", "reports": 1, "submitted": 1, "drafts": 0}
    for figure in form.figures:
        summary[figure.name] = example_figure(figure, fields[figure.field.name])
    listed = {**LIST_EXAMPLE["data"][0], "field_count": len(fields)}
    listed["has_way_forward"] = form.way_forward is not None
    return {
        "report": {**REPORT_EXAMPLE, "fields": fields},
        "create": {**CREATE_EXAMPLE, "fields": fields},
        "update": {"fields": {first: fields[first]}, "status": "submitted"},
        "list": {**LIST_EXAMPLE, "data": [listed]},
        "summary": {"group_by": "month", "groups": [summary]},
    }
