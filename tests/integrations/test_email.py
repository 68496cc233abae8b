"""SMTP URLs are parsed strictly, and mail really goes out over SMTP."""

from __future__ import annotations

import smtplib

import pytest
from django.core.exceptions import ImproperlyConfigured

from leadqual.integrations.email import (
    OutgoingEmail,
    SmtpServer,
    parse_email_url,
    send_email,
)
from tests.integrations import SmtpSink, smtp_server


def test_smtp_url_is_plain_smtp_with_login() -> None:
    assert parse_email_url("smtp://mailer:geheim@mail.example.nl:587") == SmtpServer(
        host="mail.example.nl",
        port=587,
        username="mailer",
        password="geheim",
        use_tls=False,
        use_ssl=False,
    )


def test_smtp_tls_url_uses_starttls() -> None:
    server = parse_email_url("smtp+tls://mailer:geheim@mail.example.nl:587")
    assert server.use_tls and not server.use_ssl
    assert server.port == 587


def test_smtp_ssl_url_uses_tls_from_the_start_on_port_465_by_default() -> None:
    server = parse_email_url("smtp+ssl://mailer:geheim@mail.example.nl")
    assert server.use_ssl and not server.use_tls
    assert server.port == 465


def test_a_password_with_special_characters_is_percent_decoded() -> None:
    server = parse_email_url("smtp+tls://mailer%40example.nl:p%2Fw%40rd@mail:587")
    assert server.username == "mailer@example.nl"
    assert server.password == "p/w@rd"


def test_a_url_without_login_has_empty_credentials() -> None:
    server = parse_email_url("smtp://localhost")
    assert (server.username, server.password, server.port) == ("", "", 25)


@pytest.mark.parametrize(
    "url", ["http://mail.example.nl", "smtps://mail.example.nl", "mail.example.nl"]
)
def test_another_scheme_is_refused_naming_the_variable(url: str) -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        parse_email_url(url)
    message = str(error.value)
    assert "LEADQUAL_EMAIL_URL" in message
    assert "smtp+tls://" in message and "smtp+ssl://" in message


def test_the_error_message_never_repeats_the_password() -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        parse_email_url("imap://mailer:supergeheim@mail.example.nl")
    assert "supergeheim" not in str(error.value)
    assert "mailer:***@mail.example.nl" in str(error.value)


def test_a_port_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="LEADQUAL_EMAIL_URL"):
        parse_email_url("smtp://mail.example.nl:abc")


def test_a_url_without_host_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="names no mail server"):
        parse_email_url("smtp://")


MAIL = OutgoingEmail(
    to=["sanne@example.nl"], subject="Hallo", text="Platte tekst", html="<p>HTML</p>"
)


def test_a_mail_goes_out_with_text_and_html_parts() -> None:
    sink = SmtpSink()
    with smtp_server(sink) as url:
        send_email(MAIL, url=url, sender="leadqual@example.nl")

    (mail,) = sink.messages
    assert mail.mail_from == "leadqual@example.nl"
    assert mail.rcpt_tos == ["sanne@example.nl"]
    assert mail.message["Subject"] == "Hallo"
    assert mail.part("text/plain").strip() == "Platte tekst"
    assert mail.part("text/html").strip() == "<p>HTML</p>"


def test_a_temporary_refusal_raises_for_the_caller_to_retry() -> None:
    sink = SmtpSink(fail_first=1)
    with smtp_server(sink) as url, pytest.raises(smtplib.SMTPDataError) as error:
        send_email(MAIL, url=url, sender="leadqual@example.nl")
    assert error.value.smtp_code == 451
    assert sink.messages == []
