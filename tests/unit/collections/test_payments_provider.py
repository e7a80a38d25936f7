"""The simulated payment provider: deterministic outcomes by token, idempotent by key."""

import pytest

from console.collections.domain import (
    ChargeStatus,
    IdempotencyError,
    PaymentProvider,
    SimulatedProvider,
    simulated_outcome,
)


@pytest.mark.parametrize(("token", "status", "code", "retryable"), [
    ("tok_success", ChargeStatus.SUCCEEDED, None, False),
    ("tok_insufficient_funds", ChargeStatus.FAILED, "insufficient_funds", True),
    ("tok_expired_card", ChargeStatus.FAILED, "expired_card", False),
    ("tok_network_error", ChargeStatus.FAILED, "network_error", True),
    (None, ChargeStatus.FAILED, "no_payment_method", False),
    ("", ChargeStatus.FAILED, "no_payment_method", False),
    ("tok_unknown", ChargeStatus.FAILED, "card_declined", False),
])
def test_outcomes_by_token(token, status, code, retryable) -> None:
    out = simulated_outcome(token)
    assert (out.status, out.failure_code, out.retryable) == (status, code, retryable)
    provider = SimulatedProvider()
    charged = provider.charge(token=token, amount_minor=500, currency="USD",
                              idempotency_key=f"k-{token}")
    assert (charged.status, charged.failure_code) == (status, code)
    assert charged.provider_ref.startswith("ch_sim_")
    assert provider.charged_minor == (500 if status == ChargeStatus.SUCCEEDED else 0)


def test_same_key_never_charges_twice() -> None:
    provider = SimulatedProvider()
    assert isinstance(provider, PaymentProvider)
    first = provider.charge(token="tok_success", amount_minor=1000, currency="EUR",
                            idempotency_key="pay-1")
    again = provider.charge(token="tok_success", amount_minor=1000, currency="EUR",
                            idempotency_key="pay-1")
    assert again == first
    assert (provider.calls, provider.charged_minor) == (1, 1000)
    other = provider.charge(token="tok_success", amount_minor=1000, currency="EUR",
                            idempotency_key="pay-2")
    assert other.provider_ref != first.provider_ref
    assert (provider.calls, provider.charged_minor) == (2, 2000)


def test_key_reused_for_another_charge_is_refused() -> None:
    provider = SimulatedProvider()
    provider.charge(token="tok_success", amount_minor=1000, currency="EUR", idempotency_key="k")
    with pytest.raises(IdempotencyError):
        provider.charge(token="tok_success", amount_minor=999, currency="EUR",
                        idempotency_key="k")
    with pytest.raises(ValueError, match="positive"):
        provider.charge(token="tok_success", amount_minor=0, currency="EUR",
                        idempotency_key="z")
    with pytest.raises(ValueError, match="idempotency key"):
        provider.charge(token="tok_success", amount_minor=5, currency="EUR", idempotency_key="")


def test_outcomes_are_deterministic_across_instances() -> None:
    a, b = SimulatedProvider(), SimulatedProvider()
    for token in ("tok_success", "tok_expired_card", "tok_network_error"):
        ra = a.charge(token=token, amount_minor=1, currency="USD", idempotency_key=token)
        rb = b.charge(token=token, amount_minor=1, currency="USD", idempotency_key=token)
        assert ra == rb
