"""Outbox e-mails as RFC 5322 messages."""

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from console.delivery.domain import Letter, build_message, message_id

LETTER = Letter(42, "ana@example.com", "Ana Pérez", "Payment failed for INV-2026-0042",
                "Hello,\nyour payment failed.\n", datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
                "dunning_reminder")


def test_a_message_has_the_headers_a_mail_server_needs() -> None:
    msg = build_message(LETTER, sender="Billing <billing@corp.example>")
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["From"] == "Billing <billing@corp.example>"
    assert parsed["To"] == "Ana Pérez <ana@example.com>"
    assert parsed["Subject"] == "Payment failed for INV-2026-0042"
    assert parsed["Date"] == "Thu, 03 Dec 2026 09:30:00 +0000"
    assert parsed["Message-ID"] == message_id(LETTER, "billing@corp.example")
    assert parsed["Message-ID"].endswith("@corp.example>")
    assert parsed["X-Console-Outbox-Id"] == "42"
    assert parsed.get_content() == "Hello,\nyour payment failed.\n"


def test_the_message_id_is_stable_per_outbox_row() -> None:
    assert message_id(LETTER, "a@b.example") == message_id(LETTER, "a@b.example")


def test_an_unusable_address_is_refused() -> None:
    bad = Letter(1, "not an address", "", "s", "b", LETTER.created_at, "k")
    with pytest.raises(ValueError, match="cannot be used"):
        build_message(bad, sender="billing@corp.example")
