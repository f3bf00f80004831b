"""The directory's shapes: people and activities, as a client sends and reads them."""

from marshmallow import Schema, ValidationError, validate, validates_schema
from marshmallow import fields as ma

from reports.schemas.loading import RequestSchema
from reports.schemas.values import (
    LANGUAGE,
    PERSON_ID,
    EntityId,
    Name,
    QueryBoolean,
    StrictBoolean,
    enum_of,
)

ONLY_A_MENTOR = "Only a mentor has a peer mentor id."


def email_field(**kwargs):
    return ma.Email(
        validate=validate.Length(max=254),
        metadata={"description": "The person's e-mail address, or null."},
        **kwargs,
    )


def language_field(**kwargs):
    return ma.String(
        validate=validate.Regexp(
            LANGUAGE, error="Must be a language tag such as en, nb, ar or uk (BCP 47)."
        ),
        metadata={
            "description": "The language the person prefers, as a short BCP 47 tag "
            "(en, nb, ar, uk, pt-BR), or null.",
            "pattern": f"^{LANGUAGE.pattern}$",
        },
        **kwargs,
    )


def notify_field(**kwargs):
    return enum_of(
        "Notify",
        metadata={
            "description": "Which e-mails the person gets: `each` as it happens (a "
            "coordinator, of every report submitted; a mentor, of a review that asks for "
            "more), `digest` (a coordinator: one e-mail a day of the reports submitted), "
            "or `off` (none; a sign-in link it asks for still comes)."
        },
        **kwargs,
    )


class NewPersonSchema(RequestSchema):
    """The body of POST /api/v1/people."""

    name = Name(required=True, metadata={"description": "The person's name, as others read it."})
    role = enum_of("Role", required=True, metadata={"description": "What the person may do."})
    peer_mentor_id = EntityId(
        metadata={
            "description": "A mentor's peer mentor id, which its reports are filed under; "
            "made from the name when not given (usr_ and the name in ASCII)."
        }
    )
    email = email_field(allow_none=True, load_default=None)
    language = language_field(allow_none=True, load_default=None)
    notify = notify_field(load_default="each")

    @validates_schema
    def only_a_mentor_has_a_peer_mentor_id(self, data, **kwargs):
        if data.get("peer_mentor_id") is not None and data.get("role") != "mentor":
            raise ValidationError(ONLY_A_MENTOR, "peer_mentor_id")


class PersonChangesSchema(RequestSchema):
    """The body of PUT /api/v1/people/<person_id>: what is given changes."""

    name = Name(metadata={"description": "The person's name."})
    role = enum_of(
        "Role",
        metadata={
            "description": "What the person may do; its tokens may do it from now on. A "
            "person who becomes a mentor gets a peer mentor id made from its name, or its "
            "old one back."
        },
    )
    email = email_field(allow_none=True)
    language = language_field(allow_none=True)
    notify = notify_field()

    @validates_schema
    def names_a_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Give `name`, `role`, `email`, `language` or `notify`.")


class PersonSchema(Schema):
    """A person, as the API answers it."""

    person_id = ma.String(
        metadata={"pattern": f"^{PERSON_ID.pattern}$", "description": "Made by the service."}
    )
    name = ma.String()
    role = enum_of("Role")
    peer_mentor_id = ma.String(
        allow_none=True, metadata={"description": "A mentor's peer mentor id; null for others."}
    )
    email = ma.String(allow_none=True)
    language = ma.String(allow_none=True)
    notify = notify_field()
    created_at = ma.String()


class PeopleSchema(Schema):
    data = ma.List(ma.Nested(PersonSchema))


class NewActivitySchema(RequestSchema):
    """The body of POST /api/v1/activities."""

    name = Name(required=True, metadata={"description": "The activity's name."})
    activity_id = EntityId(
        metadata={
            "description": "The id reports name the activity by; made from the name when not given."
        }
    )
    org_id = EntityId(
        allow_none=True,
        metadata={"description": "Its organisation; DEFAULT_ORG_ID when not given, if set."},
    )
    mentors = ma.List(
        EntityId(),
        load_default=list,
        metadata={"description": "The peer mentor ids of the mentors who lead it."},
    )


class ActivityChangesSchema(RequestSchema):
    """The body of PUT /api/v1/activities/<activity_id>: what is given changes."""

    name = Name(metadata={"description": "The activity's name; its reports keep its id."})
    org_id = EntityId(allow_none=True, metadata={"description": "Its organisation, or null."})
    mentors = ma.List(
        EntityId(), metadata={"description": "The peer mentor ids of the mentors who lead it."}
    )
    archived = StrictBoolean(metadata={"description": "false brings an archived activity back."})

    @validates_schema
    def names_a_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Give `name`, `org_id`, `mentors` or `archived`.")


class ActivitySchema(Schema):
    """An activity, as the API answers it."""

    activity_id = ma.String()
    name = ma.String()
    org_id = ma.String(allow_none=True)
    mentors = ma.List(ma.String())
    archived = StrictBoolean()


class ActivitiesSchema(Schema):
    data = ma.List(ma.Nested(ActivitySchema))


class ActivitiesQuerySchema(RequestSchema):
    """The query string of GET /api/v1/activities."""

    archived = QueryBoolean(
        metadata={"description": "Only archived activities (true), or only the others (false)."}
    )


class RemovedPersonSchema(Schema):
    removed = ma.Boolean()
    person_id = ma.String()


class TokenSchema(Schema):
    """A person's token in force, as the API answers it: never its secret."""

    name = ma.String(
        metadata={"description": "The token's name, which the history names as who made a change."}
    )
    created_at = ma.String()
    last_used_at = ma.String(
        allow_none=True,
        metadata={
            "description": "When a request, or a page of a browser signed in with it, last "
            "used it (noted at most once a minute); null if never."
        },
    )


class TokensSchema(Schema):
    data = ma.List(ma.Nested(TokenSchema))


class RevokedTokenSchema(Schema):
    revoked = ma.Boolean()
    name = ma.String()


class SignInLinkSchema(Schema):
    url = ma.String(metadata={"description": "Opened in a browser, it signs in once."})
    expires_at = ma.String(metadata={"description": "When it stops working, unused."})


class EmailedLinkSchema(RequestSchema):
    """The form of /login/email: the address a sign-in link is asked for."""

    email = email_field(
        required=True,
        error_messages={
            "required": "Enter your e-mail address",
            "invalid": "Enter an e-mail address such as name@example.org",
        },
    )


new_person_schema = NewPersonSchema()
person_changes_schema = PersonChangesSchema()
person_schema = PersonSchema()
people_schema = PeopleSchema()
new_activity_schema = NewActivitySchema()
activity_changes_schema = ActivityChangesSchema()
activity_schema = ActivitySchema()
activities_schema = ActivitiesSchema()
activities_query_schema = ActivitiesQuerySchema()
sign_in_link_schema = SignInLinkSchema()
emailed_link_schema = EmailedLinkSchema()
removed_person_schema = RemovedPersonSchema()
tokens_schema = TokensSchema()
revoked_token_schema = RevokedTokenSchema()
