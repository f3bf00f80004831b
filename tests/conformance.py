"""Checks a response against the app's own OpenAPI document: its status is
documented for the operation, and its content type and body are the documented ones.
And lints a document with Spectral."""

import json
import re
import subprocess
from pathlib import Path

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.exceptions import HTTPException

from reports.openapi import build_spec

from browser import skip_or_fail

DOCUMENT = "/api/v1/openapi.json"
BASE = "urn:openapi"
CHECKED_METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS")
SPECTRAL = Path(__file__).parent / "spectral"


def pointer(*parts):
    return "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


class OpenAPIDocument:
    def __init__(self, document):
        self.document = document
        resource = Resource(contents=document, specification=DRAFT202012)
        self.registry = Registry().with_resource(BASE, resource)

    def operation(self, app, method, path):
        """(OpenAPI path, operation) that serves this request, or None for no route."""
        try:
            rule, _ = app.url_map.bind("localhost").match(path, method, return_rule=True)
        except HTTPException:
            return None
        template = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        operation = self.document["paths"].get(template, {}).get(method.lower())
        return None if operation is None else (template, operation)

    def response(self, template, method, status):
        """The documented response and the pointer to it, or None if undocumented."""
        responses = self.document["paths"][template][method.lower()]["responses"]
        key = str(status)
        if key not in responses:
            return None, None
        found, where = responses[key], pointer("paths", template, method.lower(), "responses", key)
        if "$ref" in found:
            where = found["$ref"].removeprefix("#/")
            found = self.document["components"]["responses"][where.rsplit("/", 1)[1]]
        return found, where

    def check(self, app, method, path, response):
        """Raise AssertionError if `response` is not what the document promises."""
        located = self.operation(app, method, path)
        if located is None:
            return
        template, _ = located
        documented, where = self.response(template, method, response.status_code)
        assert documented is not None, (
            f"{method} {path} answered {response.status_code}, "
            f"which the document does not list for {method} {template}"
        )
        content = documented.get("content")
        if not content:
            assert not response.data, f"{method} {path}: {response.status_code} should have no body"
            return
        assert response.mimetype in content, (
            f"{method} {path}: {response.mimetype} is not among {list(content)}"
        )
        if not response.is_json:
            return  # an export: its rows are checked by the tests of exports
        schema_at = f"{BASE}#/{where}/content/{pointer(response.mimetype)}/schema"
        validator = Draft202012Validator({"$ref": schema_at}, registry=self.registry)
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert not errors, f"{method} {path} {response.status_code}: {errors[0].message}"


class ConformingClient(FlaskClient):
    """A test client that checks every response it gets against the OpenAPI document."""

    # By catalogue and DEFAULT_ORG_ID, what the document depends on.
    documents = {}

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        if request.method in CHECKED_METHODS and request.path != DOCUMENT:
            self.document().check(self.application, request.method, request.path, response)
        return response

    def document(self):
        form = self.application.extensions["catalogue"]
        key = (form, self.application.config["DEFAULT_ORG_ID"])
        if key not in self.documents:
            served = super().open(DOCUMENT).get_json()
            assert served == build_spec(self.application)
            self.documents[key] = OpenAPIDocument(served)
        return self.documents[key]


def spectral_lint(document, tmp_path):
    """What Spectral says of the document, with tests/spectral/.spectral.yaml."""
    binary = SPECTRAL / "node_modules" / ".bin" / "spectral"
    if not binary.exists():
        skip_or_fail("Spectral is not installed: npm ci --prefix tests/spectral.")
    saved = tmp_path / "openapi.json"
    saved.write_text(json.dumps(document), encoding="utf-8")
    linted = subprocess.run(
        [binary, "lint", "--ruleset", SPECTRAL / ".spectral.yaml", "--format", "json", saved],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert linted.stdout.lstrip().startswith("["), linted.stdout + linted.stderr
    return json.loads(linted.stdout[: linted.stdout.rindex("]") + 1])
