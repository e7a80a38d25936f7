"""The e-mail outbox sender on SQLite and PostgreSQL: .eml files in dev, a real SMTP server
on loopback, each message sent at most once (also with two senders at once), failures
retried then given up."""

import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from console import delivery
from console.kernel.settings import settings
from models import Customer, MailDelivery, OutboxMessage
from models.db import read_session, unit_of_work
from models.types import utcnow

pytestmark = pytest.mark.integration
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _messages(n: int) -> list[int]:
    with unit_of_work() as s:
        cust = Customer(code="ACME", name="Acme Inc", email="billing@acme.example",
                        segment="smb", region="na", country="US", currency="USD")
        s.add(cust)
        s.flush()
        rows = [OutboxMessage(customer_id=cust.id, kind="dunning_reminder",
                              subject=f"Payment failed ({i})", body=f"Reminder {i}\n",
                              related_type="invoice", related_id=i, created_at=WHEN)
                for i in range(n)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def _sent_at() -> dict[int, datetime | None]:
    with read_session() as s:
        return dict(s.execute(sa.select(OutboxMessage.id, OutboxMessage.sent_at)).all())


def _claims() -> list[tuple]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(
            sa.select(MailDelivery.message_id, MailDelivery.status, MailDelivery.attempts)
            .order_by(MailDelivery.message_id)).all()]


class Counting:
    """A sender that counts what it was handed (thread-safe), optionally failing."""

    transport = "file"

    def __init__(self, *, fail: bool = False, sleep: float = 0.0) -> None:
        self.fail, self.sleep = fail, sleep
        self.lock = threading.Lock()
        self.sent: list[str] = []

    def send(self, message) -> str:
        if self.sleep:
            time.sleep(self.sleep)
        if self.fail:
            raise ConnectionRefusedError("the mail server refused the connection")
        with self.lock:
            self.sent.append(message["X-Console-Outbox-Id"])
        return str(message["Message-ID"])


def test_dev_writes_each_message_once_as_an_eml_file(engine, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CONSOLE_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("CONSOLE_SMTP_FROM", "Billing <billing@console.example>")
    settings.cache_clear()
    try:
        ids = _messages(2)
        assert isinstance(delivery.sender_from_settings(), delivery.FileSender)
        report = delivery.send_due_messages()
        assert report.summary() == "2 sent, 0 failed (will retry), 0 given up"
        files = sorted(Path(tmp_path / "outbox").glob("*.eml"))
        assert [f.name for f in files] == [f"outbox-{i}.eml" for i in ids]
        msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
        assert msg["To"] == "Acme Inc <billing@acme.example>"
        assert msg["From"] == "Billing <billing@console.example>"
        assert msg["Subject"] == "Payment failed (0)"
        assert msg.get_content() == "Reminder 0\n"
        first = _sent_at()
        assert all(first.values())
        assert delivery.send_due_messages().summary() == "nothing to send"
        assert _sent_at() == first
        assert _claims() == [(i, "sent", 1) for i in ids]
    finally:
        settings.cache_clear()


def test_a_failing_sender_is_tried_again_later_then_given_up(engine) -> None:
    [mid] = _messages(1)
    down = Counting(fail=True)
    t0 = utcnow()
    assert delivery.send_due_messages(now=t0, sender=down).failed == 1
    assert delivery.send_due_messages(now=t0, sender=down).summary() == "nothing to send"
    for minutes in (2, 10, 60, 200):
        delivery.send_due_messages(now=t0 + timedelta(minutes=minutes), sender=down)
    assert _claims() == [(mid, "dead", 5)]
    assert _sent_at() == {mid: None}
    with read_session() as s:
        error = s.execute(sa.select(MailDelivery.last_error)).scalar_one()
    assert error == "ConnectionRefusedError: the mail server refused the connection"
    up = Counting()
    assert delivery.send_due_messages(now=t0 + timedelta(days=2), sender=up).summary() == (
        "nothing to send")
    assert up.sent == []


def test_a_message_that_failed_once_goes_out_on_the_retry(engine) -> None:
    [mid] = _messages(1)
    t0 = utcnow()
    delivery.send_due_messages(now=t0, sender=Counting(fail=True))
    up = Counting()
    assert delivery.send_due_messages(now=t0 + timedelta(minutes=2), sender=up).sent == 1
    assert up.sent == [str(mid)] and _claims() == [(mid, "sent", 2)]


def test_two_senders_at_once_send_each_message_once(engine) -> None:
    ids = _messages(20)
    sender = Counting(sleep=0.01)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            delivery.send_due_messages(sender=sender, worker=f"sender-{n}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(sender.sent, key=int) == [str(i) for i in ids]
    assert all(_sent_at().values())


def test_smtp_delivers_to_a_real_server_on_loopback(engine, monkeypatch) -> None:
    smtpd = pytest.importorskip("smtpd", reason="the stdlib SMTP server left Python 3.12")
    asyncore = pytest.importorskip("asyncore")
    got: list[tuple] = []

    class Collect(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            got.append((mailfrom, rcpttos, data))

    server = Collect(("127.0.0.1", 0), None, decode_data=False)
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
    loop.start()
    monkeypatch.setenv("CONSOLE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CONSOLE_SMTP_PORT", str(server.socket.getsockname()[1]))
    monkeypatch.setenv("CONSOLE_SMTP_TLS", "off")
    monkeypatch.setenv("CONSOLE_SMTP_FROM", "billing@console.example")
    settings.cache_clear()
    try:
        [mid] = _messages(1)
        assert isinstance(delivery.sender_from_settings(), delivery.SmtpSender)
        assert delivery.send_due_messages().sent == 1
        [(mailfrom, rcpts, data)] = got
        assert mailfrom == "billing@console.example" and rcpts == ["billing@acme.example"]
        msg = message_from_bytes(data, policy=policy.default)
        assert msg["Subject"] == "Payment failed (0)"
        with read_session() as s:
            ref = s.execute(sa.select(MailDelivery.reference, MailDelivery.transport)).one()
        assert ref == (msg["Message-ID"], "smtp")
        assert _claims() == [(mid, "sent", 1)]
    finally:
        server.close()
        settings.cache_clear()
