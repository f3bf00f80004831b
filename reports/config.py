"""The settings a deployment may change, their defaults, and their checks."""

import re
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reports.schemas import ENTITY_ID_RULE, is_email, is_entity_id

DEFAULTS = {
    "HOST": "127.0.0.1",
    "PORT": 8080,
    "THREADS": 16,
    "DEFAULT_ORG_ID": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "ALLOW_OPEN": False,
    "TRASH_DAYS": 30,
    "LOG_FORMAT": "text",
    "MAX_EXPORTS": 2,
    "MAX_SEARCHES": 4,
    "QUERY_TIMEOUT_MS": 10000,
    "SEND_TIMEOUT": 30,
    "RECEIVE_TIMEOUT": 30,
    "CONNECTION_LIMIT": 500,
    "MIN_FREE_MB": 64,
    "IMPORT_MAX_UNZIPPED_MB": 2048,
    "IMPORT_MAX_ZIP_RATIO": 100,
    "IMPORT_MAX_SHARED_STRINGS_MB": 64,
    "SECRET_KEY": None,
    "SECURE_COOKIES": False,
    "READ_ONLY": False,
    "PUBLIC_URL": None,
    "LINK_MINUTES": 15,
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_MAX_HOURS": 12,
    "SESSION_KEPT_DAYS": 30,
    "SIGN_IN_FAILURES": 10,
    "SIGN_IN_WINDOW_SECONDS": 300,
    "CATALOGUE": None,
    "REPLICATED": False,
    "TIME_ZONE": "UTC",
    "SMTP_HOST": None,
    "SMTP_PORT": None,
    "SMTP_TLS": "starttls",
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "MAIL_FROM": None,
    "EVENTS_DAYS": 30,
    # Seconds between a failed delivery (a webhook's, or an e-mail's) and each
    # next try, as Standard Webhooks suggests; after the last, a webhook is failing.
    "RETRY_SCHEDULE": [5, 300, 1800, 7200, 18000, 36000, 36000],
}
# The port of each SMTP_TLS, where SMTP_PORT is not set.
SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
# Settings that were renamed: a deployment still setting one is told the new name.
RENAMED = {"SMTP_USERNAME": "SMTP_USER", "SMTP_STARTTLS": "SMTP_TLS"}


class ConfigError(ValueError):
    """A setting has a value the service cannot run with."""


def check_config(config):
    """Fail at start-up, with the setting's name, rather than on some later request."""
    _whole_number(config, "PORT", 0, 65535)
    _whole_number(config, "THREADS", 1, 1024)
    _whole_number(config, "MAX_CONTENT_LENGTH", 1, 2**31)
    _whole_number(config, "TRASH_DAYS", 1, 36500)
    _whole_number(config, "MAX_EXPORTS", 1, 1024)
    _whole_number(config, "MAX_SEARCHES", 1, 1024)
    _whole_number(config, "QUERY_TIMEOUT_MS", 1, 3_600_000)
    _whole_number(config, "SEND_TIMEOUT", 1, 86400)
    _whole_number(config, "RECEIVE_TIMEOUT", 1, 86400)
    _whole_number(config, "CONNECTION_LIMIT", 1, 100_000)
    _whole_number(config, "MIN_FREE_MB", 0, 2**30)
    _whole_number(config, "IMPORT_MAX_UNZIPPED_MB", 1, 2**30)
    _whole_number(config, "IMPORT_MAX_ZIP_RATIO", 1, 2**30)
    _whole_number(config, "IMPORT_MAX_SHARED_STRINGS_MB", 1, 2**30)
    _whole_number(config, "LINK_MINUTES", 1, 10080)
    _whole_number(config, "SESSION_IDLE_MINUTES", 1, 525_600)
    _whole_number(config, "SESSION_MAX_HOURS", 1, 8784)
    _whole_number(config, "SESSION_KEPT_DAYS", 1, 366)
    _whole_number(config, "SIGN_IN_FAILURES", 1, 1_000_000)
    _whole_number(config, "SIGN_IN_WINDOW_SECONDS", 1, 86400)
    if config["LOG_FORMAT"] not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, not {config['LOG_FORMAT']!r}.")
    for name in ("HOST", "DATABASE"):
        if not isinstance(config[name], str) or not config[name]:
            raise ConfigError(f"{name} must be a non-empty string, not {config[name]!r}.")
    _whole_number(config, "EVENTS_DAYS", 1, 36500)
    _retry_schedule(config)
    for name in ("ALLOW_OPEN", "SECURE_COOKIES", "REPLICATED", "READ_ONLY"):
        if type(config[name]) not in (bool, int) or config[name] not in (0, 1):
            raise ConfigError(f"{name} must be 1 or 0, not {config[name]!r}.")
        config[name] = bool(config[name])
    _time_zone(config)
    form = config["CATALOGUE"]
    if form is not None and not (isinstance(form, str) and form):
        raise ConfigError(f"CATALOGUE must be the path of a catalogue file, not {form!r}.")
    public_url = config["PUBLIC_URL"]
    if public_url is not None and not (
        isinstance(public_url, str) and re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", public_url)
    ):
        raise ConfigError(
            "PUBLIC_URL must be the address browsers reach the service at, such as "
            f"https://reports.example.org, not {public_url!r}."
        )
    key = config["SECRET_KEY"]
    if key is not None and not (isinstance(key, str | bytes) and len(key) >= 16):
        raise ConfigError("SECRET_KEY must be at least 16 characters (or unset, to make one).")
    org_id = config["DEFAULT_ORG_ID"]
    if isinstance(org_id, int) and not isinstance(org_id, bool):
        # REPORTS_DEFAULT_ORG_ID=42 arrives as the number 42.
        org_id = config["DEFAULT_ORG_ID"] = str(org_id)
    if org_id is not None and not (isinstance(org_id, str) and is_entity_id(org_id)):
        raise ConfigError(f"DEFAULT_ORG_ID must be {ENTITY_ID_RULE}, not {org_id!r}.")
    _mail(config)


def _whole_number(config, name, low, high):
    value = config[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")


def _retry_schedule(config):
    schedule = config["RETRY_SCHEDULE"]
    if not (
        isinstance(schedule, list | tuple)
        and 1 <= len(schedule) <= 20
        and all(type(each) is int and 1 <= each <= 604_800 for each in schedule)
    ):
        raise ConfigError(
            "RETRY_SCHEDULE must be a list of 1 to 20 numbers of seconds, each from 1 to "
            f"604800, such as [5, 300, 1800], not {schedule!r}."
        )
    config["RETRY_SCHEDULE"] = list(schedule)


def _time_zone(config):
    name = config["TIME_ZONE"]
    try:
        if not isinstance(name, str):
            raise TypeError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, TypeError, ValueError, OSError):
        raise ConfigError(
            f"TIME_ZONE must be an IANA time zone name, such as Europe/Oslo or UTC, not {name!r}."
        ) from None


def _mail(config):
    """E-mail is on with SMTP_HOST; then it needs MAIL_FROM, and PUBLIC_URL for
    the links it carries: the address a request reached is the asker's to
    choose (its Host), and a link e-mailed there would hand its secret to them."""
    for old, new in RENAMED.items():
        if old in config:
            raise ConfigError(f"{old} is now {new}: see docs/configuration.md.")
    for name in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM"):
        _text(config, name)
    if config["SMTP_TLS"] not in SMTP_PORTS:
        raise ConfigError(f"SMTP_TLS must be starttls, ssl or none, not {config['SMTP_TLS']!r}.")
    if config["SMTP_PORT"] is None:
        config["SMTP_PORT"] = SMTP_PORTS[config["SMTP_TLS"]]
    _whole_number(config, "SMTP_PORT", 1, 65535)
    if config["SMTP_HOST"] is None:
        return
    sender = config["MAIL_FROM"]
    if sender is None or "\n" in sender or "\r" in sender or not is_email(parseaddr(sender)[1]):
        raise ConfigError(
            "MAIL_FROM must be the address e-mail is sent from, such as reports@example.org "
            f"or Post-Session Reports <reports@example.org>, when SMTP_HOST is set, not {sender!r}."
        )
    if config["PUBLIC_URL"] is None:
        raise ConfigError(
            "PUBLIC_URL must be set when SMTP_HOST is: the sign-in links an e-mail carries "
            "point there, never at an address a request names."
        )
    if (config["SMTP_USER"] is None) != (config["SMTP_PASSWORD"] is None):
        raise ConfigError("SMTP_USER and SMTP_PASSWORD must be set together, or neither.")
    if config["SMTP_USER"] is not None and config["SMTP_TLS"] == "none":
        raise ConfigError(
            "SMTP_USER needs SMTP_TLS = starttls or ssl, so that the password never crosses "
            "the network unencrypted."
        )


def _text(config, name):
    """A setting that is text, or unset; never shown in a message (one is a password)."""
    value = config[name]
    if isinstance(value, int) and not isinstance(value, bool):
        # REPORTS_SMTP_PASSWORD=123456 arrives as the number 123456.
        value = config[name] = str(value)
    if value is not None and not (isinstance(value, str) and value):
        raise ConfigError(
            f"{name} must be non-empty text, or unset. In REPORTS_{name}, a value JSON reads as "
            "something else (true, null, 1.5) goes in double quotes: "
            f"REPORTS_{name}='\"true\"'."
        )
