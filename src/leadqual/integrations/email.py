"""Outgoing email over SMTP, configured by one URL (LEADQUAL_EMAIL_URL).

``smtp://user:password@host:587`` talks plain SMTP, ``smtp+tls://`` upgrades
the connection with STARTTLS, ``smtp+ssl://`` speaks TLS from the first byte
(usually port 465). User and password are optional and percent-decoded, so a
password with ``@`` or ``/`` is written ``%40`` or ``%2F``.

This module reads no settings at import time: ``config/settings.py`` imports
``parse_email_url`` to check the URL once at startup.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Seconds to wait for the mail server before a try counts as failed (and is retried).
SMTP_TIMEOUT_SECONDS = 10

_DEFAULT_PORTS = {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to deliver mail, parsed from an SMTP URL."""

    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool


def parse_email_url(url: str, *, variable: str = "LEADQUAL_EMAIL_URL") -> SmtpServer:
    """The SMTP server an ``smtp://``, ``smtp+tls://`` or ``smtp+ssl://`` URL names.

    Raises ImproperlyConfigured naming ``variable`` for any other scheme, a
    missing host or a port that is not a number. The message never repeats
    the password.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(
            f"{variable} has a port that is not a number (in "
            f'"{_without_password(url)}"). Use for example '
            "smtp+tls://user:password@mail.example.nl:587."
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ImproperlyConfigured(
            f'{variable} must start with smtp://, smtp+tls:// or smtp+ssl://, got "'
            f'{_without_password(url)}". Use for example '
            "smtp+tls://user:password@mail.example.nl:587 (STARTTLS), "
            "smtp+ssl://user:password@mail.example.nl:465 (TLS from the start) or "
            "smtp://mail.example.nl:25 (no encryption)."
        )
    if not parts.hostname:
        raise ImproperlyConfigured(
            f'{variable} names no mail server: "{_without_password(url)}". '
            "Use for example smtp+tls://user:password@mail.example.nl:587."
        )
    return SmtpServer(
        host=parts.hostname,
        port=port if port is not None else _DEFAULT_PORTS[scheme],
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=scheme == "smtp+tls",
        use_ssl=scheme == "smtp+ssl",
    )


def _without_password(url: str) -> str:
    """The URL with its password replaced by ``***``, for messages."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url.strip()
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One mail with a plain-text body and an HTML alternative."""

    to: Sequence[str]
    subject: str
    text: str
    html: str


def one_line(text: str) -> str:
    """``text`` as one header line: control characters and line breaks as spaces.

    A subject is built from lead data (a name, a company); a CR or LF in it
    would start a new header, and Django refuses such a mail outright.
    """
    spaced = "".join(
        " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char
        for char in text
    )
    return " ".join(spaced.split())


def send_email(message: OutgoingEmail, *, url: str, sender: str) -> None:
    """Deliver one mail through the SMTP server that ``url`` names.

    The subject is sent as one line (see ``one_line``).

    Raises ImproperlyConfigured for a bad URL, and smtplib.SMTPException or
    OSError when the server refuses the mail or cannot be reached (callers
    retry those).
    """
    server = parse_email_url(url)
    connection = get_connection(
        SMTP_BACKEND,
        fail_silently=False,
        host=server.host,
        port=server.port,
        # "" rather than None: None would fall back to Django's EMAIL_HOST_USER.
        username=server.username,
        password=server.password,
        use_tls=server.use_tls,
        use_ssl=server.use_ssl,
        timeout=SMTP_TIMEOUT_SECONDS,
    )
    mail = EmailMultiAlternatives(
        subject=one_line(message.subject),
        body=message.text,
        from_email=sender,
        to=list(message.to),
        connection=connection,
    )
    mail.attach_alternative(message.html, "text/html")
    mail.send(fail_silently=False)
