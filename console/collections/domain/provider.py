"""The payment provider interface and a deterministic simulated provider.

A provider charges a customer's payment token. Every charge carries an idempotency key: the
same key always returns the first result and never charges twice (as real providers do).

The simulated provider decides by token: ``tok_success`` succeeds; ``tok_insufficient_funds``,
``tok_expired_card`` and ``tok_network_error`` fail with that code; no token fails with
``no_payment_method`` and any other token with ``card_declined``.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable


class ChargeStatus(StrEnum):
    """A charge's outcome."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ChargeResult:
    """What the provider answered.

    Attributes:
        status: succeeded or failed.
        failure_code: why it failed (None on success).
        provider_ref: the provider's charge id (None when nothing was charged).
        retryable: whether retrying later may succeed without the customer acting.
    """

    status: ChargeStatus
    failure_code: str | None = None
    provider_ref: str | None = None
    retryable: bool = False

    @property
    def succeeded(self) -> bool:
        """Whether money was collected."""
        return self.status == ChargeStatus.SUCCEEDED


class IdempotencyError(ValueError):
    """An idempotency key was reused for a different charge."""


@runtime_checkable
class PaymentProvider(Protocol):
    """Anything that can charge a payment token."""

    name: str

    def charge(self, *, token: str | None, amount_minor: int, currency: str,
               idempotency_key: str) -> ChargeResult:
        """Charge ``amount_minor`` of ``currency`` once per ``idempotency_key``."""
        ...


#: token -> failure code (None: succeeds).
SIMULATED_OUTCOMES: dict[str, str | None] = {
    "tok_success": None,
    "tok_insufficient_funds": "insufficient_funds",
    "tok_expired_card": "expired_card",
    "tok_network_error": "network_error",
}
RETRYABLE: frozenset[str] = frozenset({"insufficient_funds", "network_error"})


def simulated_outcome(token: str | None) -> ChargeResult:
    """The deterministic result for ``token`` (without a provider reference)."""
    if not token:
        return ChargeResult(ChargeStatus.FAILED, "no_payment_method")
    if token not in SIMULATED_OUTCOMES:
        return ChargeResult(ChargeStatus.FAILED, "card_declined")
    code = SIMULATED_OUTCOMES[token]
    if code is None:
        return ChargeResult(ChargeStatus.SUCCEEDED)
    return ChargeResult(ChargeStatus.FAILED, code, retryable=code in RETRYABLE)


class SimulatedProvider:
    """A provider for development and tests: outcomes by token, idempotent by key."""

    name = "simulated"

    def __init__(self) -> None:
        self._results: dict[str, tuple[tuple[str | None, int, str], ChargeResult]] = {}
        self._lock = threading.Lock()
        self.calls = 0
        self.charged_minor = 0

    def charge(self, *, token: str | None, amount_minor: int, currency: str,
               idempotency_key: str) -> ChargeResult:
        """Charge once per key; a repeat returns the stored result.

        Raises:
            IdempotencyError: the key was used before with another token, amount or currency.
            ValueError: a non-positive amount or an empty key.
        """
        if not idempotency_key:
            raise ValueError("An idempotency key is required.")
        if amount_minor <= 0:
            raise ValueError("The amount must be positive.")
        request = (token, amount_minor, currency)
        with self._lock:
            seen = self._results.get(idempotency_key)
            if seen is not None:
                if seen[0] != request:
                    raise IdempotencyError(f"Idempotency key {idempotency_key!r} was used for "
                                           "a different charge.")
                return seen[1]
            self.calls += 1
            result = simulated_outcome(token)
            ref = "ch_sim_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
            result = ChargeResult(result.status, result.failure_code, ref, result.retryable)
            if result.succeeded:
                self.charged_minor += amount_minor
            self._results[idempotency_key] = (request, result)
            return result
