"""The KPI page's view data: cards and chart series, preformatted from the figures.

:func:`compute_dashboard` computes the figures (:func:`console.kpis.domain.figures.figures`)
and turns them into a :class:`Dashboard`: amounts as text in the reporting currency, chart
amounts as floats in major units, ratios as rounded percentages (``None`` where undefined).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from console.kernel.months import add_months, month_end, month_key
from console.kpis.domain import AGING_BUCKETS, MOVEMENT_KINDS
from console.kpis.domain.churn import CHURN_REASONS
from console.kpis.domain.figures import Figures, KpiFrames, Progress, figures
from console.money import exponent, format_minor


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


# -- formatting ----------------------------------------------------------------------------


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


# -- the dashboard -------------------------------------------------------------------------


def compute_dashboard(frames: KpiFrames, progress: Progress | None = None) -> Dashboard:
    """Compute every card and chart series of the dashboards from ``frames``.

    Args:
        frames: the frames from :func:`console.kpis.queries.frames.load_frames`.
        progress: optional callback ``(fraction, message)``.

    Returns:
        The dashboard (without its version and timing, which the cache sets).
    """
    say = progress or (lambda _f, _m: None)
    fig = figures(frames, progress=progress)
    w, cur = frames.window, frames.reporting
    months = w.months

    say(0.92, "Preparing cards")
    cards = _cards(fig, cur)
    notes = []
    if w.as_of < month_end(w.end):
        notes.append(f"{month_label(w.end)} runs to {w.as_of.isoformat()}: its figures are "
                     "month to date.")
    stats = [fig.disputes[m] for m in months]
    return Dashboard(
        currency=cur,
        window_label=f"{month_label(w.start)} – {month_label(w.end)}",
        as_of=w.as_of.isoformat(),
        cards=cards,
        months=tuple(month_key(m) for m in months),
        month_labels=tuple(month_label(m) for m in months),
        mrr=tuple(_major(fig.mrr.get(m, 0), cur) for m in months),
        movements=tuple((k, tuple(-_major(v, cur) if v and k in ("contraction", "churn")
                                  else _major(v, cur) for v in fig.movements[k]))
                        for k in MOVEMENT_KINDS),
        movement_counts=tuple((k, tuple(int(v) for v in fig.movement_counts[k]))
                              for k in MOVEMENT_KINDS),
        nrr=tuple(_opt(v, 100) for v in fig.nrr), grr=tuple(_opt(v, 100) for v in fig.grr),
        churn_split=tuple((reason, tuple(fig.churn_split[m][reason] for m in months))
                          for reason in CHURN_REASONS),
        aging_buckets=AGING_BUCKETS,
        aging_amounts=tuple(_major(fig.aging[b], cur) for b in AGING_BUCKETS),
        aging_labels=tuple(format_minor(fig.aging[b], cur) for b in AGING_BUCKETS),
        dso=tuple(_opt(fig.dso[m], 1, 1) for m in months),
        receivables=tuple(_major(fig.receivables[m], cur) for m in months),
        dispute_rate=tuple(_opt(s["rate"], 100) for s in stats),
        dispute_median_days=tuple(_opt(s["median_days_to_resolve"], 1, 1) for s in stats),
        dispute_within_sla=tuple(_opt(s["within_sla_share"], 100, 1) for s in stats),
        support_load=tuple(_opt(fig.support_load[m], 1, 2) for m in months),
        support_tickets=tuple(int(fig.tickets_opened.get(m, 0)) for m in months),
        support_disputes=tuple(int(fig.disputes_opened.get(m, 0)) for m in months),
        notes=tuple(notes),
    )


def _cards(fig: Figures, cur: str) -> tuple[Card, ...]:
    w = fig.window
    end, before = w.end, add_months(w.end, -1)
    key = month_key(end)
    vs = f"vs {month_label(before)}"
    mrr_now, mrr_before = fig.mrr.get(end, 0), fig.mrr.get(before, 0)
    cards: list[Card] = []

    def add(key_: str, label: str, value: str, change: tuple[str, float | None],
            better: bool | None, hint: str, month: str = key) -> None:
        text = f"{change[0]} {vs}" if change[0] else ""
        cards.append(Card(key_, label, value, text, _tone(change[1], better), hint, month))

    add("mrr", "MRR", format_minor(mrr_now, cur), _change_pct(mrr_now, mrr_before), True,
        f"{month_label(end)}; {fig.customers.get(end, 0):,} paying customers")
    add("arr", "ARR", format_minor(12 * mrr_now, cur), _change_pct(mrr_now, mrr_before), True,
        "12 × MRR")

    # NRR/GRR over the window: customers paying the month before it, at its last month;
    # compared with the same-length window one period earlier.
    span = len(w.months)
    start, p_start, p_end = add_months(w.start, -1), add_months(w.start, -1 - span), \
        add_months(end, -span)
    period = f"{month_label(start)} → {month_label(end)}"
    pvs = f"vs {month_label(p_start)} → {month_label(p_end)}"
    for key_, label, value, prior in (("nrr", "NRR", fig.window_nrr, fig.previous_nrr),
                                      ("grr", "GRR", fig.window_grr, fig.previous_grr)):
        change = _change_pp(value, prior)
        cards.append(Card(key_, label, _pct(value), f"{change[0]} {pvs}" if change[0] else "",
                          _tone(change[1], True), f"customers paying in {period}", key))

    churn_now, churn_before = fig.logo_churn[end], fig.logo_churn[before]
    lost = fig.churned[end]
    add("churn", "Logo churn", _pct(churn_now), _change_pp(churn_now, churn_before), False,
        f"{lost:,} customers lost in {month_label(end)}; billing-driven "
        f"{_pct(fig.billing_driven_share)}")
    arpa_now, arpa_before = fig.arpa[end], fig.arpa[before]
    add("arpa", "ARPA", format_minor(arpa_now, cur), _change_pct(arpa_now, arpa_before), True,
        "MRR / paying customers")
    dso_now, dso_before = fig.dso[end], fig.dso[before]
    add("dso", "DSO", "—" if _nan(dso_now) else f"{dso_now:.1f} days",
        _change_abs(dso_now, dso_before, " days"), False, "receivables / invoiced × days")
    s_now, s_before = fig.disputes[end], fig.disputes[before]
    add("disputes", "Dispute rate", _pct(s_now["rate"]),
        _change_pp(s_now["rate"], s_before["rate"]), False,
        f"{s_now['opened']:,} disputes; {_pct(s_now['amount_rate'])} of invoiced amount")
    load_now, load_before = fig.support_load[end], fig.support_load[before]
    add("support", "Support load", "—" if _nan(load_now) else f"{load_now:.2f}",
        _change_abs(load_now, load_before, ""), False,
        "disputes + billing tickets per 100 customers")
    recv_now, recv_before = fig.receivables[end], fig.receivables[before]
    add("receivables", "Open receivables", format_minor(recv_now, cur),
        _change_pct(recv_now, recv_before), False, f"as of {w.as_of.isoformat()}")
    return tuple(cards)
