"""Commands for `flask --app reports ...`."""

import click
from flask import current_app
from flask.cli import with_appcontext

from reports.db import init_db


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database from schema.sql; existing reports are kept."""
    path = current_app.config["DATABASE"]
    init_db(path)
    click.echo(f"Initialised the database at {path}.")


def init_app(app):
    app.cli.add_command(init_db_command)
