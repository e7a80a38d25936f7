"""Who may join an experiment: segment, region and currency filters, and new or existing customers.

Stored on ``experiment.eligibility`` as ``{"segments": [...], "regions": [...],
"currencies": [...], "new_customers_only": bool}``; an empty list means any.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from console.kernel.errors import InvalidInput
from console.money import MoneyError, exponent

#: Subscription statuses that make a customer an "existing" subscriber of a plan.
CURRENT_SUBSCRIPTIONS = ("trialing", "active", "past_due")

_KEYS = {"segments", "regions", "currencies", "new_customers_only"}


def new_customers_only(elig: Mapping[str, Any] | None) -> bool:
    """Return whether only customers created after the start may join (the default)."""
    return bool((elig or {}).get("new_customers_only", True))


def normalize_eligibility(raw: Mapping[str, Any] | None, *, segments: Sequence[str],
                          regions: Sequence[str]) -> dict[str, Any]:
    """Return the eligibility of an experiment in its stored form.

    Args:
        raw: ``segments``, ``regions``, ``currencies`` (a list or one text; empty: any) and
            ``new_customers_only`` (default True; False: existing subscribers join too).
        segments: the segments a customer can have (the catalog's).
        regions: the regions a customer can be in (the catalog's).

    Returns:
        Sorted, de-duplicated lists (currencies upper-cased) and ``new_customers_only``.

    Raises:
        InvalidInput: an unknown key, segment, region or currency.
    """
    raw = dict(raw or {})
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise InvalidInput(f"eligibility: unknown key(s) {', '.join(unknown)}.")

    def values(key: str, allowed: Sequence[str] | None) -> list[str]:
        got = raw.get(key) or []
        got = [got] if isinstance(got, str) else list(got)
        clean = sorted({str(v).strip() for v in got if str(v).strip()})
        for v in clean:
            if allowed is not None and v not in allowed:
                raise InvalidInput(f"eligibility.{key}: {v!r} is not one of {', '.join(allowed)}.")
        return clean

    currencies = [c.upper() for c in values("currencies", None)]
    for cur in currencies:
        try:
            exponent(cur)
        except MoneyError as exc:
            raise InvalidInput(f"eligibility.currencies: {exc}") from None
    return {"segments": values("segments", segments), "regions": values("regions", regions),
            "currencies": currencies,
            "new_customers_only": bool(raw.get("new_customers_only", True))}


def eligibility_text(elig: Mapping[str, Any] | None) -> str:
    """Return the eligibility as a line: ``smb · any region · USD, EUR · new customers only``."""
    elig = dict(elig or {})
    parts = [", ".join(s.replace("_", " ") for s in elig.get("segments") or []) or "any segment",
             ", ".join(elig.get("regions") or []) or "any region",
             ", ".join(elig.get("currencies") or []) or "any currency",
             "new customers only" if new_customers_only(elig)
             else "new customers and existing ones at renewal"]
    return " · ".join(parts)


def eligibility_refusal(elig: Mapping[str, Any] | None, *, segment: str, region: str,
                        currency: str, is_new: bool, subscriber: bool) -> str:
    """Return why a customer may not join (empty when it may).

    Args:
        elig: the experiment's stored eligibility.
        segment: the customer's segment.
        region: the customer's region.
        currency: the customer's currency.
        is_new: whether the customer was created since the experiment started.
        subscriber: whether it holds a current subscription of the plan (consulted only when
            existing customers may join and the customer is not new).

    Returns:
        ``Not eligible: ...`` naming the first filter that fails, or ``""``.
    """
    elig = elig or {}
    for key, value, label in (("segments", segment, "segment"),
                              ("regions", region, "region"),
                              ("currencies", currency, "currency")):
        allowed = elig.get(key) or []
        if allowed and value not in allowed:
            return f"Not eligible: {label} {value} is not one of {', '.join(allowed)}."
    if new_customers_only(elig):
        return "" if is_new else "Not eligible: the experiment is for new customers only."
    if is_new or subscriber:
        return ""
    return "Not eligible: neither a new customer nor a subscriber of this plan."
