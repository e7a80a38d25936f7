"""Drill-downs: the customers or invoices behind a KPI figure, a page at a time or as CSV.

The rows come from the same queries the figure summed (:mod:`console.kpis.queries.sql`), for
that one month, read on demand; disputes and support tickets come from the cached frames.
With the :attr:`~console.kpis.queries.views.Dashboard.version` on screen, a note says when the
data changed since the figure was computed.

Page-facing: :func:`drill_columns`, :func:`drill_title`, :func:`drill_down` and
:func:`drill_down_csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import polars as pl
import sqlalchemy as sa

from console.kernel.errors import InvalidInput
from console.kernel.months import add_months, month_end, parse_month
from console.kpis.domain import MOVEMENT_KINDS, aging_bucket_expr
from console.kpis.domain.churn import CHURN_REASONS, churn_reasons
from console.kpis.domain.filters import KpiFilters
from console.kpis.queries.dashboard import Computed, cached_computation
from console.kpis.queries.frames import data_state
from console.kpis.queries.sql import SCHEMAS, fetch
from console.kpis.queries.views import month_label
from console.money import format_minor
from models.db import get_engine

#: Rows per drill-down page.
PAGE_SIZE = 50


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


_CHANGED = ("The data changed since these figures were computed: the rows are today's. "
            "Refresh the dashboard to see figures that match them.")


def _drill(filters: KpiFilters, metric: str, month: str, bucket: str,
           engine: sa.Engine | None, version: str
           ) -> tuple[Computed, str, pl.DataFrame, sa.Engine, str]:
    metric = _metric(metric)
    eng = engine or get_engine()
    computed, _cached, shown = cached_computation(filters, eng, None, version)
    when = _month_arg(computed, month)
    note = ""
    if version and _METRICS[metric][0] in _READ_ON_DEMAND:
        # These rows are read now; the figure on screen may be older (disputes and tickets
        # come from the cached frames of the version shown, so they always match).
        current = "/".join(data_state(eng).version)
        note = "" if current == shown else _CHANGED
    df = _drill_frame(eng, computed, metric, when, bucket)
    return computed, metric, df, eng, note


# --- page-facing


def drill_columns(metric: str) -> list[str]:
    """The column headers of ``metric``'s drill-down table.

    Raises:
        InvalidInput: for an unknown metric.
    """
    return list(_COLUMNS[_METRICS[_metric(metric)][0]])


def drill_title(metric: str, month: str, bucket: str = "") -> str:
    """A heading for the drill-down of ``metric`` in ``month`` (and aging ``bucket``).

    Raises:
        InvalidInput: for an unknown metric.
    """
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
        version: the :attr:`~console.kpis.queries.views.Dashboard.version` on screen
            (default: the current data).

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
    """Every row behind a figure as CSV text (amounts in the reporting currency, with code).

    Args:
        filters: the dashboard's filters.
        metric: a card key or chart series (see :func:`drill_down`).
        month: ``YYYY-MM`` (default: the dashboard's last month).
        bucket: the aging bucket for ``aging``.
        engine: the database (default: the app's).
        version: the dashboard version on screen (default: the current data).

    Returns:
        A header row (``customer_id`` and :func:`drill_columns`), then one row per customer
        or invoice.

    Raises:
        InvalidInput: for an unknown metric, month or bucket.
    """
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
