"""The Post-Session Report Repository: a Flask application factory."""

import os

import click
from flask import Flask
from flask_wtf.csrf import CSRFProtect

from reports import (
    api,
    catalogue,
    cli,
    cross_site,
    db,
    directory_api,
    docs,
    errors,
    headers,
    installable,
    integrations_cli,
    json_provider,
    languages,
    read_only,
    requestlog,
    throttle,
    web,
)
from reports.config import DEFAULTS, ConfigError, check_config


class ReportsFlask(Flask):
    """Flask, with OPTIONS answered as the API's contract says, and JSON written by orjson."""

    json_provider_class = json_provider.JSONProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.synced = {}

    def ensure_sync(self, func):
        """Flask asks, at every request, whether each view and hook it calls is a
        coroutine function; the answer holds for the function's life: ask once."""
        synced = self.synced.get(func)
        if synced is None:
            synced = self.synced[func] = super().ensure_sync(func)
        return synced

    def make_default_options_response(self):
        """OPTIONS: 204 with `Allow`, and no body."""
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


csrf = CSRFProtect()


def read_catalogue(app):
    """The report form: CATALOGUE's file, else instance/catalogue.toml, else the built-in one."""
    try:
        catalogue.init_app(app)
    except catalogue.CatalogueError as error:
        raise ConfigError(str(error)) from None


def create_app(test_config=None, instance_path=None):
    """Build the app: configuration, errors, CLI, the API and its /docs, the web
    pages and what makes them an app a phone installs.

    The instance folder (the database, `config.py`, the catalogue) is
    `instance_path`, or `instance/` in the current folder. Configuration is
    read in this order, each overriding the one before: the defaults,
    `instance/config.py`, `REPORTS_*` environment variables, `test_config`.
    """
    app = ReportsFlask(
        __name__,
        instance_path=os.path.abspath(instance_path or "instance"),
        instance_relative_config=True,
    )
    # `//` in a path is no route, not a redirect to one.
    app.url_map.merge_slashes = False
    app.url_map.converters["report_id"] = api.ReportIdConverter
    app.config.from_mapping(DATABASE=os.path.join(app.instance_path, "reports.sqlite"), **DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("REPORTS")
    if test_config is not None:
        app.config.from_mapping(test_config)
    try:
        check_config(app.config)
        read_catalogue(app)
    except ConfigError as error:
        if click.get_current_context(silent=True) is not None:
            # Under the `flask` command, which shows a traceback for any error of
            # the factory but its own, even for --help: one line instead.
            raise SystemExit(f"Error: {error}") from None
        raise

    app.json.sort_keys = False  # keys in the contract's order
    # The database is opened on the first request; only `init-db`, `migrate`
    # and the server's start create or change it (see db.open_or_create).
    requestlog.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    # Before the read-only copy's refusal and CSRFProtect's check: a write another
    # site's page sends is refused first, whatever it is.
    cross_site.init_app(app)
    # Before CSRFProtect's check: on a read-only copy a write is refused whatever it sends.
    read_only.init_app(app)
    throttle.init_app(app)
    cli.init_app(app)
    integrations_cli.init_app(app)
    # directory_api's routes are on api.bp: importing it added them.
    assert directory_api.bp is api.bp
    app.register_blueprint(api.bp)
    languages.init_app(app)
    web.init_app(app)
    installable.init_app(app)
    # Every form of the pages carries a CSRF token; the API takes bearer tokens,
    # which a browser never sends by itself.
    csrf.init_app(app)
    csrf.exempt(api.bp)
    # RFC 8058's one-click unsubscribe, which a mail provider POSTs: its signed
    # token is the credential (reports/web/notifications.py).
    csrf.exempt(web.notifications.notifications_off)
    app.register_blueprint(docs.bp)
    app.add_url_rule("/healthz", "healthz", api.healthz)
    return app
