"""Outbox e-mails as RFC 5322 messages (pure, standard library ``email``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr


@dataclass(frozen=True)
class Letter:
    """What to send: one outbox row and its customer's address."""

    outbox_id: int
    to_email: str
    to_name: str
    subject: str
    body: str
    created_at: datetime
    kind: str


def message_id(letter: Letter, sender: str) -> str:
    """A stable Message-ID: the same outbox row always gets the same one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<outbox-{letter.outbox_id}.{int(letter.created_at.timestamp())}@{domain}>"


def build_message(letter: Letter, *, sender: str) -> EmailMessage:
    """The RFC 5322 message for ``letter`` from ``sender``.

    Raises:
        ValueError: when the customer's address cannot be used.
    """
    to = parseaddr(letter.to_email)[1]
    if "@" not in to:
        raise ValueError(f"the customer's e-mail address {letter.to_email!r} cannot be used")
    msg = EmailMessage()
    msg["From"] = sender
    user, _, domain = to.rpartition("@")
    msg["To"] = Address(display_name=letter.to_name or "", username=user, domain=domain)
    msg["Subject"] = letter.subject
    msg["Date"] = format_datetime(letter.created_at)
    msg["Message-ID"] = message_id(letter, sender)
    msg["X-Console-Outbox-Id"] = str(letter.outbox_id)
    msg["X-Console-Kind"] = letter.kind
    msg.set_content(letter.body)
    return msg
