"""Commands for `flask --app reports ...`."""

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from reports import auth
from reports.db import init_db


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database from schema.sql; existing reports are kept."""
    path = current_app.config["DATABASE"]
    init_db(path)
    click.echo(f"Initialised the database at {path}.")


token = AppGroup("token", help="Create, list and revoke API tokens.")


@token.command("create")
@click.option("--name", required=True, help="Who or what the token is for; shown in the history.")
@click.option("--role", required=True, type=click.Choice(auth.ROLES))
@click.option("--mentor", help="The peer mentor id a mentor token acts for.")
def create_token_command(name, role, mentor):
    """Create a token and print its secret, once: only a hash of it is kept.

    The secret alone goes to stdout, so `TOKEN=$(flask --app reports token
    create ...)` keeps it; what to do with it goes to stderr.
    """
    try:
        secret = auth.create_token(name, role, mentor)
    except auth.TokenError as error:
        raise click.ClickException(str(error)) from None
    for_whom = f" for peer mentor {mentor}" if mentor else ""
    click.echo(
        f"Created the {role} token {name!r}{for_whom}. Its secret, shown only this once "
        "(send it as `Authorization: Bearer <secret>`):",
        err=True,
    )
    click.echo(secret)


@token.command("list")
def list_tokens_command():
    """List every token, revoked ones included; secrets are never shown."""
    rows = [("NAME", "ROLE", "MENTOR", "CREATED", "LAST USED", "REVOKED")]
    for row in auth.all_tokens():
        rows.append(
            (
                row["name"],
                row["role"],
                row["peer_mentor_id"] or "-",
                row["created_at"],
                row["last_used_at"] or "never",
                row["revoked_at"] or "-",
            )
        )
    if len(rows) == 1:
        click.echo("No tokens: the API is open to anyone who can reach it.")
        return
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@token.command("revoke")
@click.argument("name")
def revoke_token_command(name):
    """Revoke a token: requests bearing it are refused from now on."""
    try:
        revoked_at, still_guarded = auth.revoke_token(name)
    except auth.TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Revoked the token {name!r} at {revoked_at}.")
    if not still_guarded:
        click.echo(
            "No token is in force any more: the API is open to anyone who can reach it.",
            err=True,
        )


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(token)
