"""Pure rules of delivery: Standard Webhooks signing, retry backoff, endpoint and topic
validation, outbox e-mails as RFC 5322 messages."""

from console.delivery.domain.endpoints import (
    check_topic,
    check_url,
    parse_event_types,
    topic_matches,
)
from console.delivery.domain.mail import Letter, build_message, message_id
from console.delivery.domain.retry import DELAYS, NextStep, after_failure, retry_delay
from console.delivery.domain.signing import (
    PREFIX,
    new_secret,
    secret_key,
    sign,
    signed_headers,
    verify,
)

__all__ = [
    "DELAYS",
    "PREFIX",
    "Letter",
    "NextStep",
    "after_failure",
    "build_message",
    "check_topic",
    "check_url",
    "message_id",
    "new_secret",
    "parse_event_types",
    "retry_delay",
    "secret_key",
    "sign",
    "signed_headers",
    "topic_matches",
    "verify",
]
