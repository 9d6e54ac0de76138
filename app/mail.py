"""Sending e-mail: ``send_mail(to, subject, body)`` through the configured backend.

``MAIL_BACKEND``:

- ``"log"`` (development, tests): the message goes to the application logger and to an
  in-memory outbox (:func:`outbox`), which tests read; nothing leaves the machine.
- ``"smtp"``: smtplib to ``MAIL_SERVER``:``MAIL_PORT``, STARTTLS when ``MAIL_USE_TLS``
  (implicit TLS when ``MAIL_USE_SSL``), login when ``MAIL_USERNAME`` is set, from
  ``MAIL_DEFAULT_SENDER``.

Plain text only; callers write the French text.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import Flask, current_app


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    sender: str


class MailError(RuntimeError):
    """The message could not be handed to the mail server."""


_OUTBOX: list[Mail] = []


def outbox() -> list[Mail]:
    """The messages sent through the "log" backend since the last :func:`clear_outbox`."""
    return _OUTBOX


def clear_outbox() -> None:
    _OUTBOX.clear()


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text message to ``to`` with the configured backend."""
    app = current_app._get_current_object()
    mail = Mail(to=to, subject=subject, body=body,
                sender=app.config.get("MAIL_DEFAULT_SENDER") or "ne-pas-repondre@localhost")
    backend = app.config.get("MAIL_BACKEND", "log")
    if backend == "log":
        _OUTBOX.append(mail)
        app.logger.info("mail to %s: %s\n%s", to, subject, body)
    elif backend == "smtp":
        _send_smtp(app, mail)
    else:
        raise MailError(f"unknown MAIL_BACKEND {backend!r} (log or smtp)")


def _message(mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid()
    message.set_content(mail.body)
    return message


def _send_smtp(app: Flask, mail: Mail) -> None:
    config = app.config
    host, port = config.get("MAIL_SERVER") or "localhost", int(config.get("MAIL_PORT") or 25)
    timeout = config.get("MAIL_TIMEOUT_SECONDS", 10)
    try:
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(_message(mail))
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"sending to {host}:{port} failed: {error}") from error
