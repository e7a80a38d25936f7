"""Bill runs for display: period, status, released share, progress, invoices and flags."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.kernel.errors import NotFound
from models import BillRun, Invoice
from models.db import read_session


@dataclass(frozen=True)
class BillRunRow:
    """A bill run for display."""

    id: int
    period: str
    status: str
    released: str
    released_percent: int
    processed: int
    total: int
    progress: str
    invoices: int
    flagged: int
    created: str
    error: str


def bill_run_rows(session: Session, runs: list[BillRun]) -> list[BillRunRow]:
    """Bill runs for display, with each run's invoice and flagged-invoice counts (one query).

    Args:
        session: any session.
        runs: the runs, in the order to show.

    Returns:
        One row per run, in the same order.
    """
    ids = [r.id for r in runs]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        flagged = sa.func.sum(sa.case((sa.func.length(sa.cast(Invoice.flags, sa.Text)) > 2, 1),
                                      else_=0))
        for rid, n, f in session.execute(
                sa.select(Invoice.bill_run_id, sa.func.count(), flagged)
                .where(Invoice.bill_run_id.in_(ids)).group_by(Invoice.bill_run_id)).all():
            counts[rid] = (int(n), int(f or 0))
    out = []
    for r in runs:
        n, f = counts.get(r.id, (0, 0))
        pct = f"{(100 * r.processed // r.total) if r.total else 100}%"
        out.append(BillRunRow(r.id, f"{r.period_start:%Y-%m-%d} – {r.period_end:%Y-%m-%d}",
                              r.status, f"{r.released_percent}%", r.released_percent,
                              r.processed, r.total, pct, n, f,
                              r.created_at.strftime("%Y-%m-%d %H:%M UTC"), r.error or ""))
    return out


def list_bill_runs(session: Session, *, limit: int = 50) -> list[BillRunRow]:
    """The latest bill runs, newest period first.

    Args:
        session: any session.
        limit: how many runs at most.

    Returns:
        The runs for display.
    """
    runs = session.execute(sa.select(BillRun).order_by(BillRun.period_start.desc(),
                                                       BillRun.id.desc()).limit(limit)
                           ).scalars().all()
    return bill_run_rows(session, list(runs))


# --- page-facing


def bill_runs_view(limit: int = 50) -> list[BillRunRow]:
    """Page-facing :func:`list_bill_runs`."""
    with read_session() as s:
        return list_bill_runs(s, limit=limit)


def bill_run_view(bill_run_id: int) -> BillRunRow:
    """Page-facing: one bill run (for polling progress).

    Raises:
        NotFound: for an unknown run.
    """
    with read_session() as s:
        run = s.get(BillRun, bill_run_id)
        if run is None:
            raise NotFound(f"No bill run with id {bill_run_id}.")
        return bill_run_rows(s, [run])[0]
