"""KPI dashboards (issue 6): cards, chart series and drill-downs, cached per filter set.

Page-facing API:

- :class:`KpiFilters` (re-exported from :mod:`console.kpis.queries.frames`).
- :func:`load_frames` runs the dashboard's queries (movements and open balances summed in the
  database, see :mod:`console.kpis.queries.sql`).
- :func:`dashboard` returns a :class:`Dashboard` of preformatted cards and small series.
- :func:`drill_down` returns one page (50 rows) of the customers or invoices behind a card
  or a chart bar, the total, and a note when the data changed since the figure was
  computed; :func:`drill_down_csv` all of them as CSV text. The rows come from the same
  queries the figure summed, for that one month.
- :func:`filter_options` lists the months, plans and plan versions the filters offer.

Figures are computed once per filter set and data version (:func:`kpis_frames.data_state`:
max ids of invoices, payments, credit notes, disputes, subscription events, tickets and the
audit trail, plus the MRR ledger's size) and kept in an in-process LRU cache, so a new
invoice, payment or dispute makes the next call recompute. Call :func:`dashboard` from a worker
thread: a cold computation scans the ledger and the invoices of the window.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import NamedTuple

import polars as pl
import sqlalchemy as sa

from console.kernel.errors import InvalidInput
from console.kpis.domain import MOVEMENT_KINDS, aging_bucket_expr
from console.kpis.queries.compute import (
    CHURN_REASONS,
    Card,
    Computed,
    Dashboard,
    churn_reasons,
    compute,
    month_key,
    month_label,
)
from console.kpis.queries.frames import (
    REGIONS,
    REPORTING_CURRENCIES,
    SEGMENTS,
    KpiFilters,
    add_months,
    data_state,
    month_end,
    parse_month,
)
from console.kpis.queries.sql import SCHEMAS, fetch, load_frames
from console.money import format_minor
from models.db import get_engine

__all__ = [
    "PAGE_SIZE", "Card", "Dashboard", "DrillPage", "DrillRow", "FilterOptions", "KpiFilters",
    "clear_cache",
    "dashboard", "drill_columns", "drill_down", "drill_down_csv", "drill_title",
    "filter_options", "load_frames",
]

PAGE_SIZE = 50
#: Filter sets kept computed (each holds sums, and the window's disputes and tickets).
CACHE_SIZE = 16

Progress = Callable[[float, str], None]

_CACHE: OrderedDict[tuple, Computed] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_KEY_LOCKS: dict[tuple, threading.Lock] = {}


def clear_cache() -> None:
    """Forget every computed dashboard (tests and the benchmark's cold runs)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _KEY_LOCKS.clear()


def _computed(filters: KpiFilters, engine: sa.Engine | None, progress: Progress | None,
              version: str = "") -> tuple[Computed, bool, str]:
    """The cached computation for ``filters`` (computing it once per data version).

    With ``version`` (a :attr:`Dashboard.version` shown earlier) the entry of that version is
    used while it is still cached, so a drill-down lists the rows behind the figure on screen.
    """
    say = progress or (lambda _f, _m: None)
    filters = filters.validated()
    eng = engine or get_engine()
    url = eng.url.render_as_string(hide_password=True)
    if version:
        with _CACHE_LOCK:
            hit = _CACHE.get((url, filters, version))
        if hit is not None:
            return hit, True, version
    say(0.02, "Checking for new data")
    state = data_state(eng)
    version = "/".join(state.version)
    key = (url, filters, version)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit, True, version
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:  # one computation per key; a second caller waits for the first
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None:
                return hit, True, version
        started = time.perf_counter()
        frames = load_frames(eng, filters, progress=lambda m: say(0.1, m), state=state)
        say(0.5, "Frames read")
        result = compute(frames, progress)
        elapsed = int((time.perf_counter() - started) * 1000)
        result = replace(result, dashboard=replace(result.dashboard, computed_ms=elapsed,
                                                   version=version))
        with _CACHE_LOCK:
            _CACHE[key] = result
            _CACHE.move_to_end(key)
            while len(_CACHE) > CACHE_SIZE:
                old, _ = _CACHE.popitem(last=False)
                _KEY_LOCKS.pop(old, None)
        say(1.0, "Done")
        return result, False, version


def dashboard(filters: KpiFilters, *, engine: sa.Engine | None = None,
              progress: Progress | None = None) -> Dashboard:
    """Every card and chart series for ``filters`` (from the cache when the data is unchanged).

    Args:
        filters: what to show.
        engine: the database (default: the app's).
        progress: optional ``(fraction, message)`` callback, called from this thread.

    Raises:
        InvalidInput: for a filter value that is not allowed or a currency without a rate.
    """
    result, cached, _version = _computed(filters, engine, progress)
    return replace(result.dashboard, cached=cached)


# -- filter options ------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """A choice in a filter select."""

    value: str
    label: str


@dataclass(frozen=True)
class FilterOptions:
    """What the filter form offers."""

    months: list[Option]
    currencies: list[Option]
    segments: list[Option]
    regions: list[Option]
    plans: list[Option]
    versions: list[Option]


def filter_options(engine: sa.Engine | None = None) -> FilterOptions:
    """The months of the MRR ledger, currencies, segments, regions, plans and plan versions."""
    eng = engine or get_engine()
    with eng.connect() as conn:
        first, last = conn.execute(sa.text(
            "SELECT min(month), max(month) FROM mrr_monthly")).one()
        plans = conn.execute(sa.text("SELECT id, name FROM plan ORDER BY position, id")).all()
        versions = conn.execute(sa.text(
            "SELECT v.id, p.name, v.number, v.status FROM plan_version v "
            "JOIN plan p ON p.id = v.plan_id WHERE v.status IN ('published', 'retired') "
            "ORDER BY p.position, p.id, v.number")).all()
    months: list[Option] = []
    if first is not None and last is not None:
        month = date.fromisoformat(str(first)[:10]).replace(day=1)
        end = date.fromisoformat(str(last)[:10]).replace(day=1)
        while month <= end:
            months.append(Option(month_key(month), month_label(month)))
            month = add_months(month, 1)
    currencies = [Option(c, f"{c} (all, converted)") for c in REPORTING_CURRENCIES] + [
        Option(f"only:{c}", f"{c} only") for c in REPORTING_CURRENCIES]
    return FilterOptions(
        months=months,
        currencies=currencies,
        segments=[Option(s, s.replace("_", " ")) for s in SEGMENTS],
        regions=[Option(r, r.upper()) for r in REGIONS],
        plans=[Option(str(i), str(n)) for i, n in plans],
        versions=[Option(str(i), f"{n} v{num} ({status})") for i, n, num, status in versions],
    )


# -- drill-down ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillRow:
    """One row behind a figure: preformatted cells and what it links to.

    Attributes:
        customer_id: the customer (opens /customers/<id>).
        invoice_id: the invoice, or 0 for customer rows.
        cells: the cells, in the order of :func:`drill_columns`.
    """

    customer_id: int
    invoice_id: int
    cells: list[str]


_CUSTOMER_COLS = ["Customer", "Name", "Segment", "Region"]
_INVOICE_COLS = ["Invoice", "Customer", "Name", "Issued", "Due", "Days past due", "Open"]
_COLUMNS: dict[str, list[str]] = {
    "mrr": [*_CUSTOMER_COLS, "MRR"],
    "movement": [*_CUSTOMER_COLS, "Movement", "Previous MRR", "MRR", "Change", "Churn reason"],
    "retention": [*_CUSTOMER_COLS, "Start MRR", "End MRR", "Change", "Counted (GRR)"],
    "invoices": _INVOICE_COLS,
    "disputes": ["Dispute", "Customer", "Name", "Invoice", "Opened", "Status", "Amount",
                 "Days to resolve", "Within SLA"],
    "support": ["Customer", "Name", "Segment", "Region", "Kind", "Opened"],
}
#: metric -> (column set, title)
_METRICS: dict[str, tuple[str, str]] = {
    "mrr": ("mrr", "Paying customers"),
    "arr": ("mrr", "Paying customers"),
    "arpa": ("mrr", "Paying customers"),
    **{k: ("movement", f"{k.capitalize()} MRR") for k in MOVEMENT_KINDS},
    **{f"churn_{r}": ("movement", f"Churned customers ({r})") for r in CHURN_REASONS},
    "nrr": ("retention", "Customers at the window's start (NRR/GRR)"),
    "grr": ("retention", "Customers at the window's start (NRR/GRR)"),
    "nrr_month": ("retention", "Customers paying the month before (NRR/GRR)"),
    "receivables": ("invoices", "Open invoices"),
    "dso": ("invoices", "Open invoices"),
    "aging": ("invoices", "Open invoices in aging bucket"),
    "disputes": ("disputes", "Disputes opened"),
    "support": ("support", "Disputes and billing tickets opened"),
}


def drill_columns(metric: str) -> list[str]:
    """The column headers of ``metric``'s drill-down table."""
    return list(_COLUMNS[_METRICS[_metric(metric)][0]])


def drill_title(metric: str, month: str, bucket: str = "") -> str:
    """A heading for the drill-down of ``metric`` in ``month`` (and aging ``bucket``)."""
    metric = _metric(metric)
    title = _METRICS[metric][1]
    parsed = parse_month(month)
    when = month_label(parsed) if parsed else month
    if metric == "aging":
        return f"{title} {bucket} (as of the end of {when})"
    if metric in ("nrr", "grr"):
        return f"{title}, through {when}"
    if metric in ("receivables", "dso"):
        return f"{title} at the end of {when}"
    return f"{title} in {when}"


def _metric(metric: str) -> str:
    if metric not in _METRICS:
        raise InvalidInput(f"Unknown figure: {metric!r}.")
    return metric


def _month_arg(computed: Computed, month: str) -> date:
    w = computed.frames.window
    parsed = parse_month(month) if month else w.end
    if parsed is None or not (add_months(w.start, -1) <= parsed <= w.end):
        raise InvalidInput(f"{month!r} is not a month of this dashboard.")
    return parsed


#: Figures whose rows are read from the database on demand (the others from the cache).
_READ_ON_DEMAND = ("mrr", "movement", "retention", "invoices")


def _drill_frame(eng: sa.Engine, computed: Computed, metric: str, month: date, bucket: str
                 ) -> pl.DataFrame:
    """The full, sorted frame behind a figure (ids and raw values, no names yet)."""
    f = computed.frames
    w, q = f.window, f.sql
    if metric in ("mrr", "arr", "arpa"):
        return (fetch(eng, q.month_rows(month), SCHEMAS["month_rows"])
                .sort("mrr_minor", "customer_id", descending=[True, False]))
    if metric in MOVEMENT_KINDS or metric.startswith("churn_"):
        if metric == "churn" or metric.startswith("churn_"):
            rows = churn_reasons(fetch(eng, q.churn_rows([month]), SCHEMAS["movement_rows"]),
                                 f.events)
            if metric != "churn":
                rows = rows.filter(pl.col("reason") == metric.removeprefix("churn_"))
        else:
            rows = fetch(eng, q.movement_rows([month]), SCHEMAS["movement_rows"]).filter(
                pl.col("kind") == metric).with_columns(reason=pl.lit(None, dtype=pl.String))
        return rows.select("customer_id", "kind", "previous_mrr_minor", "mrr_minor",
                           "amount_minor", "reason").sort("amount_minor", "customer_id",
                                                          descending=[True, False])
    if metric in ("nrr", "grr", "nrr_month"):
        start, end = ((add_months(month, -1), month) if metric == "nrr_month"
                      else (add_months(w.start, -1), w.end))
        return (fetch(eng, q.retention_rows(start, end), SCHEMAS["retention_rows"])
                .with_columns(kept_minor=pl.min_horizontal("start_minor", "end_minor"),
                              change_minor=pl.col("end_minor") - pl.col("start_minor"))
                .sort("change_minor", "customer_id"))
    if metric in ("receivables", "dso", "aging"):
        at = w.end if metric == "aging" else month
        cutoff = w.as_of if at == w.end else month_end(at)
        rows = fetch(eng, q.open_rows(w, at), SCHEMAS["open_rows"]).with_columns(
            days_past_due=(pl.lit(cutoff, dtype=pl.Date) - pl.col("due_date")).dt.total_days())
        if metric == "aging":
            if bucket not in computed.dashboard.aging_buckets:
                raise InvalidInput(f"Unknown aging bucket: {bucket!r}.")
            rows = rows.filter(aging_bucket_expr(cutoff) == bucket)
        return rows.sort("days_past_due", "id", descending=[True, False], nulls_last=True)
    if metric == "disputes":
        d = f.disputes.filter(pl.col("opened_at").dt.month_start().cast(pl.Date) == month)
        return d.with_columns(
            days=(pl.col("resolved_at") - pl.col("opened_at")).dt.total_seconds() / 86400,
            within=pl.col("resolved_at") <= pl.col("response_due_at"),
        ).sort("opened_at", "id")
    if metric == "support":
        opened = pl.col("opened_at").dt.month_start().cast(pl.Date) == month
        tickets = f.tickets.filter(opened).select(
            "customer_id", kind=pl.format("ticket: {}", pl.col("category")), opened_at="opened_at")
        disputes = f.disputes.filter(opened).select(
            "customer_id", kind=pl.format("dispute #{}", pl.col("id")), opened_at="opened_at")
        return pl.concat([tickets, disputes]).sort("opened_at", "customer_id")
    raise InvalidInput(f"Unknown figure: {metric!r}.")


def _customer_info(engine: sa.Engine, ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    out: dict[int, tuple[str, str, str, str]] = {}
    unique = sorted({int(i) for i in ids})
    with engine.connect() as conn:
        for start in range(0, len(unique), 900):
            chunk = ",".join(str(i) for i in unique[start:start + 900])
            sql = ("SELECT id, code, name, segment, region FROM customer "  # noqa: S608
                   f"WHERE id IN ({chunk})")
            for row in conn.execute(sa.text(sql)):
                out[int(row[0])] = (row[1], row[2], row[3].replace("_", " "), row[4].upper())
    return out


def _invoice_numbers(engine: sa.Engine, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    unique = sorted({int(i) for i in ids if i})
    with engine.connect() as conn:
        for start in range(0, len(unique), 900):
            chunk = ",".join(str(i) for i in unique[start:start + 900])
            sql = f"SELECT id, number FROM invoice WHERE id IN ({chunk})"  # noqa: S608
            for row in conn.execute(sa.text(sql)):
                out[int(row[0])] = row[1] or f"#{row[0]}"
    return out


def _day(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _rows(engine: sa.Engine, computed: Computed, metric: str, df: pl.DataFrame,
          money: Callable[[int], str]) -> list[DrillRow]:
    """Format ``df`` (already sliced) into table rows with names and invoice numbers."""
    kind = _METRICS[metric][0]
    if df.is_empty():
        return []
    info = _customer_info(engine, df["customer_id"].to_list())
    blank = ("", "", "", "")
    out: list[DrillRow] = []
    if kind == "invoices":
        numbers = _invoice_numbers(engine, df["id"].to_list())
        for r in df.iter_rows(named=True):
            code, name, _seg, _reg = info.get(r["customer_id"], blank)
            out.append(DrillRow(r["customer_id"], r["id"], [
                numbers.get(r["id"], f"#{r['id']}"), code, name, month_label(r["issued_month"]),
                _day(r["due_date"]), str(r["days_past_due"]), money(r["open_minor"])]))
        return out
    if kind == "disputes":
        numbers = _invoice_numbers(engine, [i for i in df["invoice_id"].to_list() if i])
        for r in df.iter_rows(named=True):
            code, name, _seg, _reg = info.get(r["customer_id"], blank)
            days = "" if r["days"] is None else f"{r['days']:.1f}"
            within = "" if r["within"] is None else ("yes" if r["within"] else "no")
            out.append(DrillRow(r["customer_id"], int(r["invoice_id"] or 0), [
                f"#{r['id']}", code, name, numbers.get(r["invoice_id"] or 0, ""),
                _day(r["opened_at"]), r["status"].replace("_", " "), money(r["amount_minor"]),
                days, within]))
        return out
    for r in df.iter_rows(named=True):
        cells = list(info.get(r["customer_id"], blank))
        if kind == "mrr":
            cells.append(money(r["mrr_minor"]))
        elif kind == "movement":
            sign = "-" if r["kind"] in ("contraction", "churn") else "+"
            cells += [r["kind"], money(r["previous_mrr_minor"]), money(r["mrr_minor"]),
                      sign + money(r["amount_minor"]), r["reason"] or ""]
        elif kind == "retention":
            cells += [money(r["start_minor"]), money(r["end_minor"]),
                      money(r["change_minor"]), money(r["kept_minor"])]
        elif kind == "support":
            cells += [r["kind"].replace("_", " "), _day(r["opened_at"])]
        out.append(DrillRow(r["customer_id"], 0, cells))
    return out


class DrillPage(NamedTuple):
    """One page of a drill-down.

    Attributes:
        rows: the rows of the page (cells in :func:`drill_columns` order).
        total: how many rows there are in all.
        note: why the rows may not add up to the figure on screen (the data changed since it
            was computed), or "".
    """

    rows: list[DrillRow]
    total: int
    note: str = ""


_CHANGED = ("The data changed since these figures were computed: the rows are today's. "
            "Refresh the dashboard to see figures that match them.")


def _drill(filters: KpiFilters, metric: str, month: str, bucket: str,
           engine: sa.Engine | None, version: str
           ) -> tuple[Computed, str, pl.DataFrame, sa.Engine, str]:
    metric = _metric(metric)
    eng = engine or get_engine()
    computed, _cached, shown = _computed(filters, eng, None, version)
    when = _month_arg(computed, month)
    note = ""
    if version and _METRICS[metric][0] in _READ_ON_DEMAND:
        # These rows are read now; the figure on screen may be older (disputes and tickets
        # come from the cached frames of the version shown, so they always match).
        current = "/".join(data_state(eng).version)
        note = "" if current == shown else _CHANGED
    df = _drill_frame(eng, computed, metric, when, bucket)
    return computed, metric, df, eng, note


def drill_down(filters: KpiFilters, metric: str, month: str = "", bucket: str = "",
               page: int = 0, *, engine: sa.Engine | None = None,
               page_size: int = PAGE_SIZE, version: str = "") -> DrillPage:
    """One page of the customers or invoices behind a figure, how many there are, and a
    note when the data changed since the figure on screen was computed.

    Args:
        filters: the dashboard's filters.
        metric: a card key or chart series (``mrr``, ``new`` ... ``churn``,
            ``churn_involuntary``, ``nrr``, ``nrr_month``, ``receivables``, ``aging``,
            ``disputes``, ``support`` ...).
        month: ``YYYY-MM`` (default: the dashboard's last month).
        bucket: the aging bucket for ``aging``.
        page: zero-based page (clamped to the last page).
        engine: the database (default: the app's).
        page_size: rows per page.
        version: the :attr:`Dashboard.version` on screen (default: the current data).

    Raises:
        InvalidInput: for an unknown metric, month or bucket.
    """
    computed, metric, df, eng, note = _drill(filters, metric, month, bucket, engine, version)
    total = df.height
    pages = max(1, -(-total // page_size))
    page = min(max(int(page), 0), pages - 1)
    cur = computed.frames.reporting
    rows = _rows(eng, computed, metric, df.slice(page * page_size, page_size),
                 lambda minor: format_minor(int(minor), cur))
    return DrillPage(rows, total, note)


def drill_down_csv(filters: KpiFilters, metric: str, month: str = "", bucket: str = "", *,
                   engine: sa.Engine | None = None, version: str = "") -> str:
    """Every row behind a figure as CSV text (amounts in the reporting currency, with code)."""
    computed, metric, df, eng, _note = _drill(filters, metric, month, bucket, engine, version)
    cur = computed.frames.reporting
    rows = _rows(eng, computed, metric, df,
                 lambda minor: format_minor(int(minor), cur, with_code=True))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["customer_id", *drill_columns(metric)])
    for r in rows:
        writer.writerow([r.customer_id, *r.cells])
    return buf.getvalue()


def series_csv(filters: KpiFilters, *, engine: sa.Engine | None = None) -> str:
    """The dashboard's monthly series as CSV text (one row per month)."""
    d = dashboard(filters, engine=engine)
    buf = io.StringIO()
    writer = csv.writer(buf)
    head = ["month", f"mrr_{d.currency}"] + [f"{k}_{d.currency}" for k, _ in d.movements] + [
        "nrr_pct", "grr_pct"] + [f"churned_{r}" for r, _ in d.churn_split] + [
        "dso_days", f"receivables_{d.currency}", "dispute_rate_pct", "dispute_median_days",
        "disputes_within_sla_pct", "support_load_per_100", "tickets", "disputes"]
    writer.writerow(head)
    for i, m in enumerate(d.months):
        writer.writerow([m, f"{d.mrr[i]:.2f}", *[f"{v[i]:.2f}" for _, v in d.movements],
                         d.nrr[i], d.grr[i], *[v[i] for _, v in d.churn_split], d.dso[i],
                         f"{d.receivables[i]:.2f}", d.dispute_rate[i], d.dispute_median_days[i],
                         d.dispute_within_sla[i], d.support_load[i], d.support_tickets[i],
                         d.support_disputes[i]])
    return buf.getvalue()

