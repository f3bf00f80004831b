"""A coordinator's page of what the service tells other systems and people:
whether e-mail is on, each webhook with its state and a button to resume it,
and the last deliveries. A webhook is added on the server's command line,
where its signing secret is shown once: no page ever shows a secret."""

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from reports import mail, service
from reports.web import bp, login_required
from reports.web.messages import _l

ADD_COMMAND = "flask --app reports webhook add URL"
# How the connection to SMTP_HOST is encrypted, by SMTP_TLS.
ENCRYPTION = {
    "starttls": _l("encrypted with STARTTLS"),
    "ssl": _l("encrypted with TLS"),
    "none": _l("not encrypted"),
}


@bp.get("/integrations")
@login_required
def integrations():
    service.require_may("manage webhooks", g.caller)
    webhooks = [
        {**webhook, "shown_state": state_of(webhook)}
        for webhook in service.all_webhooks(caller=g.caller)
    ]
    return render_template(
        "web/integrations.html",
        mail=mail_settings(),
        webhooks=webhooks,
        deliveries=service.webhook_deliveries(caller=g.caller),
        add_command=ADD_COMMAND,
    )


@bp.post("/integrations/<webhook_id>/retry")
@login_required
def retry_webhook(webhook_id):
    """Resume a failing webhook, or one waiting to retry: its next event is tried now."""
    service.require_may("manage webhooks", g.caller)
    webhook = service.retry_webhook(webhook_id, caller=g.caller)
    flash(_("%(url)s is resumed: its next event is tried now.", url=webhook["url"]))
    return redirect(url_for("web.integrations"), 303)


def state_of(webhook):
    """ "failing" (it waits for a coordinator), "waiting" (to retry at its
    next_attempt_at) or "delivering"."""
    if webhook["state"] == "failing":
        return "failing"
    if webhook["failures"] and webhook["next_attempt_at"]:
        return "waiting"
    return "delivering"


def mail_settings():
    """What the page says of e-mail: None while it is off."""
    if not mail.is_on():
        return None
    config = current_app.config
    return {
        "sender": config["MAIL_FROM"],
        "server": f"{config['SMTP_HOST']}:{config['SMTP_PORT']}",
        "encryption": ENCRYPTION.get(config["SMTP_TLS"], config["SMTP_TLS"]),
    }
