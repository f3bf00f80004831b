"""E-mail: a message with a plain-text part and, where given, an HTML one,
sent through the SMTP server at SMTP_HOST. Nothing here queues: the
dispatcher (reports/dispatcher.py) sends what waits in the outbox's mail
table, so that no request waits on the mail server nor shows by its time what
was sent. Without SMTP_HOST e-mail is off, and nothing is sent."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app

TIMEOUT_SECONDS = 15


def is_on(app=None):
    return (app or current_app).config["SMTP_HOST"] is not None


def send(to, subject, text, html=None, headers=None):
    """Send `text` (and `html` as its alternative) to `to` from MAIL_FROM,
    through SMTP_HOST:SMTP_PORT, encrypted as SMTP_TLS says (STARTTLS first, or
    TLS from the start, the server's certificate checked), and signed in as
    SMTP_USER if set. `headers` are added as they are. Raises OSError or
    smtplib.SMTPException when the server cannot be reached in
    TIMEOUT_SECONDS, or refuses."""
    config = current_app.config
    sender = config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # The sender's domain: make_msgid's default asks the resolver for this host's name.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2])
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with connect(config) as smtp:
        smtp.send_message(message)


def connect(config):
    """An SMTP connection to SMTP_HOST, encrypted and signed in as the settings say."""
    host, port, tls = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TLS"]
    if tls == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=tls_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    try:
        if tls == "starttls":
            smtp.starttls(context=tls_context())
        if config["SMTP_USER"] is not None:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def tls_context():
    """The checks of the SMTP server's certificate: the system's trusted authorities."""
    return ssl.create_default_context()
