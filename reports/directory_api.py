"""The directory's routes, on the /api/v1 blueprint of api.py: people and
activities. Parse, call the service, dump; the service holds who may do what."""

from flask import current_app, g, request, url_for

from reports import auth, service
from reports.api import bp, json_object_body
from reports.openapi_operations import answer, described
from reports.schemas import (
    activities_query_schema,
    activities_schema,
    activity_changes_schema,
    activity_schema,
    new_activity_schema,
    new_person_schema,
    people_schema,
    person_changes_schema,
    person_schema,
    removed_person_schema,
    revoked_token_schema,
    sign_in_link_schema,
    single_valued,
    tokens_schema,
)

TAG = "directory"
WRITE_ERRORS = (400, 403, 404, 413, 415, 422)


@bp.get("/people")
@described("listPeople", TAG, answers={200: answer("The people.", "PersonList", example="people")})
def list_people():
    """List people

    Every person but those removed, oldest first. A mentor's token lists its own
    person only.
    """
    return people_schema.dump({"data": service.list_people(caller=g.caller)})


@bp.post("/people")
@described(
    "createPerson",
    TAG,
    body=("NewPerson", "new_person"),
    answers={201: answer("Created.", "Person", example="person", headers=("Location",))},
    errors=(400, 403, 409, 413, 415, 422),
)
def create_person():
    """Add a person (coordinators)

    A mentor's `peer_mentor_id` is made from its name unless given (`usr_` and the
    name in ASCII, with `_2` if taken); a given one that is another person's is
    a 409. `notify` is `each` unless given. A person has no token until a
    sign-in link is made for it.
    """
    service.require_may("manage people", g.caller)  # before the body is read
    new = new_person_schema.load(json_object_body())
    person = service.create_person(new, caller=g.caller)
    response = current_app.json.response(person_schema.dump(person))
    response.status_code = 201
    response.headers["Location"] = url_for("reports.get_person", person_id=person["person_id"])
    return response


@bp.get("/people/<person_id>")
@described(
    "getPerson",
    TAG,
    answers={200: answer("The person.", "Person", example="person")},
    errors=(404,),
)
def get_person(person_id):
    """Get a person

    A mentor's token gets its own person only; another is a 404.
    """
    return person_schema.dump(service.get_person(person_id, caller=g.caller))


@bp.put("/people/<person_id>")
@described(
    "updatePerson",
    TAG,
    body=("PersonChanges", "person_changes"),
    answers={200: answer("Updated.", "Person", example="person")},
    errors=(400, 403, 404, 409, 413, 415, 422),
)
def update_person(person_id):
    """Change a person (coordinators)

    Each of `name`, `role`, `email`, `language` and `notify` given replaces what
    is there (`null` clears an e-mail address or a language). A new role rules
    what the person's tokens may do from their next request. The last
    coordinator stays one (409).
    """
    service.require_may("manage people", g.caller)
    changes = person_changes_schema.load(json_object_body())
    return person_schema.dump(service.update_person(person_id, changes, caller=g.caller))


@bp.delete("/people/<person_id>")
@described(
    "removePerson",
    TAG,
    answers={200: answer("Removed.", "RemovedPerson", example="removed_person")},
    errors=(403, 404, 409),
)
def remove_person(person_id):
    """Remove a person (coordinators)

    Its tokens are revoked, the browsers signed in with them signed out, and its
    unused sign-in links deleted. Its reports stay, and so does its name, which
    they show; its e-mail address and language are deleted. The last
    coordinator cannot be removed (409).
    """
    service.remove_person(person_id, caller=g.caller)
    return removed_person_schema.dump({"removed": True, "person_id": person_id})


@bp.post("/people/<person_id>/sign-in-links")
@described(
    "createSignInLink",
    TAG,
    answers={201: answer("Created.", "SignInLink", example="sign_in_link")},
    errors=(403, 404),
)
def create_sign_in_link(person_id):
    """Make a one-time sign-in link for a person (coordinators)

    A new token of the person, named after it, and a link that signs a browser
    in with that token, once, within LINK_MINUTES. Send the link to the person;
    only a hash of it is kept.
    """
    minutes = current_app.config["LINK_MINUTES"]
    secret, expires_at = service.create_sign_in_link(person_id, minutes, caller=g.caller)
    language = service.get_person(person_id, caller=g.caller)["language"]
    response = current_app.json.response(
        sign_in_link_schema.dump(
            {"url": auth.sign_in_url(secret, language), "expires_at": expires_at}
        )
    )
    response.status_code = 201
    return response


@bp.get("/people/<person_id>/tokens")
@described(
    "listTokens",
    TAG,
    answers={200: answer("The person's tokens in force.", "TokenList", example="tokens")},
    errors=(404,),
)
def list_tokens(person_id):
    """List a person's tokens

    Its tokens in force, oldest first: each one's name, when it was made and
    when it was last used. Secrets are never shown. A mentor's token lists its
    own person's only; another person is a 404.
    """
    return tokens_schema.dump({"data": service.list_tokens(person_id, caller=g.caller)})


@bp.delete("/people/<person_id>/tokens/<token_name>")
@described(
    "revokeToken",
    TAG,
    answers={200: answer("Revoked.", "RevokedToken", example="revoked_token")},
    errors=(403, 404),
)
def revoke_token(person_id, token_name):
    """Revoke a person's token (coordinators)

    Requests bearing it are refused from now on, the browsers signed in with it
    are signed out at their next page, and its unused sign-in links are
    deleted. The person keeps its other tokens. A token that is another
    person's, or revoked already, is a 404.
    """
    service.revoke_token_of_person(person_id, token_name, caller=g.caller)
    return revoked_token_schema.dump({"revoked": True, "name": token_name})


@bp.get("/activities")
@described(
    "listActivities",
    TAG,
    query="ActivitiesQuery",
    answers={200: answer("The activities.", "ActivityList", example="activities")},
    errors=(422,),
)
def list_activities():
    """List activities

    Every activity, archived ones too unless `archived` says, oldest first. A
    mentor's token lists the activities it leads only.
    """
    query = activities_query_schema.load(single_valued(request.args))
    activities = service.list_activities(query.get("archived"), caller=g.caller)
    return activities_schema.dump({"data": activities})


@bp.post("/activities")
@described(
    "createActivity",
    TAG,
    body=("NewActivity", "new_activity"),
    answers={201: answer("Created.", "Activity", example="activity", headers=("Location",))},
    errors=(400, 403, 409, 413, 415, 422),
)
def create_activity():
    """Add an activity (coordinators)

    Its `activity_id` is made from its name unless given (with `_2` if taken); a
    given one that is taken is a 409. Its `mentors` are peer mentor ids of
    mentors in the directory. `org_id` is DEFAULT_ORG_ID unless given.
    """
    service.require_may("manage activities", g.caller)
    new = new_activity_schema.load(json_object_body())
    activity = service.create_activity(new, current_app.config["DEFAULT_ORG_ID"], caller=g.caller)
    response = current_app.json.response(activity_schema.dump(activity))
    response.status_code = 201
    response.headers["Location"] = url_for(
        "reports.get_activity", activity_id=activity["activity_id"]
    )
    return response


@bp.get("/activities/<activity_id>")
@described(
    "getActivity",
    TAG,
    answers={200: answer("The activity.", "Activity", example="activity")},
    errors=(404,),
)
def get_activity(activity_id):
    """Get an activity

    An archived one too, with `archived` true. A mentor's token gets only an
    activity it leads; another is a 404.
    """
    return activity_schema.dump(service.get_activity(activity_id, caller=g.caller))


@bp.put("/activities/<activity_id>")
@described(
    "updateActivity",
    TAG,
    body=("ActivityChanges", "activity_changes"),
    answers={200: answer("Updated.", "Activity", example="activity")},
    errors=WRITE_ERRORS,
)
def update_activity(activity_id):
    """Change an activity (coordinators)

    Each of `name`, `org_id`, `mentors` and `archived` given replaces what is
    there. Its id never changes, so its reports keep it.
    """
    service.require_may("manage activities", g.caller)
    changes = activity_changes_schema.load(json_object_body())
    return activity_schema.dump(service.update_activity(activity_id, changes, caller=g.caller))


@bp.delete("/activities/<activity_id>")
@described(
    "archiveActivity",
    TAG,
    answers={200: answer("Archived.", "Activity", example="archived_activity")},
    errors=(403, 404),
)
def archive_activity(activity_id):
    """Archive an activity (coordinators)

    It stays, with `archived` true, and so do its reports, in every list,
    filter, summary and export. `PUT` with `archived` false brings it back.
    """
    return activity_schema.dump(service.archive_activity(activity_id, caller=g.caller))
