"""Every dashboard figure from the KPI frames (sums the database made, see kpis_sql).

Per month, the waterfall is ``new``, ``expansion``, ``contraction`` and ``reactivation`` as
summed in SQL, and ``churn`` from the identity every month satisfies
(``mrr[m] = mrr[m-1] + new + expansion + reactivation - contraction - churn``, customers
likewise), so it is exact without reading the customers who left. Month-over-month NRR/GRR
and logo churn follow from those sums exactly (for a one-month window the start cohort is the
previous month's customers, so ``NRR = (start + expansion - contraction - churn) / start``
and ``GRR = (start - contraction - churn) / start``). The definitions are those of
:mod:`console.kpis`; the integration tests check the figures against the library over the
whole ledger.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from console.kpis.domain import (
    AGING_BUCKETS,
    MOVEMENT_KINDS,
    collections_aging,
    days_sales_outstanding,
    dispute_resolution_stats,
    support_load,
)
from console.kpis.queries.frames import Window, add_months, month_end
from console.kpis.queries.sql import KpiFrames
from console.money import exponent, format_minor

Progress = Callable[[float, str], None]

#: Churn reasons shown in the churn split, in stacking order.
CHURN_REASONS: tuple[str, ...] = ("voluntary", "involuntary", "other")


@dataclass(frozen=True)
class Card:
    """One KPI card: the current value and its change vs the previous period.

    Attributes:
        key: the metric (drill-down key).
        label: what the card shows.
        value: the preformatted current value.
        change: the preformatted change vs the previous period ("" when not comparable).
        tone: ``good``, ``bad`` or ``neutral`` (how to colour the change).
        hint: the period and definition in a few words.
        month: the month (``YYYY-MM``) a click drills into.
    """

    key: str
    label: str
    value: str
    change: str
    tone: str
    hint: str
    month: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the KPI page shows, preformatted or as small chart series.

    Chart amounts are floats in major units of :attr:`currency` (display only); ratios are
    percentages; ``None`` marks an undefined point (no denominator).
    """

    currency: str
    window_label: str
    as_of: str
    cards: tuple[Card, ...]
    months: tuple[str, ...]
    month_labels: tuple[str, ...]
    mrr: tuple[float, ...]
    movements: tuple[tuple[str, tuple[float, ...]], ...]
    movement_counts: tuple[tuple[str, tuple[int, ...]], ...]
    nrr: tuple[float | None, ...]
    grr: tuple[float | None, ...]
    churn_split: tuple[tuple[str, tuple[int, ...]], ...]
    aging_buckets: tuple[str, ...]
    aging_amounts: tuple[float, ...]
    aging_labels: tuple[str, ...]
    dso: tuple[float | None, ...]
    receivables: tuple[float, ...]
    dispute_rate: tuple[float | None, ...]
    dispute_median_days: tuple[float | None, ...]
    dispute_within_sla: tuple[float | None, ...]
    support_load: tuple[float | None, ...]
    support_tickets: tuple[int, ...]
    support_disputes: tuple[int, ...]
    notes: tuple[str, ...]
    version: str = ""
    computed_ms: int = 0
    cached: bool = False


@dataclass(frozen=True)
class Computed:
    """A dashboard and what its drill-downs need (kept in the cache).

    Attributes:
        dashboard: the figures.
        frames: the frames it was computed from (drill-downs reuse their query builder and
            list disputes and tickets from them).
    """

    dashboard: Dashboard
    frames: KpiFrames


# -- formatting ----------------------------------------------------------------------------


def month_key(month: date) -> str:
    """``date(2026, 3, 1)`` -> ``"2026-03"``."""
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: date) -> str:
    """``date(2026, 3, 1)`` -> ``"Mar 2026"``."""
    return month.strftime("%b %Y")


def _major(minor: int | float, currency: str) -> float:
    return float(minor) / 10 ** exponent(currency)


def _pct(value: float) -> str:
    return "—" if _nan(value) else f"{value * 100:.1f}%"


def _nan(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _opt(value: float, scale: float = 1.0, digits: int = 2) -> float | None:
    return None if _nan(value) else round(value * scale, digits)


def _change_pct(now: float, before: float) -> tuple[str, float | None]:
    if _nan(now) or _nan(before) or before == 0:
        return "", None
    delta = (now - before) / abs(before)
    return f"{delta * 100:+.1f}%", delta


def _change_pp(now: float, before: float) -> tuple[str, float | None]:
    if _nan(now) or _nan(before):
        return "", None
    delta = (now - before) * 100
    return f"{delta:+.1f} pp", delta


def _change_abs(now: float, before: float, unit: str) -> tuple[str, float | None]:
    if _nan(now) or _nan(before):
        return "", None
    delta = now - before
    return f"{delta:+.1f}{unit}", delta


def _tone(delta: float | None, higher_is_better: bool | None) -> str:
    if delta is None or higher_is_better is None or abs(delta) < 1e-9:
        return "neutral"
    return "good" if (delta > 0) == higher_is_better else "bad"


# -- the pieces ----------------------------------------------------------------------------


def churn_reasons(churn_rows: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Label each churn row with the reason of the customer's cancel/lapse event that month.

    A customer with an involuntary event in the month counts as involuntary, else voluntary
    with a voluntary event; without any such event (e.g. the MRR moved to a plan outside the
    filter) the reason is ``other``. The dashboard counts the same way in SQL
    (kpis_sql.KpiSql.churn_events); drill-downs label their rows with this.
    """
    reasons = (
        events.with_columns(month=pl.col("occurred_on").dt.month_start())
        .group_by("customer_id", "month")
        .agg(involuntary=(pl.col("churn_reason") == "involuntary").any(), any_event=pl.len() > 0)
    )
    return churn_rows.join(reasons, on=["customer_id", "month"], how="left").with_columns(
        reason=pl.when(pl.col("involuntary")).then(pl.lit("involuntary"))
        .when(pl.col("any_event")).then(pl.lit("voluntary"))
        .otherwise(pl.lit("other"))
    ).drop("involuntary", "any_event")


def open_balances(invoices: pl.DataFrame, month: date) -> pl.DataFrame:
    """The rows of ``invoices`` open at the end of ``month`` (``issued_month`` and
    ``closed_month`` columns; rows may be single invoices or sums of them).

    An invoice is open from its issue month until the month it is paid or voided; credits
    and partial payments that did not close it count from issue (their timing is not kept
    per invoice); uncollectible invoices are written off and never count (the queries leave
    them out, see kpis_sql.KpiSql.open_rows).
    """
    return invoices.filter(
        (pl.col("issued_month") <= month)
        & (pl.col("closed_month").is_null() | (pl.col("closed_month") > month)))


def _days(month: date, w: Window) -> int:
    day = w.as_of if month == w.end else month_end(month)
    return (day - month).days + 1


def _ratio(a: float, b: float) -> float:
    return math.nan if b == 0 else a / b


def _arpa(total: int, customers: int) -> int:
    # console.kpis.domain.arpa: half-up on the exact numerator, 0 without paying customers.
    return 0 if customers == 0 else (2 * total + customers) // (2 * customers)


# -- the dashboard -------------------------------------------------------------------------


def compute(frames: KpiFrames, progress: Progress | None = None) -> Computed:
    """Compute every card and chart series of the dashboards from ``frames``.

    Args:
        frames: the frames from :func:`console.kpis.queries.sql.load_frames`.
        progress: optional callback ``(fraction, message)``.
    """
    say = progress or (lambda _f, _m: None)
    w, cur = frames.window, frames.reporting
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
        nrr.append(_opt(_ratio(kept + amounts["expansion"][i], start), 100))
        grr.append(_opt(_ratio(kept, start), 100))
    with_event = frames.churn_events.group_by("month").agg(
        involuntary=pl.col("involuntary").sum(), voluntary=(pl.col("involuntary") == 0).sum())
    by_reason = {r["month"]: r for r in with_event.to_dicts()}
    reasons_of: dict[date, dict[str, int]] = {}
    for m in moved_months:
        found = by_reason.get(m, {})
        inv, vol = int(found.get("involuntary", 0)), int(found.get("voluntary", 0))
        reasons_of[m] = {"involuntary": inv, "voluntary": vol,
                         "other": churn_count[m] - inv - vol}
    churn_split = tuple((reason, tuple(reasons_of[m][reason] for m in months))
                        for reason in CHURN_REASONS)

    say(0.75, "Computing receivables, aging and DSO")
    per_month = {r["issued_month"]: r for r in frames.invoice_months.to_dicts()}
    sales_of = {m: r["sales_minor"] for m, r in per_month.items()}
    carried = frames.open_invoices
    recv_of, dso_of = {}, {}
    for m in (prev, *months):
        recv_of[m] = int(open_balances(carried, m)["open_minor"].sum())
        dso_of[m] = days_sales_outstanding(receivables_minor=recv_of[m],
                                           credit_sales_minor=int(sales_of.get(m, 0)),
                                           days=_days(m, w))
    aging = collections_aging(open_balances(carried, w.end).select("due_date", "open_minor"),
                              as_of=w.as_of)

    say(0.85, "Computing dispute and support figures")
    disputes = frames.disputes.rename({"response_due_at": "due_at"})
    # Each month's cohort split off once (a long window would filter them all every month).
    cohorts = disputes.with_columns(_month=pl.col("opened_at").dt.month_start().cast(pl.Date))
    by_month = {key[0]: df.drop("_month")
                for key, df in cohorts.partition_by("_month", as_dict=True).items()}
    d_rate, d_median, d_sla = [], [], []
    stats_of: dict[date, dict] = {}
    for m in (prev, *months):
        # console.kpis.dispute_rate / dispute_amount_rate over the month's invoice sums
        # (the count and total are all they read of the invoices).
        issued = per_month.get(m, {"issued": 0, "total_minor": 0})
        opened = by_month.get(m, disputes.clear())
        rate = _ratio(opened.height, issued["issued"])
        amount_rate = _ratio(int(opened["amount_minor"].sum()), issued["total_minor"])
        stats = dispute_resolution_stats(opened, month=m)
        stats_of[m] = {"rate": rate, "amount_rate": amount_rate, **stats}
        if m != prev:
            d_rate.append(_opt(rate, 100))
            d_median.append(_opt(stats["median_days_to_resolve"], 1, 1))
            d_sla.append(_opt(stats["within_sla_share"], 100, 1))
    opened_month = pl.col("opened_at").dt.month_start().cast(pl.Date).alias("month")
    tickets_of = dict(frames.tickets.group_by(opened_month).agg(pl.len()).rows())
    disputes_of = dict(frames.disputes.group_by(opened_month).agg(pl.len()).rows())
    load_of = {m: support_load(disputes_opened=int(disputes_of.get(m, 0)),
                               tickets_opened=int(tickets_of.get(m, 0)),
                               active_customers=int(count_of.get(m, 0)))
               for m in (prev, *months)}

    say(0.92, "Preparing cards")
    cards = _cards(frames, w, cur, total_of, count_of, recv_of, dso_of, stats_of, load_of,
                   churn_count, reasons_of)
    notes = []
    if w.as_of < month_end(w.end):
        notes.append(f"{month_label(w.end)} runs to {w.as_of.isoformat()}: its figures are "
                     "month to date.")
    dash = Dashboard(
        currency=cur,
        window_label=f"{month_label(w.start)} – {month_label(w.end)}",
        as_of=w.as_of.isoformat(),
        cards=cards,
        months=tuple(month_key(m) for m in months),
        month_labels=tuple(month_label(m) for m in months),
        mrr=tuple(_major(total_of.get(m, 0), cur) for m in months),
        movements=tuple((k, tuple(-_major(v, cur) if v and k in ("contraction", "churn")
                                  else _major(v, cur) for v in amounts[k]))
                        for k in MOVEMENT_KINDS),
        movement_counts=tuple((k, tuple(int(v) for v in counts[k])) for k in MOVEMENT_KINDS),
        nrr=tuple(nrr), grr=tuple(grr),
        churn_split=churn_split,
        aging_buckets=AGING_BUCKETS,
        aging_amounts=tuple(_major(aging[b], cur) for b in AGING_BUCKETS),
        aging_labels=tuple(format_minor(aging[b], cur) for b in AGING_BUCKETS),
        dso=tuple(_opt(dso_of[m], 1, 1) for m in months),
        receivables=tuple(_major(recv_of[m], cur) for m in months),
        dispute_rate=tuple(d_rate),
        dispute_median_days=tuple(d_median),
        dispute_within_sla=tuple(d_sla),
        support_load=tuple(_opt(load_of[m], 1, 2) for m in months),
        support_tickets=tuple(int(tickets_of.get(m, 0)) for m in months),
        support_disputes=tuple(int(disputes_of.get(m, 0)) for m in months),
        notes=tuple(notes),
    )
    return Computed(dashboard=dash, frames=frames)


def _cards(frames: KpiFrames, w: Window, cur: str, total_of: dict, count_of: dict,
           recv_of: dict, dso_of: dict, stats_of: dict, load_of: dict,
           churn_count: dict, reasons_of: dict) -> tuple[Card, ...]:
    end, before = w.end, add_months(w.end, -1)
    key = month_key(end)
    vs = f"vs {month_label(before)}"
    mrr_now, mrr_before = total_of.get(end, 0), total_of.get(before, 0)
    cards: list[Card] = []

    def add(key_: str, label: str, value: str, change: tuple[str, float | None],
            better: bool | None, hint: str, month: str = key) -> None:
        text = f"{change[0]} {vs}" if change[0] else ""
        cards.append(Card(key_, label, value, text, _tone(change[1], better), hint, month))

    add("mrr", "MRR", format_minor(mrr_now, cur), _change_pct(mrr_now, mrr_before), True,
        f"{month_label(end)}; {count_of.get(end, 0):,} paying customers")
    add("arr", "ARR", format_minor(12 * mrr_now, cur), _change_pct(mrr_now, mrr_before), True,
        "12 × MRR")

    # NRR/GRR over the window: customers paying the month before it, at its last month;
    # compared with the same-length window one period earlier (console.kpis definitions:
    # end MRR / start MRR, and each customer's end MRR capped at its start for GRR).
    span = len(w.months)
    start, p_start, p_end = add_months(w.start, -1), add_months(w.start, -1 - span), \
        add_months(end, -span)
    now, was = frames.retention["window"], frames.retention["previous"]
    nrr_now = _ratio(now["end_minor"], now["start_minor"])
    nrr_before = _ratio(was["end_minor"], was["start_minor"])
    grr_now = _ratio(now["kept_minor"], now["start_minor"])
    grr_before = _ratio(was["kept_minor"], was["start_minor"])
    period = f"{month_label(start)} → {month_label(end)}"
    pvs = f"vs {month_label(p_start)} → {month_label(p_end)}"
    for key_, label, value, prior in (("nrr", "NRR", nrr_now, nrr_before),
                                      ("grr", "GRR", grr_now, grr_before)):
        change = _change_pp(value, prior)
        cards.append(Card(key_, label, _pct(value), f"{change[0]} {pvs}" if change[0] else "",
                          _tone(change[1], True), f"customers paying in {period}", key))

    # Logo churn: customers lost / customers paying the month before (console.kpis.logo_churn).
    churn_now = _ratio(churn_count[end], count_of.get(before, 0))
    churn_before = _ratio(churn_count[before], count_of.get(add_months(end, -2), 0))
    lost = churn_count[end]
    share = _ratio(reasons_of[end]["involuntary"], lost)
    add("churn", "Logo churn", _pct(churn_now), _change_pp(churn_now, churn_before), False,
        f"{lost:,} customers lost in {month_label(end)}; billing-driven {_pct(share)}")
    arpa_now, arpa_before = _arpa(mrr_now, count_of.get(end, 0)), \
        _arpa(mrr_before, count_of.get(before, 0))
    add("arpa", "ARPA", format_minor(arpa_now, cur), _change_pct(arpa_now, arpa_before), True,
        "MRR / paying customers")
    dso_now, dso_before = dso_of[end], dso_of[before]
    add("dso", "DSO", "—" if _nan(dso_now) else f"{dso_now:.1f} days",
        _change_abs(dso_now, dso_before, " days"), False, "receivables / invoiced × days")
    s_now, s_before = stats_of[end], stats_of[before]
    add("disputes", "Dispute rate", _pct(s_now["rate"]),
        _change_pp(s_now["rate"], s_before["rate"]), False,
        f"{s_now['opened']:,} disputes; {_pct(s_now['amount_rate'])} of invoiced amount")
    add("support", "Support load",
        "—" if _nan(load_of[end]) else f"{load_of[end]:.2f}",
        _change_abs(load_of[end], load_of[before], ""), False,
        "disputes + billing tickets per 100 customers")
    recv_now, recv_before = recv_of[end], recv_of[before]
    add("receivables", "Open receivables", format_minor(recv_now, cur),
        _change_pct(recv_now, recv_before), False, f"as of {w.as_of.isoformat()}")
    return tuple(cards)
