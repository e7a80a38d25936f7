# ruff: noqa: S608, DTZ001 - table names are constants; bulk rows hold naive UTC times
"""KPI dashboard benchmark (``python -m console bench --only kpis``): cold, cached and the floor.

:func:`bench_kpis` times :func:`console.kpis.queries.dashboard.dashboard` on the seeded benchmark
database when the harness passes one, else on a company it builds in bulk (:func:`build_company`:
the demo's reference data and catalog for a handful of customers, then ``customers`` synthetic
customers with ``months`` of MRR ledger, subscription events, invoices, payments, disputes and
support tickets written straight into the tables). It prints the cold time (every figure
summed in the database and finished in polars), the cached time, and the floor: the rows behind
the figures (ledger and invoices of the window) read into polars plus one bare group-by each.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from models.db import make_engine, unit_of_work

AS_OF = date(2026, 11, 20)
Line = Callable[[str, str], None]

_SEGMENTS = ("smb", "smb", "smb", "smb", "smb", "smb", "mid_market", "mid_market",
             "mid_market", "enterprise")
_REGIONS = ("na", "na", "na", "emea", "emea", "apac", "latam")


def _month(k: int, months: int, as_of: date) -> date:
    """The first day of month ``k`` of a window of ``months`` ending with ``as_of``'s month."""
    back = months - 1 - k
    total = as_of.year * 12 + as_of.month - 1 - back
    return date(total // 12, total % 12 + 1, 1)


def synthetic_frames(customers: int, months: int, *, first_id: int, versions: list[int],
                     as_of: date = AS_OF) -> dict[str, pl.DataFrame]:
    """Build the bulk rows of ``customers`` synthetic customers (deterministic, no randomness).

    Args:
        customers: how many customers.
        months: months of history (the last one is ``as_of``'s month).
        first_id: id of the first customer (every other table's ids start after the existing).
        versions: plan version ids to spread the customers over (at least one).
        as_of: the last day with data.

    Returns:
        Table name -> frame with that table's columns (dates and times as Python values).
    """
    if not versions:
        raise ValueError("versions must not be empty")
    h = pl.col("customer_id").hash
    base = pl.DataFrame({"customer_id": pl.int_range(first_id, first_id + customers,
                                                     eager=True, dtype=pl.Int64)})
    cust = base.with_columns(
        seg=(h(11) % len(_SEGMENTS)).cast(pl.Int64),
        reg=(h(12) % len(_REGIONS)).cast(pl.Int64),
        start=(h(13) % months).cast(pl.Int64),
        life=(h(14) % (2 * months) + 1).cast(pl.Int64),
        gap=(h(15) % 20).cast(pl.Int64),
        base_mrr=(h(16) % 40_000 + 2_000).cast(pl.Int64),
        step=((h(17) % 7).cast(pl.Int64) - 2) * 500,
        ver=(h(18) % len(versions)).cast(pl.Int64),
        invol=(h(19) % 5 == 0),
    ).with_columns(
        segment=pl.col("seg").replace_strict(dict(enumerate(_SEGMENTS)), return_dtype=pl.String),
        region=pl.col("reg").replace_strict(dict(enumerate(_REGIONS)), return_dtype=pl.String),
        plan_version_id=pl.col("ver").replace_strict(dict(enumerate(versions)),
                                                     return_dtype=pl.Int64),
        # A few come back after a three-month gap (reactivations).
        back=pl.col("gap") == 0,
    ).with_columns(
        currency=pl.when(pl.col("region") != "emea").then(pl.lit("USD"))
        .when(pl.col("customer_id") % 3 == 0).then(pl.lit("GBP")).otherwise(pl.lit("EUR")),
    )
    ks = pl.DataFrame({"k": pl.int_range(0, months, eager=True, dtype=pl.Int64)})
    end = pl.col("start") + pl.col("life")
    active = ((pl.col("k") >= pl.col("start")) & (pl.col("k") < end)) | (
        pl.col("back") & (pl.col("k") >= end + 3) & (pl.col("k") < end + 9))
    month_of = {k: _month(k, months, as_of) for k in range(months)}
    mrr = (
        cust.join(ks, how="cross").filter(active)
        .with_columns(
            month=pl.col("k").replace_strict(month_of, return_dtype=pl.Date),
            mrr_minor=pl.max_horizontal(
                pl.col("base_mrr") + (pl.col("k") - pl.col("start")) // 5 * pl.col("step"),
                pl.lit(900)),
        )
    )
    churned = cust.filter(end < months).with_columns(
        occurred_on=(end).replace_strict(month_of, return_dtype=pl.Date)
        + pl.duration(days=(pl.col("customer_id") % 20)),
        kind=pl.when(pl.col("invol")).then(pl.lit("lapse")).otherwise(pl.lit("cancel")),
        churn_reason=pl.when(pl.col("invol")).then(pl.lit("involuntary"))
        .otherwise(pl.lit("voluntary")),
    )
    as_of_dt = datetime(as_of.year, as_of.month, as_of.day, 23)
    inv = mrr.with_row_index("n").with_columns(
        issued_at=pl.col("month").cast(pl.Datetime("us")) + pl.duration(hours=8),
        total_minor=pl.col("mrr_minor") * 11 // 10,
        pay_days=(pl.col("n").hash(21) % 45).cast(pl.Int64),
        fate=(pl.col("n").hash(22) % 200).cast(pl.Int64),
    ).with_columns(
        due_date=(pl.col("month") + pl.duration(days=30)),
        paid_at=pl.col("issued_at") + pl.duration(days=pl.col("pay_days"), hours=3),
    ).with_columns(
        status=pl.when(pl.col("fate") == 0).then(pl.lit("void"))
        .when(pl.col("fate") <= 2).then(pl.lit("uncollectible"))
        .when((pl.col("paid_at") <= as_of_dt) & (pl.col("fate") > 6)).then(pl.lit("paid"))
        .otherwise(pl.lit("issued")),
    ).with_columns(
        paid_at=pl.when(pl.col("status") == "paid").then(pl.col("paid_at")),
        voided_at=pl.when(pl.col("status") == "void")
        .then(pl.col("issued_at") + pl.duration(days=2)),
        paid_minor=pl.when(pl.col("status") == "paid").then(pl.col("total_minor"))
        .otherwise(0),
        credited_minor=pl.when(pl.col("fate") == 7).then(pl.col("total_minor") // 10)
        .otherwise(0),
    )
    disputes = inv.filter(pl.col("n").hash(23) % 100 == 0).with_columns(
        opened_at=pl.col("issued_at") + pl.duration(days=5, hours=2),
        response_due_at=pl.col("issued_at") + pl.duration(days=12, hours=2),
        resolve_days=(pl.col("n").hash(24) % 20 + 1).cast(pl.Int64),
        amount_minor=pl.col("total_minor") // 4,
    ).with_columns(
        resolved_at=pl.when(pl.col("n") % 5 != 0)
        .then(pl.col("opened_at") + pl.duration(days=pl.col("resolve_days"))),
    ).with_columns(
        resolved_at=pl.when(pl.col("resolved_at") <= as_of_dt).then(pl.col("resolved_at")),
    ).with_columns(
        status=pl.when(pl.col("resolved_at").is_null()).then(pl.lit("open"))
        .when(pl.col("n") % 2 == 0).then(pl.lit("resolved_credited"))
        .otherwise(pl.lit("resolved_rejected")),
    )
    tickets = mrr.filter(pl.col("customer_id").hash(25) % 30 == pl.col("k") % 30).with_columns(
        opened_at=pl.col("month").cast(pl.Datetime("us"))
        + pl.duration(days=pl.col("customer_id") % 27, hours=10))
    return {"customer": cust, "mrr": mrr, "churned": churned, "invoice": inv,
            "dispute": disputes, "ticket": tickets}


def _max_id(conn: sa.Connection, table: str) -> int:
    return int(conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())


def build_company(url: str, *, customers: int, months: int, as_of: date = AS_OF) -> sa.Engine:
    """Create a benchmark company in the empty, migrated database at ``url``.

    The demo generator writes its reference data and catalog (with 20 customers), then the
    synthetic customers are appended in bulk. Returns an engine on ``url``.
    """
    from console.customers.usecases.ledger import mark_unchanged
    from console.demo import seed_demo
    from console.identity.usecases.accounts import ensure_demo_users

    engine = make_engine(url)
    with unit_of_work(engine) as s:
        actors = ensure_demo_users(s)
    seed_demo(engine, customers=20, months=months, seed=7, as_of=as_of, actors=actors)
    with engine.connect() as conn:
        versions = [int(v) for (v,) in conn.execute(sa.text(
            "SELECT id FROM plan_version WHERE status IN ('published', 'retired') "
            "ORDER BY id LIMIT 4"))]
        first = {t: _max_id(conn, t) + 1 for t in (
            "customer", "subscription", "subscription_event", "invoice", "payment", "dispute",
            "support_ticket")}
        plans = dict(conn.execute(sa.text("SELECT id, plan_id FROM plan_version")).all())
    frames = synthetic_frames(customers, months, first_id=first["customer"], versions=versions,
                              as_of=as_of)
    rows = _table_rows(frames, first, plans, as_of)
    _bulk_insert(engine, rows)
    with engine.begin() as conn:
        mark_unchanged(conn)  # the ledger's marks, as a bulk load must (mrr_ledger)
    if engine.dialect.name == "postgresql":
        # What autovacuum does minutes after a bulk load: without it the first runs would
        # time the planner's guesses and heap visibility checks, not the dashboard.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    return engine


def _table_rows(f: dict[str, pl.DataFrame], first: dict[str, int], plans: dict[int, int],
                as_of: date) -> dict[str, pl.DataFrame]:
    created = datetime(2020, 1, 1)
    cust = f["customer"]
    sub_of = pl.col("customer_id") - first["customer"] + first["subscription"]
    inv = f["invoice"].with_columns(id=pl.col("n") + first["invoice"])
    out = {
        "customer": cust.select(
            id="customer_id",
            code=pl.format("BEN-{}", pl.col("customer_id")),
            name=pl.format("Bench customer {}", pl.col("customer_id")),
            email=pl.format("c{}@bench.test", pl.col("customer_id")),
            segment="segment", region="region",
            country=pl.col("region").replace_strict(
                {"na": "US", "emea": "DE", "apac": "SG", "latam": "BR"}),
            currency="currency", payment_terms_days=pl.lit(30),
            status=pl.lit("active"), credit_balance_minor=pl.lit(0), mrr_minor=pl.lit(0),
            tax_exempt=pl.lit(False), created_at=pl.lit(created), version=pl.lit(1)),
        "subscription": cust.select(
            id=sub_of, customer_id="customer_id",
            plan_id=pl.col("plan_version_id").replace_strict(plans, return_dtype=pl.Int64),
            plan_version_id="plan_version_id", status=pl.lit("active"), currency="currency",
            seats=pl.lit(1), billing_interval=pl.lit("month"), started_on=pl.lit(date(2020, 1, 1)),
            current_period_start=pl.lit(as_of.replace(day=1)),
            current_period_end=pl.lit(as_of.replace(day=28)),
            mrr_minor=pl.lit(0), grandfathered=pl.lit(False), created_at=pl.lit(created),
            version=pl.lit(1)),
        "mrr_monthly": f["mrr"].select("customer_id", "month", "mrr_minor", "currency",
                                       "plan_version_id"),
        "subscription_event": f["churned"].with_row_index("n").select(
            id=pl.col("n").cast(pl.Int64) + first["subscription_event"],
            subscription_id=sub_of, customer_id="customer_id", kind="kind",
            occurred_on="occurred_on", currency="currency", mrr_before_minor=pl.lit(0),
            mrr_after_minor=pl.lit(0), mrr_delta_minor=pl.lit(0), churn_reason="churn_reason",
            note=pl.lit(""), created_at=pl.lit(created)),
        "invoice": inv.select(
            "id", number=pl.format("BEN-{}", pl.col("id")), customer_id="customer_id",
            subscription_id=sub_of, plan_version_id="plan_version_id",
            period_start="month", period_end=pl.col("month").dt.month_end(),
            currency="currency", status="status", subtotal_minor="mrr_minor",
            tax_minor=pl.col("total_minor") - pl.col("mrr_minor"), total_minor="total_minor",
            credited_minor="credited_minor", paid_minor="paid_minor", flags=pl.lit("[]"),
            issued_at="issued_at", due_date="due_date", paid_at="paid_at",
            voided_at="voided_at", created_at="issued_at", updated_at="issued_at",
            version=pl.lit(1)),
        "payment": inv.filter(pl.col("status") == "paid").with_row_index("p").select(
            id=pl.col("p").cast(pl.Int64) + first["payment"], invoice_id="id",
            customer_id="customer_id", amount_minor="paid_minor", currency="currency",
            status=pl.lit("succeeded"), method=pl.lit("card"), received_at="paid_at",
            created_at="paid_at"),
        "dispute": f["dispute"].with_row_index("d").select(
            id=pl.col("d").cast(pl.Int64) + first["dispute"], customer_id="customer_id",
            invoice_id=pl.col("n") + first["invoice"], status="status",
            reason=pl.lit("usage_disagreement"), description=pl.lit("Bench dispute"),
            amount_minor="amount_minor", currency="currency", opened_at="opened_at",
            response_due_at="response_due_at", resolved_at="resolved_at",
            credited_minor=pl.lit(0), reopened_count=pl.lit(0), version=pl.lit(1)),
        "support_ticket": f["ticket"].with_row_index("t").select(
            id=pl.col("t").cast(pl.Int64) + first["support_ticket"], customer_id="customer_id",
            category=pl.lit("billing_question"), subject=pl.lit("Question about my invoice"),
            opened_at="opened_at"),
    }
    return out


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _bulk_insert(engine: sa.Engine, tables: dict[str, pl.DataFrame]) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                cur.execute("SET LOCAL TIME ZONE 'UTC'")
                for table, df in tables.items():
                    cols = ", ".join(df.columns)
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in df.iter_rows():
                            copy.write_row(row)
            for table in ("customer", "subscription", "subscription_event", "invoice",
                          "payment", "dispute", "support_ticket"):
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))
            return
        raw = conn.connection.driver_connection
        for table, df in tables.items():
            cols = ", ".join(df.columns)
            marks = ", ".join("?" * df.width)
            raw.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                            ([_sqlite_value(v) for v in row] for row in df.iter_rows()))


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def floor_ms(engine: sa.Engine, filters: Any, repeat: int = 3) -> float:
    """The floor: the rows behind the dashboard's figures (the ledger of the months compared,
    the window's invoices and the ones that can be open) read into polars, plus one bare
    group-by per frame, in milliseconds (median of ``repeat``). Read with connectorx on
    PostgreSQL and the DB-API cursor on SQLite, the fastest way the app may use on each."""
    from console.kernel.frames import connectorx_uri, connectorx_usable
    from console.kpis.queries import frames as kf
    from console.kpis.queries.sql import KpiSql
    from models.billing import OPEN_AT_MONTH_END

    def run() -> None:
        w = kf.resolve_window(filters, kf.data_state(engine))
        pg = engine.dialect.name == "postgresql"
        day = (lambda d: f"DATE '{d.isoformat()}'") if pg else (lambda d: f"'{d.isoformat()}'")
        start, nxt = day(w.read_from), day(kf.add_months(w.end, 1))
        with engine.connect() as conn:
            currencies = ", ".join(f"'{c}'" for c in conn.exec_driver_sql(
                KpiSql.invoice_currencies()).scalars())
        sqls = [
            "SELECT customer_id, month, mrr_minor, currency FROM mrr_monthly WHERE month >= "
            f"{day(kf.add_months(w.read_from, -1))} AND month < {nxt}",
            # the window's sales and the invoices that can be open, through their indexes
            "SELECT customer_id, currency, status, total_minor FROM invoice WHERE currency IN "
            f"({currencies or 'NULL'}) AND issued_at >= {start} AND issued_at < {nxt}",
            "SELECT id, customer_id, currency, total_minor, credited_minor, paid_minor, due_date "
            f"FROM invoice WHERE issued_at < {nxt} AND (issued_at >= {start} OR "
            f"coalesce(paid_at, voided_at) IS NULL OR coalesce(paid_at, voided_at) >= {start}) "
            f"AND {OPEN_AT_MONTH_END[engine.dialect.name]}",
        ]
        for sql in sqls:
            if pg and connectorx_usable():
                df = pl.read_database_uri(sql, connectorx_uri(engine.url), engine="connectorx")
            else:
                with engine.connect() as conn:
                    cur = conn.connection.cursor()
                    cur.execute(sql)
                    names = [c[0] for c in cur.description]
                    df = pl.DataFrame(cur.fetchall(), schema=names, orient="row")
            df.group_by(df.columns[0]).agg(pl.len())

    return _median_ms(run, repeat)


def bench_kpis(*, engine: sa.Engine | None, url: str, customers: int, months: int,
               line: Line) -> None:
    """Time the KPI dashboard: cold (database + compute), cached, and the floor ratio."""
    from console.kpis.queries import dashboard as kpis

    owned = engine is None
    if owned:
        from bench.run import _fresh_db

        if url.startswith("sqlite"):
            # A file of its own beside the harness's, which other benchmarks may have filled.
            path = Path(sa.make_url(url).database or "bench.db")
            url = f"sqlite:///{path.with_name('kpis_bench.db')}"
        t0 = time.perf_counter()
        _fresh_db(url).dispose()
        engine = build_company(url, customers=customers, months=months)
        line(f"kpi bench data {customers:,} customers x {months} months",
             f"{time.perf_counter() - t0:,.1f} s to build")
    assert engine is not None
    with engine.connect() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("mrr_monthly", "invoice", "dispute", "support_ticket")}
    line("kpi rows", ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    cases = {
        "default (last 12 months, USD)": kpis.KpiFilters(),
        "all months, USD": kpis.KpiFilters(start_month="2000-01"),
        "segment smb, EUR": kpis.KpiFilters(segment="smb", reporting="EUR"),
    }
    line("machine load (1/5/15 min)", " / ".join(f"{x:.1f}" for x in os.getloadavg())
         + f" on {os.cpu_count()} cores")
    for label, filters in cases.items():
        colds, cpus = [], []
        for _ in range(3):
            kpis.clear_cache()
            t0, c0 = time.perf_counter(), time.process_time()
            kpis.dashboard(filters, engine=engine)
            colds.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        cold, cpu = statistics.median(colds), statistics.median(cpus)
        cached = _median_ms(lambda f=filters: kpis.dashboard(f, engine=engine), 5)
        floor = floor_ms(engine, filters)
        line(f"kpis {label}: cold", f"{cold:,.0f} ms wall, {cpu:,.0f} ms CPU (median of 3)")
        line(f"kpis {label}: cached", f"{cached:,.1f} ms")
        line(f"kpis {label}: floor (read + group-by)",
             f"{floor:,.0f} ms; cold/floor = {cold / floor:,.2f}x")
    kpis.clear_cache()
    if owned and os.environ.get("CONSOLE_KPI_BENCH_KEEP") != "1":
        engine.dispose()


