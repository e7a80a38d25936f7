"""Revenue-impact simulation: re-rate a draft and the published version over real usage.

For the customers currently subscribed to the plan (``subscription.plan_id``, status active or
past_due; one row per customer, their latest subscription), both rate cards are applied to each
of the last ``months`` complete calendar months before ``as_of`` (default: today):

* recurring fees and seats: :func:`console.catalog.subscription_mrr_minor` (yearly rows count
  1/12 a month, rounded once) times the months of the window since the subscription started;
  the *current* seat count is used for every month;
* usage: each usage row is rated per customer and month with the pricing engine and rounded
  like an invoice line, raised to the row's per-period minimum (``minimum_minor``) when set.
  Months without usage are rated at zero units (so flat fees and minimums still count).
  Monthly units come from ``usage_daily`` for meters aggregated by ``sum`` (sum of daily sums),
  ``count`` (sum of daily event counts) and ``max`` (max of daily maxima), which are exact;
  ``unique_count`` and ``latest`` cannot be derived from daily totals, so they are read from
  ``usage_event`` (distinct ``field_name`` values per month; the month's last event).
  Percentage charges see each month's total as one transaction (per-event fixed fees and
  per-transaction limits are therefore approximate). ``commit_minor`` is not simulated.

Each distinct (price terms, currency, units) combination is rated once and joined back, so
the cost grows with the number of distinct monthly usage figures, not with rows x prices.
Rows whose charge model and properties are equal in both versions are rated once for both.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from console.catalog.domain.impact import (
    HistogramBin,
    classify,
    histogram,
    pct_text,
    usage_window,
)
from console.catalog.domain.mrr import subscription_mrr_minor
from console.catalog.domain.ratecard import PriceKind, PriceSpec, select_prices
from console.catalog.domain.status import CURRENT_SUBSCRIPTION_STATUSES
from console.catalog.usecases.common import (
    get_version,
    ids,
    load_policy,
    price_specs,
    published_version,
)
from console.kernel.errors import InvalidInput
from console.kernel.frames import read_frame
from console.kernel.months import add_months
from console.money import format_minor, round_minor, to_major
from console.pricing import PricingValidationError, rate_many
from console.reference import fx_rates
from models import Meter
from models.db import read_session

Progress = Callable[[int], None]

#: How many customers the "most affected" list keeps.
TOP_N = 20
_MICRO = 1_000_000
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_STATUSES = ", ".join(f"'{s}'" for s in CURRENT_SUBSCRIPTION_STATUSES)


@dataclass(frozen=True)
class CustomerImpact:
    """One customer's revenue over the window under both rate cards (preformatted)."""

    customer_id: int
    customer_code: str
    customer_name: str
    currency: str
    old_minor: int
    new_minor: int
    change_minor: int
    old: str
    new: str
    change: str
    change_pct: str
    direction: str

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class CurrencyImpact:
    """Totals of one currency (amounts never mix currencies)."""

    currency: str
    customers: int
    increased: int
    decreased: int
    unchanged: int
    old_minor: int
    new_minor: int
    change_minor: int
    old: str
    new: str
    change: str
    change_pct: str

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SimulationResult:
    """The revenue impact of a rate card over a window of real usage."""

    plan_id: int
    version_id: int | None
    baseline_version_id: int | None
    months: int
    window_start: date
    window_end: date
    customers: int
    increased: int
    decreased: int
    unchanged: int
    totals: tuple[CurrencyImpact, ...]
    top: tuple[CustomerImpact, ...]
    histogram: tuple[HistogramBin, ...]
    reporting_currency: str
    #: sum over currencies of |total change|, in reporting-currency minor units (None: no rate)
    revenue_change_reporting_minor: int | None
    notes: tuple[str, ...] = ()
    rated_combinations: int = 0
    rated_lines: int = 0
    elapsed_ms: int = 0
    per_customer: tuple[CustomerImpact, ...] = field(default=(), repr=False)

    @property
    def revenue_change_reporting(self) -> str:
        """The absolute change used by the approval policy, formatted ("" when unknown)."""
        if self.revenue_change_reporting_minor is None:
            return ""
        return format_minor(self.revenue_change_reporting_minor, self.reporting_currency)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form for ``change_request.simulation`` (per-customer rows: top only)."""
        return {
            "plan_id": self.plan_id,
            "version_id": self.version_id,
            "baseline_version_id": self.baseline_version_id,
            "months": self.months,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "customers": self.customers,
            "increased": self.increased,
            "decreased": self.decreased,
            "unchanged": self.unchanged,
            "totals": [t.to_json() for t in self.totals],
            "top": [c.to_json() for c in self.top],
            "histogram": [{"label": b.label, "count": b.count} for b in self.histogram],
            "reporting_currency": self.reporting_currency,
            "revenue_change_reporting_minor": self.revenue_change_reporting_minor,
            "revenue_change_reporting": self.revenue_change_reporting,
            "notes": list(self.notes),
            "rated_combinations": self.rated_combinations,
            "rated_lines": self.rated_lines,
            "elapsed_ms": self.elapsed_ms,
        }


def _month_index(day: date) -> int:
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


def _subscribers_sql(plan_id: int) -> str:
    # Generated SQL below only ever embeds ints, ISO dates and checked identifiers.
    return (f"SELECT customer_id FROM subscription WHERE plan_id = {int(plan_id)} "  # noqa: S608
            f"AND status IN ({_STATUSES})")


def _customers(conn: sa.Connection, plan_id: int) -> pl.DataFrame:
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


_USAGE_SCHEMA = {"customer_id": pl.Int64, "meter_id": pl.Int64, "ym": pl.String,
                 "units_micro": pl.Int64}


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
        f"WHERE d.meter_id IN ({ids(wanted)}) "
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


class _Terms:
    """Distinct (charge model, properties, currency) of the rows being rated."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str, str], int] = {}
        self.specs: list[PriceSpec] = []

    def of(self, price: PriceSpec) -> int:
        key = (*price.terms_key, price.currency)
        if key not in self.index:
            self.index[key] = len(self.specs)
            self.specs.append(price)
        return self.index[key]


def _charges(spec: PriceSpec, units_micro: Sequence[int]) -> list[int]:
    """Rounded charges of one row's terms at each number of units (in millionths).

    The hot loop of the simulation: ``rate_many`` parses the properties once per row.
    """
    model, props, currency = spec.charge_model, spec.properties, spec.currency
    try:
        amounts = rate_many(model, props, [Decimal(u).scaleb(-6) for u in units_micro])
        return [round_minor(a, currency) for a in amounts]
    except PricingValidationError as exc:
        raise InvalidInput(f"Price {spec.name!r}: {exc}") from None


def _rate_combos(combos: pl.DataFrame, terms: _Terms, report: Progress) -> pl.DataFrame:
    """Rate each distinct (terms, units) pair once with the pricing engine."""
    total = max(1, combos.height)
    done = 0
    parts = []
    for (terms_idx,), group in combos.sort("terms_idx", "units_micro").group_by(
            "terms_idx", maintain_order=True):
        units = group["units_micro"].to_list()
        charges: list[int] = []
        for start in range(0, len(units), 20_000):
            charges += _charges(terms.specs[terms_idx], units[start:start + 20_000])
            done += min(20_000, len(units) - start)
            report(40 + 50 * done // total)
        parts.append(group.with_columns(charge_minor=pl.Series(charges, dtype=pl.Int64)))
    if not parts:
        return combos.with_columns(charge_minor=pl.lit(0, dtype=pl.Int64))
    return pl.concat(parts)


def _to_reporting(change_minor: int, currency: str, rates: Mapping[str, Decimal]
                  ) -> Decimal | None:
    rate_ = rates.get(currency)
    return None if rate_ is None else to_major(change_minor, currency) * rate_


def _signed(minor: int, currency: str) -> str:
    text = format_minor(minor, currency)
    return f"+{text}" if minor > 0 else text


def rate_plan(
    conn: sa.Connection,
    *,
    plan_id: int,
    old_prices: Sequence[PriceSpec],
    new_prices: Sequence[PriceSpec],
    months: int,
    as_of: date | None = None,
    rates: Mapping[str, Decimal] | None = None,
    reporting_currency: str = "USD",
    progress: Progress | None = None,
    version_id: int | None = None,
    baseline_version_id: int | None = None,
) -> SimulationResult:
    """Re-rate the plan's current subscribers under two rate cards (the simulation core).

    Args:
        conn: an open connection (reads customers, subscriptions and usage).
        plan_id: the plan whose subscribers are simulated.
        old_prices: the published rate card (empty when nothing is published).
        new_prices: the proposed rate card.
        months: window length in complete calendar months (3, 6 or 12 in the UI).
        as_of: the window ends with the month before this date's month (default today, UTC).
        rates: reporting-currency units per currency unit, for ranking and the policy total.
        reporting_currency: the currency of ``rates``.
        progress: called with 0-100 as the work advances.
        version_id: the proposed version's id (for the result only).
        baseline_version_id: the published version's id (for the result only).

    Raises:
        ValueError: for a window length outside 1-24 months.
    """
    started_at = time.perf_counter()
    report = progress or (lambda _pct: None)
    report(0)
    rates = dict(rates or {reporting_currency: Decimal(1)})
    window = usage_window(as_of=as_of or datetime.now(UTC).date(), months=months)
    first_idx, last_idx = _month_index(window[0]), _month_index(window[-1])
    end = add_months(window[-1], 1)
    notes = [f"{months} complete month(s): {window[0]:%b %Y} - {window[-1]:%b %Y}."]
    if not old_prices:
        notes.append("The plan has no published version: current revenue counts as zero.")

    customers = _customers(conn, plan_id)
    report(10)
    profiles = (customers.select("currency", "region", "segment", "interval")
                .unique(maintain_order=True).with_row_index("profile_id"))
    customers = customers.join(profiles, on=["currency", "region", "segment", "interval"],
                               how="left", nulls_equal=True)

    terms = _Terms()
    line_rows: list[tuple[int, int, int, int, int | None]] = []
    chosen: dict[tuple[int, int], list[PriceSpec]] = {}
    for prof in profiles.iter_rows(named=True):
        for side, specs in ((0, old_prices), (1, new_prices)):
            picked = select_prices(specs, currency=prof["currency"], region=prof["region"],
                                   segment=prof["segment"], interval=prof["interval"])
            chosen[(prof["profile_id"], side)] = picked
            for p in picked:
                if p.kind == PriceKind.USAGE and p.meter_id is not None:
                    line_rows.append((prof["profile_id"], side, p.meter_id, terms.of(p),
                                      p.minimum_minor))

    recurring_rows = []
    for pid, seats in customers.select("profile_id", "seats").unique().iter_rows():
        prof = profiles.row(pid, named=True)
        recurring_rows.append((pid, seats, *(
            subscription_mrr_minor(chosen[(pid, side)], seats=seats, currency=prof["currency"],
                                   interval=prof["interval"], region=prof["region"],
                                   segment=prof["segment"])
            for side in (0, 1))))
    recurring = pl.DataFrame(recurring_rows, orient="row", schema={
        "profile_id": pl.UInt32, "seats": pl.Int64, "old_mrr": pl.Int64, "new_mrr": pl.Int64})

    usage_meters = sorted({row[2] for row in line_rows})
    meter_rows = conn.execute(
        sa.select(Meter.id, Meter.code, Meter.aggregation, Meter.field_name)
        .where(Meter.id.in_(usage_meters))
    ).all() if usage_meters else []
    aggregations = {m.id: m.aggregation for m in meter_rows}
    frames = [_daily_usage(conn, plan_id, aggregations, window[0], end)]
    for m in meter_rows:
        if m.aggregation in ("unique_count", "latest"):
            frames.append(_event_usage(conn, plan_id, m.id, m.aggregation, m.field_name,
                                       window[0], end))
    if any(m.aggregation in ("unique_count", "latest") for m in meter_rows):
        notes.append("unique_count and latest meters are read from raw usage events.")
    if any(s.charge_model == "percentage" for s in terms.specs):
        notes.append("Percentage charges treat each month's total as one transaction.")
    usage = (pl.concat(frames).with_columns(month_idx=_ym_index("ym"))
             .group_by("customer_id", "meter_id", "month_idx")
             .agg(pl.col("units_micro").sum()))
    report(35)

    lines_def = pl.DataFrame(line_rows, orient="row", schema={
        "profile_id": pl.UInt32, "side": pl.Int8, "meter_id": pl.Int64, "terms_idx": pl.Int64,
        "minimum_minor": pl.Int64})
    months_df = pl.DataFrame({"month_idx": list(range(first_idx, last_idx + 1))},
                             schema={"month_idx": pl.Int32})
    lines = (
        customers.select("customer_id", "profile_id", "start_idx")
        .join(months_df, how="cross")
        .filter(pl.col("month_idx") >= pl.col("start_idx"))
        .join(lines_def, on="profile_id", how="inner")
        .join(usage, on=["customer_id", "meter_id", "month_idx"], how="left")
        .with_columns(pl.col("units_micro").fill_null(0))
    )
    combos = lines.select("terms_idx", "units_micro").unique()
    report(40)
    rated = _rate_combos(combos, terms, report)
    lines = lines.join(rated, on=["terms_idx", "units_micro"], how="left").with_columns(
        line_minor=pl.max_horizontal("charge_minor", pl.col("minimum_minor").fill_null(0)))
    usage_totals = lines.group_by("customer_id").agg(
        old_usage=pl.col("line_minor").filter(pl.col("side") == 0).sum(),
        new_usage=pl.col("line_minor").filter(pl.col("side") == 1).sum(),
    )
    active = (pl.lit(last_idx) - pl.max_horizontal(pl.col("start_idx"), pl.lit(first_idx)) + 1
              ).clip(0, months)
    per = (
        customers.join(recurring, on=["profile_id", "seats"], how="left")
        .join(usage_totals, on="customer_id", how="left")
        .with_columns(pl.col("old_usage", "new_usage").fill_null(0), active=active)
        .with_columns(
            old_minor=pl.col("old_mrr") * pl.col("active") + pl.col("old_usage"),
            new_minor=pl.col("new_mrr") * pl.col("active") + pl.col("new_usage"),
        )
        .with_columns(change_minor=pl.col("new_minor") - pl.col("old_minor"))
        .sort("customer_id")
    )
    report(92)
    result = _summarize(
        per, plan_id=plan_id, version_id=version_id, baseline_version_id=baseline_version_id,
        months=months, window=(window[0], date.fromordinal(end.toordinal() - 1)), rates=rates,
        reporting_currency=reporting_currency, notes=notes,
        rated_combinations=combos.height, rated_lines=lines.height, started_at=started_at,
    )
    report(100)
    return result


def _summarize(per: pl.DataFrame, *, plan_id: int, version_id: int | None,
               baseline_version_id: int | None, months: int, window: tuple[date, date],
               rates: Mapping[str, Decimal], reporting_currency: str, notes: list[str],
               rated_combinations: int, rated_lines: int, started_at: float
               ) -> SimulationResult:
    impacts: list[CustomerImpact] = []
    rank: list[tuple[Decimal, int, int]] = []
    for i, row in enumerate(per.select("customer_id", "code", "name", "currency", "old_minor",
                                       "new_minor", "change_minor").iter_rows()):
        cid, code, name, cur, old, new, change = row
        impacts.append(CustomerImpact(
            customer_id=cid, customer_code=code, customer_name=name, currency=cur,
            old_minor=old, new_minor=new, change_minor=change, old=format_minor(old, cur),
            new=format_minor(new, cur), change=_signed(change, cur),
            change_pct=pct_text(old, new), direction=classify(change)))
        converted = _to_reporting(abs(change), cur, rates)
        rank.append((converted if converted is not None else to_major(abs(change), cur),
                     -cid, i))
    rank.sort(reverse=True)
    top = tuple(impacts[i] for _value, _cid, i in rank[:TOP_N] if impacts[i].change_minor)

    totals: list[CurrencyImpact] = []
    change_total = Decimal(0)
    convertible = True
    for cur in sorted({c.currency for c in impacts}):
        rows = [c for c in impacts if c.currency == cur]
        old = sum(c.old_minor for c in rows)
        new = sum(c.new_minor for c in rows)
        totals.append(CurrencyImpact(
            currency=cur, customers=len(rows),
            increased=sum(1 for c in rows if c.change_minor > 0),
            decreased=sum(1 for c in rows if c.change_minor < 0),
            unchanged=sum(1 for c in rows if c.change_minor == 0),
            old_minor=old, new_minor=new, change_minor=new - old, old=format_minor(old, cur),
            new=format_minor(new, cur), change=_signed(new - old, cur),
            change_pct=pct_text(old, new)))
        converted = _to_reporting(abs(new - old), cur, rates)
        if converted is None:
            convertible = convertible and new == old
        else:
            change_total += converted
    return SimulationResult(
        plan_id=plan_id,
        version_id=version_id,
        baseline_version_id=baseline_version_id,
        months=months,
        window_start=window[0],
        window_end=window[1],
        customers=len(impacts),
        increased=sum(t.increased for t in totals),
        decreased=sum(t.decreased for t in totals),
        unchanged=sum(t.unchanged for t in totals),
        totals=tuple(totals),
        top=top,
        histogram=histogram((c.old_minor, c.new_minor) for c in impacts),
        reporting_currency=reporting_currency,
        revenue_change_reporting_minor=(round_minor(change_total, reporting_currency)
                                        if convertible else None),
        notes=tuple(notes),
        rated_combinations=rated_combinations,
        rated_lines=rated_lines,
        elapsed_ms=int((time.perf_counter() - started_at) * 1000),
        per_customer=tuple(impacts),
    )


def simulate_in(session: Session, *, version_id: int, months: int,
                progress: Progress | None = None, as_of: date | None = None
                ) -> SimulationResult:
    """Simulate a version against the plan's published version inside an open session."""
    version = get_version(session, version_id)
    baseline = published_version(session, version.plan_id)
    policy = load_policy(session)
    try:
        return rate_plan(
            session.connection(),
            plan_id=version.plan_id,
            old_prices=price_specs(session, baseline.id if baseline else None),
            new_prices=price_specs(session, version.id),
            months=months,
            as_of=as_of,
            rates=fx_rates(session, policy.reporting_currency),
            reporting_currency=policy.reporting_currency,
            progress=progress,
            version_id=version.id,
            baseline_version_id=baseline.id if baseline else None,
        )
    except ValueError as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(str(exc)) from None


def simulate(engine: sa.Engine | None = None, *, version_id: int, months: int,
             progress: Progress | None = None, as_of: date | None = None) -> SimulationResult:
    """Simulate a version's revenue impact (read-only; run it off the event loop).

    Args:
        engine: the database (default: the configured one).
        version_id: the proposed version (usually a draft).
        months: 3, 6 or 12 (1-24 accepted).
        progress: called with 0-100.
        as_of: the window ends with the month before this date's month (default today).
    """
    with read_session(engine) as session:
        return simulate_in(session, version_id=version_id, months=months, progress=progress,
                           as_of=as_of)
