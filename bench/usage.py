"""Usage benchmarks (``python -m console bench``) and polars aggregation over connectorx.

* :func:`bench_ingest` times the real file import path (parse, validate, COPY / executemany,
  ``ON CONFLICT`` and the usage_daily upsert) for N generated events, with its own customers
  and meters, and removes its rows afterwards (the audit events of the import stay: the audit
  log is append-only).
* :func:`bench_aggregate` seeds N events fast (COPY / executemany, no validation), then times
  reading them with connectorx into polars and aggregating per customer and meter.
* :func:`aggregate_usage_polars` is the polars aggregation itself (for KPIs and simulations).

Point the benchmarks at a scratch database when you can.
"""

from __future__ import annotations

import csv
import ctypes
import io
import json
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from console.billing.queries.usage_aggregates import period_bounds
from console.billing.usecases.usage_import import import_usage_file
from console.kernel.actor import Actor
from models import Customer, Meter, UsageDaily, UsageEvent, UsageImport
from models.db import make_engine, unit_of_work
from models.types import QUANTITY_SCALE

BENCH_ACTOR = Actor.system("system:bench")


def connectorx_uri(url: str | sa.Engine | sa.URL) -> str:
    """A connectorx URI for a SQLAlchemy URL or engine.

    ``postgresql+psycopg://u:p@h:5432/db`` -> ``postgresql://u:p@h:5432/db``;
    ``sqlite:///relative.db`` -> ``sqlite:///abs/path/relative.db`` (absolute path).

    Raises:
        ValueError: for another database or an in-memory SQLite database.
    """
    if isinstance(url, sa.Engine):
        url = url.url
    parsed = make_url(str(url) if not isinstance(url, sa.URL) else url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("connectorx needs a SQLite file, not an in-memory database")
        return "sqlite://" + str(Path(parsed.database).resolve())
    raise ValueError(f"no connectorx URI for {backend!r}")


class _ArrowCArray:
    """One Arrow C-data array (connectorx's raw pointers) behind the Arrow PyCapsule
    interface, so polars can take it over without pyarrow."""

    def __init__(self, array_ptr: int, schema_ptr: int) -> None:
        self.array_ptr, self.schema_ptr = array_ptr, schema_ptr

    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
        new = ctypes.pythonapi.PyCapsule_New
        new.restype = ctypes.py_object
        new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        return (new(self.schema_ptr, b"arrow_schema", None),
                new(self.array_ptr, b"arrow_array", None))


def read_connectorx(query: str, uri: str) -> pl.DataFrame:
    """Run ``query`` with connectorx and return a polars frame.

    With pyarrow installed this is ``pl.read_database_uri(query, uri, engine="connectorx")``.
    pyarrow is not a dependency of this project, so otherwise connectorx's Arrow C-data
    arrays are handed to polars through the Arrow PyCapsule interface (polars moves the
    buffers; nothing is copied row by row).
    """
    if find_spec("pyarrow") is not None:
        return pl.read_database_uri(query, uri, engine="connectorx")
    import connectorx
    from connectorx.connectorx import read_sql as cx_read_sql

    conn, protocol = connectorx.rewrite_conn(uri, None)
    names, chunks = cx_read_sql(conn, "arrow", queries=[query], protocol=protocol,
                                partition_query=None, pre_execution_queries=None)
    frames = [pl.DataFrame([pl.Series(_ArrowCArray(*ptr)).alias(name)
                            for name, ptr in zip(names, chunk, strict=True)])
              for chunk in chunks]
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(names, pl.Null))
    return pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]


def _engine(url_or_engine: str | sa.Engine) -> tuple[sa.Engine, bool]:
    if isinstance(url_or_engine, sa.Engine):
        return url_or_engine, False
    return make_engine(url_or_engine), True


def _usage_query(dialect: str, *, start: datetime, end: datetime, meters: list[tuple[int, str]],
                 unique_fields: dict[int, str]) -> str:
    """The SELECT connectorx runs: ids, quantity, time and the unique_count property."""
    ids = ", ".join(str(int(m)) for m, _ in meters)
    if dialect == "postgresql":
        bounds = (f"occurred_at >= '{start.isoformat()}'::timestamptz AND "
                  f"occurred_at < '{end.isoformat()}'::timestamptz")

        def extract(field: str) -> str:
            return f"properties->>'{_safe(field)}'"
    else:
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        bounds = (f"occurred_at >= '{start.astimezone(UTC).strftime(fmt)}' AND "
                  f"occurred_at < '{end.astimezone(UTC).strftime(fmt)}'")

        def extract(field: str) -> str:
            return f"json_extract(properties, '$.{_safe(field)}')"
    # Only the columns the meters need: id orders ties for "latest", uval is the property
    # unique_count counts (never NULL: connectorx infers SQLite types from values; '' = none).
    cols = ["customer_id", "meter_id", "quantity_micro", "occurred_at"]
    if any(how == "latest" for _, how in meters):
        cols.insert(0, "id")
    if unique_fields:
        cases = " ".join(f"WHEN meter_id = {int(m)} THEN {extract(f)}"
                         for m, f in unique_fields.items())
        cols.append(f"COALESCE(CASE {cases} END, '') AS uval")
    return (f"SELECT {', '.join(cols)} FROM usage_event "  # noqa: S608 - ids and dates only
            f"WHERE meter_id IN ({ids}) AND {bounds}")


def _safe(field: str) -> str:
    if not field.replace("_", "").isalnum():
        raise ValueError(f"unsupported property name {field!r}")
    return field


def read_usage_frame(url_or_engine: str | sa.Engine, *, period_start: date, period_end: date,
                     meter_ids: list[int] | None = None) -> tuple[pl.DataFrame, dict[int, str]]:
    """Read a period's usage rows with connectorx: ``(frame, meter id -> aggregation)``."""
    engine, own = _engine(url_or_engine)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(Meter.id, Meter.aggregation, Meter.field_name)).all()
    finally:
        if own:
            engine.dispose()
    meters = [(m, a) for m, a, _ in rows if meter_ids is None or m in meter_ids]
    if not meters:
        return pl.DataFrame(), {}
    unique = {m: f for m, a, f in rows if a == "unique_count" and f
              and (meter_ids is None or m in meter_ids)}
    start, end = period_bounds(period_start, period_end)
    query = _usage_query(engine.dialect.name, start=start, end=end, meters=meters,
                         unique_fields=unique)
    uri = connectorx_uri(engine)
    frame = read_connectorx(query, uri)
    if frame.height and "uval" in frame.columns:
        frame = frame.with_columns(pl.col("uval").cast(pl.String).replace("", None))
    return frame, dict(meters)


def aggregate_frame(frame: pl.DataFrame, aggregation: dict[int, str]) -> pl.DataFrame:
    """Aggregate usage rows per customer and meter by each meter's aggregation.

    Returns:
        Columns customer_id, meter_id, aggregation, units_micro (millionths; count and
        unique_count are scaled too), events, first_at, last_at.
    """
    if frame.is_empty():
        return pl.DataFrame(schema={"customer_id": pl.Int64, "meter_id": pl.Int64,
                                    "aggregation": pl.String, "units_micro": pl.Int64,
                                    "events": pl.UInt32})
    kinds = pl.DataFrame({"meter_id": list(aggregation), "aggregation": list(aggregation.values())},
                         schema={"meter_id": frame.schema["meter_id"], "aggregation": pl.String})
    order = ["occurred_at", "id"] if "id" in frame.columns else ["occurred_at"]
    unique = (pl.col("uval").drop_nulls().n_unique() if "uval" in frame.columns
              else pl.lit(0, dtype=pl.UInt32))
    grouped = (
        frame.sort(order)
        .group_by(["customer_id", "meter_id"])
        .agg(
            pl.col("quantity_micro").sum().alias("sum_micro"),
            pl.len().alias("events"),
            pl.col("quantity_micro").max().alias("max_micro"),
            pl.col("quantity_micro").last().alias("latest_micro"),
            unique.alias("unique"),
            pl.col("occurred_at").first().alias("first_at"),
            pl.col("occurred_at").last().alias("last_at"),
        )
        .join(kinds, on="meter_id", how="left")
    )
    scale = QUANTITY_SCALE
    units = (pl.when(pl.col("aggregation") == "count").then(pl.col("events").cast(pl.Int64) * scale)
             .when(pl.col("aggregation") == "max").then(pl.col("max_micro"))
             .when(pl.col("aggregation") == "latest").then(pl.col("latest_micro"))
             .when(pl.col("aggregation") == "unique_count")
             .then(pl.col("unique").cast(pl.Int64) * scale)
             .otherwise(pl.col("sum_micro")))
    return grouped.select("customer_id", "meter_id", "aggregation",
                          units.cast(pl.Int64).alias("units_micro"), "events", "first_at",
                          "last_at")


def aggregate_usage_polars(url_or_engine: str | sa.Engine, *, period_start: date,
                           period_end: date, meter_ids: list[int] | None = None
                           ) -> pl.DataFrame:
    """Per customer and meter aggregates of a period, read with connectorx and computed in
    polars (see :func:`aggregate_frame` for the columns)."""
    frame, aggregation = read_usage_frame(url_or_engine, period_start=period_start,
                                          period_end=period_end, meter_ids=meter_ids)
    return aggregate_frame(frame, aggregation)


# ----------------------------------------------------------------------------- fixtures


def _bench_customers(engine: sa.Engine, tag: str, count: int) -> dict[str, int]:
    table = Customer.__table__
    rows = [{"code": f"B{tag}{i:07d}", "name": f"Bench {tag} {i}",
             "email": f"bench{i}@{tag}.bench.test", "segment": "smb", "region": "na",
             "country": "US", "currency": "USD", "payment_terms_days": 30, "status": "active",
             "credit_balance_minor": 0, "mrr_minor": 0, "tax_exempt": False,
             "created_at": datetime.now(UTC), "version": 1} for i in range(count)]
    with unit_of_work(engine) as s:
        s.execute(sa.insert(table), rows)
        return {code: cid for code, cid in s.execute(
            sa.select(Customer.code, Customer.id).where(Customer.code.like(f"B{tag}%")))}


def _bench_meters(engine: sa.Engine, tag: str) -> dict[str, tuple[int, str]]:
    specs = [("calls", "sum", None), ("storage", "max", None), ("users", "unique_count", "user"),
             ("seats", "latest", None), ("requests", "count", None)]
    out: dict[str, tuple[int, str]] = {}
    with unit_of_work(engine) as s:
        for name, how, field in specs:
            m = Meter(code=f"bench_{tag}_{name}", name=f"Bench {name}",
                      event_type=f"bench_{tag}_{name}", aggregation=how, field_name=field)
            s.add(m)
            s.flush()
            out[name] = (m.id, m.event_type)
    return out


def _cleanup(engine: sa.Engine, customer_ids: list[int], meter_ids: list[int],
             import_ids: list[int]) -> None:
    with unit_of_work(engine) as s:
        s.execute(sa.delete(UsageEvent).where(UsageEvent.meter_id.in_(meter_ids)))
        s.execute(sa.delete(UsageDaily).where(UsageDaily.meter_id.in_(meter_ids)))
        if import_ids:
            s.execute(sa.delete(UsageImport).where(UsageImport.id.in_(import_ids)))
        s.execute(sa.delete(Meter).where(Meter.id.in_(meter_ids)))
        for i in range(0, len(customer_ids), 5000):
            s.execute(sa.delete(Customer).where(Customer.id.in_(customer_ids[i:i + 5000])))


def bench_ingest(url: str, *, events: int, customers: int = 1000, cleanup: bool = True
                 ) -> dict[str, Any]:
    """Events per second through :func:`console.billing.usecases.usage.import_usage_file`.

    Args:
        url: the database (SQLAlchemy URL); the bench creates its own customers and meters.
        events: how many events to import (one CSV file, one transaction).
        customers: how many bench customers the events spread over.
        cleanup: delete the bench rows afterwards.

    Returns:
        ``{"backend", "events", "inserted", "seconds", "events_per_s"}``.
    """
    engine = make_engine(url)
    tag = uuid.uuid4().hex[:8]
    try:
        codes = list(_bench_customers(engine, tag, max(1, min(customers, events))))
        meters = _bench_meters(engine, tag)
        kinds = [meters["calls"][1], meters["storage"][1], meters["users"][1]]
        base = datetime(2030, 1, 1, tzinfo=UTC)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.csv"
            with path.open("w", newline="") as handle:
                w = csv.writer(handle)
                w.writerow(["customer_code", "event_type", "quantity", "timestamp",
                            "idempotency_key", "properties"])
                for i in range(events):
                    kind = kinds[i % 3]
                    props = json.dumps({"user": f"u{i % 97}"}) if i % 3 == 2 else ""
                    w.writerow([codes[i % len(codes)], kind, f"{(i % 1000) + 1}.25",
                                (base + timedelta(seconds=i * 2)).isoformat(), f"bi-{tag}-{i}",
                                props])
            started = time.perf_counter()
            report = import_usage_file(engine, path, actor=BENCH_ACTOR, source="demo")
            seconds = time.perf_counter() - started
        result = {"backend": engine.dialect.name, "events": events, "inserted": report.inserted,
                  "seconds": round(seconds, 3),
                  "events_per_s": round(events / seconds) if seconds else None}
        if cleanup:
            with engine.connect() as conn:
                cids = list(conn.execute(sa.select(Customer.id).where(
                    Customer.code.like(f"B{tag}%"))).scalars())
            _cleanup(engine, cids, [m for m, _ in meters.values()],
                     [report.import_id] if report.import_id else [])
        return result
    finally:
        engine.dispose()


def _seed_events(engine: sa.Engine, *, tag: str, events: int, customer_ids: list[int],
                 meters: dict[str, tuple[int, str]], start: datetime) -> None:
    """Fast seeding for the aggregation bench: COPY (PostgreSQL) or executemany (SQLite)."""
    ids = [m for m, _ in meters.values()]
    unique_meter = meters["users"][0]
    n_cust = len(customer_ids)
    step = 500_000
    span_s = 27 * 24 * 3600
    customers = pl.Series(customer_ids, dtype=pl.Int64)
    meter_series = pl.Series(ids, dtype=pl.Int64)
    for lo in range(0, events, step):
        hi = min(events, lo + step)
        idx = pl.int_range(lo, hi, eager=True, dtype=pl.Int64)
        frame = pl.DataFrame({
            "i": idx,
            "customer_id": customers.gather(idx % n_cust),
            "meter_id": meter_series.gather(idx % len(ids)),
        }).with_columns(
            pl.format("ba-{}-{}", pl.lit(tag), pl.col("i")).alias("idempotency_key"),
            ((pl.col("i") % 1000 + 1) * 250_000).alias("quantity_micro"),
            (pl.lit(start) + pl.duration(seconds=pl.col("i") % span_s)).alias("occurred_at"),
            pl.when(pl.col("meter_id") == unique_meter)
            .then(pl.format('{{"user": "u{}"}}', pl.col("i") % 97))
            .otherwise(None).alias("properties"))
        now = datetime.now(UTC)
        cols = ["idempotency_key", "customer_id", "meter_id", "quantity_micro", "properties",
                "occurred_at", "received_at"]
        frame = frame.with_columns(pl.lit(now).alias("received_at")).select(cols)
        with unit_of_work(engine) as s:
            conn = s.connection()
            if engine.dialect.name == "postgresql":
                buf = io.BytesIO()
                frame.write_csv(buf, include_header=False, null_value="\\N",
                                datetime_format="%Y-%m-%d %H:%M:%S%.f+00")
                raw = conn.connection.driver_connection
                with raw.cursor() as cur, cur.copy(
                    "COPY usage_event (idempotency_key, customer_id, meter_id, quantity_micro, "
                    "properties, occurred_at, received_at) FROM STDIN "
                    "WITH (FORMAT csv, NULL '\\N')"
                ) as copy:
                    copy.write(buf.getvalue())
            else:
                fmt = "%Y-%m-%d %H:%M:%S.%f"
                rows = [(k, c, m, q, p, t.strftime(fmt), r.strftime(fmt))
                        for k, c, m, q, p, t, r in frame.iter_rows()]
                raw = conn.connection.driver_connection
                raw.executemany(
                    "INSERT INTO usage_event (idempotency_key, customer_id, meter_id, "
                    "quantity_micro, properties, occurred_at, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def bench_aggregate(url_or_engine: str | sa.Engine, *, events: int, customers: int = 10_000,
                    cleanup: bool = True) -> dict[str, Any]:
    """Events per second aggregated with polars over rows read by connectorx.

    Seeds ``events`` usage rows over five bench meters (sum, max, unique_count, latest, count)
    in one month, then times the read (connectorx) and the aggregation (polars) separately.

    Returns:
        ``{"backend", "events", "groups", "read_s", "aggregate_s", "seconds",
        "events_per_s", "aggregate_events_per_s"}``.
    """
    engine, own = _engine(url_or_engine)
    tag = uuid.uuid4().hex[:8]
    try:
        customer_ids = list(_bench_customers(engine, tag, max(1, min(customers, events)))
                            .values())
        meters = _bench_meters(engine, tag)
        start = datetime(2031, 1, 1, tzinfo=UTC)
        seeded = time.perf_counter()
        _seed_events(engine, tag=tag, events=events, customer_ids=customer_ids, meters=meters,
                     start=start)
        seed_s = time.perf_counter() - seeded
        meter_ids = [m for m, _ in meters.values()]
        t0 = time.perf_counter()
        frame, aggregation = read_usage_frame(engine, period_start=date(2031, 1, 1),
                                              period_end=date(2031, 1, 31), meter_ids=meter_ids)
        t1 = time.perf_counter()
        result = aggregate_frame(frame, aggregation)
        t2 = time.perf_counter()
        read_s, agg_s = t1 - t0, t2 - t1
        out = {"backend": engine.dialect.name, "events": int(frame.height),
               "groups": int(result.height), "seed_s": round(seed_s, 3),
               "read_s": round(read_s, 3), "aggregate_s": round(agg_s, 3),
               "seconds": round(read_s + agg_s, 3),
               "events_per_s": round(frame.height / (read_s + agg_s)),
               "aggregate_events_per_s": round(frame.height / agg_s) if agg_s else None}
        if cleanup:
            _cleanup(engine, customer_ids, meter_ids, [])
        return out
    finally:
        if own:
            engine.dispose()
