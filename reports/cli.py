"""Commands for `flask --app reports ...`."""

import functools
import json
import os
import re
import sqlite3
import sys
import time
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from werkzeug.exceptions import NotFound

from reports import auth, catalogue, db, formats, languages, requestlog, service, workbook
from reports.config import ConfigError
from reports.read_only import refuse_if_read_only
from reports.serve import serve_command
from reports.words import counted

# What a command says in one line, instead of a traceback.
ONE_LINE_ERRORS = (db.DatabaseMissing, db.NotADatabase, db.NewerDatabase, db.DatabaseGone)


def storage_errors_in_one_line(command):
    """Any trouble with the database file ends the command with one clear line."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        path = current_app.config["DATABASE"]
        try:
            return command(*args, **kwargs)
        except ONE_LINE_ERRORS as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:
            raise click.ClickException(f"{path}: {error.strerror or error}.") from None
        except sqlite3.Error as error:
            raise click.ClickException(f"The database {path} refused it: {error}.") from None

    return run


def needs_database(command):
    """For every command but init-db: no database at the path is an error, and
    never a new, empty one (as a command run from the wrong folder would make)."""

    @functools.wraps(command)
    @storage_errors_in_one_line
    def run(*args, **kwargs):
        db.require_database(current_app.config["DATABASE"])
        return command(*args, **kwargs)

    return run


@click.command("init-db")
@with_appcontext
@storage_errors_in_one_line
def init_db_command():
    """Create the database from schema.sql; existing reports are kept."""
    refuse_if_read_only()
    path = current_app.config["DATABASE"]
    existed = os.path.exists(path)
    db.init_db(path, current_app.instance_path, catalogue.live())
    if existed:
        click.echo(f"Initialised the database at {path}; what it held is kept.")
    else:
        click.echo(f"Created a new database at {path}.")


@click.command("migrate")
@with_appcontext
@needs_database
def migrate_command():
    """Bring the database up to the schema this version of the service uses."""
    refuse_if_read_only()
    path = current_app.config["DATABASE"]
    before, after = db.upgrade(path, catalogue.live())
    if before == after:
        click.echo(f"{path} is at schema version {after}, the current one.")
    else:
        click.echo(f"Migrated {path} from schema version {before} to {after}.")


# Who a command acts as where the service asks for a caller: the operator at the
# server, a coordinator, under a name no token can have. (Purging and importing
# act for no caller: no request reaches them.)
OPERATOR = auth.Caller("flask command", "coordinator")

token = AppGroup("token", help="Create, list and revoke API tokens; reopen a closed API.")


@token.command("create")
@click.option("--name", required=True, help="Who or what the token is for; shown in the history.")
@click.option("--role", required=True, type=click.Choice(auth.ROLES))
@click.option("--mentor", help="The peer mentor id a mentor token acts for.")
@click.option(
    "--link", is_flag=True, help="Also print a one-time sign-in link for a browser (see `link`)."
)
@click.option("--email", metavar="ADDRESS", help="The person's e-mail address.")
@needs_database
def create_token_command(name, role, mentor, link, email):
    """Create a token and print its secret, once: only a hash of it is kept.

    The secret alone goes to stdout, so `TOKEN=$(flask --app reports token
    create ...)` keeps it; what to do with it goes to stderr. With --link, a
    one-time sign-in link follows it on stdout.

    The token is a new person's, named NAME, with this role; with --mentor
    naming a peer mentor who is a person already, that person's.
    """
    try:
        secret = auth.create_token(name, role, mentor, email)
    except auth.TokenError as error:
        raise click.ClickException(str(error)) from None
    for_whom = f" for peer mentor {mentor}" if mentor else ""
    click.echo(
        f"Created the {role} token {name!r}{for_whom}. Its secret, shown only this once "
        "(send it as `Authorization: Bearer <secret>`):",
        err=True,
    )
    click.echo(secret)
    if link:
        _echo_sign_in_link(name)


@token.command("link")
@click.argument("name")
@needs_database
def link_token_command(name):
    """Print a one-time sign-in link for the token NAME: opened in a browser, it
    signs in as that token, once, within LINK_MINUTES. Send it to the token's
    owner; only a hash of it is kept."""
    _echo_sign_in_link(name)


def _echo_sign_in_link(name):
    minutes = current_app.config["LINK_MINUTES"]
    try:
        secret = auth.create_sign_in_link(name, minutes)
    except auth.TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"A sign-in link for {name!r}: it works once, for {counted(minutes, 'minute')} "
        "(set PUBLIC_URL if browsers reach the service at another address):",
        err=True,
    )
    click.echo(auth.sign_in_url(secret))


@token.command("list")
@needs_database
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
    state = auth.access_state()
    if len(rows) == 1:
        click.echo(f"No tokens: {ACCESS[state]}")
        return
    echo_table(rows)
    if state != "guarded":
        click.echo(f"No token is in force: {ACCESS[state]}", err=True)


# What a request without a valid token gets, by auth.access_state().
ACCESS = {
    "open to all": "ALLOW_OPEN is set, so the API is open to anyone who can reach it.",
    "open here": "the API is open to requests made on this machine (to localhost, not "
    "through a proxy), and refuses every other.",
    "closed": "the API stays closed and refuses every request. Create a token with "
    f"`{auth.CREATE_COMMAND}`, or open the API to this machine again with "
    f"`{auth.REOPEN_COMMAND}`.",
}


def echo_table(rows):
    """Rows of text in columns as wide as their widest cell; the first row heads them."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@token.command("revoke")
@click.argument("name")
@needs_database
def revoke_token_command(name):
    """Revoke a token: requests bearing it are refused from now on, the browsers
    signed in with it are signed out, and its unused sign-in links are deleted."""
    try:
        revoked_at = service.revoke_token(name, caller=OPERATOR)
    except NotFound as error:
        raise click.ClickException(error.description) from None
    click.echo(f"Revoked the token {name!r} at {revoked_at}.")
    if not auth.any_in_force():
        click.echo(f"No token is in force any more: {ACCESS[auth.access_state()]}", err=True)


@token.command("reopen")
def reopen_command():
    """Open the API again while no token is in force, to requests made on this
    machine (to anyone with ALLOW_OPEN). Refused while a token is in force;
    creating a token closes it again."""
    try:
        was_closed = auth.reopen()
    except auth.TokenError as error:
        raise click.ClickException(str(error)) from None
    state = auth.access_state()
    if was_closed:
        click.echo(f"Reopened: {ACCESS[state]} Creating a token closes it again.")
    else:
        click.echo(f"Nothing to reopen: {ACCESS[state]}")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate every row, import nothing.")
@with_appcontext
@needs_database
def import_command(path, dry_run):
    """Import reports from a file of the export's formats: an XLSX workbook, a
    CSV file (.csv, with or without a byte-order mark) or JSON Lines (.jsonl or
    .ndjson); all of them, or none if any row is bad."""
    try:
        with _import_rows(path) as rows:
            count = service.import_reports(
                rows, current_app.config["DEFAULT_ORG_ID"], dry_run=dry_run
            )
    except (formats.FormatError, workbook.NotAWorkbook, workbook.TooLarge) as error:
        raise _not_imported(f"{path}: {error}.") from None
    except sqlite3.Error as error:
        raise _not_imported(f"{path}: the database refused a row ({error}).") from None
    except UnicodeDecodeError as error:
        raise _not_imported(
            f"{path} is not UTF-8 ({error.reason} at byte {error.start})."
        ) from None
    except MemoryError:
        raise _not_imported(f"{path}: the import ran out of memory.") from None
    except service.ImportFailed as failed:
        for line, messages in failed.problems:
            problem = f"{path}:{line}: {json.dumps(messages, ensure_ascii=False)}"
            click.echo(shown(problem), err=True)
        more = failed.count - len(failed.problems)
        if more:
            click.echo(f"… and {counted(more, 'more row')} that {_is(more)} not valid.", err=True)
        raise _not_imported(
            f"{failed.count:,} of the rows {_is(failed.count)} not valid."
        ) from None
    if dry_run:
        click.echo(shown(f"{_valid(count, path)} Nothing was imported (--dry-run)."))
    else:
        click.echo(shown(f"Imported {_reports(count)} from {path}."))


# What an import prints of a file (its name, its header, the problems of its
# rows) may hold characters that drive a terminal: they are shown escaped, as
# the request log writes them. A backslash is left as it is, so that the JSON
# of a row's problems keeps its own escapes.
TERMINAL_CONTROLS = re.compile(f"[{requestlog.CONTROLS}]")


def shown(text):
    """`text` as it may be written to a terminal."""
    return requestlog.escape(text, TERMINAL_CONTROLS)


def _not_imported(message):
    return click.ClickException(shown(f"{message} Nothing was imported."))


def _is(count):
    return "is" if count == 1 else "are"


def _reports(count):
    return "no reports" if count == 0 else counted(count, "report")


def _valid(count, path):
    """What a dry run of `count` valid reports of `path` says."""
    if count == 0:
        return f"{path} holds no reports."
    if count == 1:
        return f"The 1 report of {path} is valid."
    return f"All {count:,} reports of {path} are valid."


ZIP_START = b"PK\x03\x04"
OLD_EXCEL_START = b"\xd0\xcf\x11\xe0"


@contextmanager
def _import_rows(path):
    """The (line or row number, row) of an import file, by what the file is,
    with a progress bar on stderr for a large one."""
    with open(path, "rb") as file:
        start = file.read(4)
    if start == OLD_EXCEL_START:
        raise formats.FormatError(
            "an Excel 97-2003 workbook (.xls) cannot be read: save it as .xlsx"
        )
    # A field no longer in the catalogue is a column of exports, but not of imports.
    columns = formats.report_columns(
        catalogue.live(), service.fields_no_longer_in_catalogue(db.get_db())
    )
    if start == ZIP_START:
        with formats.read_xlsx(path, columns) as (size, rows):
            with click.progressbar(
                length=size, label="Reading", file=sys.stderr, hidden=size < PROGRESS_FROM_ROWS
            ) as progress:
                yield _with_progress(rows, lambda number: number - progress.pos, progress)
        return
    if path.lower().endswith(".csv"):
        read = functools.partial(formats.read_csv, columns=columns)
    else:
        read = formats.read_ndjson
    size = os.path.getsize(path)
    # utf-8-sig: a file saved by a spreadsheet may start with a byte-order mark.
    with open(path, encoding="utf-8-sig", newline="") as file:
        with click.progressbar(
            length=size, label="Reading", file=sys.stderr, hidden=size < PROGRESS_FROM_BYTES
        ) as progress:
            yield _with_progress(read(file), lambda _: file.buffer.tell() - progress.pos, progress)


PROGRESS_FROM_BYTES = 1024 * 1024
PROGRESS_FROM_ROWS = 5000

trash = AppGroup("trash", help="See and empty the trash of deleted reports.")


@trash.command("list")
@needs_database
def list_trash_command():
    """List the deleted reports that can still be restored, newest first."""
    entries = service.trashed_reports(current_app.config["TRASH_DAYS"], caller=OPERATOR)
    if not entries:
        click.echo("The trash is empty.")
        return
    columns = ("report_id", "peer_mentor_id", "deleted_at", "deleted_by", "purged_after")
    rows = [("REPORT", "MENTOR", "DELETED", "BY", "PURGED AFTER")]
    rows += [tuple(entry[column] for column in columns) for entry in entries]
    echo_table(rows)


@trash.command("purge")
@needs_database
def purge_trash_command():
    """Delete for good the reports deleted more than TRASH_DAYS days ago, with
    every copy of what they said, and the expired Idempotency-Keys. The server
    does this by itself every hour."""
    days = current_app.config["TRASH_DAYS"]
    purged, expired = service.purge(days)
    click.echo(f"Purged {counted(purged, 'report')} deleted more than {counted(days, 'day')} ago.")
    click.echo(f"Forgot {counted(expired, 'Idempotency-Key')} older than their lifetime.")


def _with_progress(rows, moved, progress):
    """The (number, row) of `rows`, moving the progress bar by `moved(number)`."""
    for number, row in rows:
        progress.update(moved(number))
        yield number, row


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@with_appcontext
@needs_database
def backup_command(target):
    """Copy the database to TARGET while the service keeps serving."""
    started = time.monotonic()
    try:
        problems = db.backup(current_app.config["DATABASE"], target)
    except (OSError, sqlite3.Error) as error:
        raise click.ClickException(f"Cannot back up to {target}: {error}.") from None
    if problems:
        raise click.ClickException(
            f"The copy at {target} fails its check: {'; '.join(problems[:10])}"
        )
    size = os.path.getsize(target) / 2**20
    click.echo(
        f"Backed up {current_app.config['DATABASE']} to {target} "
        f"({size:.1f} MiB, checked) in {time.monotonic() - started:.1f} s."
    )


@click.command("check")
@with_appcontext
@needs_database
def check_command():
    """Check the database with SQLite's integrity, foreign key and search index
    checks. It only reads: the file is opened read-only."""
    path = current_app.config["DATABASE"]
    problems = db.check(path)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{path} has {len(problems)} problems.")
    click.echo(f"{path} is sound.")


report_form = AppGroup(
    "catalogue",
    help="See the live report form; check that it speaks every language of the pages, "
    "and that the stored reports fit it.",
)


@report_form.command("show")
def show_catalogue_command():
    """Print the live catalogue's file, version and fields."""
    live = catalogue.live()
    click.echo(f"Catalogue: {live.source}, version {live.version}, {len(live.fields)} fields.")
    rows = [("NAME", "KIND", "LABEL", "RULES")]
    rows += [
        (field.name, field.kind, field.default_label, _rules_of(field, live))
        for field in live.fields
    ]
    echo_table(rows)


def _rules_of(field, live):
    """What a field's line of `catalogue show` says besides its name, kind and label."""
    roles = ("session_date", "way_forward", "title")
    rules = [role for role in roles if getattr(live, role) == field.name]
    rules += [flag for flag in ("required", "searchable") if getattr(field, flag)]
    if field.is_filter:
        rules.append("filter")
    return ", ".join(rules) or "-"


@report_form.command("check")
@needs_database
def check_catalogue_command():
    """List stored values the catalogue now refuses.

    One line per value that the live catalogue no longer accepts, and why: a
    value of a field it no longer has (which is kept), a value outside its rules
    now (but for a date's not_after_tomorrow, a rule of the day it is written),
    a field it requires missing from a submitted report. Nothing is changed.
    Exit status 1 if there is any.

    First, a warning (which changes no exit status) for each label or help
    that lacks a language the pages are offered in."""
    live = catalogue.live()
    for warning in _missing_languages(live, languages.offered(current_app)):
        click.echo(warning, err=True)
    problems = reports = 0
    for report_id, misfits in service.catalogue_misfits(live):
        reports += 1
        for name, why in misfits:
            problems += 1
            click.echo(f"{report_id}  {name}: {why}")
    if problems:
        raise click.ClickException(
            f"{counted(reports, 'report')} {'does' if reports == 1 else 'do'} not fit the "
            f"catalogue (version {live.version}): {counted(problems, 'problem')}, listed above. "
            "Nothing was changed."
        )
    click.echo(f"Every report fits the catalogue (version {live.version}).")


def _missing_languages(live, offered):
    """One warning for each field with a text that lacks any of the `offered` languages."""
    lacks = {}
    for field, what, missing in live.lacking(offered):
        lacks.setdefault(field.name, []).append(f"{what} in {', '.join(missing)}")
    for name, texts in lacks.items():
        yield (
            f"Warning: field {name!r} has no text for {'; '.join(texts)}: a page in a "
            f"language it lacks shows the {live.default_language} text."
        )


replica = AppGroup(
    "replica", help="Stream every change of the database to a replica with Litestream."
)

SYNC_INTERVAL = re.compile(r"[1-9][0-9]*(ms|s|m|h)")


@replica.command("config")
@click.option(
    "--to",
    "url",
    required=True,
    help="Where the replica goes: file:///path, s3://bucket/path, sftp://user@host/path ...",
)
@click.option(
    "--sync-interval",
    default="1s",
    show_default=True,
    help="How often Litestream ships new WAL frames: the most a lost machine can lose.",
)
@click.option(
    "--exec",
    "command",
    default="python app.py",
    show_default=True,
    help="The command that serves, which `litestream replicate` starts and stops with itself.",
)
@click.option("--output", type=click.Path(dir_okay=False), help="Write it to this file.")
@with_appcontext
def replica_config_command(url, sync_interval, command, output):
    """Print a litestream.yml that replicates the configured database to URL.

    Serve with `litestream replicate -config litestream.yml`: Litestream runs the
    `exec` command with REPORTS_REPLICATED=1, so the service leaves checkpoints
    to Litestream, and stops when the service stops."""
    if "://" not in url:
        raise click.BadParameter("give a URL such as file:///srv/replica or s3://bucket/path")
    if not SYNC_INTERVAL.fullmatch(sync_interval):
        raise click.BadParameter(
            "give a duration such as 1s, 500ms or 1m", param_hint="--sync-interval"
        )
    text = replica_config(current_app.config["DATABASE"], url, sync_interval, command)
    if output is None:
        click.echo(text, nl=False)
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(text)
    click.echo(f"Wrote {output}: serve with `litestream replicate -config {output}`.", err=True)


def replica_config(database, url, sync_interval, command):
    """The litestream.yml text (0.5's format). JSON strings are YAML strings."""
    return (
        "# Generated by `flask --app reports replica config`; Litestream 0.5.\n"
        f"exec: {json.dumps('env REPORTS_REPLICATED=1 ' + command)}\n"
        "dbs:\n"
        f"  - path: {json.dumps(os.path.abspath(database))}\n"
        "    replicas:\n"
        f"      - url: {json.dumps(url)}\n"
        f"        sync-interval: {sync_interval}\n"
    )


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(migrate_command)
    app.cli.add_command(token)
    app.cli.add_command(import_command)
    app.cli.add_command(trash)
    app.cli.add_command(backup_command)
    app.cli.add_command(check_command)
    app.cli.add_command(report_form)
    app.cli.add_command(serve_command)
    app.cli.add_command(replica)


def _create_app():
    from reports import create_app

    try:
        return create_app()
    except ConfigError as error:
        sys.exit(f"Cannot start: {error}")


def main():
    """The `post-session-reports` command: every `flask --app reports` command,
    `serve` included, without naming the app."""
    cli = FlaskGroup(
        name="post-session-reports",
        help="The Post-Session Report Repository: serve it, and look after its database.",
        create_app=_create_app,
    )
    cli.main(prog_name="post-session-reports")
