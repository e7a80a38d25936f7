"""What the revenue-impact simulation reads: a plan's subscribers and their monthly usage.

Monthly units come from ``usage_daily`` for meters aggregated by ``sum`` (sum of daily sums),
``count`` (sum of daily event counts) and ``max`` (max of daily maxima), which are exact;
``unique_count`` and ``latest`` cannot be derived from daily totals, so they are read from
``usage_event`` (distinct ``field_name`` values per month; the month's last event).

The SQL here is generated: it only ever embeds ints, ISO dates and checked identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl
import sqlalchemy as sa

from console.catalog.domain.status import CURRENT_SUBSCRIPTION_STATUSES
from console.kernel.errors import InvalidInput
from console.kernel.frames import read_frame
from models import Meter

_MICRO = 1_000_000
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_STATUSES = ", ".join(f"'{s}'" for s in CURRENT_SUBSCRIPTION_STATUSES)
_USAGE_SCHEMA = {"customer_id": pl.Int64, "meter_id": pl.Int64, "ym": pl.String,
                 "units_micro": pl.Int64}
#: Aggregations that cannot be derived from daily totals.
_EVENT_AGGREGATIONS = ("unique_count", "latest")


def month_index(day: date) -> int:
    """A month as a running number (``year * 12 + month - 1``), to compare months as ints."""
    return day.year * 12 + day.month - 1


def _ym_index(column: str) -> pl.Expr:
    col = pl.col(column)
    return (col.str.slice(0, 4).cast(pl.Int32) * 12 + col.str.slice(5, 2).cast(pl.Int32) - 1)


def _ym(dialect: str, column: str, *, timestamp: bool = False) -> str:
    if dialect == "postgresql":
        zone = " AT TIME ZONE 'UTC'" if timestamp else ""
        return f"to_char({column}{zone}, 'YYYY-MM')"
    return f"substr({column}, 1, 7)"


def _date_literal(dialect: str, day: date, *, timestamp: bool = False) -> str:
    if dialect == "postgresql":
        return (f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'" if timestamp
                else f"DATE '{day.isoformat()}'")
    return f"'{day.isoformat()} 00:00:00'" if timestamp else f"'{day.isoformat()}'"


def _ids(values: Sequence[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _subscribers_sql(plan_id: int) -> str:
    return (f"SELECT customer_id FROM subscription WHERE plan_id = {int(plan_id)} "  # noqa: S608
            f"AND status IN ({_STATUSES})")


def subscriber_frame(conn: sa.Connection, plan_id: int) -> pl.DataFrame:
    """The plan's current subscribers, one row per customer (their latest subscription).

    Columns: customer_id, subscription_id, code, name, currency, region, segment, seats,
    interval, started (``YYYY-MM``) and start_idx (:func:`month_index` of the start).
    """
    dialect = conn.dialect.name
    sql = (
        "SELECT s.customer_id, s.id, c.code, c.name, s.currency, c.region, c.segment, "  # noqa: S608
        "s.seats, "
        f"s.billing_interval, {_ym(dialect, 's.started_on')} "
        "FROM subscription s JOIN customer c ON c.id = s.customer_id "
        f"WHERE s.plan_id = {int(plan_id)} AND s.status IN ({_STATUSES}) "
        "ORDER BY s.customer_id, s.id"
    )
    schema = {"customer_id": pl.Int64, "subscription_id": pl.Int64, "code": pl.String,
              "name": pl.String, "currency": pl.String, "region": pl.String,
              "segment": pl.String, "seats": pl.Int64, "interval": pl.String,
              "started": pl.String}
    df = read_frame(conn, sql, schema)
    return (df.unique(subset="customer_id", keep="last", maintain_order=True)
            .with_columns(start_idx=_ym_index("started")))


def _daily_usage(conn: sa.Connection, plan_id: int, meters: Mapping[int, str],
                 start: date, end: date) -> pl.DataFrame:
    """Monthly units of sum/count/max meters from usage_daily."""
    wanted = [m for m, agg in meters.items() if agg in ("sum", "count", "max")]
    if not wanted:
        return pl.DataFrame(schema=_USAGE_SCHEMA)
    dialect = conn.dialect.name
    sql = (
        f"SELECT d.customer_id, d.meter_id, {_ym(dialect, 'd.day')}, "  # noqa: S608
        "CAST(SUM(d.quantity_micro) AS BIGINT), CAST(MAX(d.max_micro) AS BIGINT), "
        "CAST(SUM(d.events) AS BIGINT) FROM usage_daily d "
        f"WHERE d.meter_id IN ({_ids(wanted)}) "
        f"AND d.day >= {_date_literal(dialect, start)} AND d.day < {_date_literal(dialect, end)} "
        f"AND d.customer_id IN ({_subscribers_sql(plan_id)}) GROUP BY 1, 2, 3"
    )
    df = read_frame(conn, sql, {"customer_id": pl.Int64, "meter_id": pl.Int64, "ym": pl.String,
                                "sum_micro": pl.Int64, "max_micro": pl.Int64,
                                "events": pl.Int64})
    by_agg = {agg: [m for m in wanted if meters[m] == agg] for agg in ("sum", "count", "max")}
    units = (
        pl.when(pl.col("meter_id").is_in(by_agg["count"])).then(pl.col("events") * _MICRO)
        .when(pl.col("meter_id").is_in(by_agg["max"])).then(pl.col("max_micro"))
        .otherwise(pl.col("sum_micro"))
    )
    return df.select("customer_id", "meter_id", "ym", units.alias("units_micro"))


def _event_usage(conn: sa.Connection, plan_id: int, meter_id: int, aggregation: str,
                 field_name: str | None, start: date, end: date) -> pl.DataFrame:
    """Monthly units of a unique_count or latest meter from usage_event."""
    dialect = conn.dialect.name
    ym = _ym(dialect, "e.occurred_at", timestamp=True)
    where = (
        f"e.meter_id = {int(meter_id)} "
        f"AND e.occurred_at >= {_date_literal(dialect, start, timestamp=True)} "
        f"AND e.occurred_at < {_date_literal(dialect, end, timestamp=True)} "
        f"AND e.customer_id IN ({_subscribers_sql(plan_id)})"
    )
    if aggregation == "unique_count":
        if field_name is None:
            value = "e.quantity_micro"
        elif not _FIELD_NAME.fullmatch(field_name):
            raise InvalidInput(f"Meter {meter_id} has an unusable field name {field_name!r}.")
        elif dialect == "postgresql":
            value = f"(e.properties ->> '{field_name}')"
        else:
            value = f"json_extract(e.properties, '$.{field_name}')"
        sql = (f"SELECT e.customer_id, e.meter_id, {ym}, "  # noqa: S608
               f"CAST(COUNT(DISTINCT {value}) AS BIGINT) * {_MICRO} "
               f"FROM usage_event e WHERE {where} GROUP BY 1, 2, 3")
    else:
        sql = (
            "SELECT customer_id, meter_id, ym, quantity_micro FROM ("  # noqa: S608
            f"SELECT e.customer_id, e.meter_id, {ym} AS ym, e.quantity_micro, ROW_NUMBER() OVER "
            f"(PARTITION BY e.customer_id, e.meter_id, {ym} "
            "ORDER BY e.occurred_at DESC, e.id DESC) AS rn "
            f"FROM usage_event e WHERE {where}) t WHERE rn = 1"
        )
    return read_frame(conn, sql, _USAGE_SCHEMA)


def monthly_usage(conn: sa.Connection, *, plan_id: int, meter_ids: Sequence[int],
                  start: date, end: date) -> tuple[pl.DataFrame, bool]:
    """Units per subscriber, meter and month of ``[start, end)``.

    Args:
        conn: an open connection.
        plan_id: whose current subscribers are read.
        meter_ids: the meters the rate cards charge for.
        start: the first day of the window.
        end: the first day after the window.

    Returns:
        A frame of customer_id, meter_id, month_idx (:func:`month_index`) and units_micro
        (units in millionths), and whether raw usage events had to be read.

    Raises:
        InvalidInput: for a meter whose field name cannot be used in SQL.
    """
    meter_rows = conn.execute(
        sa.select(Meter.id, Meter.code, Meter.aggregation, Meter.field_name)
        .where(Meter.id.in_(meter_ids))
    ).all() if meter_ids else []
    aggregations = {m.id: m.aggregation for m in meter_rows}
    frames = [_daily_usage(conn, plan_id, aggregations, start, end)]
    for m in meter_rows:
        if m.aggregation in _EVENT_AGGREGATIONS:
            frames.append(_event_usage(conn, plan_id, m.id, m.aggregation, m.field_name,
                                       start, end))
    usage = (pl.concat(frames).with_columns(month_idx=_ym_index("ym"))
             .group_by("customer_id", "meter_id", "month_idx")
             .agg(pl.col("units_micro").sum()))
    return usage, any(m.aggregation in _EVENT_AGGREGATIONS for m in meter_rows)
