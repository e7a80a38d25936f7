"""Every dashboard figure, as numbers, from the frames the database summed.

Per month, the waterfall is ``new``, ``expansion``, ``contraction`` and ``reactivation`` as
summed in SQL, and ``churn`` from the identity every month satisfies
(``mrr[m] = mrr[m-1] + new + expansion + reactivation - contraction - churn``, customers
likewise), so it is exact without reading the customers who left. Month-over-month NRR/GRR
and logo churn follow from those sums exactly (for a one-month window the start cohort is the
previous month's customers, so ``NRR = (start + expansion - contraction - churn) / start``
and ``GRR = (start - contraction - churn) / start``). The definitions are those of the
functions of :mod:`console.kpis.domain`; the unit tests check the figures against them over
random ledgers, and the integration tests over a database's whole ledger.

Amounts are minor units of the reporting currency; ratios are fractions (``1.05`` = 105 %),
NaN where the denominator is zero. :mod:`console.kpis.queries.views` formats them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from console.kernel.months import add_months, month_end
from console.kpis.domain._frames import ratio
from console.kpis.domain.arpa import arpa_minor
from console.kpis.domain.disputes import dispute_resolution_stats
from console.kpis.domain.filters import Window
from console.kpis.domain.mrr import MOVEMENT_KINDS
from console.kpis.domain.receivables import (
    collections_aging,
    days_sales_outstanding,
    open_balances,
)
from console.kpis.domain.support import support_load

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class KpiFrames:
    """What the dashboards are computed from, amounts in the reporting currency.

    Attributes:
        window: the months covered.
        reporting: the currency of every amount.
        totals: MRR and paying customers per month (``month``, ``mrr_minor``, ``customers``:
            the window, the two months before it, and the previous period's NRR/GRR months).
        movements: per ``month`` and ``kind`` (new, expansion, contraction, reactivation),
            the sum (``amount_minor``) and the ``customers``; churn follows from the totals.
        churn_events: churned customers with a cancel/lapse event that month (``customer_id``,
            ``month``, ``involuntary``).
        retention: NRR/GRR sums (``customers``, ``start_minor``, ``end_minor``,
            ``kept_minor``), ``window`` (the month before the window -> its end) and
            ``previous`` (the same span one period earlier).
        open_invoices: converted open amounts (``open_minor``) per ``issued_month``,
            ``closed_month`` and ``due_date`` of the invoices that can be open at a month end.
        invoice_months: per ``issued_month`` from the month before the window: ``issued``,
            ``total_minor``, ``sales_minor`` (each month's booked sums converted once).
        events: cancel and lapse events (``customer_id``, ``occurred_on``, ``churn_reason``).
        disputes: disputes opened from the month before the window to its end (``id``,
            ``customer_id``, ``invoice_id``, ``amount_minor``, ``status``, ``opened_at``,
            ``resolved_at``, ``response_due_at``).
        tickets: billing support tickets opened in the same months (``customer_id``,
            ``category``, ``opened_at``).
    """

    window: Window
    reporting: str
    totals: pl.DataFrame
    movements: pl.DataFrame
    churn_events: pl.DataFrame
    retention: dict[str, dict[str, int]]
    open_invoices: pl.DataFrame
    invoice_months: pl.DataFrame
    events: pl.DataFrame
    disputes: pl.DataFrame
    tickets: pl.DataFrame


@dataclass(frozen=True)
class Figures:
    """Every figure of the dashboard, unformatted.

    Months are first days. "Compared months" are the window's months and the month before
    it (and, where a card compares the end month with the month before, that month).

    Attributes:
        window: the months covered.
        mrr: month -> MRR (every month of :attr:`KpiFrames.totals`).
        customers: month -> paying customers (the same months).
        movements: kind (:data:`MOVEMENT_KINDS`) -> amount per window month (churn and
            contraction positive).
        movement_counts: kind -> customers per window month.
        churned: month -> customers lost (the window's months and the month before its end).
        churn_split: month -> reason (:data:`CHURN_REASONS`) -> customers lost (same months).
        nrr: month-over-month NRR per window month.
        grr: month-over-month GRR per window month.
        receivables: compared month -> open receivables at its end.
        dso: compared month -> days sales outstanding.
        aging: aging bucket -> open amount at the window's as-of day.
        disputes: compared month -> ``rate`` (disputes per invoice issued), ``amount_rate``
            (amount disputed per amount invoiced) and
            :func:`console.kpis.domain.dispute_resolution_stats` of its disputes.
        tickets_opened: month -> billing tickets opened.
        disputes_opened: month -> disputes opened.
        support_load: compared month -> disputes and tickets per 100 paying customers.
        window_nrr: NRR from the month before the window to its end.
        window_grr: GRR over the same span.
        previous_nrr: NRR over the same-length span one period earlier.
        previous_grr: GRR over that span.
        logo_churn: the window's end month and the month before -> customers lost / customers
            paying the month before.
        billing_driven_share: the involuntary share of the end month's lost customers.
        arpa: the end month and the month before -> MRR per paying customer.
    """

    window: Window
    mrr: dict[date, int]
    customers: dict[date, int]
    movements: dict[str, list[int]]
    movement_counts: dict[str, list[int]]
    churned: dict[date, int]
    churn_split: dict[date, dict[str, int]]
    nrr: list[float]
    grr: list[float]
    receivables: dict[date, int]
    dso: dict[date, float]
    aging: dict[str, int]
    disputes: dict[date, dict[str, Any]]
    tickets_opened: dict[date, int]
    disputes_opened: dict[date, int]
    support_load: dict[date, float]
    window_nrr: float
    window_grr: float
    previous_nrr: float
    previous_grr: float
    logo_churn: dict[date, float]
    billing_driven_share: float
    arpa: dict[date, int]


def _days(month: date, w: Window) -> int:
    day = w.as_of if month == w.end else month_end(month)
    return (day - month).days + 1


def figures(frames: KpiFrames, *, progress: Progress | None = None) -> Figures:
    """Compute every figure of the dashboards from ``frames``.

    Args:
        frames: the sums and small frames of one filter set.
        progress: optional callback ``(fraction, message)``.

    Returns:
        The figures (see :class:`Figures`).
    """
    say = progress or (lambda _f, _m: None)
    w = frames.window
    months = w.months
    prev = add_months(w.start, -1)

    say(0.55, "Computing MRR movements")
    total_of = dict(zip(frames.totals["month"].to_list(), frames.totals["mrr_minor"].to_list(),
                        strict=True))
    count_of = dict(zip(frames.totals["month"].to_list(),
                        frames.totals["customers"].to_list(), strict=True))
    moved = {(r["month"], r["kind"]): r for r in frames.movements.to_dicts()}
    # A one-month window's churn card compares with the month before (summed too).
    moved_months = sorted({*months, add_months(w.end, -1)})

    def sum_of(month: date, kind: str, value: str) -> int:
        return int(moved.get((month, kind), {}).get(value, 0))

    churn_amount, churn_count = {}, {}
    for m in moved_months:
        before = add_months(m, -1)
        gained = sum(sum_of(m, k, "amount_minor") for k in ("new", "expansion", "reactivation"))
        joined = sum(sum_of(m, k, "customers") for k in ("new", "reactivation"))
        churn_amount[m] = (total_of.get(before, 0) + gained - sum_of(m, "contraction",
                                                                     "amount_minor")
                           - total_of.get(m, 0))
        churn_count[m] = count_of.get(before, 0) + joined - count_of.get(m, 0)
    amounts = {k: [churn_amount[m] if k == "churn" else sum_of(m, k, "amount_minor")
                   for m in months] for k in MOVEMENT_KINDS}
    counts = {k: [churn_count[m] if k == "churn" else sum_of(m, k, "customers")
                  for m in months] for k in MOVEMENT_KINDS}

    say(0.65, "Computing retention and churn")
    nrr, grr = [], []
    for i, m in enumerate(months):
        start = total_of.get(add_months(m, -1), 0)
        kept = start - amounts["contraction"][i] - amounts["churn"][i]
        nrr.append(ratio(kept + amounts["expansion"][i], start))
        grr.append(ratio(kept, start))
    with_event = frames.churn_events.group_by("month").agg(
        involuntary=pl.col("involuntary").sum(), voluntary=(pl.col("involuntary") == 0).sum())
    by_reason = {r["month"]: r for r in with_event.to_dicts()}
    reasons_of: dict[date, dict[str, int]] = {}
    for m in moved_months:
        found = by_reason.get(m, {})
        inv, vol = int(found.get("involuntary", 0)), int(found.get("voluntary", 0))
        reasons_of[m] = {"involuntary": inv, "voluntary": vol,
                         "other": churn_count[m] - inv - vol}

    say(0.75, "Computing receivables, aging and DSO")
    per_month = {r["issued_month"]: r for r in frames.invoice_months.to_dicts()}
    sales_of = {m: r["sales_minor"] for m, r in per_month.items()}
    carried = frames.open_invoices
    recv_of, dso_of = {}, {}
    for m in (prev, *months):
        recv_of[m] = int(open_balances(carried, month=m)["open_minor"].sum())
        dso_of[m] = days_sales_outstanding(receivables_minor=recv_of[m],
                                           credit_sales_minor=int(sales_of.get(m, 0)),
                                           days=_days(m, w))
    aging = collections_aging(
        open_balances(carried, month=w.end).select("due_date", "open_minor"), as_of=w.as_of)

    say(0.85, "Computing dispute and support figures")
    disputes = frames.disputes.rename({"response_due_at": "due_at"})
    # Each month's cohort split off once (a long window would filter them all every month).
    cohorts = disputes.with_columns(_month=pl.col("opened_at").dt.month_start().cast(pl.Date))
    by_month = {key[0]: df.drop("_month")
                for key, df in cohorts.partition_by("_month", as_dict=True).items()}
    stats_of: dict[date, dict[str, Any]] = {}
    for m in (prev, *months):
        # console.kpis.domain.dispute_rate / dispute_amount_rate over the month's invoice
        # sums (the count and total are all they read of the invoices).
        issued = per_month.get(m, {"issued": 0, "total_minor": 0})
        opened = by_month.get(m, disputes.clear())
        rate = ratio(opened.height, issued["issued"])
        amount_rate = ratio(int(opened["amount_minor"].sum()), issued["total_minor"])
        stats = dispute_resolution_stats(opened, month=m)
        stats_of[m] = {"rate": rate, "amount_rate": amount_rate, **stats}
    opened_month = pl.col("opened_at").dt.month_start().cast(pl.Date).alias("month")
    tickets_of = dict(frames.tickets.group_by(opened_month).agg(pl.len()).rows())
    disputes_of = dict(frames.disputes.group_by(opened_month).agg(pl.len()).rows())
    load_of = {m: support_load(disputes_opened=int(disputes_of.get(m, 0)),
                               tickets_opened=int(tickets_of.get(m, 0)),
                               active_customers=int(count_of.get(m, 0)))
               for m in (prev, *months)}

    # NRR/GRR over the window: customers paying the month before it, at its last month;
    # and the same-length window one period earlier (console.kpis.domain definitions: end
    # MRR / start MRR, and each customer's end MRR capped at its start for GRR).
    now, was = frames.retention["window"], frames.retention["previous"]
    # Logo churn: customers lost / customers paying the month before (domain.logo_churn).
    end, before = w.end, add_months(w.end, -1)
    logo = {end: ratio(churn_count[end], count_of.get(before, 0)),
            before: ratio(churn_count[before], count_of.get(add_months(end, -2), 0))}
    return Figures(
        window=w, mrr=total_of, customers=count_of, movements=amounts, movement_counts=counts,
        churned=churn_count, churn_split=reasons_of, nrr=nrr, grr=grr,
        receivables=recv_of, dso=dso_of, aging=aging, disputes=stats_of,
        tickets_opened=tickets_of, disputes_opened=disputes_of, support_load=load_of,
        window_nrr=ratio(now["end_minor"], now["start_minor"]),
        window_grr=ratio(now["kept_minor"], now["start_minor"]),
        previous_nrr=ratio(was["end_minor"], was["start_minor"]),
        previous_grr=ratio(was["kept_minor"], was["start_minor"]),
        logo_churn=logo,
        billing_driven_share=ratio(reasons_of[end]["involuntary"], churn_count[end]),
        arpa={m: arpa_minor(total_minor=total_of.get(m, 0), customers=count_of.get(m, 0))
              for m in (end, before)},
    )
