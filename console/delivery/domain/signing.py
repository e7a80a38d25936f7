"""Standard Webhooks signing (pure): ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``.

The secret is ``whsec_`` + base64 of random bytes; the HMAC key is the decoded bytes. The
signed body is the raw request bytes (never re-serialised). A receiver accepts any ``v1``
entry of the space-separated signature list, compared in constant time, within a tolerance
of the timestamp (5 minutes, as the reference libraries).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret(nbytes: int = 32) -> str:
    """A fresh endpoint secret: ``whsec_`` + base64 of ``nbytes`` random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_...`` secret (unpadded base64 is accepted)."""
    b64 = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    return base64.b64decode(b64 + "=" * (-len(b64) % 4))


def _bytes(body: bytes | str) -> bytes:
    return body if isinstance(body, bytes) else body.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The signature entry ``v1,<base64>`` of ``body`` sent as ``msg_id`` at ``timestamp``."""
    content = f"{msg_id}.{timestamp}.".encode() + _bytes(body)
    mac = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body)}


def verify(secret: str, headers: Mapping[str, str], body: bytes | str, *, now: int,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether a request carries a valid ``v1`` signature within ``tolerance`` of ``now``."""
    h = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id, stamp, sigs = h["webhook-id"], int(h["webhook-timestamp"]), h["webhook-signature"]
    except (KeyError, ValueError):
        return False
    if abs(now - stamp) > tolerance:
        return False
    expected = sign(secret, msg_id, stamp, body).split(",", 1)[1]
    return any(version == "v1" and hmac.compare_digest(sig, expected)
               for version, _, sig in (p.partition(",") for p in sigs.split(" ")))
