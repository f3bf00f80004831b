"""The commands of the outbox: `webhook ...` and `mail test`."""

import smtplib

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.exceptions import NotFound

from reports import mail, service
from reports.cli import OPERATOR, echo_table, needs_database
from reports.service.events import EVENT_TYPES
from reports.service.webhooks import WebhookError

webhook = AppGroup(
    "webhook", help="Post every change of a report, signed, to other systems (Standard Webhooks)."
)


@webhook.command("add")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(EVENT_TYPES),
    help="Post only events of this type (again for more); by default every type.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Take a URL whose host is on this machine or a private network.",
)
@needs_database
def add_webhook_command(url, events, allow_private):
    """Post every event from now on to URL, and print the endpoint's signing
    secret, once: the receiver checks each delivery's signature with it.

    The secret alone goes to stdout; what to do with it goes to stderr."""
    try:
        webhook_id, secret = service.add_webhook(
            url, list(events) or None, allow_private, caller=OPERATOR
        )
    except WebhookError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Added webhook {webhook_id}: {url}. Its signing secret, shown only this once "
        "(the receiver verifies each delivery with it, as Standard Webhooks says):",
        err=True,
    )
    click.echo(secret)


@webhook.command("list")
@needs_database
def list_webhooks_command():
    """List the webhooks, with their state and how far each has got; secrets are never shown."""
    webhooks = service.all_webhooks(caller=OPERATOR)
    if not webhooks:
        click.echo("No webhooks. `webhook add URL` adds one.")
        return
    rows = [("ID", "URL", "EVENTS", "STATE", "DELIVERED UP TO", "FAILURES", "NEXT TRY")]
    for each in webhooks:
        rows.append(
            (
                str(each["webhook_id"]),
                each["url"],
                ",".join(each["events"]) if each["events"] else "all",
                each["state"],
                str(each["delivered_up_to"]),
                str(each["failures"]),
                each["next_attempt_at"] or "-",
            )
        )
    echo_table(rows)


@webhook.command("remove")
@click.argument("webhook")
@needs_database
def remove_webhook_command(webhook):
    """Remove the webhook WEBHOOK (its id or URL): nothing more is posted to it."""
    removed = _webhook_or_exit(service.remove_webhook, webhook)
    click.echo(f"Removed webhook {removed['webhook_id']}: {removed['url']}.")


@webhook.command("retry")
@click.argument("webhook")
@needs_database
def retry_webhook_command(webhook):
    """Resume the webhook WEBHOOK (its id or URL), failing or waiting for a
    retry: the server tries its next event at once."""
    resumed = _webhook_or_exit(service.retry_webhook, webhook)
    click.echo(f"Resumed webhook {resumed['webhook_id']}: the server tries it again now.")


@webhook.command("test")
@click.argument("webhook")
@needs_database
def test_webhook_command(webhook):
    """Post a webhook.test event to WEBHOOK (its id or URL) now, and say what it answered."""
    attempt = _webhook_or_exit(service.send_test_to_webhook, webhook)
    if attempt["delivered"]:
        click.echo(
            f"{attempt['url']} answered {attempt['status']} in {attempt['milliseconds']} ms."
        )
        return
    why = attempt["error"] or f"it answered {attempt['status']}, not a 2xx"
    raise click.ClickException(f"The test event did not reach {attempt['url']}: {why}.")


@webhook.command("deliveries")
@click.argument("webhook", required=False)
@needs_database
def deliveries_command(webhook):
    """The last attempts to deliver, newest first: to WEBHOOK (its id or URL), or to every one."""
    attempts = _webhook_or_exit(service.webhook_deliveries, webhook)
    if not attempts:
        click.echo("No deliveries yet.")
        return
    rows = [("WHEN", "WEBHOOK", "EVENT", "TYPE", "STATUS", "MS")]
    for each in attempts:
        rows.append(
            (
                each["attempted_at"],
                str(each["webhook_id"]),
                each["message_id"],
                each["type"],
                str(each["status"]) if each["status"] is not None else each["error"],
                str(each["milliseconds"]),
            )
        )
    echo_table(rows)


def _webhook_or_exit(action, webhook):
    try:
        return action(webhook, caller=OPERATOR)
    except NotFound as error:
        raise click.ClickException(error.description) from None


mail_group = AppGroup("mail", help="Check the e-mail settings.")


@mail_group.command("test")
@click.argument("address")
def mail_test_command(address):
    """Send one e-mail to ADDRESS now, through SMTP_HOST, and say how it went."""
    config = current_app.config
    if not mail.is_on():
        raise click.ClickException("E-mail is off: set SMTP_HOST (and MAIL_FROM, PUBLIC_URL).")
    where = f"{config['SMTP_HOST']}:{config['SMTP_PORT']} ({config['SMTP_TLS']})"
    try:
        mail.send(
            address,
            "A test from Post-Session Reports",
            f"This e-mail was sent through {where} to check the e-mail settings.\n",
        )
    except (OSError, smtplib.SMTPException) as error:
        raise click.ClickException(f"Could not send through {where}: {error}.") from None
    click.echo(f"Sent a test e-mail to {address} through {where}.")


def init_app(app):
    app.cli.add_command(webhook)
    app.cli.add_command(mail_group)
