"""The usage events behind a disputed usage line, page by page, and the line's usage window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from console.billing import EventRow, usage_events
from console.disputes.queries.display import as_utc
from console.kernel.errors import InvalidInput, NotFound
from models import Dispute, Invoice, InvoiceLine
from models.db import read_session


@dataclass(frozen=True)
class UsageEventsPage:
    """A page of usage events behind a disputed usage line."""

    rows: list[EventRow]
    total: int
    page: int
    pages: int


def line_window(inv: Invoice, line: InvoiceLine) -> tuple[datetime, datetime]:
    """The usage window of an invoice line: its own, else the invoice's whole period (UTC)."""
    start = as_utc(line.usage_from) or datetime.combine(inv.period_start, time.min, UTC)
    end = as_utc(line.usage_to) or datetime.combine(inv.period_end, time.max, UTC)
    return start, end


def _day(text: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(str(text).strip()) if text and str(text).strip() else fallback
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date like 2026-11-30.") from None


def line_usage_events(session: Session, *, dispute_id: int, line_id: int,
                      day_from: str | None = None, day_to: str | None = None, page: int = 0,
                      page_size: int = 20) -> UsageEventsPage:
    """Events behind a usage line of the case's invoice, filtered to a day range inside the
    line's period.

    Args:
        session: an open session.
        dispute_id: the case.
        line_id: a usage line of the case's invoice.
        day_from: the first day (``YYYY-MM-DD``), or blank for the window's first.
        day_to: the last day (``YYYY-MM-DD``), or blank for the window's last.
        page: the page, from 0.
        page_size: events per page.

    Returns:
        The page of events, the total and the page count.

    Raises:
        NotFound: the line is not a usage line of this case's invoice.
        InvalidInput: a date that is not YYYY-MM-DD.
    """
    d = session.get(Dispute, dispute_id)
    line = session.get(InvoiceLine, line_id)
    if d is None or line is None or line.invoice_id != d.invoice_id or line.meter_id is None:
        raise NotFound("That is not a usage line of this dispute's invoice.")
    inv = session.get(Invoice, line.invoice_id)
    start, end = line_window(inv, line)
    lo = max(start, datetime.combine(_day(day_from, start.date()), time.min, UTC))
    hi = min(end, datetime.combine(_day(day_to, end.date()), time.max, UTC))
    rows, total = usage_events(session, customer_id=inv.customer_id, meter_id=line.meter_id,
                               start_at=lo, end_at=hi, page=page, page_size=page_size)
    pages = max(1, -(-total // page_size))
    return UsageEventsPage(rows, total, min(max(page, 0), pages - 1), pages)


# --- page-facing


def line_usage_events_view(*, dispute_id: int, line_id: int, day_from: str | None = None,
                           day_to: str | None = None, page: int = 0) -> UsageEventsPage:
    """Page-facing :func:`line_usage_events`."""
    with read_session() as s:
        return line_usage_events(s, dispute_id=dispute_id, line_id=line_id, day_from=day_from,
                                 day_to=day_to, page=page)
