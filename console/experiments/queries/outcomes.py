"""What happened to a cohort of customers since a date: conversion, MRR, churn, expansion,
disputes, payment failures and support tickets, one row per customer, aggregated per group.

Used by experiment results (groups are arms, each customer counted from its assignment) and
rollout guardrails (groups are "moved" and "not moved"). A handful of bulk reads (one per
kind of fact, each filtered by a subquery of the cohort's customer ids) go into polars; the
flags and the per-group aggregates are computed there, never row by row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.experiments.domain import SampleStats
from models import (
    Dispute,
    Invoice,
    PaymentAttempt,
    Subscription,
    SubscriptionEvent,
    SupportTicket,
)

#: Subscription statuses that count as paying (with MRR above zero).
PAYING_STATUSES = ("active", "past_due")
#: Subscription events that grow a customer's MRR.
EXPANSION_KINDS = ("upgrade", "seat_change", "reactivate")

_FLAGS = ("converted", "churned", "expanded", "disputed", "payment_failed", "support")

COHORT_SCHEMA = {"customer_id": pl.Int64, "group": pl.String, "since": pl.Date}


@dataclass(frozen=True)
class GroupOutcome:
    """Counts and rates of one group (an arm, or moved / not moved customers)."""

    group: str
    customers: int
    converted: int
    churned: int
    expanded: int
    disputed: int
    payment_failed: int
    support: int
    mrr_reporting_minor: float
    arpa: SampleStats | None
    arpa_mean: float | None

    def rate(self, flag: str) -> float:
        """``flag`` count over customers (NaN without customers)."""
        if not self.customers:
            return math.nan
        return getattr(self, flag) / self.customers

    def rates(self) -> dict[str, float]:
        """The guardrail rates of the group (keys of ``domain.guardrails.RATE_LABELS``)."""
        return {"dispute_rate": self.rate("disputed"),
                "payment_failure_rate": self.rate("payment_failed"),
                "churn_rate": self.rate("churned"),
                "support_rate": self.rate("support")}


def _day(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _events(rows: Any) -> pl.DataFrame:
    return pl.DataFrame([(int(cid), _day(on)) for cid, on in rows], orient="row",
                        schema={"customer_id": pl.Int64, "on": pl.Date})


def _flag_since(cohort: pl.DataFrame, events: pl.DataFrame, name: str) -> pl.DataFrame:
    hit = (events.join(cohort.select("customer_id", "since"), on="customer_id", how="inner")
           .filter(pl.col("on") >= pl.col("since"))
           .select("customer_id").unique().with_columns(pl.lit(True).alias(name)))
    return hit


def customer_outcomes(
    session: Session,
    *,
    cohort: pl.DataFrame,
    ids: sa.Select,
    plan_id: int,
    rates: Mapping[str, Decimal],
) -> pl.DataFrame:
    """One row per cohort customer with its outcome flags and MRR in the reporting currency.

    Args:
        session: an open session.
        cohort: ``customer_id`` (Int64), ``group`` (String), ``since`` (Date): who is counted,
            in which group, from which day on (events before ``since`` are ignored).
        ids: a SELECT of the same customer ids (filters the bulk reads in the database).
        plan_id: the plan whose subscriptions count (conversion, MRR, churn, expansion).
        rates: reporting-currency units per currency unit (MRR of other currencies is null).

    Returns:
        ``customer_id, group, since, converted, churned, expanded, disputed, payment_failed,
        support`` (booleans) and ``mrr`` (Float64 reporting minor units; null when unknown).
    """
    cohort = cohort.select([pl.col(k).cast(t) for k, t in COHORT_SCHEMA.items()]).unique(
        subset="customer_id", keep="first")
    subq = ids
    subs_rows = session.execute(
        sa.select(Subscription.customer_id, Subscription.status, Subscription.mrr_minor,
                  Subscription.currency, Subscription.canceled_on)
        .where(Subscription.plan_id == plan_id, Subscription.customer_id.in_(subq))).all()
    rate_map = {cur: float(r) for cur, r in rates.items()}
    subs = pl.DataFrame(
        [(int(c), s, int(m or 0), cur, rate_map.get(cur), _day(canceled))
         for c, s, m, cur, canceled in subs_rows], orient="row",
        schema={"customer_id": pl.Int64, "status": pl.String, "mrr_minor": pl.Int64,
                "currency": pl.String, "rate": pl.Float64, "canceled_on": pl.Date})
    paying = pl.col("status").is_in(PAYING_STATUSES) & (pl.col("mrr_minor") > 0)
    per_sub = subs.group_by("customer_id").agg(
        converted=paying.any(),
        mrr=(pl.col("mrr_minor") * pl.col("rate")).filter(paying).sum(),
        mrr_unknown=(paying & pl.col("rate").is_null()).any(),
    ).with_columns(mrr=pl.when(pl.col("mrr_unknown")).then(None).otherwise(pl.col("mrr")))
    churn = _flag_since(cohort, subs.filter(pl.col("canceled_on").is_not_null())
                        .select("customer_id", pl.col("canceled_on").alias("on")), "churned")

    disputes = _events(session.execute(
        sa.select(Dispute.customer_id, Dispute.opened_at)
        .where(Dispute.customer_id.in_(subq))).all())
    failures = _events(session.execute(
        sa.select(Invoice.customer_id,
                  sa.func.coalesce(PaymentAttempt.attempted_at, PaymentAttempt.scheduled_at))
        .join(Invoice, Invoice.id == PaymentAttempt.invoice_id)
        .where(PaymentAttempt.status == "failed", Invoice.customer_id.in_(subq))).all())
    expansions = _events(session.execute(
        sa.select(SubscriptionEvent.customer_id, SubscriptionEvent.occurred_on)
        .join(Subscription, Subscription.id == SubscriptionEvent.subscription_id)
        .where(Subscription.plan_id == plan_id,
               SubscriptionEvent.kind.in_(EXPANSION_KINDS),
               SubscriptionEvent.mrr_delta_minor > 0,
               SubscriptionEvent.customer_id.in_(subq))).all())
    tickets = _events(session.execute(
        sa.select(SupportTicket.customer_id, SupportTicket.opened_at)
        .where(SupportTicket.customer_id.in_(subq))).all())

    out = cohort.join(per_sub.select("customer_id", "converted", "mrr"), on="customer_id",
                      how="left")
    flags = (churn, _flag_since(cohort, expansions, "expanded"),
             _flag_since(cohort, disputes, "disputed"),
             _flag_since(cohort, failures, "payment_failed"),
             _flag_since(cohort, tickets, "support"))
    for frame in flags:
        out = out.join(frame, on="customer_id", how="left")
    return out.with_columns([pl.col(f).fill_null(False) for f in _FLAGS])


def group_outcomes(per_customer: pl.DataFrame) -> dict[str, GroupOutcome]:
    """Aggregate :func:`customer_outcomes` rows per group (ARPA over paying customers)."""
    if per_customer.is_empty():
        return {}
    paying_mrr = pl.col("mrr").filter(pl.col("converted") & pl.col("mrr").is_not_null())
    agg = per_customer.group_by("group").agg(
        customers=pl.len(),
        **{f: pl.col(f).cast(pl.Int64).sum() for f in _FLAGS},
        mrr_total=pl.col("mrr").fill_null(0).sum(),
        arpa_n=paying_mrr.count(),
        arpa_mean=paying_mrr.mean(),
        arpa_var=paying_mrr.var(),
    )
    out: dict[str, GroupOutcome] = {}
    for row in agg.iter_rows(named=True):
        n = int(row["arpa_n"] or 0)
        stats = None
        if n >= 2 and row["arpa_var"] is not None:
            stats = SampleStats(n=n, mean=float(row["arpa_mean"]),
                                variance=max(0.0, float(row["arpa_var"])))
        out[row["group"]] = GroupOutcome(
            group=row["group"], customers=int(row["customers"]),
            converted=int(row["converted"]), churned=int(row["churned"]),
            expanded=int(row["expanded"]), disputed=int(row["disputed"]),
            payment_failed=int(row["payment_failed"]), support=int(row["support"]),
            mrr_reporting_minor=float(row["mrr_total"] or 0.0), arpa=stats,
            arpa_mean=float(row["arpa_mean"]) if row["arpa_mean"] is not None else None)
    return out


def empty_group(name: str) -> GroupOutcome:
    """A group without customers."""
    return GroupOutcome(group=name, customers=0, converted=0, churned=0, expanded=0,
                        disputed=0, payment_failed=0, support=0, mrr_reporting_minor=0.0,
                        arpa=None, arpa_mean=None)
