"""Sending the e-mail outbox (``outbox_message``: dunning reminders and notices).

Each message is claimed before it is sent (a ``mail_delivery`` row: ``INSERT ... ON CONFLICT
(message_id) DO NOTHING``), so two workers never send one message twice; ``outbox_message
.sent_at`` is set once, when the sender accepted it. A failed send is tried again later (a
conditional update re-claims it), up to :data:`MAX_ATTEMPTS`. A message whose sender stopped
mid-send stays ``sending``: it may or may not have left, so it is never sent again on its own.

Senders: SMTP when ``CONSOLE_SMTP_HOST`` is set, else (dev) files: one RFC 5322 ``.eml`` per
message under ``CONSOLE_OUTBOX_DIR`` (default ``.data/outbox/``).
"""

from __future__ import annotations

import logging
import os
import random
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from console.delivery.domain import Letter, after_failure, build_message
from console.kernel.metrics import MESSAGES
from console.kernel.process import worker_name
from console.kernel.settings import Settings, settings
from models import Customer, MailDelivery, OutboxMessage
from models.db import get_engine, read_session, unit_of_work
from models.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: A claim still ``sending`` after this long is reported as stuck.
STUCK_AFTER = timedelta(minutes=10)


class Sender(Protocol):
    """Hands one message to the outside world; returns a reference (Message-ID or path)."""

    transport: str

    def send(self, message: EmailMessage) -> str:
        """Send ``message`` or raise."""
        ...


class FileSender:
    """Dev sender: writes each message as an ``.eml`` file (atomically) under ``directory``."""

    transport = "file"

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> str:
        """Write ``outbox-<id>.eml``; returns its path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"outbox-{message['X-Console-Outbox-Id']}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        os.replace(tmp, path)
        return str(path)


class SmtpSender:
    """SMTP with STARTTLS (default), implicit TLS or none, and optional login."""

    transport = "smtp"

    def __init__(self, cfg: Settings) -> None:
        self.cfg = cfg

    def send(self, message: EmailMessage) -> str:
        """Send through the configured server; returns the Message-ID."""
        c = self.cfg
        context = ssl.create_default_context()
        smtp_cls = smtplib.SMTP_SSL if c.smtp_tls == "ssl" else smtplib.SMTP
        kwargs = {"context": context} if c.smtp_tls == "ssl" else {}
        with smtp_cls(c.smtp_host, c.smtp_port, timeout=30, **kwargs) as smtp:
            if c.smtp_tls == "starttls":
                smtp.starttls(context=context)
            if c.smtp_user:
                smtp.login(c.smtp_user, c.smtp_password)
            smtp.send_message(message)
        return str(message["Message-ID"])


def sender_from_settings(cfg: Settings | None = None) -> Sender:
    """SMTP when ``CONSOLE_SMTP_HOST`` is set, else the file sender."""
    cfg = cfg or settings()
    return SmtpSender(cfg) if cfg.smtp_host else FileSender(cfg.outbox_dir)


@dataclass
class MailReport:
    """What one pass did."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    stuck: int = 0

    def summary(self) -> str:
        """One line for the job history."""
        text = (f"{self.sent} sent, {self.failed} failed (will retry), {self.dead} given up"
                if self.sent or self.failed or self.dead else "nothing to send")
        if self.stuck:
            text += (f"; {self.stuck} stopped while sending (check whether they left before "
                     "sending them again)")
        return text


def _insert():
    dialect = get_engine().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        MailDelivery.__table__)


def _claim_new(message_id: int, worker: str, transport: str) -> int | None:
    t = MailDelivery.__table__
    stmt = _insert().values(message_id=message_id, status="sending", attempts=1,
                            worker=worker[:128], transport=transport, claimed_at=utcnow()
                            ).on_conflict_do_nothing(index_elements=["message_id"]
                                                     ).returning(t.c.id)
    with unit_of_work() as s:
        still_unsent = s.execute(sa.select(OutboxMessage.id).where(
            OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))).first()
        if still_unsent is None:
            return None
        return s.execute(stmt).scalar_one_or_none()


def _claim_retry(row_id: int, worker: str, transport: str, now: datetime) -> bool:
    t = MailDelivery.__table__
    with unit_of_work() as s:
        return s.execute(sa.update(t).where(
            t.c.id == row_id, t.c.status == "failed", t.c.next_attempt_at <= now)
            .values(status="sending", attempts=t.c.attempts + 1, worker=worker[:128],
                    transport=transport, claimed_at=utcnow())).rowcount == 1


def _letter(message_id: int) -> Letter:
    with read_session() as s:
        msg, cust = s.execute(sa.select(OutboxMessage, Customer)
                              .join(Customer, Customer.id == OutboxMessage.customer_id)
                              .where(OutboxMessage.id == message_id)).one()
        return Letter(int(msg.id), cust.email, cust.name, msg.subject, msg.body, msg.created_at,
                      msg.kind)


def _send_claimed(row_id: int, message_id: int, *, sender: Sender, worker: str, now: datetime,
                  report: MailReport) -> None:
    t = MailDelivery.__table__
    try:
        reference = sender.send(build_message(_letter(message_id),
                                              sender=settings().smtp_from))
    except Exception as exc:  # any refusal of the sender: record it, try again later
        log.warning("outbox message %s not sent: %s", message_id, exc)
        with unit_of_work() as s:
            attempts = s.execute(sa.select(t.c.attempts).where(t.c.id == row_id)).scalar_one()
            step = after_failure(attempts=attempts, max_attempts=MAX_ATTEMPTS, now=now,
                                 jitter=random.random())
            s.execute(sa.update(t).where(t.c.id == row_id, t.c.worker == worker[:128]).values(
                status=step.status, next_attempt_at=step.next_at,
                last_error=f"{type(exc).__name__}: {exc}"[:500]))
        MESSAGES.labels(outcome=step.status).inc()
        setattr(report, step.status, getattr(report, step.status) + 1)
        return
    sent_at = utcnow()
    with unit_of_work() as s:
        s.execute(sa.update(t).where(t.c.id == row_id).values(
            status="sent", sent_at=sent_at, reference=reference[:300], last_error=None))
        o = OutboxMessage.__table__
        s.execute(sa.update(o).where(o.c.id == message_id, o.c.sent_at.is_(None))
                  .values(sent_at=sent_at))
    MESSAGES.labels(outcome="sent").inc()
    report.sent += 1


def send_due_messages(*, now: datetime | None = None, sender: Sender | None = None,
                      worker: str | None = None, limit: int = 200) -> MailReport:
    """Send the outbox messages not sent yet, and the failed ones due again.

    Args:
        now: the clock deciding which retries are due (default now).
        sender: the sender (default: :func:`sender_from_settings`).
        worker: the name on claims (default: host and pid).
        limit: at most this many messages in this pass.
    """
    now = now or utcnow()
    sender = sender or sender_from_settings()
    worker = worker or worker_name()
    report = MailReport()
    claimed = sa.select(MailDelivery.message_id)
    with read_session() as s:
        fresh = s.execute(sa.select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.id.not_in(claimed))
            .order_by(OutboxMessage.id).limit(limit)).scalars().all()
        retries = s.execute(sa.select(MailDelivery.id, MailDelivery.message_id).where(
            MailDelivery.status == "failed", MailDelivery.next_attempt_at <= now)
            .order_by(MailDelivery.id).limit(limit)).all()
        report.stuck = s.execute(sa.select(sa.func.count()).select_from(MailDelivery).where(
            MailDelivery.status == "sending",
            MailDelivery.claimed_at < utcnow() - STUCK_AFTER)).scalar_one()
    for message_id in fresh:
        row_id = _claim_new(message_id, worker, sender.transport)
        if row_id is not None:
            _send_claimed(row_id, message_id, sender=sender, worker=worker, now=now,
                          report=report)
    for row_id, message_id in retries[:max(0, limit - len(fresh))]:
        if _claim_retry(row_id, worker, sender.transport, now):
            _send_claimed(row_id, message_id, sender=sender, worker=worker, now=now,
                          report=report)
    return report
