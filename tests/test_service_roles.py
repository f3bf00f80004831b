"""Who may do what, asked of the service itself: every write and every read
called directly, in an app context and through no route, by each role. The
rules are those of docs/access.md; the API and the pages answer them as they
are kept here, so that a route that forgets a check cannot open a door."""

import importlib
import inspect
import pkgutil

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from reports import auth, service
from reports.auth import Caller
from reports.errors import ReportNotFound
from reports.schemas import load_new_report, shapes

from conftest import CONTRACT_REPORT, rows_in

MENTOR = CONTRACT_REPORT["peer_mentor_id"]  # mona's
OTHER_MENTOR = "usr_mentor_007"
COORDINATOR = Caller("carla", "coordinator")
MONA = Caller("mona", "mentor", MENTOR)
VIEWER = Caller("victor", "viewer")

# Who acts, and whose report (or whose peer mentor, for a create) it acts on.
WHO = {
    "coordinator": (COORDINATOR, MENTOR),
    "mentor, own": (MONA, MENTOR),
    "mentor, another's": (MONA, OTHER_MENTOR),
    "viewer": (VIEWER, MENTOR),
    "open API": (auth.ANONYMOUS, MENTOR),
}
OK, REFUSED, NOT_FOUND = "ok", Forbidden, ReportNotFound
# A person or an activity a mentor may not see is not found either.
NOT_LISTED = NotFound
TRASH_DAYS = 30
CORRECTION = {"fields": {"attendance_count": 9}}


def create(caller, report_id, mentor):
    new = load_new_report({**CONTRACT_REPORT, "peer_mentor_id": mentor})
    return service.create_report(new, caller=caller)


def update(body):
    """The action that changes the report by `body`, as PUT would."""

    def act(caller, report_id, mentor):
        return service.update_report(report_id, shapes().report_changes.load(body), caller=caller)

    return act


def on_report(function, *args):
    """The action that calls `function` on the report, with `args`."""
    return lambda caller, report_id, mentor: function(report_id, *args, caller=caller)


def beforehand(action):
    """What a route asks before it reads its request: may the caller `action` at all."""
    return lambda caller, report_id, mentor: service.require_may(action, caller)


def see_the_trash(caller, report_id, mentor):
    return service.trashed_reports(TRASH_DAYS, caller=caller)


def list_the_mentor_s(caller, report_id, mentor):
    """What the by-mentor list asks before it reads its query."""
    return service.require_may("read", caller, mentor)


def person_of(mentor):
    """The person of peer mentor `mentor`, added by a coordinator."""
    new = {"name": mentor, "role": "mentor", "peer_mentor_id": mentor, "email": None,
           "language": None}  # fmt: skip
    return service.create_person(new, caller=COORDINATOR)["person_id"]


def activity_of(mentor):
    """An activity that peer mentor `mentor` leads, added by a coordinator."""
    person_of(mentor)
    new = {"name": "Job club", "mentors": [mentor]}
    return service.create_activity(new, caller=COORDINATOR)["activity_id"]


def person_with_a_token(mentor):
    """The person of peer mentor `mentor`, with the token a sign-in link made."""
    person_id = person_of(mentor)
    service.create_sign_in_link(person_id, 15, caller=COORDINATOR)
    return person_id


# What a directory action needs, made by a coordinator.
def a_webhook(mentor):
    webhook_id, _ = service.add_webhook(
        "http://127.0.0.1:9/hooks", allow_private=True, caller=COORDINATOR
    )
    return webhook_id


DIRECTORY = {
    "person": person_of,
    "activity": activity_of,
    "token": person_with_a_token,
    "webhook": a_webhook,
}


def add_a_person(caller, report_id, mentor):
    new = {"name": "Eve", "role": "viewer", "email": None, "language": None}
    return service.create_person(new, caller=caller)


def add_a_webhook(caller, report_id, mentor):
    return service.add_webhook("http://127.0.0.1:9/hooks", allow_private=True, caller=caller)


def its_token(person_id):
    [token] = service.list_tokens(person_id, caller=COORDINATOR)
    return token["name"]


def revoke_its_token(caller, person_id, mentor):
    return service.revoke_token_of_person(person_id, its_token(person_id), caller=caller)


def revoke_its_token_by_name(caller, person_id, mentor):
    """As `flask --app reports token revoke NAME` does."""
    return service.revoke_token(its_token(person_id), caller=caller)


def add_an_activity(caller, report_id, mentor):
    return service.create_activity({"name": "Job club", "mentors": []}, caller=caller)


# Each action as (the report it needs: its status and review, or "trashed", or
# "person", "token" or "activity" for the mentor's person, that person with a
# token, or an activity it leads, or None for none; what it does, given the
# caller, the report's id and its peer mentor).
ACTIONS = {
    "create": (None, create),
    "save a draft": ("draft", update(CORRECTION)),
    "submit": ("draft", update({"status": "submitted"})),
    "correct, unreviewed": ("submitted", update(CORRECTION)),
    "correct, has issues": ("has_issues", update(CORRECTION)),
    "correct, approved": ("approved", update(CORRECTION)),
    "ask if correcting reopens the review": (
        "has_issues",
        on_report(service.correction_reopens_review),
    ),
    "delete, unreviewed": ("submitted", on_report(service.delete_report)),
    "delete, rejected": ("rejected", on_report(service.delete_report)),
    "review": ("submitted", on_report(service.review_report, "approved", "Fine.")),
    "restore": ("trashed", on_report(service.restore_report)),
    "read": ("submitted", on_report(service.get_report)),
    "read its review": ("approved", on_report(service.review_of)),
    "read its history": ("submitted", on_report(service.history)),
    "read its history in the trash": ("trashed", on_report(service.history)),
    "ask why a change is refused": ("approved", on_report(service.change_refused)),
    "see the trash": ("trashed", see_the_trash),
    # What a route asks before it reads its request (a viewer's write is a 403
    # before its body is read): the same rules, answered beforehand.
    "beforehand: write": (None, beforehand("write")),
    "beforehand: review": (None, beforehand("review")),
    "beforehand: work the trash": (None, beforehand("trash")),
    "beforehand: list a mentor's": (None, list_the_mentor_s),
    # The directory (reports/service/people.py and activities.py).
    "list people": (None, lambda caller, report_id, mentor: service.list_people(caller=caller)),
    "read a person": ("person", on_report(service.get_person)),
    "add a person": (None, add_a_person),
    "change a person": ("person", on_report(service.update_person, {"name": "Mo"})),
    "remove a person": ("person", on_report(service.remove_person)),
    "make a sign-in link": ("person", on_report(service.create_sign_in_link, 15)),
    "list a person's tokens": ("token", on_report(service.list_tokens)),
    "revoke a person's token": ("token", revoke_its_token),
    "revoke a token by its name": ("token", revoke_its_token_by_name),
    "list activities": (
        None,
        lambda caller, report_id, mentor: service.list_activities(caller=caller),
    ),
    "read an activity": ("activity", on_report(service.get_activity)),
    "add an activity": (None, add_an_activity),
    "change an activity": ("activity", on_report(service.update_activity, {"name": "Jobs"})),
    "archive an activity": ("activity", on_report(service.archive_activity)),
    "beforehand: manage people": (None, beforehand("manage people")),
    "beforehand: manage activities": (None, beforehand("manage activities")),
    # The outbox (reports/service/events.py and webhooks.py).
    "read the events": (
        None,
        lambda caller, report_id, mentor: service.events_after(0, 10, caller=caller),
    ),
    "add a webhook": (None, add_a_webhook),
    "list webhooks": (None, lambda caller, report_id, mentor: service.all_webhooks(caller=caller)),
    "list deliveries": (
        None,
        lambda caller, report_id, mentor: service.webhook_deliveries(caller=caller),
    ),
    "resume a webhook": ("webhook", on_report(service.retry_webhook)),
    "remove a webhook": ("webhook", on_report(service.remove_webhook)),
}

# What each role gets from each action: OK, or the exception that refuses it.
# A mentor does not learn that another mentor's report exists (NOT_FOUND), but
# is refused outright what its role may not do whoever's report it is.
RULES = {
    # action                                coordinator  mentor, own another's  viewer   open API
    "create":                               (OK,         OK,         REFUSED,   REFUSED, OK),
    "save a draft":                         (OK,         OK,         NOT_FOUND, REFUSED, OK),
    "submit":                               (OK,         OK,         NOT_FOUND, REFUSED, OK),
    "correct, unreviewed":                  (OK,         OK,         NOT_FOUND, REFUSED, OK),
    "correct, has issues":                  (OK,         OK,         NOT_FOUND, REFUSED, OK),
    "correct, approved":                    (OK,         REFUSED,    NOT_FOUND, REFUSED, OK),
    "ask if correcting reopens the review": (OK,         OK,         NOT_FOUND, REFUSED, OK),
    "delete, unreviewed":                   (OK,         OK,         NOT_FOUND, REFUSED, OK),
    "delete, rejected":                     (OK,         REFUSED,    NOT_FOUND, REFUSED, OK),
    "review":                               (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "restore":                              (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "read":                                 (OK,         OK,         NOT_FOUND, OK,      OK),
    "read its review":                      (OK,         OK,         NOT_FOUND, OK,      OK),
    "read its history":                     (OK,         OK,         NOT_FOUND, OK,      OK),
    "read its history in the trash":        (OK,         OK,         NOT_FOUND, OK,      OK),
    "ask why a change is refused":          (OK,         OK,         NOT_FOUND, OK,      OK),
    "see the trash":                        (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "beforehand: write":                    (OK,         OK,         OK,        REFUSED, OK),
    "beforehand: review":                   (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "beforehand: work the trash":           (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "beforehand: list a mentor's":          (OK,         OK,         REFUSED,   OK,      OK),
    "list people":                          (OK,         OK,         OK,        OK,      OK),
    "read a person":                        (OK,         OK,         NOT_LISTED, OK,     OK),
    "add a person":                         (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "change a person":                      (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "remove a person":                      (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "make a sign-in link":                  (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "list a person's tokens":               (OK,         OK,         NOT_LISTED, OK,     OK),
    "revoke a person's token":              (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "revoke a token by its name":           (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "list activities":                      (OK,         OK,         OK,        OK,      OK),
    "read an activity":                     (OK,         OK,         NOT_LISTED, OK,     OK),
    "add an activity":                      (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "change an activity":                   (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "archive an activity":                  (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "beforehand: manage people":            (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "beforehand: manage activities":        (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "read the events":                      (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "add a webhook":                        (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "list webhooks":                        (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "list deliveries":                      (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "resume a webhook":                     (OK,         REFUSED,    REFUSED,   REFUSED, OK),
    "remove a webhook":                     (OK,         REFUSED,    REFUSED,   REFUSED, OK),
}  # fmt: skip

CASES = [
    pytest.param(action, who, answer, id=f"{action} - {who}")
    for action, answers in RULES.items()
    for who, answer in zip(WHO, answers, strict=True)
]


def test_the_rules_name_every_action_and_every_role():
    assert RULES.keys() == ACTIONS.keys()


@pytest.fixture
def stored(database):
    """Every report, review, report in the trash and recorded change, person,
    activity and token."""
    tables = (
        "report", "report_review", "report_trash", "report_change",
        "person", "activity", "activity_mentor", "webhook",
    )  # fmt: skip
    return lambda: rows_in(
        database,
        *(f"SELECT * FROM {table} ORDER BY 1" for table in tables),
        "SELECT name, person_id, revoked_at FROM api_token",
    )


def filed(mentor, state):
    """A report of `mentor`'s, filed by a coordinator, in `state`: a status, a
    review state (of a submitted report), or "trashed"."""
    status = "draft" if state == "draft" else "submitted"
    new = load_new_report({**CONTRACT_REPORT, "peer_mentor_id": mentor, "status": status})
    report_id = service.create_report(new, caller=COORDINATOR)["report_id"]
    if state in ("has_issues", "approved", "rejected"):
        service.review_report(report_id, state, "Reviewed.", caller=COORDINATOR)
    if state == "trashed":
        service.delete_report(report_id, caller=COORDINATOR)
    return report_id


@pytest.mark.parametrize(("action", "who", "answer"), CASES)
def test_each_role_may_do_through_the_service_exactly_what_the_rules_allow(
    app, stored, action, who, answer
):
    caller, mentor = WHO[who]
    needs, act = ACTIONS[action]
    with app.app_context():
        report_id = None  # the id of what it acts on: a report, a person, an activity
        if needs in DIRECTORY:
            report_id = DIRECTORY[needs](mentor)
        elif needs:
            report_id = filed(mentor, needs)
        before = stored()
        if answer is OK:
            act(caller, report_id, mentor)
        else:
            with pytest.raises(answer):
                act(caller, report_id, mentor)
            assert stored() == before


# The lists: a mentor's hold its own peer mentor's reports only ---------------------


def mentors_listed(caller):
    return [report["peer_mentor_id"] for report in service.listed_reports({}, caller=caller)[0]]


def mentors_paged(caller):
    rows, _, _ = service.page_of_reports({}, 1, 20, caller=caller)
    return [row["peer_mentor_id"] for row in rows]


def mentors_exported(caller):
    return [report["peer_mentor_id"] for report in service.all_reports({}, caller=caller)]


def mentors_summarised(caller):
    return [group["group"] for group in service.summary({}, "mentor", caller=caller)]


LISTS = {
    "listed_reports": mentors_listed,
    "page_of_reports": mentors_paged,
    "all_reports": mentors_exported,
    "summary": mentors_summarised,
}
# Whose reports each role's lists hold.
SEES = {
    "coordinator": {MENTOR, OTHER_MENTOR},
    "mentor, own": {MENTOR},
    "viewer": {MENTOR, OTHER_MENTOR},
    "open API": {MENTOR, OTHER_MENTOR},
}


@pytest.mark.parametrize("who", SEES)
@pytest.mark.parametrize("listing", LISTS)
def test_each_list_holds_the_reports_the_caller_may_see(app, listing, who):
    caller, _ = WHO[who]
    with app.app_context():
        for mentor in (MENTOR, OTHER_MENTOR):
            filed(mentor, "submitted")

        assert set(LISTS[listing](caller)) == SEES[who]


@pytest.mark.parametrize("who", SEES)
def test_the_deleted_ids_are_those_the_caller_may_see(app, who):
    caller, _ = WHO[who]
    with app.app_context():
        deleted = {mentor: filed(mentor, "trashed") for mentor in (MENTOR, OTHER_MENTOR)}

        seen = {entry["report_id"] for entry in service.deleted_reports(caller=caller)}

    assert seen == {deleted[mentor] for mentor in SEES[who]}


def test_a_mentor_s_list_holds_its_own_reports_whatever_else_it_asks_for(app):
    with app.app_context():
        filed(OTHER_MENTOR, "submitted")

        assert service.listed_reports({"peer_mentor_id": OTHER_MENTOR}, caller=MONA) == ([], 0)


# No caller by default ------------------------------------------------------------------


def test_every_service_function_that_acts_for_a_caller_must_be_told_who():
    """A forgotten caller is an error, not the open API's coordinator: in every
    module of the service, its own helpers too."""
    modules = [
        importlib.import_module(f"{service.__name__}.{module.name}")
        for module in pkgutil.iter_modules(service.__path__)
    ]
    taking = {
        f"{module.__name__}.{name}": inspect.signature(function).parameters["caller"]
        for module in modules
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and "caller" in inspect.signature(function).parameters
    }
    public = {name.rpartition(".")[2] for name in taking}

    assert {"create_report", "review_report", "restore_report", "trashed_reports"} <= public
    assert {"summary", "listed_reports", "existing_report"} <= public
    assert {
        name: parameter.default
        for name, parameter in taking.items()
        if parameter.default is not inspect.Parameter.empty
    } == {}
