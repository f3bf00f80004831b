"""The OpenAPI 3.1 document of an app's API, assembled from the operations that
api.py declares beside its routes (see openapi_operations.py) and from the marshmallow
schemas that validate the requests and shape the answers: those of the
catalogue in force for a report's fields, its filters and the summary's figures.
apispec turns the schemas into JSON Schema; every enum, repeated parameter and
header is a component of its own, so that a generated client has one name for it."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from reports import formats, requestlog, schemas
from reports.examples import examples_of
from reports.openapi_operations import PROBLEMS

INFO = {
    "description": "Peer mentors file a report after each group session; "
    "coordinators read, correct and collect them.",
    "contact": {"name": "The coordinators who run this service"},
}
TAGS = {
    "reports": "File, read, correct, list and delete reports, and bring them back "
    "from the trash. Every list is also a CSV, NDJSON or XLSX file, with `format`.",
    "review": "Coordinators' reviews of submitted reports, and each report's history.",
    "sync": "Keep another system in step: the lists' `updated_since`, the reports "
    "deleted since a time, and every change of a report as an event, in order.",
    "exports": "The summary's counts and totals per group, as JSON or a spreadsheet.",
    "directory": "The people who use the service, with their roles, and the activities "
    "reports are filed under, with the mentors who lead them. Coordinators manage them; "
    "a mentor reads its own person and the activities it leads.",
    "service": "The service itself: its health, its report form, this document, and "
    "the methods each path takes.",
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from `flask --app reports token create`. A database that "
    "never had a token is open and needs none, to requests made on its own machine only "
    "(to anyone with ALLOW_OPEN); once a token was created, every request needs one, "
    "even after every token is revoked, until `flask --app reports token reopen`.",
}
STRING = {"type": "string"}
HEADERS = {
    "ETag": {"description": "The report's version; changes on every write.", "schema": STRING},
    "Location": {
        "description": "The new report's URL (or person's, or activity's).",
        "schema": STRING,
    },
    "Link": {
        "description": 'The next page, as `<URL with a cursor>; rel="next"` (RFC 8288); '
        "absent on the last page.",
        "schema": STRING,
    },
    "Content-Disposition": {
        "description": "On an answer that is a file (csv, ndjson or xlsx): its name, such as "
        '`attachment; filename="reports-2026-03-20.xlsx"`.',
        "schema": STRING,
    },
    "X-Request-ID": {
        "description": "The request's id: the client's X-Request-ID if well formed, else a "
        "new one.",
        "schema": {"type": "string", "pattern": f"^{requestlog.REQUEST_ID.pattern}$"},
    },
}
# The headers of the problem answers that have one of their own.
PROBLEM_HEADERS = {401: "WWW-Authenticate", 405: "Allow", 429: "Retry-After", 503: "Retry-After"}
# The ids of a route's path, by the name the route gives them.
PATH_IDS = {
    "report_id": ("The report's id.", schemas.REPORT_ID),
    "activity_id": ("The activity's id.", schemas.ENTITY_ID),
    "mentor_id": ("The peer mentor's id.", schemas.ENTITY_ID),
    "person_id": ("The person's id.", schemas.PERSON_ID),
    "token_name": ("The token's name.", schemas.ENTITY_ID),
}
HEADER_PARAMETERS = {
    "Idempotency-Key": (
        "Retrying a create with the same key and body answers the first 201 and creates "
        "nothing; with another body it is a 422. Kept at least 24 hours. A key is its "
        "token's own: another token's use of it is another key.",
        r"^[\x21-\x7e]{1,255}$",
    ),
    "If-Match": ("Change the report only if its ETag is one of these; otherwise 412.", None),
    "If-None-Match": ("Answer 304 if the report's ETag is one of these.", None),
    "X-Request-ID": (
        "An id for this request, named in the answer and in the server's log. One not "
        f"matching {requestlog.REQUEST_ID.pattern} is replaced by a new one.",
        None,
    ),
}
# The files an answer can be instead of JSON, by media type.
FILES = {
    "text/csv": STRING,
    "application/x-ndjson": STRING,
    formats.XLSX: {"type": "string", "format": "binary"},
}
OPEN_API_DOCUMENT = {"type": "object", "description": "An OpenAPI 3.1 document."}
HEALTH = {"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]}
PLAIN_TEXT_RULE = "No control characters but tab, CR and LF."


def document(app):
    """The document of `app`'s API, built on its first use: an app's catalogue and
    routes are fixed for its life. Callers must not change it."""
    built = app.extensions.get("openapi")
    if built is None:
        built = app.extensions["openapi"] = build_spec(app)
    return built


def build_spec(app):
    """The document of the operations of `app`'s routes, for its catalogue, with
    org_id optional where DEFAULT_ORG_ID gives one."""
    form = app.extensions["catalogue"]
    shapes = schemas.shapes_of(form)
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="Post-Session Report Repository",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[marshmallow],
        # A bearer token, or none while no token exists.
        security=[{"bearer": []}, {}],
        info=INFO,
    )
    marshmallow.converter.add_attribute_function(plain_text_rule)
    for name, description in TAGS.items():
        spec.tag({"name": name, "description": description})
    add_components(spec, shapes, app.config["DEFAULT_ORG_ID"])
    queries = add_query_parameters(spec, marshmallow.converter, shapes)
    examples = examples_of(form)
    for path, operations in described_paths(app).items():
        spec.path(
            path=path,
            parameters=[path_parameter(spec, name) for name in re.findall(r"{(\w+)}", path)],
            operations={
                **{
                    method: operation_object(operation, queries, examples)
                    for method, operation in operations.items()
                },
                "options": options_object(path),
            },
        )
    return with_named_enums(spec.to_dict())


def described_paths(app):
    """{OpenAPI path: {method: Operation}} of every route whose view is described
    (openapi_operations.described), in the url_map's order."""
    paths = {}
    for rule in app.url_map.iter_rules():
        operation = getattr(app.view_functions[rule.endpoint], "operation", None)
        if operation is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = operation
    return paths


def add_components(spec, shapes, default_org_id):
    """The schemas, answers, headers and header parameters that the operations name."""
    spec.components.security_scheme("bearer", BEARER)
    for name, header in HEADERS.items():
        spec.components.header(component_id(name), header)
    spec.components.schema("Problem", schema=schemas.ProblemSchema)
    for status, (name, description) in PROBLEMS.items():
        headers = {"X-Request-ID": component_id("X-Request-ID")}
        if status in PROBLEM_HEADERS:
            headers[PROBLEM_HEADERS[status]] = {"schema": STRING}
        response = {
            "description": description,
            "content": {"application/problem+json": {"schema": "Problem"}},
            "headers": headers,
        }
        spec.components.response(name, response)

    spec.components.schema("ReportFields", schema=shapes.fields_schema)
    # schemas' instances of ReportSchema, as this catalogue's ReportSchema shows them.
    reports = {
        name: shapes.ReportSchema(only=schema.only)
        for name, schema in {
            "Report": schemas.report_schema,
            "ReportSummary": schemas.report_summary_schema,
            "ActivityReport": schemas.activity_report_schema,
            "MentorReport": schemas.mentor_report_schema,
            "CreatedReport": schemas.created_report_schema,
            "UpdatedReport": schemas.updated_report_schema,
        }.items()
    }
    for name, schema in reports.items():
        spec.components.schema(name, schema=schema)
    new_report = shapes.NewReportSchema(partial=("org_id",) if default_org_id else ())
    spec.components.schema("NewReport", schema=new_report)
    changes = shapes.ReportChangesSchema(exclude=schemas.UNCHANGEABLE)
    spec.components.schema("ReportChanges", schema=changes)
    for page, item in {
        "ReportPage": "ReportSummary",
        "ActivityReportPage": "ActivityReport",
        "MentorReportPage": "MentorReport",
    }.items():
        spec.components.schema(page, schema=schemas.page_schema(page, reports[item]))
    for name, (description, pattern) in HEADER_PARAMETERS.items():
        schema = {"type": "string", **({"pattern": pattern} if pattern else {})}
        parameter = {"name": name, "required": False, "description": description}
        spec.components.parameter(
            component_id("Header", name), "header", parameter | {"schema": schema}
        )
    for name, schema in {
        "Deleted": schemas.deleted_schema,
        "Review": schemas.review_schema,
        "ReviewRequest": schemas.review_request_schema,
        "History": schemas.history_schema,
        "Summary": shapes.summary,
        "DeletedReports": schemas.deleted_page_schema,
        "EventPage": schemas.event_page_schema,
        "Catalogue": schemas.catalogue_schema,
        "Person": schemas.person_schema,
        "NewPerson": schemas.new_person_schema,
        "PersonChanges": schemas.person_changes_schema,
        "PersonList": schemas.people_schema,
        "Activity": schemas.activity_schema,
        "NewActivity": schemas.new_activity_schema,
        "ActivityChanges": schemas.activity_changes_schema,
        "ActivityList": schemas.activities_schema,
        "SignInLink": schemas.sign_in_link_schema,
        "RemovedPerson": schemas.removed_person_schema,
        "TokenList": schemas.tokens_schema,
        "RevokedToken": schemas.revoked_token_schema,
    }.items():
        spec.components.schema(name, schema=schema)
    # The shapes of an event's `data`, which its schema names (schemas.EVENT_DATA).
    event_report = shapes.EventReportSchema(only=schemas.event_report_schema.only)
    for name, schema in zip(
        schemas.EVENT_DATA, (event_report, schemas.purged_report_schema), strict=True
    ):
        spec.components.schema(name, schema=schema)
    spec.components.schema("Health", HEALTH)
    spec.components.schema("OpenApiDocument", OPEN_API_DOCUMENT)


def add_query_parameters(spec, converter, shapes):
    """Each query parameter as a component, once where several queries take the
    same one; {query: the ids of its parameters}."""
    queries = {
        "ListQuery": shapes.ListQuerySchema,
        "SummaryQuery": shapes.SummaryQuerySchema,
        "DeletedQuery": schemas.DeletedQuerySchema,
        "EventsQuery": schemas.EventsQuerySchema,
        "ActivitiesQuery": schemas.ActivitiesQuerySchema,
    }
    registered = {}
    ids = {}
    for query, schema in queries.items():
        ids[query] = []
        for parameter in converter.schema2parameters(schema, location="query"):
            if parameter["name"] == "page":
                # The service takes 1, but a client generated from a default would
                # send it with every `cursor`, which a page of its own contradicts.
                del parameter["schema"]["default"]
            key = component_id("Query", parameter["name"])
            if registered.get(key, parameter) != parameter:
                key = component_id("Query", query.removesuffix("Query"), parameter["name"])
            if key not in registered:
                registered[key] = parameter
                spec.components.parameter(key, "query", parameter)
            ids[query].append(key)
    return ids


def path_parameter(spec, name):
    """The id of the component of a path's {name}, made on its first use."""
    key = component_id("Path", name)
    if key not in spec.components.parameters:
        description, pattern = PATH_IDS[name]
        schema = {"type": "string", "pattern": f"^{pattern.pattern}$"}
        spec.components.parameter(
            key, "path", {"name": name, "description": description, "schema": schema}
        )
    return key


def operation_object(operation, queries, examples):
    parameters = [component_id("Header", name) for name in operation.headers]
    parameters += queries.get(operation.query, [])
    parameters.append(component_id("Header", "X-Request-ID"))
    described = {
        "operationId": operation.id,
        "tags": [operation.tag],
        "summary": operation.summary,
        "description": operation.description,
        "parameters": parameters,
        "responses": {
            **{
                status: answer_object(answer, examples)
                for status, answer in operation.answers.items()
            },
            **{status: PROBLEMS[status][0] for status in operation.errors},
        },
    }
    if operation.body is not None:
        schema, example = operation.body
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": media(schema, example, examples)},
        }
    if operation.open:
        described["security"] = []
    return described


def answer_object(answer, examples):
    content = {}
    if answer.schema is not None:
        content["application/json"] = media(answer.schema, answer.example, examples)
    for mimetype, example in answer.files:
        content[mimetype] = media(FILES[mimetype], example, examples)
    response = {
        "description": answer.description,
        "headers": {name: component_id(name) for name in (*answer.headers, "X-Request-ID")},
    }
    if content:
        response["content"] = content
    return response


def media(schema, example, examples):
    return {"schema": schema, **({"example": examples[example]} if example else {})}


def options_object(path):
    """OPTIONS, which Flask answers on every path."""
    words = re.findall(r"[a-z]+", path.removeprefix("/api/v1"))
    return {
        "operationId": "options" + "".join(word.capitalize() for word in words),
        "tags": ["service"],
        "summary": "The methods this path takes",
        "description": "No body: `Allow` lists the methods, for a client, or a browser's "
        "preflight. Needs no token.",
        "security": [],
        "parameters": [component_id("Header", "X-Request-ID")],
        "responses": {
            "204": {
                "description": "No body; `Allow` lists the methods.",
                "headers": {
                    "Allow": {"schema": STRING},
                    "X-Request-ID": component_id("X-Request-ID"),
                },
            },
            **{status: PROBLEMS[status][0] for status in (404, 500)},
        },
    }


def component_id(*words):
    """A component's id made of words, names and header names: ("Path",
    "report_id") is PathReportId, ("X-Request-ID",) XRequestID."""
    parts = [part for word in words for part in re.split(r"[-_]", word)]
    return "".join(part[:1].upper() + part[1:] for part in parts)


def plain_text_rule(self, field, ret, **kwargs):
    """A text field's description ends with the rule its `plain_text` validator keeps,
    which the field's own description (also a form's help) leaves out."""
    if schemas.plain_text not in getattr(field, "validators", ()):
        return {}
    description = ret.get("description") or field.metadata.get("description", "")
    return {"description": f"{description} {PLAIN_TEXT_RULE}".strip()}


def with_named_enums(document):
    """Each enum that a field names (schemas.ENUM_NAME) as a component of that
    name, which every use refers to: a fixed one of schemas.ENUMS, or a catalogue
    field's, which gets "Choice" after its name if another component has it."""
    components = document["components"]["schemas"]
    taken = set(components) | set(schemas.ENUMS)
    named = {}

    def component_of(node):
        wanted = node.pop(schemas.ENUM_NAME)
        varnames = node.pop("x-enum-varnames", None)
        values = tuple(value for value in node.pop("enum") if value is not None)
        key = (wanted, values)
        if key not in named:
            name = wanted
            if tuple(schemas.ENUMS.get(wanted, ())) != values:
                name = unique_name(wanted, taken)
                taken.add(name)
            components[name] = {"type": "string", "enum": list(values)}
            if varnames:
                components[name]["x-enum-varnames"] = varnames
            named[key] = name
        return named[key]

    def replace(node):
        if isinstance(node, list):
            return [replace(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: replace(value) for key, value in node.items()}
        if schemas.ENUM_NAME not in node:
            return node
        reference = {"$ref": f"#/components/schemas/{component_of(node)}"}
        types = node.pop("type", "string")
        if "null" in types:
            return {"anyOf": [reference, {"type": "null"}], **node}
        return {**reference, **node}

    document["paths"] = replace(document["paths"])
    for kind in ("parameters", "schemas"):
        for name, component in list(document["components"][kind].items()):
            document["components"][kind][name] = replace(component)
    return document


def unique_name(wanted, taken):
    candidates = [wanted, f"{wanted}Choice", *(f"{wanted}Choice{n}" for n in range(2, 100))]
    return next(name for name in candidates if name not in taken)
