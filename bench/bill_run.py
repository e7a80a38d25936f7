"""Bill-run benchmark (``python -m console bench``): invoices per second over N customers.

:func:`bench_bill_run` builds its own catalog (platform fee, seats, graduated API calls,
storage with a minimum), N customers with subscriptions (some starting or canceling inside
the period, some with prepaid credit, three regions, one without a tax rate) and a few usage
events each, then times :func:`console.billing.usecases.bill_runs.run_bill_run` over a far-future
month
that has no bill run yet.

Use a scratch database: the run bills *every* subscription active in that month, and the
invoices, lines and audit events it writes stay (the audit log is append-only).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from console.billing.usecases import bill_runs as billing
from console.billing.usecases.usage_import import ingest
from console.billing.usecases.usage_records import read_batch
from console.kernel.actor import Actor
from models import (
    BillRun,
    Customer,
    Meter,
    Plan,
    PlanVersion,
    Price,
    Product,
    Subscription,
    TaxRate,
)
from models.db import make_engine, unit_of_work

BENCH_ACTOR = Actor.system("system:bench")
GRADUATED = {"graduated_ranges": [
    {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},
    {"from_value": 1001, "to_value": 10000, "per_unit_amount": "0.002", "flat_amount": "0"},
    {"from_value": 10001, "to_value": None, "per_unit_amount": "0.001", "flat_amount": "0"},
]}


def _free_period(engine: sa.Engine) -> tuple[date, date]:
    with engine.connect() as conn:
        taken = {d for (d,) in conn.execute(sa.select(BillRun.period_start))}
    year, month = 2101, 1
    while date(year, month, 1) in taken:
        month += 1
        if month > 12:
            year, month = year + 1, 1
    start = date(year, month, 1)
    end = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return start, end


def _catalog(engine: sa.Engine, tag: str) -> dict[str, Any]:
    with unit_of_work(engine) as s:
        prod = Product(code=f"bench-{tag}", name="Bench product")
        s.add(prod)
        s.flush()
        calls = Meter(code=f"bench_{tag}_calls", name="API calls", event_type=f"bench_{tag}_calls",
                      aggregation="sum", unit="call")
        storage = Meter(code=f"bench_{tag}_gb", name="Storage", event_type=f"bench_{tag}_gb",
                        aggregation="max", unit="GB")
        plan = Plan(product_id=prod.id, code=f"bench-{tag}", name="Bench plan")
        s.add_all([calls, storage, plan])
        s.flush()
        ver = PlanVersion(plan_id=plan.id, number=1, status="published",
                          effective_from=date(2000, 1, 1))
        s.add(ver)
        s.flush()
        s.add_all([
            Price(plan_version_id=ver.id, name="Platform fee", kind="recurring",
                  charge_model="standard", properties={"amount": "49.00"}, currency="USD",
                  position=1),
            Price(plan_version_id=ver.id, name="Seats", kind="seat", charge_model="standard",
                  properties={"amount": "12.50"}, currency="USD", position=2),
            Price(plan_version_id=ver.id, name="API calls", kind="usage", meter_id=calls.id,
                  charge_model="graduated", properties=GRADUATED, currency="USD", position=3),
            Price(plan_version_id=ver.id, name="Storage", kind="usage", meter_id=storage.id,
                  charge_model="standard", properties={"amount": "0.25"}, currency="USD",
                  minimum_minor=2000, position=4),
        ])
        existing = set(s.execute(sa.select(TaxRate.region)).scalars())
        for region, rate in (("na", "8.875"), ("emea", "20")):
            if region not in existing:
                s.add(TaxRate(region=region, name=f"Tax {region}", rate=rate))
        return {"version_id": ver.id, "plan_id": plan.id, "calls": calls.event_type,
                "storage": storage.event_type}


def _customers(engine: sa.Engine, tag: str, count: int, cat: dict[str, Any],
               period: tuple[date, date]) -> list[str]:
    regions = ("na", "emea", "latam")
    now = datetime.now(UTC)
    start, end = period
    codes = [f"BB{tag}{i:07d}" for i in range(count)]
    with unit_of_work(engine) as s:
        for lo in range(0, count, 20_000):
            s.execute(sa.insert(Customer.__table__), [
                {"code": codes[i], "name": f"Bench customer {i}", "email": f"b{i}@{tag}.test",
                 "segment": "smb", "region": regions[i % 3], "country": "US", "currency": "USD",
                 "payment_terms_days": 30, "status": "active",
                 "credit_balance_minor": 2500 if i % 10 == 0 else 0, "mrr_minor": 0,
                 "tax_exempt": i % 50 == 0, "created_at": now, "version": 1}
                for i in range(lo, min(count, lo + 20_000))])
        ids = {code: cid for code, cid in s.execute(
            sa.select(Customer.code, Customer.id).where(Customer.code.like(f"BB{tag}%")))}
        rows = []
        for i, code in enumerate(codes):
            started = start - timedelta(days=400) if i % 7 else start + timedelta(days=i % 20)
            canceled = start + timedelta(days=15) if i % 13 == 0 else None
            rows.append({"customer_id": ids[code], "plan_id": cat["plan_id"],
                         "plan_version_id": cat["version_id"],
                         "status": "canceled" if canceled else "active", "currency": "USD",
                         "seats": 1 + i % 5, "billing_interval": "month", "started_on": started,
                         "current_period_start": start, "current_period_end": end,
                         "canceled_on": canceled, "churn_reason": None, "mrr_minor": 0,
                         "grandfathered": False, "created_at": now, "version": 1})
        for lo in range(0, len(rows), 20_000):
            s.execute(sa.insert(Subscription.__table__), rows[lo:lo + 20_000])
    return codes


def _usage(engine: sa.Engine, tag: str, codes: list[str], cat: dict[str, Any],
           period: tuple[date, date], per_customer: int) -> int:
    start = datetime.combine(period[0], datetime.min.time(), UTC)
    events = []
    for i, code in enumerate(codes):
        for j in range(per_customer):
            meter = cat["storage"] if j % 3 == 2 else cat["calls"]
            qty = (i * 37 + j * 1013) % 20_000 if meter == cat["calls"] else (i + j) % 90
            events.append({"customer_code": code, "event_type": meter, "quantity": str(qty),
                           "timestamp": (start + timedelta(hours=(i + j * 5) % 600)).isoformat(),
                           "idempotency_key": f"bb-{tag}-{i}-{j}"})
    with unit_of_work(engine) as s:
        return ingest(s, read_batch(events), source="demo", actor=BENCH_ACTOR).inserted


def bench_bill_run(url: str, *, customers: int, batch: int = 500,
                   events_per_customer: int = 3) -> dict[str, Any]:
    """Invoices per second of a bill run over ``customers`` new bench customers.

    Args:
        url: a scratch database (SQLAlchemy URL), migrated.
        customers: how many customers (and subscriptions) to bill.
        batch: subscriptions per transaction.
        events_per_customer: usage events per customer in the period.

    Returns:
        ``{"backend", "customers", "invoices", "lines", "seconds", "invoices_per_s",
        "setup_s", "period"}``.
    """
    engine = make_engine(url)
    tag = uuid.uuid4().hex[:6]
    try:
        t0 = time.perf_counter()
        period = _free_period(engine)
        cat = _catalog(engine, tag)
        codes = _customers(engine, tag, customers, cat, period)
        _usage(engine, tag, codes, cat, period, events_per_customer)
        setup_s = time.perf_counter() - t0
        with unit_of_work(engine) as s:
            run_id = billing.start_bill_run(s, period_start=period[0], period_end=period[1],
                                            actor=BENCH_ACTOR).id
        outcome = billing.run_bill_run(engine, bill_run_id=run_id, batch=batch,
                                       actor=BENCH_ACTOR)
        with engine.connect() as conn:
            lines = conn.execute(sa.text(
                "SELECT count(*) FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
                "WHERE i.bill_run_id = :r"), {"r": run_id}).scalar_one()
        return {"backend": engine.dialect.name, "customers": customers,
                "invoices": outcome.created, "lines": int(lines),
                "seconds": outcome.seconds,
                "invoices_per_s": round(outcome.created / outcome.seconds)
                if outcome.seconds else None,
                "setup_s": round(setup_s, 1), "period": f"{period[0]} – {period[1]}",
                "bill_run_id": run_id}
    finally:
        engine.dispose()
