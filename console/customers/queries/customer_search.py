"""Customer search for the customers page: filters, sorting and server-side pagination
(LIMIT/OFFSET over indexed columns, so 100k customers page as fast as a hundred)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from console.customers.domain.details import REGIONS, SEGMENTS
from console.money import format_minor
from models import Customer
from models.db import read_session

PAGE_SIZE = 50

#: The columns the customers table sorts by.
SORTS = {
    "name": Customer.name,
    "code": Customer.code,
    "mrr": Customer.mrr_minor,
    "created": Customer.created_at,
}

#: The values each filter of the customers page offers.
FILTER_CHOICES = {
    "segment": list(SEGMENTS),
    "region": list(REGIONS),
    "currency": ["USD", "EUR", "GBP"],
    "status": ["active", "past_due", "churned", "free"],
}


@dataclass(frozen=True)
class CustomerFilter:
    """Filters of the customers page (empty string: any)."""

    text: str = ""
    segment: str = ""
    region: str = ""
    currency: str = ""
    status: str = ""
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class CustomerRow:
    """One customer in the list (preformatted)."""

    id: int
    code: str
    name: str
    segment: str
    region: str
    currency: str
    status: str
    mrr: str
    created: str


@dataclass(frozen=True)
class CustomerPage:
    """One page of customers and the total that match."""

    rows: list[CustomerRow]
    total: int
    page: int
    pages: int


def _conditions(f: CustomerFilter) -> list:
    conds = []
    text = f.text.strip()
    if text:
        like = f"%{text.lower()}%"
        conds.append(sa.or_(sa.func.lower(Customer.name).like(like),
                            sa.func.lower(Customer.code).like(like),
                            sa.func.lower(Customer.email).like(like)))
    for column, value in ((Customer.segment, f.segment), (Customer.region, f.region),
                          (Customer.currency, f.currency), (Customer.status, f.status)):
        if value:
            conds.append(column == value)
    return conds


def search_customers(session: Session, f: CustomerFilter, *, page: int,
                     page_size: int = PAGE_SIZE) -> CustomerPage:
    """One page of customers matching ``f``.

    Args:
        session: an open session.
        f: the filters and sort (an unknown sort column sorts by name).
        page: the page wanted, from 0 (clamped to the pages there are).
        page_size: rows per page.

    Returns:
        The page's rows (ties broken by id), the total that match, the page shown and the
        number of pages (at least one).
    """
    conds = _conditions(f)
    total = int(session.execute(sa.select(sa.func.count()).select_from(Customer).where(*conds)
                                ).scalar_one())
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    order = SORTS.get(f.sort, Customer.name)
    order_by = [order.desc() if f.descending else order.asc(), Customer.id.asc()]
    rows = session.execute(
        sa.select(Customer.id, Customer.code, Customer.name, Customer.segment, Customer.region,
                  Customer.currency, Customer.status, Customer.mrr_minor, Customer.created_at)
        .where(*conds).order_by(*order_by).offset(page * page_size).limit(page_size)
    ).all()
    return CustomerPage(
        rows=[CustomerRow(r.id, r.code, r.name, r.segment, r.region, r.currency, r.status,
                          format_minor(r.mrr_minor, r.currency), r.created_at.strftime("%Y-%m-%d"))
              for r in rows],
        total=total, page=page, pages=pages)


# --- page-facing

def customer_page(f: CustomerFilter, page: int) -> CustomerPage:
    """Page-facing :func:`search_customers` in its own read session."""
    with read_session() as s:
        return search_customers(s, f, page=page)
