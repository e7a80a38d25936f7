"""Benchmark of the revenue-impact simulation (``python -m console bench`` calls it).

It builds a synthetic plan in a scratch database: 10,000 customers subscribed to one plan,
12 months of usage on 3 meters (sum, max and count aggregation) and a draft that changes two
of the three usage prices, then times :func:`console.catalog.queries.simulation.simulate`.
To keep the set-up quick, ``usage_daily`` holds one row per customer, meter and month (on the
month's first day) instead of one per day: the simulation aggregates per month either way,
so the rating work (the part being measured) is the same; reading 30x more daily rows adds
the database's GROUP BY time.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from console.catalog.queries.simulation import simulate
from console.kernel.months import add_months
from models import (
    Customer,
    Meter,
    Plan,
    PlanVersion,
    Price,
    Product,
    Subscription,
)
from models.db import make_engine, unit_of_work

AS_OF = date(2025, 1, 15)
_SEGMENTS = ("smb", "mid_market", "enterprise")
_REGIONS = ("na", "emea", "apac", "latam")


def _tiers(paid: str) -> dict[str, Any]:
    return {"graduated_ranges": [
        {"from_value": 0, "to_value": 10_000, "per_unit_amount": "0", "flat_amount": "0"},
        {"from_value": 10_001, "to_value": 1_000_000, "per_unit_amount": paid,
         "flat_amount": "0"},
        {"from_value": 1_000_001, "to_value": None, "per_unit_amount": "0.0005",
         "flat_amount": "0"},
    ]}


def _rate_card(version_id: int, meters: dict[str, int], *, paid: str, storage: str
               ) -> list[Price]:
    rows: list[Price] = []
    for cur, fee in (("USD", "49"), ("EUR", "45")):
        rows += [
            Price(plan_version_id=version_id, name="Platform fee", kind="recurring",
                  charge_model="standard", properties={"amount": fee}, currency=cur),
            Price(plan_version_id=version_id, name="Seats", kind="seat",
                  charge_model="standard", properties={"amount": "10"}, currency=cur),
            Price(plan_version_id=version_id, name="API calls", kind="usage",
                  charge_model="graduated", properties=_tiers(paid), currency=cur,
                  meter_id=meters["api_calls"], pay_in_advance=False),
            Price(plan_version_id=version_id, name="Storage", kind="usage",
                  charge_model="standard", properties={"amount": storage}, currency=cur,
                  meter_id=meters["storage_gb"], pay_in_advance=False),
            Price(plan_version_id=version_id, name="Exports", kind="usage",
                  charge_model="package",
                  properties={"amount": "5", "package_size": 100, "free_units": 10},
                  currency=cur, meter_id=meters["exports"], pay_in_advance=False),
        ]
    return rows


def build_bench_data(engine: sa.Engine, *, customers: int, months: int, seed: int = 7
                     ) -> tuple[int, int]:
    """Create the synthetic plan, customers and monthly usage; returns (draft id, usage rows)."""
    rng = random.Random(seed)
    with unit_of_work(engine) as s:
        product = Product(code="bench", name="Bench")
        s.add(product)
        s.flush()
        meter_rows = {
            "api_calls": Meter(code="api_calls", name="API calls", event_type="api_call",
                               aggregation="sum", unit="call"),
            "storage_gb": Meter(code="storage_gb", name="Storage", event_type="storage",
                                aggregation="max", unit="GB"),
            "exports": Meter(code="exports", name="Exports", event_type="export",
                             aggregation="count", unit="export"),
        }
        s.add_all(meter_rows.values())
        plan = Plan(product_id=product.id, code="bench", name="Bench plan")
        s.add(plan)
        s.flush()
        meters = {k: m.id for k, m in meter_rows.items()}
        v1 = PlanVersion(plan_id=plan.id, number=1, status="published",
                         effective_from=date(2023, 1, 1))
        v2 = PlanVersion(plan_id=plan.id, number=2, status="draft")
        s.add_all([v1, v2])
        s.flush()
        s.add_all(_rate_card(v1.id, meters, paid="0.002", storage="0.25"))
        s.add_all(_rate_card(v2.id, meters, paid="0.0025", storage="0.2"))
        draft_id, plan_id = v2.id, plan.id
    with unit_of_work(engine) as s:
        customers_rows = [Customer(
            code=f"B{i:06d}", name=f"Bench customer {i}", email=f"b{i}@bench.test",
            segment=rng.choice(_SEGMENTS), region=rng.choice(_REGIONS), country="US",
            currency="EUR" if i % 5 == 0 else "USD") for i in range(customers)]
        s.add_all(customers_rows)
        s.flush()
        s.add_all([Subscription(
            customer_id=c.id, plan_id=plan_id, plan_version_id=draft_id - 1, status="active",
            currency=c.currency, seats=rng.randint(1, 50), started_on=date(2023, 6, 1),
            current_period_start=date(2025, 1, 1), current_period_end=date(2025, 1, 31))
            for c in customers_rows])
        found = [(c.id, c.currency) for c in customers_rows]
    rows: list[tuple[int, int, str, int, int, int]] = []
    first = add_months(AS_OF.replace(day=1), -months)
    for cid, _cur in found:
        for k in range(months):
            day = add_months(first, k).isoformat()
            calls = int(rng.lognormvariate(10, 1.3))
            gb = rng.randint(0, 2_000)
            exports = rng.randint(0, 400)
            rows += [
                (cid, meters["api_calls"], day, calls * 1_000_000, calls * 1_000_000, calls),
                (cid, meters["storage_gb"], day, gb * 1_000_000, gb * 1_000_000, 1),
                (cid, meters["exports"], day, exports * 1_000_000, 1_000_000, exports),
            ]
    with engine.begin() as conn:
        marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * 6)
        sql = ("INSERT INTO usage_daily (customer_id, meter_id, day, quantity_micro, "  # noqa: S608
               f"max_micro, events) VALUES ({marks})")
        for start in range(0, len(rows), 50_000):
            conn.exec_driver_sql(sql, rows[start:start + 50_000])
    return draft_id, len(rows)


def bench_simulation(engine: sa.Engine | None = None, *, customers: int = 10_000,
                     months: int = 12) -> dict[str, Any]:
    """Time a simulation of ``customers`` x ``months`` x 3 meters.

    Args:
        engine: an *empty, migrated* scratch database to build the data in. Without one, or
            when the given database already has customers (it is never written to then), a
            temporary SQLite file is used (``SQLModel.metadata.create_all``; deleted after).
        customers: number of subscribed customers.
        months: months of usage and simulation window.

    Returns:
        Figures for the bench report: set-up and simulation seconds, rows and combinations.
    """
    scratch = None
    if engine is not None:
        with engine.connect() as conn:
            if conn.execute(sa.select(sa.func.count()).select_from(Customer)).scalar():
                engine = None  # never write synthetic data next to real customers
    if engine is None:
        scratch = tempfile.TemporaryDirectory(prefix="catalog-bench-")
        engine = make_engine(f"sqlite:///{Path(scratch.name) / 'bench.db'}")
        SQLModel.metadata.create_all(engine)
    try:
        started = time.perf_counter()
        draft_id, usage_rows = build_bench_data(engine, customers=customers, months=months)
        setup = time.perf_counter() - started
        started = time.perf_counter()
        result = simulate(engine, version_id=draft_id, months=months, as_of=AS_OF)
        seconds = time.perf_counter() - started
        return {
            "benchmark": "catalog revenue-impact simulation",
            "database": engine.dialect.name + (" (temporary file)" if scratch else ""),
            "customers": result.customers,
            "months": months,
            "meters": 3,
            "usage_rows": usage_rows,
            "usage_rows_note": "usage_daily: one row per customer, meter and month",
            "rated_lines": result.rated_lines,
            "rated_combinations": result.rated_combinations,
            "setup_seconds": round(setup, 2),
            "simulate_seconds": round(seconds, 2),
            "totals": {t.currency: t.change for t in result.totals},
        }
    finally:
        if scratch is not None:
            engine.dispose()
            scratch.cleanup()
