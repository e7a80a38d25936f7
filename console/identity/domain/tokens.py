"""Opaque random tokens: the browser holds the token, the database only its SHA-256."""

from __future__ import annotations

import hashlib
import secrets

SESSION_COOKIE = "console_session"


def new_token() -> str:
    """A fresh 256-bit URL-safe random token."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def cookie_value(cookie_header: str, name: str = SESSION_COOKIE) -> str | None:
    """Read one cookie from a raw ``Cookie:`` header."""
    for part in (cookie_header or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None
