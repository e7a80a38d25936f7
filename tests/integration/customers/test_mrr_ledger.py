"""The MRR ledger's ``unchanged`` marks stay true to the rows, and the KPI queries read the
partial indexes built on them (SQLite's plans are checked: it uses a partial index only when
the query repeats its condition word for word)."""

import random
from datetime import date

import pytest
import sqlalchemy as sa

from console.customers.usecases.ledger import mark_unchanged, write_month
from console.kpis.queries import sql as kpis_sql
from console.kpis.queries.dashboard import KpiFilters
from console.kpis.queries.frames import data_state, resolve_window
from models import Customer, MrrMonthly, Plan, PlanVersion, Product
from models.db import unit_of_work

pytestmark = pytest.mark.integration

MONTHS = [date(2026, m, 1) for m in range(1, 7)]


@pytest.fixture
def ids(engine) -> dict[str, int]:
    """Two customers and two plan versions."""
    with unit_of_work(engine) as s:
        prod = Product(code="led", name="Ledger product")
        s.add(prod)
        s.flush()
        plan = Plan(product_id=prod.id, code="p", name="Plan")
        s.add(plan)
        s.flush()
        va = PlanVersion(plan_id=plan.id, number=1, status="published")
        vb = PlanVersion(plan_id=plan.id, number=2, status="published")
        people = [Customer(code=f"L{n}", name=f"Ledger {n}", email=f"l{n}@x.test",
                           segment="smb", region="na", country="US", currency="USD")
                  for n in range(2)]
        s.add_all([va, vb, *people])
        s.flush()
        return {"va": va.id, "vb": vb.id, "c0": people[0].id, "c1": people[1].id}


def _marks(engine, customer_id: int) -> dict[date, bool]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(MrrMonthly.month, MrrMonthly.unchanged).where(
            MrrMonthly.customer_id == customer_id).order_by(MrrMonthly.month)).all()
    return {m: bool(u) for m, u in rows}


def _write(engine, customer_id: int, month: date, mrr: int, version: int,
           currency: str = "USD") -> None:
    with unit_of_work(engine) as s:
        write_month(s, customer_id=customer_id, month=month, mrr_minor=mrr,
                    currency=currency, plan_version_id=version)


def test_write_month_marks_the_month_and_the_next(engine, ids) -> None:
    c, va, vb = ids["c0"], ids["va"], ids["vb"]
    jan, feb, mar, apr = MONTHS[:4]
    for month in (jan, feb, mar):
        _write(engine, c, month, 100_00, va)
    assert _marks(engine, c) == {jan: False, feb: True, mar: True}
    # A back-dated change un-marks the month after it too; undoing it marks both again.
    _write(engine, c, feb, 120_00, va)
    assert _marks(engine, c) == {jan: False, feb: False, mar: False}
    _write(engine, c, feb, 100_00, va)
    assert _marks(engine, c) == {jan: False, feb: True, mar: True}
    # Another plan version or currency at the same amount is a change.
    _write(engine, c, mar, 100_00, vb)
    assert _marks(engine, c) == {jan: False, feb: True, mar: False}
    _write(engine, c, apr, 100_00, vb, currency="EUR")
    assert _marks(engine, c)[apr] is False
    # A month at 0 has no row, and the month after it is not unchanged.
    _write(engine, c, feb, 0, va)
    assert _marks(engine, c) == {jan: False, mar: False, apr: False}
    with unit_of_work(engine) as s:
        assert s.get(MrrMonthly, (c, feb)) is None


def test_marks_kept_by_write_month_equal_a_full_remark(engine, ids) -> None:
    rng = random.Random(7)
    for _ in range(120):
        _write(engine, rng.choice([ids["c0"], ids["c1"]]), rng.choice(MONTHS),
               rng.choice([0, 100_00, 100_00, 250_00]), rng.choice([ids["va"], ids["vb"]]),
               currency=rng.choice(["USD", "USD", "EUR"]))
    kept = {c: _marks(engine, ids[c]) for c in ("c0", "c1")}
    assert any(any(m.values()) for m in kept.values())
    with engine.begin() as conn:
        conn.execute(sa.update(MrrMonthly).values(unchanged=False))
        mark_unchanged(conn)
    assert {c: _marks(engine, ids[c]) for c in ("c0", "c1")} == kept


def test_kpi_queries_can_read_the_partial_indexes(engine, ids) -> None:
    """SQLite's plans name the indexes; PostgreSQL, barred from sequential scans, shows it
    can use them (it picks by cost, and these tables are nearly empty)."""
    for month in MONTHS:
        _write(engine, ids["c0"], month, 100_00, ids["va"])
    filters = KpiFilters(start_month="2026-02", end_month="2026-06").validated()
    w = resolve_window(filters, data_state(engine))
    dialect = engine.dialect.name
    q = kpis_sql.KpiSql(filters, dialect, ())
    expected = {
        q.movement_sums(w.months): "ix_mrr_monthly_moves",
        q.open_groups(w): "ix_invoice_open_kpi",
        q.invoice_sales(w, ["USD"]): "ix_invoice_sales_kpi",
    }
    with engine.begin() as conn:
        kpis_sql.prepare_connection(conn)
        if dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for sql, index in expected.items():
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}")
                            ) if dialect == "postgresql" else " ".join(
                r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert index in plan, plan
            if dialect == "sqlite":
                assert f"COVERING INDEX {index}" in plan, plan
