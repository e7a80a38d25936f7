"""Webhook endpoints and topics (pure): URL and topic validation, topic matching."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from console.kernel.errors import FieldError

_TOPIC = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")
_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*(\.\*)?$")
MAX_URL = 2000


def check_url(url: str) -> str:
    """A receiver URL: absolute ``http``/``https`` with a host, no credentials in it.

    Raises:
        FieldError: on ``url`` with a plain reason.
    """
    text = str(url or "").strip()
    if not text:
        raise FieldError("url", "give the receiver's address, e.g. https://example.com/hooks")
    if len(text) > MAX_URL:
        raise FieldError("url", f"at most {MAX_URL} characters")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise FieldError("url", "must start with https:// (or http://)")
    if not parts.hostname:
        raise FieldError("url", "has no host name")
    if parts.username or parts.password:
        raise FieldError("url", "must not carry a user name or password; the signature "
                                "authenticates the console")
    if any(c.isspace() for c in text):
        raise FieldError("url", "must not contain spaces")
    return text


def check_topic(topic: str) -> str:
    """An event topic such as ``entitlements.changed`` (lower case, dot-separated).

    Raises:
        FieldError: on ``topic``.
    """
    text = str(topic or "").strip()
    if not _TOPIC.match(text) or len(text) > 100:
        raise FieldError("topic", f"{text!r} is not a topic like 'entitlements.changed'")
    return text


def parse_event_types(text: str | list[str]) -> list[str]:
    """The topics an endpoint wants, from a comma/space separated text (empty: every topic).

    ``entitlements.*`` matches every topic under ``entitlements.``.

    Raises:
        FieldError: on ``event_types`` for an entry that is not a topic or pattern.
    """
    items = text if isinstance(text, list) else re.split(r"[,\s]+", str(text or ""))
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if not _PATTERN.match(item) or len(item) > 100:
            raise FieldError("event_types", f"{item!r} is not a topic like "
                                            "'entitlements.changed' or 'entitlements.*'")
        if item not in out:
            out.append(item)
    return out


def topic_matches(topic: str, wanted: list[str]) -> bool:
    """Whether an endpoint wanting ``wanted`` (empty: all) gets ``topic``."""
    if not wanted:
        return True
    return any(topic == w or (w.endswith(".*") and topic.startswith(w[:-1])) for w in wanted)
