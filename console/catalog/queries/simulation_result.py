"""The revenue-impact simulation's result: per customer and per currency, as stored on a change
request (``change_request.simulation``) and as shown on a page."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from console.catalog.domain.impact import (
    HISTOGRAM_LABELS,
    HistogramBin,
    classify,
    histogram,
    pct_text,
)
from console.money import format_minor, format_signed_minor, round_minor, to_major

#: How many customers the "most affected" list keeps.
TOP_N = 20


@dataclass(frozen=True)
class CustomerImpact:
    """One customer's revenue over the window under both rate cards (preformatted)."""

    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    old_minor: int
    new_minor: int
    change_minor: int
    old: str
    new: str
    change: str
    change_pct: str
    direction: str

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class CurrencyImpact:
    """Totals of one currency (amounts never mix currencies)."""

    currency: str
    customers: int
    increased: int
    decreased: int
    unchanged: int
    old_minor: int
    new_minor: int
    change_minor: int
    old: str
    new: str
    change: str
    change_pct: str

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SimulationResult:
    """The revenue impact of a rate card over a window of real usage."""

    plan_id: int
    version_id: int | None
    baseline_version_id: int | None
    months: int
    window_start: date
    window_end: date
    customers: int
    increased: int
    decreased: int
    unchanged: int
    totals: tuple[CurrencyImpact, ...]
    top: tuple[CustomerImpact, ...]
    histogram: tuple[HistogramBin, ...]
    reporting_currency: str
    #: sum over currencies of |total change|, in reporting-currency minor units (None: no rate)
    revenue_change_reporting_minor: int | None
    notes: tuple[str, ...] = ()
    rated_combinations: int = 0
    rated_lines: int = 0
    elapsed_ms: int = 0
    per_customer: tuple[CustomerImpact, ...] = field(default=(), repr=False)

    @property
    def revenue_change_reporting(self) -> str:
        """The absolute change used by the approval policy, formatted ("" when unknown)."""
        if self.revenue_change_reporting_minor is None:
            return ""
        return format_minor(self.revenue_change_reporting_minor, self.reporting_currency)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form for ``change_request.simulation`` (per-customer rows: top only)."""
        return {
            "plan_id": self.plan_id,
            "version_id": self.version_id,
            "baseline_version_id": self.baseline_version_id,
            "months": self.months,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "customers": self.customers,
            "increased": self.increased,
            "decreased": self.decreased,
            "unchanged": self.unchanged,
            "totals": [t.to_json() for t in self.totals],
            "top": [c.to_json() for c in self.top],
            "histogram": [{"label": b.label, "count": b.count} for b in self.histogram],
            "reporting_currency": self.reporting_currency,
            "revenue_change_reporting_minor": self.revenue_change_reporting_minor,
            "revenue_change_reporting": self.revenue_change_reporting,
            "notes": list(self.notes),
            "rated_combinations": self.rated_combinations,
            "rated_lines": self.rated_lines,
            "elapsed_ms": self.elapsed_ms,
        }


def _to_reporting(change_minor: int, currency: str, rates: Mapping[str, Decimal]
                  ) -> Decimal | None:
    rate_ = rates.get(currency)
    return None if rate_ is None else to_major(change_minor, currency) * rate_


def summarize(per: pl.DataFrame, *, plan_id: int, version_id: int | None,
              baseline_version_id: int | None, months: int, window: tuple[date, date],
              rates: Mapping[str, Decimal], reporting_currency: str, notes: list[str],
              rated_combinations: int, rated_lines: int, started_at: float
              ) -> SimulationResult:
    """The result of a simulation from its per-customer frame.

    Args:
        per: one row per customer with code, name, currency, old_minor, new_minor and
            change_minor (revenue over the window under the old and the new rate card).
        plan_id: the simulated plan.
        version_id: the proposed version.
        baseline_version_id: the published version.
        months: the window's length.
        window: its first and last day.
        rates: reporting-currency units per currency unit (ranks customers; sums the change).
        reporting_currency: the currency of ``rates``.
        notes: what the reader should know about the figures.
        rated_combinations: how many distinct (terms, units) pairs were rated.
        rated_lines: how many usage lines were priced.
        started_at: ``time.perf_counter()`` when the simulation started.

    Returns:
        Totals per currency, the most affected customers and the histogram of changes.
    """
    impacts: list[CustomerImpact] = []
    rank: list[tuple[Decimal, int, int]] = []
    for i, row in enumerate(per.select("customer_id", "code", "name", "currency", "old_minor",
                                       "new_minor", "change_minor").iter_rows()):
        cid, code, name, cur, old, new, change = row
        impacts.append(CustomerImpact(
            customer_id=cid, customer_code=code, customer_name=name, currency=cur,
            old_minor=old, new_minor=new, change_minor=change, old=format_minor(old, cur),
            new=format_minor(new, cur), change=format_signed_minor(change, cur),
            change_pct=pct_text(old, new), direction=classify(change)))
        converted = _to_reporting(abs(change), cur, rates)
        rank.append((converted if converted is not None else to_major(abs(change), cur),
                     -cid, i))
    rank.sort(reverse=True)
    top = tuple(impacts[i] for _value, _cid, i in rank[:TOP_N] if impacts[i].change_minor)

    totals: list[CurrencyImpact] = []
    change_total = Decimal(0)
    convertible = True
    for cur in sorted({c.currency for c in impacts}):
        rows = [c for c in impacts if c.currency == cur]
        old = sum(c.old_minor for c in rows)
        new = sum(c.new_minor for c in rows)
        totals.append(CurrencyImpact(
            currency=cur, customers=len(rows),
            increased=sum(1 for c in rows if c.change_minor > 0),
            decreased=sum(1 for c in rows if c.change_minor < 0),
            unchanged=sum(1 for c in rows if c.change_minor == 0),
            old_minor=old, new_minor=new, change_minor=new - old, old=format_minor(old, cur),
            new=format_minor(new, cur), change=format_signed_minor(new - old, cur),
            change_pct=pct_text(old, new)))
        converted = _to_reporting(abs(new - old), cur, rates)
        if converted is None:
            convertible = convertible and new == old
        else:
            change_total += converted
    return SimulationResult(
        plan_id=plan_id,
        version_id=version_id,
        baseline_version_id=baseline_version_id,
        months=months,
        window_start=window[0],
        window_end=window[1],
        customers=len(impacts),
        increased=sum(t.increased for t in totals),
        decreased=sum(t.decreased for t in totals),
        unchanged=sum(t.unchanged for t in totals),
        totals=tuple(totals),
        top=top,
        histogram=histogram((c.old_minor, c.new_minor) for c in impacts),
        reporting_currency=reporting_currency,
        revenue_change_reporting_minor=(round_minor(change_total, reporting_currency)
                                        if convertible else None),
        notes=tuple(notes),
        rated_combinations=rated_combinations,
        rated_lines=rated_lines,
        elapsed_ms=int((time.perf_counter() - started_at) * 1000),
        per_customer=tuple(impacts),
    )


# --- as shown on a page


@dataclass(frozen=True)
class TotalRow:
    """Simulated totals of one currency."""

    currency: str
    customers: int
    increased: int
    decreased: int
    unchanged: int
    old: str
    new: str
    change: str
    change_pct: str


@dataclass(frozen=True)
class ImpactRow:
    """One of the most affected customers."""

    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    old: str
    new: str
    change: str
    change_pct: str
    change_minor: int
    direction: str


@dataclass(frozen=True)
class BarRow:
    """One histogram bar; ``width_pct`` is its length relative to the tallest bar (0-100)."""

    label: str
    count: int
    width_pct: int


@dataclass(frozen=True)
class SimulationView:
    """A revenue-impact simulation ready to show."""

    months: int
    window: str
    customers: int
    increased: int
    decreased: int
    unchanged: int
    totals: list[TotalRow]
    top: list[ImpactRow]
    histogram: list[BarRow]
    notes: list[str]
    revenue_change: str
    elapsed: str


def simulation_view(doc: Mapping[str, Any] | None) -> SimulationView | None:
    """A stored (or fresh) simulation document as view rows."""
    if not doc:
        return None
    bars = doc.get("histogram") or [{"label": label, "count": 0} for label in HISTOGRAM_LABELS]
    tallest = max((b["count"] for b in bars), default=0) or 1
    start = date.fromisoformat(doc["window_start"])
    end = date.fromisoformat(doc["window_end"])
    change = doc.get("revenue_change_reporting") or "unknown (missing exchange rate)"
    return SimulationView(
        months=int(doc["months"]), window=f"{start:%b %Y} – {end:%b %Y}",
        customers=int(doc["customers"]), increased=int(doc["increased"]),
        decreased=int(doc["decreased"]), unchanged=int(doc["unchanged"]),
        totals=[TotalRow(t["currency"], t["customers"], t["increased"], t["decreased"],
                         t["unchanged"], t["old"], t["new"], t["change"], t["change_pct"])
                for t in doc.get("totals", [])],
        top=[ImpactRow(c["customer_id"], c["customer_code"], c["customer_name"],
                       c["currency"], c["old"], c["new"], c["change"], c["change_pct"],
                       c["change_minor"], c["direction"]) for c in doc.get("top", [])],
        histogram=[BarRow(b["label"], b["count"], round(100 * b["count"] / tallest))
                   for b in bars],
        notes=list(doc.get("notes", [])),
        revenue_change=change,
        elapsed=f"{int(doc.get('elapsed_ms', 0)) / 1000:.1f} s",
    )
