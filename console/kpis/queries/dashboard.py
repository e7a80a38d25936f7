"""KPI dashboards (issue 6): the dashboard of a filter set, cached, and its series as CSV.

Figures are computed once per filter set and data version
(:func:`console.kpis.queries.frames.data_state`: max ids of invoices, payments, credit notes,
disputes, subscription events, tickets and the audit trail, plus the MRR ledger's size) and
kept in an in-process LRU cache, so a new invoice, payment or dispute makes the next call
recompute. The cache lives in this process only and writes nothing to the database. Call
:func:`dashboard` from a worker thread: a cold computation scans the ledger and the invoices
of the window.

Page-facing: :func:`dashboard` returns a :class:`Dashboard` of preformatted cards and small
series; :func:`series_csv` its monthly series as CSV text. Drill-downs are in
:mod:`console.kpis.queries.drill_down`, the filter form's choices in
:mod:`console.kpis.queries.filter_options`.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import sqlalchemy as sa

from console.kpis.domain.figures import Progress
from console.kpis.domain.filters import KpiFilters
from console.kpis.queries.frames import LoadedFrames, data_state, load_frames
from console.kpis.queries.views import Dashboard, compute_dashboard
from models.db import get_engine

#: Filter sets kept computed (each holds sums, and the window's disputes and tickets).
CACHE_SIZE = 16


@dataclass(frozen=True)
class Computed:
    """A dashboard and what its drill-downs need (kept in the cache).

    Attributes:
        dashboard: the figures.
        frames: the frames it was computed from (drill-downs reuse their query builder and
            list disputes and tickets from them).
    """

    dashboard: Dashboard
    frames: LoadedFrames


_CACHE: OrderedDict[tuple, Computed] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_KEY_LOCKS: dict[tuple, threading.Lock] = {}


def clear_cache() -> None:
    """Forget every computed dashboard (tests and the benchmark's cold runs)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _KEY_LOCKS.clear()


def cached_computation(filters: KpiFilters, engine: sa.Engine | None,
                       progress: Progress | None, version: str = ""
                       ) -> tuple[Computed, bool, str]:
    """The cached computation for ``filters`` (computing it once per data version).

    With ``version`` (a :attr:`Dashboard.version` shown earlier) the entry of that version is
    used while it is still cached, so a drill-down lists the rows behind the figure on screen.

    Args:
        filters: what to show.
        engine: the database (default: the app's).
        progress: optional ``(fraction, message)`` callback, called from this thread.
        version: the version shown earlier, or "" for the current data.

    Returns:
        The computation, whether it came from the cache, and its data version.

    Raises:
        InvalidInput: for a filter value that is not allowed or a currency without a rate.
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
        result = Computed(dashboard=compute_dashboard(frames, progress), frames=frames)
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


# --- page-facing


def dashboard(filters: KpiFilters, *, engine: sa.Engine | None = None,
              progress: Progress | None = None) -> Dashboard:
    """Every card and chart series for ``filters`` (from the cache when the data is unchanged).

    Args:
        filters: what to show.
        engine: the database (default: the app's).
        progress: optional ``(fraction, message)`` callback, called from this thread.

    Returns:
        The dashboard; :attr:`Dashboard.cached` says whether it came from the cache.

    Raises:
        InvalidInput: for a filter value that is not allowed or a currency without a rate.
    """
    result, cached, _version = cached_computation(filters, engine, progress)
    return replace(result.dashboard, cached=cached)


def series_csv(filters: KpiFilters, *, engine: sa.Engine | None = None) -> str:
    """The dashboard's monthly series as CSV text (one row per month).

    Args:
        filters: what to show.
        engine: the database (default: the app's).

    Returns:
        A header row, then per month the MRR, movements, NRR/GRR, churn split, DSO,
        receivables, dispute and support figures as the dashboard shows them.

    Raises:
        InvalidInput: for a filter value that is not allowed or a currency without a rate.
    """
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
