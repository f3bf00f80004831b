"""How a request is loaded: its unknown keys, repeated query parameters, the loads kept."""

from marshmallow import RAISE, Schema, ValidationError

from reports.kept import Kept

# How many unknown keys of one object a 422 lists; it says how many there are in all.
MAX_UNKNOWN_LISTED = 20
UNKNOWN_FIELD = "Unknown field."


class RequestSchema(Schema):
    """A schema of what a client sends. Its unknown keys are set aside before
    marshmallow loads the rest, which would spend time on each of them and list
    them all: a 422 lists at most MAX_UNKNOWN_LISTED, says the schema's own
    unknown-key message (which may name the allowed keys) once, at the first,
    and counts the others. A body of many unknown keys gets a small answer, fast."""

    def load(self, data, *, many=None, partial=None, unknown=None):
        if not isinstance(data, dict) or many or unknown not in (None, RAISE):
            return super().load(data, many=many, partial=partial, unknown=unknown)
        known = {field.data_key or name for name, field in self.load_fields.items()}
        strangers = [key for key in data if key not in known]
        if not strangers:
            return super().load(data, partial=partial)
        listed = listed_at_most(
            strangers, UNKNOWN_FIELD, "unknown fields", self.error_messages["unknown"]
        )
        try:
            super().load({key: data[key] for key in data if key in known}, partial=partial)
        except ValidationError as error:
            messages = dict(error.messages)
            if "_schema" in messages and "_schema" in listed:
                listed["_schema"] = messages.pop("_schema") + listed["_schema"]
            raise ValidationError({**messages, **listed}, data=data) from None
        raise ValidationError(listed, data=data)


def listed_at_most(keys, message, what, first_message=None):
    """{key: [message]} for the first MAX_UNKNOWN_LISTED keys (the first with
    `first_message`), and when there are more, a `_schema` message that counts them."""
    listed = {
        key: [first_message if position == 0 and first_message else message]
        for position, key in enumerate(keys[:MAX_UNKNOWN_LISTED])
    }
    if len(keys) > MAX_UNKNOWN_LISTED:
        listed["_schema"] = [
            f"{len(keys)} {what} in all; the first {MAX_UNKNOWN_LISTED} are listed."
        ]
    return listed


class LoadedQueries:
    """A query schema's loads of the query strings asked last. A list is asked
    the same question again and again (page 1, a mentor's list); loading it
    costs more than looking it up. A query that does not load is loaded, and
    refused, each time. Each keeps the last SIZE, as SIZE was when it was made."""

    SIZE = 256

    def __init__(self, schema):
        self.schema = schema
        self.loaded = Kept(self.SIZE)

    def load(self, args):
        """schema.load(args), for a dict of query parameters."""
        query = self.loaded.get_or_make(tuple(args.items()), lambda: self.schema.load(args))
        return dict(query)


def single_valued(args):
    """A query string's MultiDict as a dict, or a ValidationError naming each
    parameter given more than once."""
    repeated = [name for name in args if len(args.getlist(name)) > 1]
    if repeated:
        raise ValidationError(
            listed_at_most(repeated, "Give this parameter once.", "parameters given more than once")
        )
    return args.to_dict()
